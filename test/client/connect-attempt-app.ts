/**
 * Run inside a lab host by connect-timeout-real.test.ts: a ReliableConnection to URL whose SYNs go unanswered, with
 * CONNECT_TIMEOUT_MS (unset: the client's default) for WATCH_MS; prints each `retrying` event's time since start
 * and reason as one JSON line, then closes.
 */
import { ReliableConnection } from '../../client';

const started = Date.now();
const timeout = process.env.CONNECT_TIMEOUT_MS;
const connection = new ReliableConnection({ urls: [process.env.URL!], name: 'connect-attempt', ...(timeout ? { connectTimeoutMs: Number(timeout) } : {}) });
const retries: { atMs: number; reason: string }[] = [];
connection.on('retrying', ({ reason }: { reason: string }) => retries.push({ atMs: Date.now() - started, reason }));
void connection.start().catch(() => undefined);
setTimeout(() => {
  console.log(JSON.stringify({ retries }));
  void connection.close().then(() => process.exit(0));
}, Number(process.env.WATCH_MS));
