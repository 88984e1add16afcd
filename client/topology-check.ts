/**
 * Before a consumer starts, the queues it relies on (the queue, its dead-letter queue, its delay queues) must be
 * on the broker as the spec declares them. Each is checked passively (missing: 404), then declared with the
 * spec's arguments, which the broker accepts only when they are equivalent to the queue's (else 406
 * PRECONDITION_FAILED): the client never creates a queue the definitions did not, and never consumes from one
 * whose retry or dead-lettering differs from what it was built for. These are the user's to fix, so the
 * connection stops retrying (ReliableConnection, 'failed').
 */
import type * as amqp from 'amqplib';
import { WarrenUserError, type ResolvedQueue } from '../model';

/** A queue missing from the broker, or there with other arguments than the spec's: one line per queue. */
export class TopologyMismatchError extends WarrenUserError {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `the broker's queues differ from the spec:\n${problems.map((p) => `  ${p}`).join('\n')}`, 2);
    this.name = 'TopologyMismatchError';
  }
}

/** The broker's own words, e.g. `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received 'quorum' but current is 'classic'`. */
function brokerText(error: unknown): { code: number | undefined; text: string } {
  const message = String((error as Error)?.message ?? error);
  const quoted = /with message "(.*)"$/s.exec(message);
  return { code: (error as { code?: number })?.code, text: quoted ? quoted[1]! : message };
}

function problemOf(queue: ResolvedQueue, error: unknown, declaring: boolean): string {
  const { code, text } = brokerText(error);
  const what = `queue "${queue.name}" in vhost "${queue.vhost}"`;
  if (!declaring && code === 404) return `${what} does not exist on the broker (${text}); load the spec's definitions (warren synth, then deploy) before starting the client`;
  if (declaring && code === 406) {
    const argument = /inequivalent arg '([^']+)'/.exec(text)?.[1];
    const declared = argument === undefined ? 'them' : `${argument}=${JSON.stringify(queue.arguments[argument] ?? null)}`;
    return (
      `${what} exists on the broker with other arguments than the spec's: the broker refused ${declared} (${text}); ` +
      `move its messages to a new queue (a shovel) and delete it so the spec's definitions declare it again, or change the spec to match the queue`
    );
  }
  return `${what} could not be checked (${text}); check the default user's permissions on the vhost`;
}

/** Checks every queue in `queues` (all in the connection's vhost); a TopologyMismatchError listing each one that differs. */
export async function checkQueues(connection: amqp.ChannelModel, queues: readonly ResolvedQueue[]): Promise<void> {
  const problems: string[] = [];
  let channel: amqp.Channel | undefined;
  for (const queue of queues) {
    // A refused check closes the channel: the next queue gets a fresh one.
    if (!channel) {
      channel = await connection.createChannel();
      channel.on('error', () => undefined);
    }
    let declaring = false;
    try {
      await channel.checkQueue(queue.name);
      declaring = true;
      await channel.assertQueue(queue.name, { durable: queue.durable, autoDelete: queue.autoDelete, arguments: { ...queue.arguments } });
    } catch (error) {
      problems.push(problemOf(queue, error, declaring));
      channel = undefined;
    }
  }
  await channel?.close().catch(() => undefined);
  if (problems.length > 0) throw new TopologyMismatchError(problems);
}
