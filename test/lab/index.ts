export { createLab, type Lab, type LabProcess, type RunOptions, type SpawnOptions } from './lab';
export type { LabHostSpec, LabOptions } from './lab-spec';
export type { BindMount } from './host-namespaces';
export { haproxyRunMount } from './haproxy-run';
export type { CommandResult } from './commands';
export {
  installedNodeOptions,
  rabbitmqCli,
  rabbitmqctl,
  startRabbitmqNode,
  waitForClusterSize,
  writeErlangCookie,
  type ClusterStatus,
  type RabbitmqNode,
  type RabbitmqNodeOptions,
  type RabbitmqNodeRef,
} from './rabbitmq-node';
export { startBundleMajorityAgent } from './majority-agent';
export { loadBalancerRuntime, rabbitmqLineOf, rabbitmqRuntime, RABBITMQ_LINES, type LoadBalancerBuild, type RabbitmqLine, type Runtime } from './runtimes';
