/**
 * Relays the outbox to the broker with confirms: a row is deleted only after its confirm (routed), a row
 * awaiting its confirm is never sent again by this relay (the guide's timer did, making duplicates), a failed
 * row keeps its id and is retried with backoff. After a restart every row left is sent again: consumers
 * deduplicate by message id.
 *
 * Batched, so that the store's cost per message stays small at ~1,000 messages a second: the window is read at
 * once and refilled when half of it has settled (not one read per confirm), and confirms and failures are settled
 * in one store transaction per `settleEveryMs` (not one commit per row).
 */
import { ConnectionLostError, PublishTimeoutError } from './errors';
import type { Publisher } from './publisher';
import type { MessageStore, OutboxFailure, OutboxRow } from './store';

export interface OutboxRelayOptions {
  /** Most messages awaiting a confirm at once. @default 100 */
  readonly window?: number;
  /** How often the outbox is read when the relay has caught up with it. @default 100 */
  readonly pollMs?: number;
  /** Wait before a failed row is sent again, doubled per failure up to 30 s. @default 1000 */
  readonly retryDelayMs?: number;
  /**
   * Longest wait before a row is sent again after the path to the broker failed (ConnectionLostError,
   * PublishTimeoutError) rather than the broker refusing the message. @default 1000
   */
  readonly transientRetryMaxMs?: number;
  /** Longest a settled publish waits before its outcome is written (with the others of that moment, in one commit). @default 10 */
  readonly settleEveryMs?: number;
}

/** Outcomes written at once when this many are waiting, before `settleEveryMs` is up. */
const SETTLE_BATCH_ROWS = 200;
const MAX_BACKOFF_MS = 30_000;

export class OutboxRelay {
  /** Published, awaiting the confirm. */
  private readonly inFlight = new Set<string>();
  /** Confirmed or failed, the outcome not yet committed: still in the outbox as it was, so never read again meanwhile. */
  private readonly settling = new Set<string>();
  private confirmed: string[] = [];
  private failures: OutboxFailure[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private running = false;
  private reading = false;
  private readAgain = false;
  /** The last read filled the room it had: more rows are probably due, read again as soon as half the window is free. */
  private backlog = false;
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private readonly window: number;
  private readonly refillAt: number;
  private readonly pollMs: number;
  private readonly retryDelayMs: number;
  private readonly transientRetryMaxMs: number;
  private readonly settleEveryMs: number;
  /** Confirmed and deleted; failed attempts; the last failure's reason ('' before any). */
  readonly stats = { sent: 0, failed: 0, lastFailure: '' };

  constructor(private readonly store: MessageStore<unknown>, private readonly publisher: Publisher, options: OutboxRelayOptions = {}) {
    this.window = options.window ?? 100;
    this.refillAt = Math.ceil(this.window / 2);
    this.pollMs = options.pollMs ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.transientRetryMaxMs = options.transientRetryMaxMs ?? 1000;
    this.settleEveryMs = options.settleEveryMs ?? 10;
  }

  start(): void {
    this.running = true;
    this.tick();
  }

  /** Stops reading and sending; outcomes already known are still written. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  /** Resolves when the outbox is empty and nothing awaits a confirm. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let left = await this.store.pending(); left > 0 || this.inFlight.size > 0 || this.settling.size > 0; left = await this.store.pending()) {
      if (Date.now() > deadline) {
        const why = this.stats.lastFailure === '' ? 'no publish failed' : `${this.stats.failed} attempts failed, the last: ${this.stats.lastFailure}`;
        throw new Error(`outbox not drained within ${timeoutMs} ms (${left} rows left, ${this.inFlight.size} awaiting a confirm; ${this.stats.sent} confirmed, ${why})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * How long a failed row waits. A nack or a return is the broker's answer about the message or its queue (full,
   * unroutable): doubling up to 30 s keeps such rows from crowding out the rest. A lost connection or channel, or
   * a confirm that never came, says nothing about the message: the connection reconnects with its own backoff and
   * the publisher holds a publish until a channel is open again, so attempts are paced while the broker is away;
   * a long wait of the row's own would only add to the recovery (a leader kill took 33-44 s with 30 s). Capped low.
   */
  private backoffMs(error: Error, attempts: number): number {
    const doubled = Math.min(MAX_BACKOFF_MS, this.retryDelayMs * 2 ** Math.min(attempts, 10));
    return error instanceof ConnectionLostError || error instanceof PublishTimeoutError ? Math.min(this.transientRetryMaxMs, doubled) : doubled;
  }

  private tick(): void {
    if (!this.running) return;
    // One read at a time: two overlapping reads would both take the same rows before either marks them in flight.
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    this.read()
      .then(
        // Caught up (or no room): look again at the next poll; otherwise the confirms that free the window call for the next read.
        () => this.schedule(this.readAgain ? 0 : this.backlog ? Infinity : this.pollMs),
        // The store is unreachable (a PostgreSQL restart): nothing was sent, read again later.
        () => this.schedule(this.retryDelayMs),
      )
      .finally(() => {
        this.reading = false;
        this.readAgain = false;
      });
  }

  /** Sends the due rows that fit in the window, once at least half of it is free. */
  private async read(): Promise<void> {
    const room = this.window - this.inFlight.size;
    if (room < this.refillAt) return;
    // Rows in flight or settling are still in the outbox; ask for enough to fill the room after skipping them. A row
    // held when the read began may be settled by the time it returns: the read saw it before, skip it too.
    const before = new Set([...this.inFlight, ...this.settling]);
    const due = await this.store.due(Date.now(), room + before.size);
    const rows = due.filter((r) => !before.has(r.messageId) && !this.inFlight.has(r.messageId) && !this.settling.has(r.messageId)).slice(0, room);
    this.backlog = rows.length === room;
    for (const row of rows) this.send(row);
  }

  private send(row: OutboxRow): void {
    this.inFlight.add(row.messageId);
    this.publisher.publish(row).then(
      () => this.settled(row.messageId, undefined),
      (error: Error) => this.settled(row.messageId, error, row.attempts),
    );
  }

  private settled(messageId: string, error: Error | undefined, attempts = 0): void {
    this.inFlight.delete(messageId);
    this.settling.add(messageId);
    if (error) {
      this.stats.failed++;
      this.stats.lastFailure = `${error.name}: ${error.message}`;
      this.failures.push({ messageId, error: this.stats.lastFailure, retryAtMs: Date.now() + this.backoffMs(error, attempts) });
    } else this.confirmed.push(messageId);
    if (this.confirmed.length + this.failures.length >= SETTLE_BATCH_ROWS) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.settleEveryMs);
    if (this.backlog && this.window - this.inFlight.size >= this.refillAt) this.schedule(0);
  }

  /** Writes the outcomes waiting, in one transaction; one write at a time, the next batch after it. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.flushing || this.confirmed.length + this.failures.length === 0) return;
    const [confirmed, failures] = [this.confirmed, this.failures];
    [this.confirmed, this.failures] = [[], []];
    this.flushing = true;
    new Promise<void>((resolve) => resolve(this.store.settle(confirmed, failures))).then(
      () => {
        this.stats.sent += confirmed.length;
        for (const id of confirmed) this.settling.delete(id);
        for (const f of failures) this.settling.delete(f.messageId);
        this.flushing = false;
        this.flush();
      },
      () => {
        // The store is unreachable: the rows are in the outbox as they were; write the outcomes again later rather
        // than release the rows (a confirmed row read again would be sent again; consumers would deduplicate it).
        this.confirmed = [...confirmed, ...this.confirmed];
        this.failures = [...failures, ...this.failures];
        this.flushing = false;
        clearTimeout(this.flushTimer);
        this.flushTimer = setTimeout(() => this.flush(), this.retryDelayMs).unref();
      },
    );
  }

  private schedule(ms: number): void {
    if (!this.running || ms === Infinity) return;
    const at = Date.now() + ms;
    if (this.timer && this.nextTickAt <= at) return;
    clearTimeout(this.timer);
    this.nextTickAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, ms);
  }
}
