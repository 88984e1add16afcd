/**
 * Run inside a lab host by setup-timeout-real.test.ts: a ReliableConsumer on QUEUE (inbox in memory) over a
 * ReliableConnection to URL, with SETUP_TIMEOUT_MS (unset: the client's default), until it handled one message or
 * WATCH_MS passed. Prints one JSON line: its start (epoch ms), each `retrying` event's time since start and reason, each `connected`
 * event's time, when the message was handled and the connections made.
 * PUBLISH=<id>: instead, publishes one message with that id to `events` (routing key order.created), confirmed, and exits.
 * HEARTBEAT_OF_SPEC_URL=1: instead, connects a ReliableConnection to the spec's own URL (amqpUrlsOf, as USER with
 * PASSWORD) and prints the heartbeat it sent the broker in connection.tune-ok (seconds; the broker uses that one).
 */
import * as amqp from 'amqplib';
import { resolveCluster, type ClusterSpec } from '../../model';
import { amqpUrlsOf, openSqliteDatabase, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore } from '../../client';
import { env } from './app-env';

async function publishOne(id: string): Promise<void> {
  const connection = await amqp.connect(env('URL'));
  const channel = await connection.createConfirmChannel();
  channel.publish('events', 'order.created', Buffer.from(`order ${id}`), { messageId: id, persistent: true });
  await channel.waitForConfirms();
  await connection.close();
}

async function heartbeatOfSpecUrl(): Promise<void> {
  const urls = amqpUrlsOf(resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec), { user: env('USER'), password: env('PASSWORD') });
  const connection = new ReliableConnection({ urls, name: 'heartbeat-of-spec-url' });
  await connection.start();
  const { heartbeat } = connection.connection!.connection as unknown as { heartbeat: number };
  console.log(JSON.stringify({ urls: urls.map((u) => u.replace(/\/\/[^@]*@/, '//')), heartbeat }));
  await connection.close();
}

if (process.env.HEARTBEAT_OF_SPEC_URL) void heartbeatOfSpecUrl().then(() => process.exit(0), (error) => (console.error(error), process.exit(1)));
else if (process.env.PUBLISH) void publishOne(process.env.PUBLISH).then(() => process.exit(0), (error) => (console.error(error), process.exit(1)));
else consumeOne();

function consumeOne(): void {
  const started = Date.now();
  const since = () => Date.now() - started;
  const timeout = process.env.SETUP_TIMEOUT_MS;
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'setup-hang', ...(timeout ? { setupTimeoutMs: Number(timeout) } : {}) });
  const retries: { atMs: number; reason: string }[] = [];
  const connected: number[] = [];
  let handledAtMs: number | undefined;
  connection.on('retrying', ({ reason }: { reason: string }) => retries.push({ atMs: since(), reason }));
  connection.on('connected', () => connected.push(since()));

  const finish = () => {
    console.log(JSON.stringify({ startedAt: started, retries, connected, handledAtMs, connects: connection.connects }));
    void connection.close().then(() => process.exit(0));
  };
  const watch = setTimeout(finish, Number(env('WATCH_MS')));

  const queue = reliableQueueOf(resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec), env('QUEUE'));
  const consumer = new ReliableConsumer(connection, new SqliteStore(openSqliteDatabase(':memory:')), queue, () => {
    handledAtMs ??= since();
    clearTimeout(watch);
    setTimeout(finish, 200);
  });
  void consumer.start().then(() => connection.start()).catch(finish);
}
