/**
 * What a node in a container is told about its memory. RabbitMQ sizes its memory alarm from the host's RAM
 * (/proc/meminfo), not from the container's cgroup limit: measured on 4.3.6 in a container limited to
 * 1536 MiB, a relative watermark of 0.6 computed 15.2 GB on a 25 GB host. So every target that runs nodes in
 * containers (compose, Kubernetes) writes total_memory_available_override_value from the limit.
 */

/** Most headroom kept for the Erlang VM beyond what RabbitMQ plans with. */
const MAX_HEADROOM_BYTES = 2 * 2 ** 30;

export interface ContainerMemory {
  /** The limit as the spec writes it, e.g. `2GiB` (compose) or `2Gi` (Kubernetes). */
  readonly limit: string;
  readonly limitBytes: number;
  /**
   * What RabbitMQ takes as its total (total_memory_available_override_value): the limit less 20 %, at most
   * 2 GiB, so the watermark leaves room for the runtime's own allocations before the kernel's OOM killer acts.
   */
  readonly forRabbitmqBytes: number;
}

export function containerMemory(limit: string, limitBytes: number): ContainerMemory {
  const bytes = Math.floor(limitBytes);
  return { limit, limitBytes: bytes, forRabbitmqBytes: bytes - Math.min(Math.floor(bytes / 5), MAX_HEADROOM_BYTES) };
}
