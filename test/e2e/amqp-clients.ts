/**
 * The AMQP clients of the suite, run inside the lab's client host (so they reach the VIP as a real client
 * would), and what their results say: which confirmed messages never came back, and how long the
 * publisher saw no confirm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess } from '../lab';
import { CLIENT_HOST, type WarrenLab } from './warren-lab';

const CLIENTS = join(__dirname, 'clients');
let runCounter = 0;

export interface PublisherResult {
  /** [message id, epoch ms of its confirm], in publishing order. */
  readonly confirmed: readonly [string, number][];
  readonly failures: readonly [number, string][];
  /** Epoch ms of every successful (re)connection. */
  readonly connects: readonly number[];
}

export interface Publisher {
  /** Its connection_name and message id prefix: `<queue>-p<n>`. */
  readonly name: string;
  readonly child: LabProcess;
  /** Asks the publisher to stop (SIGTERM); it still writes what it confirmed. */
  stop(): Promise<void>;
  /** Waits for the publisher to end and reads what it confirmed; throws when it could not connect. */
  result(): Promise<PublisherResult>;
}

export interface PublishOptions {
  readonly queue: string;
  readonly url: string;
  /** Stop after this many confirms... */
  readonly count?: number;
  /** ...or after this long. */
  readonly durationMs?: number;
  /** Pause between messages. @default 0 */
  readonly intervalMs?: number;
  /** Exit 2 when no connection succeeds within this. @default 60_000 */
  readonly connectDeadlineMs?: number;
  /** @default CLIENT_HOST */
  readonly host?: string;
}

export function startPublisher(warren: WarrenLab, options: PublishOptions): Publisher {
  const id = `${options.queue}-p${++runCounter}`;
  const resultFile = join(warren.lab.tempDir, `${id}.json`);
  const child = warren.lab.spawn(options.host ?? CLIENT_HOST, ['node', join(CLIENTS, 'publisher.cjs')], {
    env: {
      AMQP_URL: options.url,
      QUEUE: options.queue,
      RESULT_FILE: resultFile,
      ID_PREFIX: id,
      ...(options.count !== undefined && { COUNT: String(options.count) }),
      ...(options.durationMs !== undefined && { DURATION_MS: String(options.durationMs) }),
      INTERVAL_MS: String(options.intervalMs ?? 0),
      CONNECT_DEADLINE_MS: String(options.connectDeadlineMs ?? 60_000),
    },
  });
  let stopped = false;
  return {
    name: id,
    child,
    stop: async () => {
      stopped = true;
      await child.kill('SIGTERM');
    },
    result: async () => {
      const code = await child.exited();
      // After a SIGTERM the launcher may end before node has written its result.
      for (let i = 0; i < 400 && !existsSync(resultFile); i++) await new Promise((r) => setTimeout(r, 50));
      const log = readFileSync(child.logFile, 'utf8');
      if ((code !== 0 && !stopped) || !existsSync(resultFile)) throw new Error(`publisher ${id} exited with ${code}: ${log.slice(-1500)}${safeRead(resultFile)}`);
      return JSON.parse(readFileSync(resultFile, 'utf8')) as PublisherResult;
    },
  };
}

export async function publish(warren: WarrenLab, options: PublishOptions): Promise<PublisherResult> {
  return startPublisher(warren, options).result();
}

/** Drains the queue through `url`; returns every message id received (duplicates kept). */
export async function drain(warren: WarrenLab, queue: string, url: string): Promise<string[]> {
  const resultFile = join(warren.lab.tempDir, `${queue}-c${++runCounter}.json`);
  const run = await warren.lab.run(CLIENT_HOST, ['node', join(CLIENTS, 'consumer.cjs')], {
    env: { AMQP_URL: url, QUEUE: queue, RESULT_FILE: resultFile },
    timeoutMs: 180_000,
  });
  if (run.code !== 0) throw new Error(`consumer of ${queue} exited with ${run.code}: ${run.stderr.slice(-1500)}`);
  return (JSON.parse(readFileSync(resultFile, 'utf8')) as { received: string[] }).received;
}

/** Confirmed ids that were never consumed. */
export function lostMessages(published: PublisherResult, received: readonly string[]): string[] {
  const seen = new Set(received);
  return published.confirmed.map(([id]) => id).filter((id) => !seen.has(id));
}

/**
 * The client-visible outage around `atMs`: from the last confirm before it to the first confirm after it.
 * Undefined when the publisher confirmed nothing on one side.
 */
export function outageAround(published: PublisherResult, atMs: number): number | undefined {
  const before = published.confirmed.filter(([, t]) => t <= atMs).at(-1)?.[1];
  const after = published.confirmed.find(([, t]) => t > atMs)?.[1];
  return before === undefined || after === undefined ? undefined : after - before;
}

function safeRead(path: string): string {
  try {
    return `\nresult: ${readFileSync(path, 'utf8').slice(0, 1500)}`;
  } catch {
    return '';
  }
}
