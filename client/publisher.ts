/**
 * publish() resolves only when the broker confirmed the message and a queue took it: mandatory publishes on a
 * confirm channel; the broker sends basic.return before basic.ack for an unroutable message, so an ack after
 * a return is a failure. Rejects on nack, return, timeout or a lost channel; the message keeps its id.
 */
import type * as amqp from 'amqplib';
import { ConnectionLostError, PublishNackedError, PublishReturnedError, PublishTimeoutError } from './errors';
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
  /** How long a publish waits for its confirm (and for a connection). @default 10000 */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly message: OutgoingMessage;
  returned?: { replyCode: number; replyText: string };
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Publisher {
  private channel: amqp.ConfirmChannel | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;

  constructor(private readonly connection: ReliableConnection, options: PublisherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Opens the confirm channel now and after every reconnection. */
  async start(): Promise<void> {
    await this.connection.register(async (connection) => {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('return', (returned: amqp.Message) => {
        const pending = this.pending.get(String(returned.properties.messageId));
        const fields = returned.fields as unknown as { replyCode: number; replyText: string };
        if (pending) pending.returned = { replyCode: fields.replyCode, replyText: fields.replyText };
      });
      channel.on('close', () => {
        if (this.channel !== channel) return;
        this.channel = undefined;
        for (const id of [...this.pending.keys()]) this.settle(id, new ConnectionLostError(id, 'channel closed'));
      });
      this.channel = channel;
    });
  }

  /** Messages sent and not yet confirmed. */
  get inFlight(): number {
    return this.pending.size;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    if (this.pending.has(message.messageId)) throw new Error(`message ${message.messageId} is already being published; wait for its confirm before sending it again`);
    const started = Date.now();
    if (!this.channel) {
      try {
        await this.connection.ready(this.timeoutMs);
      } catch {
        throw new PublishTimeoutError(message.messageId, this.timeoutMs);
      }
    }
    const channel = this.channel;
    if (!channel) throw new ConnectionLostError(message.messageId, 'no channel');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(message.messageId, new PublishTimeoutError(message.messageId, this.timeoutMs)), Math.max(1, this.timeoutMs - (Date.now() - started)));
      this.pending.set(message.messageId, { message, resolve, reject, timer });
      try {
        channel.publish(
          message.exchange,
          message.routingKey,
          message.body,
          { persistent: true, mandatory: true, messageId: message.messageId, headers: { ...message.headers }, contentType: message.contentType ?? 'application/octet-stream' },
          (error: unknown) => {
            const pending = this.pending.get(message.messageId);
            if (!pending) return;
            if (error) this.settle(message.messageId, new PublishNackedError(message.messageId));
            else if (pending.returned) {
              const { replyCode, replyText } = pending.returned;
              this.settle(message.messageId, new PublishReturnedError(message.messageId, replyCode, replyText, message.exchange, message.routingKey));
            } else this.settle(message.messageId, undefined);
          },
        );
      } catch (error) {
        this.settle(message.messageId, new ConnectionLostError(message.messageId, String((error as Error).message)));
      }
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
