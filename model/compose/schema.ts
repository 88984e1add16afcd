/** The `compose` section of the spec: how the docker-compose target publishes its ports. */
import { z } from 'zod';
import { IPV4 } from '../core/primitives';

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
  })
  .prefault({})
  .describe('docker-compose target.');
