export * from './compose-project';
export * from './load-balancer';
