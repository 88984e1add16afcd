/**
 * publish() resolves only when the broker confirmed the message and a queue took it: mandatory publishes on a
 * confirm channel; the broker sends basic.return before basic.ack for an unroutable message, so an ack after
 * a return is a failure. Rejects on nack, return, timeout or a lost channel; the message keeps its id.
 * A channel the broker closes while the connection stays up (a publish to a missing exchange: 404) is opened
 * again with backoff; a lost connection is the ReliableConnection's to restore, and its setup opens a new one.
 */
import type * as amqp from 'amqplib';
import { ConnectionLostError, ExchangeNotFoundError, PublishNackedError, PublishReturnedError, PublishTimeoutError } from './errors';
import type { ReliableConnection } from './connection';

export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  /** Unique per message, kept across resends: consumers deduplicate by it. */
  readonly messageId: string;
  readonly headers?: Readonly<Record<string, unknown>>;
  /** @default "application/octet-stream" */
  readonly contentType?: string;
}

export interface PublisherOptions {
  /** How long a publish waits for its confirm (and for a channel). @default 10000 */
  readonly timeoutMs?: number;
  /** First wait before a channel the broker closed is opened again; doubled while reopened channels confirm nothing. @default 100 */
  readonly reopenInitialBackoffMs?: number;
  /** Longest wait before reopening a channel. @default 5000 */
  readonly reopenMaxBackoffMs?: number;
}

interface Pending {
  readonly message: OutgoingMessage;
  readonly channel: amqp.ConfirmChannel;
  returned?: { replyCode: number; replyText: string };
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** amqplib fails every unconfirmed publish of a closed channel with this text; a real basic.nack reads 'message nacked'. */
const NACKED = 'message nacked';

export class Publisher {
  private channel: amqp.ConfirmChannel | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Why the broker closed a channel (its channel.close), read when its unconfirmed publishes fail. */
  private readonly closeReasons = new WeakMap<amqp.ConfirmChannel, Error>();
  private readonly channelWaiters = new Set<() => void>();
  private reopenAttempt = 0;
  private readonly timeoutMs: number;
  private readonly reopenInitialBackoffMs: number;
  private readonly reopenMaxBackoffMs: number;
  /** Channels the broker closed on a live connection and this publisher opened again. */
  reopens = 0;

  constructor(private readonly connection: ReliableConnection, options: PublisherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.reopenInitialBackoffMs = options.reopenInitialBackoffMs ?? 100;
    this.reopenMaxBackoffMs = options.reopenMaxBackoffMs ?? 5000;
  }

  /** Opens the confirm channel now and after every reconnection. */
  async start(): Promise<void> {
    await this.connection.register((connection) => this.open(connection));
  }

  /** Messages sent and not yet confirmed. */
  get inFlight(): number {
    return this.pending.size;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    if (this.pending.has(message.messageId)) throw new Error(`message ${message.messageId} is already being published; wait for its confirm before sending it again`);
    const started = Date.now();
    const channel = this.channel ?? (await this.channelWithin(this.timeoutMs));
    if (!channel) throw new PublishTimeoutError(message.messageId, this.timeoutMs);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(message.messageId, new PublishTimeoutError(message.messageId, this.timeoutMs)), Math.max(1, this.timeoutMs - (Date.now() - started)));
      this.pending.set(message.messageId, { message, channel, resolve, reject, timer });
      try {
        channel.publish(
          message.exchange,
          message.routingKey,
          message.body,
          { persistent: true, mandatory: true, messageId: message.messageId, headers: { ...message.headers }, contentType: message.contentType ?? 'application/octet-stream' },
          (error: Error | null) => {
            const pending = this.pending.get(message.messageId);
            if (!pending) return;
            if (error && error.message !== NACKED) this.settle(message.messageId, closedChannelError(message, this.closeReasons.get(channel)));
            else if (error) this.settle(message.messageId, new PublishNackedError(message.messageId));
            else if (pending.returned) {
              const { replyCode, replyText } = pending.returned;
              this.settle(message.messageId, new PublishReturnedError(message.messageId, replyCode, replyText, message.exchange, message.routingKey));
            } else {
              this.reopenAttempt = 0;
              this.settle(message.messageId, undefined);
            }
          },
        );
      } catch (error) {
        this.settle(message.messageId, new ConnectionLostError(message.messageId, String((error as Error).message)));
      }
    });
  }

  private async open(connection: amqp.ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel();
    // Emitted (before 'close') when the broker closes the channel, with its reply code and text.
    channel.on('error', (error: Error) => this.closeReasons.set(channel, error));
    channel.on('return', (returned: amqp.Message) => {
      const pending = this.pending.get(String(returned.properties.messageId));
      const fields = returned.fields as unknown as { replyCode: number; replyText: string };
      if (pending) pending.returned = { replyCode: fields.replyCode, replyText: fields.replyText };
    });
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      for (const [id, pending] of [...this.pending]) if (pending.channel === channel) this.settle(id, closedChannelError(pending.message, this.closeReasons.get(channel)));
      this.reopenLater(connection);
    });
    this.channel = channel;
    for (const wake of [...this.channelWaiters]) wake();
  }

  /** Opens a channel on `connection` again after a backoff with jitter, as long as it is still the current connection. */
  private reopenLater(connection: amqp.ChannelModel): void {
    const ceiling = Math.min(this.reopenMaxBackoffMs, this.reopenInitialBackoffMs * 2 ** Math.min(this.reopenAttempt, 16));
    this.reopenAttempt++;
    const timer = setTimeout(() => {
      // Closed with its connection: the connection's setup opens the next channel after reconnecting.
      if (this.connection.connection !== connection || this.channel) return;
      this.open(connection).then(
        () => void this.reopens++,
        () => this.reopenLater(connection),
      );
    }, Math.round(ceiling / 2 + Math.random() * (ceiling / 2)));
    timer.unref();
  }

  /** The channel once one is open, or undefined after `timeoutMs`. */
  private channelWithin(timeoutMs: number): Promise<amqp.ConfirmChannel | undefined> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.channelWaiters.delete(wake);
        resolve(this.channel);
      };
      const timer = setTimeout(wake, timeoutMs);
      this.channelWaiters.add(wake);
    });
  }

  private settle(id: string, error: Error | undefined): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
  }
}

/** Why a publish on a channel that closed failed: its exchange is missing (404 naming it), or the channel was lost. */
function closedChannelError(message: OutgoingMessage, reason: Error | undefined): Error {
  if (!reason) return new ConnectionLostError(message.messageId, 'channel closed');
  const text = reason.message.replace(/^Channel closed by server: /, '');
  const missing = /no exchange '(.*)' in vhost/.exec(text)?.[1];
  if ((reason as Error & { code?: number }).code === 404 && missing === message.exchange) return new ExchangeNotFoundError(message.messageId, message.exchange, text);
  return new ConnectionLostError(message.messageId, `the broker closed the channel: ${text}`);
}
