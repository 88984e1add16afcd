/**
 * The production store: outbox and inbox tables in the application's own PostgreSQL database (pg), so that a
 * business write, the messages it causes and the ids it has processed commit in one transaction. Same contract
 * as SqliteStore; the transaction is a pooled client, and a handler may await inside it.
 */
import pg from 'pg';
import { WarrenUserError } from '../model';
import type { OutgoingMessage } from './publisher';
import type { MessageStore, OutboxFailure, OutboxRow } from './store';

/** What a transaction's writes go through: the pooled client holding it (`tx.query(...)`). */
export type PostgresTx = pg.ClientBase;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS warren_outbox (
  seq BIGSERIAL PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  exchange TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  body BYTEA NOT NULL,
  headers JSONB NOT NULL,
  content_type TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE TABLE IF NOT EXISTS warren_inbox (
  consumer TEXT NOT NULL,
  message_id TEXT NOT NULL,
  processed_at BIGINT NOT NULL,
  PRIMARY KEY (consumer, message_id)
);`;

/** The connection string without its password: what an error may show. */
export function redactedConnectionString(connectionString: string): string {
  return connectionString.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

/**
 * Connects to the database (a `postgres://` URL, or a pool's own options) and creates the tables if needed; a
 * user error naming the database (never its password) and the fix when it cannot.
 */
export async function openPostgresStore(connection: string | pg.PoolConfig): Promise<PostgresStore> {
  const config: pg.PoolConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
  const shown = typeof connection === 'string' ? redactedConnectionString(connection) : `${connection.user ?? ''}@${connection.host ?? 'localhost'}:${connection.port ?? 5432}/${connection.database ?? ''}`;
  const pool = new pg.Pool({ connectionTimeoutMillis: 10_000, ...config });
  pool.on('error', () => undefined); // an idle client's lost connection: the next query gets a fresh one
  try {
    await pool.query(SCHEMA);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new WarrenUserError(`store: "${shown}" cannot be opened as a PostgreSQL database (${reason}); start the server, create the database and check the connection string`, 2);
  }
  return new PostgresStore(pool);
}

export class PostgresStore implements MessageStore<PostgresTx> {
  constructor(readonly pool: pg.Pool) {}

  async transaction<T>(work: (tx: PostgresTx) => T | Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Adds a message to the outbox inside the caller's transaction `tx` (from `transaction`, or a client in its own BEGIN). */
  async addToOutbox(message: OutgoingMessage, tx: PostgresTx): Promise<void> {
    await tx.query('INSERT INTO warren_outbox (message_id, exchange, routing_key, body, headers, content_type) VALUES ($1, $2, $3, $4, $5, $6)', [
      message.messageId,
      message.exchange,
      message.routingKey,
      message.body,
      JSON.stringify(message.headers ?? {}),
      message.contentType ?? null,
    ]);
  }

  async due(nowMs: number, limit: number): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query(
      'SELECT seq, message_id, exchange, routing_key, body, headers, content_type, attempts FROM warren_outbox WHERE next_attempt_at <= $1 ORDER BY seq LIMIT $2',
      [nowMs, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      messageId: r.message_id,
      exchange: r.exchange,
      routingKey: r.routing_key,
      body: r.body as Buffer,
      headers: r.headers,
      ...(r.content_type !== null && { contentType: r.content_type }),
      attempts: r.attempts,
    }));
  }

  /** One statement (one round trip, one implicit transaction) for the whole batch: the delete runs as a CTE of the update. */
  async settle(confirmed: readonly string[], failures: readonly OutboxFailure[]): Promise<void> {
    if (confirmed.length + failures.length === 0) return;
    await this.pool.query(
      `WITH confirmed AS (DELETE FROM warren_outbox WHERE message_id = ANY($1::text[]))
       UPDATE warren_outbox o SET attempts = o.attempts + 1, next_attempt_at = f.retry_at, last_error = f.error
       FROM unnest($2::text[], $3::bigint[], $4::text[]) AS f(message_id, retry_at, error) WHERE o.message_id = f.message_id`,
      [confirmed, failures.map((f) => f.messageId), failures.map((f) => f.retryAtMs), failures.map((f) => f.error.slice(0, 500))],
    );
  }

  async pending(): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*)::int AS n FROM warren_outbox');
    return rows[0].n;
  }

  async processed(consumer: string, messageId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM warren_inbox WHERE consumer = $1 AND message_id = $2', [consumer, messageId]);
    return (rowCount ?? 0) > 0;
  }

  async markProcessed(consumer: string, messageId: string, nowMs: number, tx: PostgresTx): Promise<void> {
    await tx.query('INSERT INTO warren_inbox (consumer, message_id, processed_at) VALUES ($1, $2, $3)', [consumer, messageId, nowMs]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
