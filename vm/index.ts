export * from './bundle';
export * from './install-plan';
export * from './install-script';
export * from './firewall';
export * from './cert-rotation';
