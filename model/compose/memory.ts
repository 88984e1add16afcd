/**
 * The memory of a compose node's container, and its rule. RabbitMQ sizes its memory alarm from the host's RAM
 * (/proc/meminfo), not from the container's cgroup limit: measured on 4.3.6 in a container limited to 1536 MiB,
 * a relative watermark of 0.6 computed 15.2 GB on a 25 GB host. So every node is told the memory it has.
 */
import { informationSizeBytes } from '../core/primitives';
import type { Problem } from '../core/problems';
import { error, warning } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { composeSchema } from './schema';

/** Most headroom kept for the Erlang VM beyond what RabbitMQ plans with (as the Kubernetes target keeps). */
const MAX_HEADROOM_BYTES = 2 * 2 ** 30;

/** Below this a node cannot run: an idle 4.3.6 node uses about 130 MB, and the alarm sits well under the limit. */
export const MIN_CONTAINER_MEMORY = '512MiB';

export interface ContainerMemory {
  /** The limit as the spec writes it, e.g. `2GiB`. */
  readonly limit: string;
  readonly limitBytes: number;
  /** What RabbitMQ takes as its total (total_memory_available_override_value): the limit less 20 %, at most 2 GiB. */
  readonly forRabbitmqBytes: number;
}

export function containerMemoryOf(compose: { readonly memoryLimit: string }): ContainerMemory {
  const limitBytes = informationSizeBytes(compose.memoryLimit);
  return { limit: compose.memoryLimit, limitBytes, forRabbitmqBytes: limitBytes - Math.min(Math.floor(limitBytes / 5), MAX_HEADROOM_BYTES) };
}

/**
 * The memory of a resolved cluster's compose nodes. resolveCluster keeps the parsed compose section as it is, but
 * ResolvedCluster's type does not name memoryLimit: it is read back through the section's schema (which also
 * applies the default for a cluster built by hand).
 */
export function composeMemoryOf(cluster: { readonly compose: object }): ContainerMemory {
  return containerMemoryOf(composeSchema.parse(cluster.compose));
}

/** A limit too small for a node is an error; an absolute watermark at or above it a warning, since the spec may never run in compose. */
export function composeMemoryRule(spec: ParsedSpec): Problem[] {
  const { limit, limitBytes } = containerMemoryOf(spec.compose);
  if (limitBytes < informationSizeBytes(MIN_CONTAINER_MEMORY)) {
    return [
      error(
        'compose.memoryLimit',
        limit,
        `is below ${MIN_CONTAINER_MEMORY}: an idle RabbitMQ node already uses about 130 MB and its memory alarm sits well below the limit, so publishers would be blocked from the start; give "${MIN_CONTAINER_MEMORY}" or more`,
      ),
    ];
  }
  const watermark = spec.resources.memoryHighWatermark;
  if (typeof watermark === 'string' && informationSizeBytes(watermark) >= limitBytes) {
    return [
      warning(
        'resources.memoryHighWatermark',
        watermark,
        `is not below each node's memory limit in compose (compose.memoryLimit ${limit}): the kernel would kill the node before the memory alarm stops publishers; give a fraction such as 0.6, a size well below the limit, or a larger compose.memoryLimit if you run the compose target`,
      ),
    ];
  }
  return [];
}
