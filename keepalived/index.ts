export * from './config';
export * from './check-script';
export * from './from-cluster';
export { renderKeepalivedConfig, advertInterval } from './render';
