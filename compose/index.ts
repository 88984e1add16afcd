export * from './compose-project';
