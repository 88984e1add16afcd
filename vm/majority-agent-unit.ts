/** The systemd unit that keeps the majority agent (model/majority-check.ts) running on a RabbitMQ host. */
import { majorityAgentArgs, type ResolvedCluster, type ResolvedMajorityCheck } from '../model/internal';
import { renderServiceUnit } from './systemd-unit';

export const MAJORITY_AGENT_SERVICE = 'warren-majority-agent';
export const MAJORITY_AGENT_UNIT_PATH = `/etc/systemd/system/${MAJORITY_AGENT_SERVICE}.service`;
/** Debian's erlang-base, which rabbitmq-server depends on. */
const ESCRIPT = '/usr/bin/escript';

/** The agent probes the addresses HAProxy uses for the nodes (the spec's address, else the host name). */
export function renderMajorityAgentUnit(cluster: ResolvedCluster, check: ResolvedMajorityCheck): string {
  const args = majorityAgentArgs(check, cluster.nodes.map((n) => n.address ?? n.host), cluster.ports.distribution);
  return renderServiceUnit(cluster, {
    name: MAJORITY_AGENT_SERVICE,
    about: [`Answers HTTP 200 on port ${check.agentPort} while this host reaches a majority of the cluster's nodes, 503 otherwise.`],
    description: `warren majority agent of RabbitMQ cluster "${cluster.name}"`,
    unit: ['Wants=network-online.target', 'After=network-online.target'],
    service: ['User=rabbitmq', 'Group=rabbitmq', `ExecStart=${[ESCRIPT, ...args].join(' ')}`],
  });
}
