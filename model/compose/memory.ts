/** The memory of a compose node's container (see core/container-memory.ts), and its rule. */
import { informationSizeBytes } from '../core/primitives';
import type { Problem } from '../core/problems';
import { error, warning } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { containerMemory, type ContainerMemory } from '../core/container-memory';

/** Below this a node cannot run: an idle 4.3.6 node uses about 130 MB, and the alarm sits well under the limit. */
export const MIN_CONTAINER_MEMORY = '512MiB';

/** The memory of each compose node's container, from compose.memoryLimit. */
export function composeMemoryOf(compose: { readonly memoryLimit: string }): ContainerMemory {
  return containerMemory(compose.memoryLimit, informationSizeBytes(compose.memoryLimit));
}

/** A limit too small for a node is an error; an absolute watermark at or above it a warning, since the spec may never run in compose. */
export function composeMemoryRule(spec: ParsedSpec): Problem[] {
  const { limit, limitBytes } = composeMemoryOf(spec.compose);
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
