export * from './errors';
export * from './queues';
export * from './connection';
export * from './publisher';
export * from './sqlite-store';
export * from './outbox-relay';
export * from './consumer';
