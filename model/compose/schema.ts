/** The `compose` section of the spec: how the docker-compose target publishes its ports and bounds each node's memory. */
import * as z from 'zod';
import { IPV4 } from '../core/primitives';

/** A container memory size in whole MiB, so Compose and the Docker API (which counts MB of 2^20 bytes) agree on it. */
export const CONTAINER_MEMORY = /^[1-9]\d*(MiB|GiB)$/;

export const composeSchema = z
  .strictObject({
    bindAddress: z
      .string()
      .regex(IPV4, 'is not an IPv4 address; use "127.0.0.1" (this machine only) or "0.0.0.0" (every interface)')
      .default('127.0.0.1')
      .describe('Host address published ports bind to. @default "127.0.0.1"'),
    hostPortOffset: z
      .int('is not an integer; give a whole number such as 0 or 10000')
      .min(0, 'is negative; give 0 or a positive offset')
      .default(0)
      .describe('Added to every published host port, to run several clusters side by side. @default 0'),
    memoryLimit: z
      .string('is not a size; write it as a string such as "2GiB" or "1536MiB"')
      .regex(CONTAINER_MEMORY, 'is not a size in MiB or GiB; write it as "2GiB" or "1536MiB"')
      .default('2GiB')
      .describe(
        'Memory limit of each node\'s container (compose mem_limit, the Pulumi docker program\'s memory), at least "512MiB". RabbitMQ reads the host\'s RAM, not this limit, so it is told to plan with the limit less 20 % (at most 2 GiB) of headroom: a relative memoryHighWatermark applies to the container. @default "2GiB"',
      ),
  })
  .prefault({})
  .describe('docker-compose target (and the Pulumi docker program).');
