/** The client reads what the resolved spec decided about a queue; it never derives topology itself. */
import { closest, WarrenUserError, type ResolvedCluster, type ResolvedQueue, type ResolvedReliableQueue } from '../model/internal';

/** A reliable queue and the declarations of the queues its consumer relies on: itself, its dead-letter and delay queues. */
export interface ClientQueue extends ResolvedReliableQueue {
  readonly declarations: readonly ResolvedQueue[];
}

/** The retry policy of `queue` in `vhost`; a user error naming the queues that have one when it has none. */
export function reliableQueueOf(cluster: ResolvedCluster, queue: string, vhost = '/'): ClientQueue {
  const found = cluster.topology.reliableQueues.find((q) => q.vhost === vhost && q.name === queue);
  if (found) {
    const names = [found.name, found.deadLetterQueue, ...(found.retry.kind === 'delay-queues' ? found.retry.queueForRetry : [])];
    const declarations = [...new Set(names)].map((name) => cluster.topology.queues.find((q) => q.vhost === vhost && q.name === name)!);
    return { ...found, declarations };
  }
  const names = cluster.topology.reliableQueues.filter((q) => q.vhost === vhost).map((q) => q.name);
  const suggestion = closest(queue, names);
  const declared = cluster.topology.queues.some((q) => q.vhost === vhost && q.name === queue);
  const fix = suggestion
    ? `did you mean "${suggestion}"?`
    : declared
      ? 'give it a retry policy under topology.queues[].retry in the spec'
      : `declare it under topology.queues with a retry policy${names.length > 0 ? ` (queues with one: ${names.join(', ')})` : ''}`;
  throw new WarrenUserError(`queue "${queue}" in vhost "${vhost}" is not a reliable queue of cluster ${cluster.name}; ${fix}`, 1);
}

/**
 * AMQP URLs of the cluster for a client: the virtual IP when the spec has one (HAProxy spreads and fails over),
 * else every node, tried in turn. They name no heartbeat: the broker offers the spec's heartbeatSeconds and the
 * client proposes its own (ReliableConnection: 10 s), the lower applies. A URL naming the spec's 60 s overrode the
 * client's 10 s, so a connection left half-open behind a load balancer held its prefetched messages for 2 minutes.
 */
export function amqpUrlsOf(cluster: ResolvedCluster, credentials: { readonly user: string; readonly password: string }, vhost = '/'): string[] {
  const auth = `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}`;
  const hosts = cluster.loadBalancer?.virtualIp ? [cluster.loadBalancer.virtualIp.address] : cluster.nodes.map((n) => n.address ?? n.host);
  return hosts.map((host) => `amqp://${auth}@${host}:${cluster.ports.amqp}/${encodeURIComponent(vhost)}`);
}
