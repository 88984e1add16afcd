export * from './rabbitmq-cluster';
export * from './synth';
export { CHECKSUM_ANNOTATION } from './stateful-set';
