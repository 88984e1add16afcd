export * from './config';
export * from './from-cluster';
export { renderHaproxyConfig, duration } from './render';
export { sha512Crypt, deterministicSalt } from './sha512-crypt';
