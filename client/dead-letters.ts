/**
 * Reading and replaying a reliable queue's dead letters. Reading takes each message with basic.get and gives
 * them all back at the end (basic.nack with requeue; on 4.3 a nack does not count toward a delivery limit), so
 * nothing is removed. Replaying publishes a copy to where the message first came from (the x-warren-origin-*
 * headers the consumer wrote, else the broker's x-death record), confirmed and routed, and only then acks the
 * dead letter: a replay that fails leaves it in place. The copy starts its attempts afresh.
 */
import type * as amqp from 'amqplib';
import type { ResolvedReliableQueue } from '../model';
import { HEADERS } from './consumer';

export interface DeadLetter {
  readonly messageId: string | undefined;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, unknown>>;
  /** x-warren-error, or the broker's reason (x-first-death-reason, e.g. "delivery_limit"). */
  readonly error: string | undefined;
  /** Deliveries the message had before it was dead-lettered, where known. */
  readonly attempts: number | undefined;
  /** Where a replay sends it. */
  readonly origin: { readonly queue: string; readonly exchange: string; readonly routingKey: string };
}

/** When a copy was replayed (ms since the epoch): operators and the rate-limit test read it. */
export const REPLAYED_AT = 'x-warren-replayed-at';

/** Headers a replayed copy does not carry: its attempts start again, the broker writes its own. */
const DROPPED_ON_REPLAY = [REPLAYED_AT, HEADERS.error, HEADERS.attempts, 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason', 'x-delivery-count', 'x-acquired-count'];

export function deadLetterOf(message: amqp.GetMessage, queue: ResolvedReliableQueue): DeadLetter {
  const headers = message.properties.headers ?? {};
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as unknown as Record<string, unknown>[]) : [];
  const death = deaths.find((d) => d.queue === queue.name) ?? deaths[0];
  const text = (value: unknown) => (value === undefined || value === null ? undefined : Buffer.isBuffer(value) ? value.toString() : String(value));
  const deathKeys = Array.isArray(death?.['routing-keys']) ? (death!['routing-keys'] as unknown[]) : [];
  const attempts = headers[HEADERS.attempts] ?? headers['x-delivery-count'];
  return {
    messageId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
    body: message.content,
    headers,
    error: text(headers[HEADERS.error]) ?? text(headers['x-first-death-reason']),
    attempts: typeof attempts === 'number' ? attempts : undefined,
    origin: {
      queue: text(headers[HEADERS.originQueue]) ?? text(death?.queue) ?? queue.name,
      // Neither record: the default exchange straight into the queue it was dead-lettered from.
      exchange: text(headers[HEADERS.originExchange]) ?? text(death?.exchange) ?? '',
      routingKey: text(headers[HEADERS.originRoutingKey]) ?? text(deathKeys[0]) ?? queue.name,
    },
  };
}

/** Up to `limit` dead letters of `queue`, oldest first; all stay in the dead-letter queue. */
export async function readDeadLetters(connection: amqp.ChannelModel, queue: ResolvedReliableQueue, limit: number): Promise<{ total: number; letters: DeadLetter[] }> {
  const channel = await connection.createChannel();
  try {
    const { messageCount } = await channel.checkQueue(queue.deadLetterQueue);
    const letters: DeadLetter[] = [];
    // Held unacked until the end: a message given back at once would be the next one got.
    while (letters.length < Math.min(limit, messageCount)) {
      const message = await channel.get(queue.deadLetterQueue, { noAck: false });
      if (!message) break;
      letters.push(deadLetterOf(message, queue));
    }
    channel.nackAll(true);
    return { total: messageCount, letters };
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export interface ReplayOptions {
  /** Only these message ids. @default - every dead letter present when the replay starts */
  readonly messageIds?: readonly string[];
  /** Most replays per second. @default 10 */
  readonly ratePerSecond?: number;
  /** How long each replay waits for its confirm. @default 10000 */
  readonly confirmTimeoutMs?: number;
  /** Called after each confirmed replay. */
  readonly onReplayed?: (letter: DeadLetter) => void;
}

export class ReplayError extends Error {
  constructor(readonly letter: DeadLetter, reason: string, readonly replayed: number) {
    super(`replay of message ${letter.messageId ?? '(no id)'} to exchange "${letter.origin.exchange}" with routing key "${letter.origin.routingKey}" failed (${reason}); it stays in the dead-letter queue, and so do the ones after it (${replayed} replayed before it)`);
    this.name = 'ReplayError';
  }
}

/** Replays dead letters at most `ratePerSecond`, each confirmed and routed before its dead letter is acked. */
export async function replayDeadLetters(connection: amqp.ChannelModel, queue: ResolvedReliableQueue, options: ReplayOptions = {}): Promise<{ replayed: number; kept: number }> {
  const rate = options.ratePerSecond ?? 10;
  const timeoutMs = options.confirmTimeoutMs ?? 10_000;
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const channel = await connection.createConfirmChannel();
  let replayed = 0;
  let kept = 0;
  try {
    const { messageCount } = await channel.checkQueue(queue.deadLetterQueue);
    let lastAt = -Infinity;
    // At most the messages present at the start: one that fails again and comes back is not replayed twice.
    for (let seen = 0; seen < messageCount; seen++) {
      const message = await channel.get(queue.deadLetterQueue, { noAck: false });
      if (!message) break;
      const letter = deadLetterOf(message, queue);
      if (wanted && (letter.messageId === undefined || !wanted.has(letter.messageId))) {
        kept++;
        continue;
      }
      // Each replay at least 1/rate after the one before (a late one does not let the next catch up).
      const ahead = lastAt + 1000 / rate - Date.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      lastAt = Date.now();
      const reason = await publishConfirmed(channel, letter, message.properties, timeoutMs, lastAt);
      if (reason) throw new ReplayError(letter, reason, replayed);
      channel.ack(message);
      replayed++;
      options.onReplayed?.(letter);
    }
    channel.nackAll(true);
    return { replayed, kept };
  } finally {
    // Closing gives back every message still unacked (the ones kept, or after a failure).
    await channel.close().catch(() => undefined);
  }
}

/** Publishes the copy mandatory on the confirm channel; the reason it failed, or undefined. */
function publishConfirmed(channel: amqp.ConfirmChannel, letter: DeadLetter, properties: amqp.MessageProperties, timeoutMs: number, replayedAt: number): Promise<string | undefined> {
  const headers = { ...Object.fromEntries(Object.entries(letter.headers).filter(([k]) => !DROPPED_ON_REPLAY.includes(k))), [REPLAYED_AT]: replayedAt };
  return new Promise((resolve) => {
    let returned: string | undefined;
    const onReturn = (r: amqp.Message) => {
      const fields = r.fields as unknown as { replyCode: number; replyText: string };
      if (r.properties.messageId === properties.messageId) returned = `${fields.replyCode} ${fields.replyText}: no queue is bound for it`;
    };
    channel.on('return', onReturn);
    const done = (reason: string | undefined) => {
      clearTimeout(timer);
      channel.off('return', onReturn);
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no confirm within ${timeoutMs} ms`), timeoutMs);
    channel.publish(letter.origin.exchange, letter.origin.routingKey, letter.body, { ...properties, headers, persistent: true, mandatory: true }, (err: unknown) =>
      done(err ? 'refused by the broker (basic.nack)' : returned),
    );
  });
}
