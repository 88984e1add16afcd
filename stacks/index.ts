export * from './secrets';
export * from './connection-urls';
export * from './docker-plan';
export * from './docker-cluster';
export * from './chart-objects';
export * from './kubernetes-cluster';
