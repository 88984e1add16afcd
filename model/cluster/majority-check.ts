/**
 * The majority check: on every RabbitMQ host a small agent tells the load balancers whether that node still
 * reaches a majority of the cluster. RabbitMQ itself keeps a cut-off node serving where nothing pauses it
 * (Khepri on 4.2+, `ignore` or `autoheal` on Mnesia): its health endpoints answer 200 and its AMQP port
 * answers, while quorum queue publishes and declarations stall. Measured on 4.3.6: the node's own view of its
 * peers (`nodes()`, `cluster_status`, `erlang_vm_dist_node_state`) lags the cut by the Erlang tick time
 * (45-75 s), so the agent looks at the network itself: it connects to every node's distribution port, its own
 * included, and answers HTTP 200 while more than half of them accept, 503 otherwise. No credentials, no
 * Erlang distribution, nothing a quorum queue's health changes.
 */
import type { PartitionHandlingMode } from '../spec';

export interface ResolvedMajorityCheck {
  /** TCP port of the agent on every RabbitMQ host (plain HTTP, any address). */
  readonly agentPort: number;
  /** Path the load balancers and Kubernetes ask; the agent answers every path alike. */
  readonly path: string;
  /** Pause between two probe rounds. */
  readonly probeIntervalMs: number;
  /** A node whose distribution port has not accepted within this time counts as unreachable. */
  readonly probeTimeoutMs: number;
  /** Where every target installs the agent program. */
  readonly programPath: string;
}

export const MAJORITY_AGENT_PORT = 15680;

/**
 * The node's own pausing stands in for the check only where it exists: pause_minority or pause_if_all_down on
 * Mnesia (`partitionHandlingHonoured`: a 4.2+ cluster upgraded with Mnesia honours it too).
 */
export function resolveMajorityCheck(partitionHandlingHonoured: boolean, mode: PartitionHandlingMode): ResolvedMajorityCheck | undefined {
  const nodePausesItself = partitionHandlingHonoured && mode !== 'ignore' && mode !== 'autoheal';
  if (nodePausesItself) return undefined;
  return {
    agentPort: MAJORITY_AGENT_PORT,
    path: '/majority',
    probeIntervalMs: 500,
    probeTimeoutMs: 1000,
    programPath: '/usr/local/lib/warren/majority-agent.escript',
  };
}

/**
 * Longest time from the cut to the agent answering 503: a round that started just before the cut still
 * succeeds, the next one starts `probeIntervalMs` later and gives up after `probeTimeoutMs`.
 */
export function majorityLossAgentMs(check: ResolvedMajorityCheck): number {
  return check.probeIntervalMs + 2 * check.probeTimeoutMs;
}

/**
 * What the agent runs (as WARREN_ON_MINORITY) when its node loses the majority, where no load balancer shuts the
 * node's sessions itself (Kubernetes: an unready pod keeps its established connections). The CLI reaches the
 * local node with the cookie alone; RabbitMQ tells each client why (CONNECTION_FORCED) and the client reconnects.
 */
export const CLOSE_CLIENT_CONNECTIONS_COMMAND =
  "rabbitmqctl -q close_all_connections --global 'this node lost the majority of its cluster; reconnect through the load balancer'";

/** The agent's arguments after `escript`: the program, its port, timings and every node's `address:distribution-port`. */
export function majorityAgentArgs(check: ResolvedMajorityCheck, nodeAddresses: readonly string[], distributionPort: number): string[] {
  return [
    check.programPath,
    String(check.agentPort),
    String(check.probeIntervalMs),
    String(check.probeTimeoutMs),
    ...nodeAddresses.map((address) => `${address}:${distributionPort}`),
  ];
}
