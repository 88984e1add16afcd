export * from './config';
export * from './paths';
export { composeProjectFromCluster, publishedPortsOf } from './from-cluster';
export { renderComposeProject, renderEntrypoint, durationText } from './render';
export { composeFiles, serviceFileContent } from './files';
