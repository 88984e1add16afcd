/**
 * A queue's retry policy, as the user writes it under `topology.queues[].retry`. What warren derives from it
 * (quorum queue arguments, dead-letter queue, delay queues before 4.3) lives in reliability.ts.
 */
import * as z from 'zod';

/** More attempts than this are a loop, not a retry policy. */
export const MAX_ATTEMPTS = 50;

const wholeMs = (what: string) =>
  z.int(`is not a whole number of milliseconds; give an integer such as 1000`).min(1, `is below 1; give ${what} of 1 ms or more (e.g. 1000)`);

export const retrySchema = z
  .strictObject({
    attempts: z
      .int('is not a whole number; give how many deliveries a message gets in all, e.g. 5')
      .min(1, 'is below 1; give 1 (no retry) or more deliveries')
      .max(MAX_ATTEMPTS, `is above ${MAX_ATTEMPTS}; give at most ${MAX_ATTEMPTS} deliveries (dead-letter the rest and replay them)`)
      .describe('Deliveries a message gets in all, the first included; after the last failure it goes to the dead-letter queue.'),
    delayMs: wholeMs('a delay')
      .default(1000)
      .describe('Wait before the first retry; retry k waits min(delayMs × k, maxDelayMs), as RabbitMQ 4.3 quorum queues delay. @default 1000'),
    maxDelayMs: wholeMs('a longest delay').optional().describe('Longest wait before a retry. @default - delayMs (every retry waits delayMs)'),
    deadLetterQueue: z
      .string()
      .min(1, 'is empty; name the dead-letter queue, or leave it out for "<queue>.dead"')
      .optional()
      .describe('Queue that receives messages after their last attempt, with the error, attempt count and origin. @default - "<queue>.dead"'),
  })
  .describe(
    'Retries done by the broker, never by sleeping in the consumer: the queue becomes a quorum queue with a delivery limit and ' +
      'at-least-once dead-lettering into its dead-letter queue; RabbitMQ 4.3 delays retries in the queue itself (x-delayed-retry-*), ' +
      'earlier lines get one delay queue per distinct delay (queue TTL, never per-message TTL).',
  );

export type RetrySpec = z.output<typeof retrySchema>;
