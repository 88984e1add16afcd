export { createLab, type Lab, type LabProcess, type RunOptions, type SpawnOptions } from './lab';
export type { LabHostSpec, LabOptions } from './lab-spec';
export type { BindMount } from './host-namespaces';
export type { CommandResult } from './commands';
export {
  rabbitmqctl,
  startRabbitmqNode,
  waitForClusterSize,
  writeErlangCookie,
  type ClusterStatus,
  type RabbitmqNode,
  type RabbitmqNodeOptions,
} from './rabbitmq-node';
