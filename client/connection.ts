/**
 * One AMQP connection that comes back: on loss it reconnects with exponential backoff and jitter, trying the
 * URLs in turn (usually the one virtual IP), and re-runs every registered setup (channels, consumers).
 */
import { EventEmitter } from 'node:events';
import * as amqp from 'amqplib';
import { WarrenUserError } from '../model';

export interface ReliableConnectionOptions {
  /** Tried in turn; see amqpUrlsOf. */
  readonly urls: readonly string[];
  /** First wait after a failed attempt. @default 100 */
  readonly initialBackoffMs?: number;
  /** Longest wait between attempts. @default 5000 */
  readonly maxBackoffMs?: number;
  /** Connection name shown in the management UI. @default "warren-client" */
  readonly name?: string;
  /**
   * Longest wait for one attempt (TCP connect and AMQP handshake). Without a bound, an attempt whose SYNs are lost
   * (a cut link, a virtual IP whose holder is gone) waits for the kernel's retransmissions, about 2 minutes. @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * AMQP heartbeat proposed to the broker, in seconds, unless the URL sets `heartbeat`; the lower non-zero of the
   * two applies. A connection that went half-open (its load balancer died without a reset) is noticed after about
   * two missed heartbeats: 20 s at 10, against 2 to 3 minutes at the broker's default of 60. @default 10
   */
  readonly heartbeatSeconds?: number;
  /**
   * Longest wait for the registered setups (channels, basic.qos, basic.consume) after a connection opened. An AMQP
   * RPC has no timeout of its own, and one the broker never answers (basic.consume on a quorum queue whose leader is
   * across a partition) kept the connection open, its heartbeats flowing, and nothing consuming. After this the
   * connection is closed and the backoff takes over. @default 15000
   */
  readonly setupTimeoutMs?: number;
}

/** `url` with `heartbeat=<seconds>` added unless it already names one. */
export function withHeartbeat(url: string, seconds: number): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`;
}

/** A setup RPC the broker never answered: the connection is closed and opened again. */
export class SetupTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the connection's setups (channels, basic.qos, basic.consume) did not finish within ${timeoutMs} ms: the broker left an RPC unanswered (a quorum queue whose leader is unreachable, say); closing the connection and connecting again (raise setupTimeoutMs if setups are slow but healthy)`);
    this.name = 'SetupTimeoutError';
  }
}

/** How long a connection being abandoned may take to answer connection.close before its socket is destroyed. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Closes `connection`, and destroys its socket if the broker has not answered connection.close within `timeoutMs`:
 * a broker whose channel is stuck in an RPC may be slow to close it, and the retry must not wait on it.
 */
async function closeWithin(connection: amqp.ChannelModel, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = connection.close().then(() => true, () => true);
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const inTime = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (!inTime) (connection.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

export type Setup = (connection: amqp.ChannelModel) => Promise<void>;

/**
 * Events: `connected` (after every setup ran), `disconnected` (reason), `retrying` ({ attempt, delayMs, reason }),
 * `failed` (error): a setup threw a WarrenUserError (the broker's topology differs from the spec, say), which
 * no retry can mend, so the connection is closed and stays closed. `error` is never emitted.
 */
export class ReliableConnection extends EventEmitter {
  private current: amqp.ChannelModel | undefined;
  private readonly setups: Setup[] = [];
  private closing = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** Times the connection was (re)established. */
  connects = 0;

  constructor(private readonly options: ReliableConnectionOptions) {
    super();
    if (options.urls.length === 0) throw new Error('ReliableConnection needs at least one URL');
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  get connection(): amqp.ChannelModel | undefined {
    return this.current;
  }

  /** Runs `setup` now if connected, and after every reconnection. */
  async register(setup: Setup): Promise<void> {
    this.setups.push(setup);
    if (this.current) await setup(this.current);
  }

  /** Resolves once connected the first time; keeps reconnecting afterwards until close(). Rejects with the error of `failed`. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onFailed = (error: Error) => reject(error);
      this.once('failed', onFailed);
      this.once('connected', () => {
        this.off('failed', onFailed);
        resolve();
      });
      void this.connect();
    });
  }

  /** Waits until connected (or rejects after `timeoutMs`). */
  ready(timeoutMs: number): Promise<amqp.ChannelModel> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connected', onConnected);
        reject(new Error(`not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        resolve(this.current!);
      };
      this.once('connected', onConnected);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const connection = this.current;
    this.current = undefined;
    await connection?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    const url = this.options.urls[this.attempt % this.options.urls.length]!;
    let connection: amqp.ChannelModel | undefined;
    try {
      connection = await amqp.connect(withHeartbeat(url, this.options.heartbeatSeconds ?? 10), {
        clientProperties: { connection_name: this.options.name ?? 'warren-client' },
        timeout: this.options.connectTimeoutMs ?? 5000,
      });
      connection.on('error', () => undefined); // 'close' follows and drives recovery
      const opened = connection;
      // A close before the setups finished is not lost(): that ignores a connection that is not the current one.
      // Without this the connection, closed while a setup ran, became the current one and was never replaced.
      let closedDuringSetup: string | undefined;
      opened.on('close', (reason?: Error) => {
        const why = reason ? String(reason.message ?? reason) : 'closed';
        if (this.current === opened) this.lost(opened, why);
        else closedDuringSetup ??= why;
      });
      await this.runSetups(opened);
      if (closedDuringSetup !== undefined) throw new Error(`the connection closed while its channels were being opened: ${closedDuringSetup}`);
      this.current = connection;
      this.attempt = 0;
      this.connects++;
      this.emit('connected');
    } catch (error) {
      // A setup failed half-way: its connection is not the current one, close it rather than leak it.
      if (connection) await closeWithin(connection, CLOSE_TIMEOUT_MS);
      if (error instanceof WarrenUserError) {
        this.closing = true;
        this.emit('failed', error);
        return;
      }
      this.retryLater(String((error as Error).message ?? error));
    }
  }

  /** Runs every setup in turn, or throws once they took longer than setupTimeoutMs. */
  private async runSetups(connection: amqp.ChannelModel): Promise<void> {
    const timeoutMs = this.options.setupTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SetupTimeoutError(timeoutMs)), timeoutMs);
    });
    const setups = (async () => {
      for (const setup of this.setups) await setup(connection);
    })();
    // The abandoned setup's RPC rejects once its connection is closed: nobody awaits it any more.
    setups.catch(() => undefined);
    try {
      await Promise.race([setups, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private lost(connection: amqp.ChannelModel, reason: string): void {
    if (this.current !== connection) return;
    this.current = undefined;
    this.emit('disconnected', reason);
    this.retryLater(reason);
  }

  private retryLater(reason: string): void {
    if (this.closing) return;
    // Full jitter: clients cut off together do not come back together.
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt++;
    this.emit('retrying', { attempt: this.attempt, delayMs: delay, reason });
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
