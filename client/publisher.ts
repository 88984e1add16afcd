/**
 * publish() resolves only when the broker confirmed the message and a queue took it: mandatory publishes on a
 * confirm channel; the broker sends basic.return before basic.ack for an unroutable message, so an ack after
 * a return is a failure. Rejects on nack, return, timeout or a lost channel; the message keeps its id.
 * A channel the broker closes while the connection stays up (a publish to a missing exchange: 404) is opened
 * again with backoff; a lost connection is the ReliableConnection's to restore, and its setup opens a new one.
 * A channel that only nacks (no confirm among `replaceAfterNacks` nacks over at least `replaceAfterMs`) is closed and
 * replaced: RabbitMQ 3.10 keeps nacking every publish of a channel whose first publish to a quorum queue came while
 * the queue's last known leader was down (its client state keeps that leader: rabbit_fifo_client answers
 * reject_publish on {badrpc, nodedown} and never asks again); a new channel asks the queue afresh. Seen in the lab
 * after SIGKILL of the leader's node: every publish nacked for 180 s. A full queue (overflow reject-publish) nacks too;
 * there a new channel is nacked like the old, at a cost of one channel per replaceAfterMs.
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
  /** Nacks in a row, with no confirm between, after which the channel is replaced (with replaceAfterMs). @default 10 */
  readonly replaceAfterNacks?: number;
  /** Time from the first of those nacks after which the channel is replaced (with replaceAfterNacks). @default 2000 */
  readonly replaceAfterMs?: number;
}

interface Pending {
  readonly message: OutgoingMessage;
  readonly channel: amqp.ConfirmChannel;
  returned?: { replyCode: number; replyText: string };
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Date.now() after which it fails with PublishTimeoutError. */
  readonly deadline: number;
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
  /** One timer for every pending publish, armed at the earliest deadline: a timer per message cost half the per-message overhead. */
  private timeoutTimer: NodeJS.Timeout | undefined;
  private timeoutAt = Infinity;
  private readonly timeoutMs: number;
  private readonly reopenInitialBackoffMs: number;
  private readonly reopenMaxBackoffMs: number;
  /** Nacks since the last confirm on the current channel, and when the first of them came. */
  private nacksInARow = 0;
  private firstNackAt = 0;
  private readonly replaceAfterNacks: number;
  private readonly replaceAfterMs: number;
  /** Channels the broker closed on a live connection (or that only nacked) and this publisher opened again. */
  reopens = 0;
  /** Channels closed and replaced because they only nacked. */
  replacedAfterNacks = 0;

  constructor(private readonly connection: ReliableConnection, options: PublisherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.reopenInitialBackoffMs = options.reopenInitialBackoffMs ?? 100;
    this.reopenMaxBackoffMs = options.reopenMaxBackoffMs ?? 5000;
    this.replaceAfterNacks = options.replaceAfterNacks ?? 10;
    this.replaceAfterMs = options.replaceAfterMs ?? 2000;
  }

  /** Opens the confirm channel now and after every reconnection. */
  async start(): Promise<void> {
    await this.connection.register((connection) => this.open(connection));
  }

  /** Messages sent and not yet confirmed. */
  get inFlight(): number {
    return this.pending.size;
  }

  publish(message: OutgoingMessage): Promise<void> {
    if (this.pending.has(message.messageId)) return Promise.reject(new Error(`message ${message.messageId} is already being published; wait for its confirm before sending it again`));
    const deadline = Date.now() + this.timeoutMs;
    // Not an async function: the common case (a channel is open) allocates one promise per message, not two.
    return this.channel ? this.send(message, this.channel, deadline) : this.sendOnceOpen(message, deadline);
  }

  private async sendOnceOpen(message: OutgoingMessage, deadline: number): Promise<void> {
    const channel = await this.channelWithin(this.timeoutMs);
    if (!channel) throw new PublishTimeoutError(message.messageId, this.timeoutMs);
    return this.send(message, channel, deadline);
  }

  private send(message: OutgoingMessage, channel: amqp.ConfirmChannel, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.set(message.messageId, { message, channel, resolve, reject, deadline });
      this.armTimeout(deadline);
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
            else if (error) {
              this.settle(message.messageId, new PublishNackedError(message.messageId));
              this.nacked(channel);
            }
            else if (pending.returned) {
              const { replyCode, replyText } = pending.returned;
              this.settle(message.messageId, new PublishReturnedError(message.messageId, replyCode, replyText, message.exchange, message.routingKey));
            } else {
              this.reopenAttempt = 0;
              if (channel === this.channel) this.nacksInARow = 0;
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
    this.nacksInARow = 0;
    for (const wake of [...this.channelWaiters]) wake();
  }

  /** Counts a nack of the current channel; closes it (its 'close' handler fails what it holds and reopens) once it only nacks. */
  private nacked(channel: amqp.ConfirmChannel): void {
    if (channel !== this.channel) return;
    if (this.nacksInARow++ === 0) this.firstNackAt = Date.now();
    if (this.nacksInARow < this.replaceAfterNacks || Date.now() - this.firstNackAt < this.replaceAfterMs) return;
    this.nacksInARow = 0;
    this.replacedAfterNacks++;
    channel.close().catch(() => undefined);
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
    if (this.pending.size === 0) this.disarmTimeout();
    if (error) pending.reject(error);
    else pending.resolve();
  }

  /** Makes sure the timer fires by `deadline`; a later deadline waits for the next sweep. */
  private armTimeout(deadline: number): void {
    if (deadline >= this.timeoutAt) return;
    clearTimeout(this.timeoutTimer);
    this.timeoutAt = deadline;
    this.timeoutTimer = setTimeout(() => this.expire(), Math.max(1, deadline - Date.now()));
  }

  private disarmTimeout(): void {
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.timeoutAt = Infinity;
  }

  /** Fails every publish past its deadline and arms the timer for the earliest one left. */
  private expire(): void {
    this.disarmTimeout();
    const now = Date.now();
    let next = Infinity;
    for (const [id, pending] of [...this.pending]) {
      if (pending.deadline <= now) this.settle(id, new PublishTimeoutError(id, this.timeoutMs));
      else next = Math.min(next, pending.deadline);
    }
    if (next !== Infinity && this.pending.size > 0) this.armTimeout(next);
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
