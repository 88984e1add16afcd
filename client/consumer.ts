/**
 * A consumer of a reliable queue (one with a retry policy in the spec): manual acks and a prefetch window;
 * the handler's writes and the message id go into the store in one transaction, then the message is acked,
 * so a redelivered or duplicated message finds its id and never runs the handler twice. A failure is
 * retried the way the resolved spec says, waiting in the broker, never in this process:
 * 4.3 rejects with requeue (basic.reject: the queue counts it and delays it; basic.nack would do neither),
 * earlier lines republish into the delay queue of the retry (confirmed) and ack. After the last attempt
 * the message goes to the dead-letter queue with the error, the attempt count and where it came from.
 */
import type * as amqp from 'amqplib';
import type { ReliableConnection } from './connection';
import type { ClientQueue } from './queues';
import { checkQueues } from './topology-check';
import { andThen, type MessageStore } from './store';

/** Headers warren's consumer writes; dead letters carry all of them. */
export const HEADERS = {
  error: 'x-warren-error',
  attempts: 'x-warren-attempts',
  originQueue: 'x-warren-origin-queue',
  originExchange: 'x-warren-origin-exchange',
  originRoutingKey: 'x-warren-origin-routing-key',
} as const;

/** Headers the broker owns; a republished copy does not carry them. */
const BROKER_HEADERS = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason', 'x-delivery-count', 'x-acquired-count'];

export interface InboundMessage {
  readonly messageId: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, unknown>>;
  /** 1 for the first delivery. */
  readonly attempt: number;
  readonly exchange: string;
  readonly routingKey: string;
}

/**
 * Runs inside the store's transaction: write through `tx` (the SQLite database, synchronously; a PostgreSQL
 * client, awaiting as needed); throw (or reject) to fail the attempt, and the writes roll back.
 */
export type Handler<Tx> = (message: InboundMessage, tx: Tx) => void | Promise<void>;

export interface ReliableConsumerOptions {
  /** Unacked messages the broker sends ahead. @default 20 */
  readonly prefetch?: number;
  /** Name in the inbox: consumers of different services keep separate records. @default - the queue's name */
  readonly name?: string;
  /** How long a retry or dead-letter publish waits for its confirm. @default 10000 */
  readonly confirmTimeoutMs?: number;
  /** Called after the handler's transaction committed and before the ack (metrics, logs). @default - none */
  readonly onCommitted?: (message: InboundMessage) => void;
}

export class ReliableConsumer<Tx> {
  private readonly name: string;
  private readonly prefetch: number;
  private readonly confirmTimeoutMs: number;
  private readonly onCommitted: ((message: InboundMessage) => void) | undefined;
  /** Per channel, the ids of forwarded copies the broker returned (unroutable). */
  private readonly returned = new WeakMap<amqp.ConfirmChannel, Set<string>>();
  /** Handled and committed, skipped as duplicates, sent to retry, dead-lettered. */
  readonly stats = { handled: 0, duplicates: 0, retried: 0, deadLettered: 0 };

  constructor(
    private readonly connection: ReliableConnection,
    private readonly store: MessageStore<Tx>,
    private readonly queue: ClientQueue,
    private readonly handler: Handler<Tx>,
    options: ReliableConsumerOptions = {},
  ) {
    this.name = options.name ?? queue.name;
    this.prefetch = options.prefetch ?? 20;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
    this.onCommitted = options.onCommitted;
  }

  /** Consumes now if connected, and after every reconnection, once the queues match the spec (topology-check.ts). */
  async start(): Promise<void> {
    await this.connection.register(async (connection) => {
      await checkQueues(connection, this.queue.declarations);
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      // The broker sends basic.return before the basic.ack of the same publish: the confirm callback finds it here.
      const returned = new Set<string>();
      this.returned.set(channel, returned);
      channel.on('return', (r: amqp.Message) => returned.add(String(r.properties.messageId)));
      await channel.prefetch(this.prefetch);
      // One handler at a time: a SQLite store's transactions are synchronous, and retries keep their order.
      // A forward's confirm is not waited for in this line (see forward).
      let chain = Promise.resolve();
      await channel.consume(this.queue.name, (message: amqp.ConsumeMessage | null) => {
        if (message) chain = chain.then(() => this.process(channel, message)).catch(() => undefined);
      }, { noAck: false });
    });
  }

  /** The attempt this delivery is: from the queue's delivery count (4.3) or the count the consumer carried over. */
  attemptOf(message: amqp.ConsumeMessage): number {
    const headers = message.properties.headers ?? {};
    const before = this.queue.retry.kind === 'quorum-delayed-retry' ? headers['x-delivery-count'] : headers[HEADERS.attempts];
    return (typeof before === 'number' ? before : 0) + 1;
  }

  private async process(channel: amqp.ConfirmChannel, message: amqp.ConsumeMessage): Promise<void> {
    const messageId = message.properties.messageId === undefined ? undefined : String(message.properties.messageId);
    const headers = message.properties.headers ?? {};
    const attempt = this.attemptOf(message);
    if (messageId === undefined) {
      this.deadLetter(channel, message, attempt, 'the message has no message-id, so duplicates cannot be told apart; publish it with one');
      return;
    }
    if (await this.store.processed(this.name, messageId)) {
      channel.ack(message);
      this.stats.duplicates++;
      return;
    }
    const inbound: InboundMessage = {
      messageId,
      body: message.content,
      headers,
      attempt,
      exchange: String(headers[HEADERS.originExchange] ?? message.fields.exchange),
      routingKey: String(headers[HEADERS.originRoutingKey] ?? message.fields.routingKey),
    };
    try {
      await this.store.transaction((tx) => andThen(this.handler(inbound, tx), () => this.store.markProcessed(this.name, messageId, Date.now(), tx)));
    } catch (error) {
      await this.failed(channel, message, inbound, String((error as Error)?.message ?? error));
      return;
    }
    this.stats.handled++;
    this.onCommitted?.(inbound);
    channel.ack(message);
  }

  private async failed(channel: amqp.ConfirmChannel, message: amqp.ConsumeMessage, inbound: InboundMessage, error: string): Promise<void> {
    if (inbound.attempt >= this.queue.attempts) {
      this.deadLetter(channel, message, inbound.attempt, error);
      return;
    }
    this.stats.retried++;
    const { retry } = this.queue;
    if (retry.kind === 'quorum-delayed-retry') {
      channel.reject(message, true);
      return;
    }
    const delayQueue = retry.queueForRetry[inbound.attempt - 1]!;
    this.forward(channel, message, delayQueue, { [HEADERS.attempts]: inbound.attempt, [HEADERS.error]: error });
  }

  private deadLetter(channel: amqp.ConfirmChannel, message: amqp.ConsumeMessage, attempt: number, error: string): void {
    this.stats.deadLettered++;
    this.forward(channel, message, this.queue.deadLetterQueue, { [HEADERS.attempts]: attempt, [HEADERS.error]: error });
  }

  /**
   * Publishes a copy into `queue` (confirmed, routed), then acks the original; on failure the original goes back.
   * The processing line does not wait for the confirm: waiting capped retries and dead letters at one per confirm
   * round trip (tens of ms on a busy quorum queue), so a burst of failures queued up in the consumer and came back late.
   * Nothing is acked before its copy is confirmed, so a crash meanwhile redelivers the original.
   */
  private forward(channel: amqp.ConfirmChannel, message: amqp.ConsumeMessage, queue: string, extra: Record<string, unknown>): void {
    const own = Object.fromEntries(Object.entries(message.properties.headers ?? {}).filter(([k]) => !BROKER_HEADERS.includes(k)));
    const headers = {
      ...own,
      [HEADERS.originQueue]: own[HEADERS.originQueue] ?? this.queue.name,
      [HEADERS.originExchange]: own[HEADERS.originExchange] ?? message.fields.exchange,
      [HEADERS.originRoutingKey]: own[HEADERS.originRoutingKey] ?? message.fields.routingKey,
      ...extra,
    };
    const { properties } = message;
    const id = String(properties.messageId);
    const returned = this.returned.get(channel);
    let settled = false;
    // Not stored elsewhere: give it back (4.3 counts it as a failed delivery toward the limit).
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        if (ok) channel.ack(message);
        else channel.reject(message, true);
      } catch {
        // The channel closed meanwhile: the broker gives the original back by itself.
      }
    };
    const timer = setTimeout(() => settle(false), this.confirmTimeoutMs);
    try {
      channel.publish('', queue, message.content, { ...properties, headers, persistent: true, mandatory: true }, (err: unknown) => {
        const wasReturned = returned?.delete(id) ?? false;
        settle(!err && !wasReturned);
      });
    } catch {
      clearTimeout(timer);
      settled = true; // the channel is gone, and with it the delivery: the broker redelivers the original
    }
  }
}
