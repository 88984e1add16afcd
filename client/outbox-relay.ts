/**
 * Relays the outbox to the broker with confirms: a row is deleted only after its confirm (routed), a row
 * awaiting its confirm is never sent again by this relay (the guide's timer did, making duplicates), a failed
 * row keeps its id and is retried with backoff. After a restart every row left is sent again: consumers
 * deduplicate by message id.
 */
import type { Publisher } from './publisher';
import type { MessageStore } from './store';

export interface OutboxRelayOptions {
  /** Most messages awaiting a confirm at once. @default 100 */
  readonly window?: number;
  /** How often the outbox is read when idle. @default 100 */
  readonly pollMs?: number;
  /** Wait before a failed row is sent again, doubled per failure up to 30 s. @default 1000 */
  readonly retryDelayMs?: number;
}

export class OutboxRelay {
  private readonly inFlight = new Set<string>();
  private running = false;
  private reading = false;
  private readAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private readonly window: number;
  private readonly pollMs: number;
  private readonly retryDelayMs: number;
  /** Confirmed and deleted; failed attempts; the last failure's reason ('' before any). */
  readonly stats = { sent: 0, failed: 0, lastFailure: '' };

  constructor(private readonly store: MessageStore<unknown>, private readonly publisher: Publisher, options: OutboxRelayOptions = {}) {
    this.window = options.window ?? 100;
    this.pollMs = options.pollMs ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  start(): void {
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Resolves when the outbox is empty and nothing awaits a confirm. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let left = await this.store.pending(); left > 0 || this.inFlight.size > 0; left = await this.store.pending()) {
      if (Date.now() > deadline) {
        const why = this.stats.lastFailure === '' ? 'no publish failed' : `${this.stats.failed} attempts failed, the last: ${this.stats.lastFailure}`;
        throw new Error(`outbox not drained within ${timeoutMs} ms (${left} rows left, ${this.inFlight.size} awaiting a confirm; ${this.stats.sent} confirmed, ${why})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
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
        (rows) => this.schedule(rows > 0 || this.readAgain ? 0 : this.pollMs),
        // The store is unreachable (a PostgreSQL restart): nothing was sent, read again later.
        () => this.schedule(this.retryDelayMs),
      )
      .finally(() => {
        this.reading = false;
        this.readAgain = false;
      });
  }

  /** Sends the due rows that fit in the window; the number sent. */
  private async read(): Promise<number> {
    const room = this.window - this.inFlight.size;
    if (room <= 0) return 0;
    // Rows in flight are due too; ask for enough to fill the window after skipping them. A row in flight when
    // the read began may be settled (deleted) by the time it returns: the read saw it before, skip it too.
    const before = new Set(this.inFlight);
    const rows = (await this.store.due(Date.now(), room + before.size)).filter((r) => !before.has(r.messageId) && !this.inFlight.has(r.messageId)).slice(0, room);
    for (const row of rows) {
      this.inFlight.add(row.messageId);
      this.publisher
        .publish(row)
        .then(
          async () => {
            await this.store.sent(row.messageId);
            this.stats.sent++;
          },
          async (error: Error) => {
            const backoff = Math.min(30_000, this.retryDelayMs * 2 ** Math.min(row.attempts, 10));
            this.stats.failed++;
            this.stats.lastFailure = `${error.name}: ${error.message}`;
            await this.store.failed(row.messageId, this.stats.lastFailure, Date.now() + backoff);
          },
        )
        // A store write that failed leaves the row as it was: it is sent again (consumers deduplicate).
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(row.messageId);
          this.schedule(0);
        });
    }
    return rows.length;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
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
