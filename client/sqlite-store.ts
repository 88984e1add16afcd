/**
 * The embedded store: outbox and inbox tables in the application's own SQLite database (better-sqlite3), so
 * that a business write, the messages it causes and the ids it has processed commit in one transaction.
 */
import Database from 'better-sqlite3';
import { WarrenUserError } from '../model';
import type { OutgoingMessage } from './publisher';
import type { MessageStore, OutboxFailure, OutboxRow } from './store';

export type SqliteDatabase = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS warren_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  exchange TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  body BLOB NOT NULL,
  headers TEXT NOT NULL,
  content_type TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE TABLE IF NOT EXISTS warren_inbox (
  consumer TEXT NOT NULL,
  message_id TEXT NOT NULL,
  processed_at INTEGER NOT NULL,
  PRIMARY KEY (consumer, message_id)
);`;

/** The fix for a file SQLite refused, by its error code. */
function sqliteFix(code: string | undefined): string {
  switch (code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return 'it holds something else or is damaged, and was left as it is: restore the store from a backup, or give the path of the application\'s store';
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return 'make the file and its folder writable by this process';
    default:
      return 'give a writable file path in an existing folder';
  }
}

/** Opens (creating if needed) the database at `path`; a user error naming the file, the cause and the fix when it cannot. */
export function openSqliteDatabase(path: string): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path);
    // WAL: readers do not block the relay; FULL: a commit survives a power cut, not only a killed process.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (error) {
    db?.close();
    const { code, message } = error as { code?: string; message: string };
    throw new WarrenUserError(`store: "${path}" cannot be opened as a SQLite database (${message}); ${sqliteFix(code)}`, 2);
  }
}

export class SqliteStore implements MessageStore<SqliteDatabase> {
  private readonly insert;
  private readonly dueRows;
  private readonly remove;
  private readonly failure;
  private readonly seenId;
  private readonly markId;
  private readonly countRows;
  private readonly settleBatch;

  constructor(readonly db: SqliteDatabase) {
    db.exec(SCHEMA);
    this.insert = db.prepare('INSERT INTO warren_outbox (message_id, exchange, routing_key, body, headers, content_type) VALUES (?, ?, ?, ?, ?, ?)');
    this.dueRows = db.prepare('SELECT seq, message_id, exchange, routing_key, body, headers, content_type, attempts FROM warren_outbox WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?');
    this.remove = db.prepare('DELETE FROM warren_outbox WHERE message_id = ?');
    this.failure = db.prepare('UPDATE warren_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE message_id = ?');
    this.seenId = db.prepare('SELECT 1 FROM warren_inbox WHERE consumer = ? AND message_id = ?');
    this.markId = db.prepare('INSERT INTO warren_inbox (consumer, message_id, processed_at) VALUES (?, ?, ?)');
    this.countRows = db.prepare('SELECT count(*) AS n FROM warren_outbox');
    this.settleBatch = db.transaction((confirmed: readonly string[], failures: readonly OutboxFailure[]) => {
      for (const id of confirmed) this.remove.run(id);
      for (const f of failures) this.failure.run(f.retryAtMs, f.error.slice(0, 500), f.messageId);
    });
  }

  /**
   * Runs `work` in one transaction of the database. better-sqlite3 transactions are synchronous: a `work`
   * that returns a promise is rolled back and refused (its writes after an await would land outside).
   */
  transaction<T>(work: (tx: SqliteDatabase) => T): T {
    return this.db.transaction(() => {
      const result = work(this.db);
      if (result instanceof Promise) {
        result.catch(() => undefined);
        throw new Error('a SQLite transaction (and a consumer handler on a SqliteStore) must be synchronous: better-sqlite3 cannot hold a transaction across an await; drop async, or use PostgresStore');
      }
      return result;
    })();
  }

  /**
   * Adds a message to the outbox. Call it inside the caller's own transaction (`db.transaction(...)` or
   * `store.transaction(...)`), next to the business write: both commit, or neither. The relay publishes it after the commit.
   */
  addToOutbox(message: OutgoingMessage): void {
    this.insert.run(message.messageId, message.exchange, message.routingKey, message.body, JSON.stringify(message.headers ?? {}), message.contentType ?? null);
  }

  due(nowMs: number, limit: number): OutboxRow[] {
    return (this.dueRows.all(nowMs, limit) as any[]).map((r) => ({
      seq: r.seq,
      messageId: r.message_id,
      exchange: r.exchange,
      routingKey: r.routing_key,
      body: r.body as Buffer,
      headers: JSON.parse(r.headers),
      ...(r.content_type !== null && { contentType: r.content_type }),
      attempts: r.attempts,
    }));
  }

  settle(confirmed: readonly string[], failures: readonly OutboxFailure[]): void {
    if (confirmed.length + failures.length > 0) this.settleBatch(confirmed, failures);
  }

  pending(): number {
    return (this.countRows.get() as { n: number }).n;
  }

  processed(consumer: string, messageId: string): boolean {
    return this.seenId.get(consumer, messageId) !== undefined;
  }

  markProcessed(consumer: string, messageId: string, nowMs: number): void {
    this.markId.run(consumer, messageId, nowMs);
  }
}
