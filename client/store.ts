/**
 * What the outbox relay and the consumer need of a store. SqliteStore (embedded) and PostgresStore (production)
 * both implement it; `Tx` is what a transaction's writes go through (the SQLite database, a PostgreSQL client),
 * and what a consumer's handler receives.
 */
import type { OutgoingMessage } from './publisher';

export type Awaitable<T> = T | Promise<T>;

export interface OutboxRow extends OutgoingMessage {
  readonly seq: number;
  readonly attempts: number;
}

/** A row whose publish failed: sent again from `retryAtMs`, keeping its id. */
export interface OutboxFailure {
  readonly messageId: string;
  readonly error: string;
  readonly retryAtMs: number;
}

export interface MessageStore<Tx> {
  /** Runs `work` in one transaction: commits when it returns (or its promise resolves), rolls back when it throws. */
  transaction<T>(work: (tx: Tx) => Awaitable<T>): Awaitable<T>;
  /** Adds a message to the outbox inside the caller's transaction `tx`: both commit, or neither. */
  addToOutbox(message: OutgoingMessage, tx: Tx): Awaitable<void>;
  /** Rows whose next attempt is due, oldest first. */
  due(nowMs: number, limit: number): Awaitable<OutboxRow[]>;
  /**
   * Settles a batch in one transaction (one commit, however many rows): the `confirmed` rows (the broker confirmed
   * them and a queue took them) are deleted, the `failures` are due again at their `retryAtMs`, attempts + 1.
   */
  settle(confirmed: readonly string[], failures: readonly OutboxFailure[]): Awaitable<void>;
  /** Rows in the outbox. */
  pending(): Awaitable<number>;
  /** `consumer` has processed `messageId` and committed its effects. */
  processed(consumer: string, messageId: string): Awaitable<boolean>;
  /** Records the id in the inbox, inside the transaction `tx` of the handler's writes; a second record of the same id fails. */
  markProcessed(consumer: string, messageId: string, nowMs: number, tx: Tx): Awaitable<void>;
}

/** `then` for a value that may or may not be a promise: a synchronous store stays synchronous. */
export function andThen<T, U>(value: Awaitable<T>, next: (value: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
