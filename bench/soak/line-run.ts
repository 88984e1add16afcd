/**
 * One soak run on one broker line: the line's e2e example (with a reliable queue added) synthesised into VM bundles
 * and booted in the lab (3 nodes, 2 HAProxy + Keepalived hosts holding the VIP, a client host); two confirmed
 * publishers (outbox) and two consumers (one shared inbox) run through the VIP while the nemesis plays the
 * schedule; then the publishers drain their outboxes, the consumers catch up, and the checker reads the logs.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpUrlsOf } from '../../client';
import { REPO_ROOT, specVariant, synthVmBundles } from '../../test/e2e/bundles';
import { CLIENT_HOST, sleep, WarrenLab } from '../../test/e2e/warren-lab';
import type { LoadBalancerBuild } from '../../test/lab';
import { checkSoak, type ClientEvent, type FaultRecord, type RoundRecord, type SoakVerdict } from './checker';
import { Nemesis } from './nemesis';
import type { Schedule } from './schedule';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLIENT_APP = join(__dirname, 'client-app.ts');
const PRODUCERS = ['producer-1', 'producer-2'];
const CONSUMERS = ['consumer-1', 'consumer-2'];
/** Messages per second each publisher writes. */
const RATE_PER_PRODUCER = 40;
const QUEUE = 'orders.created';
/**
 * How long the consumers may take, once the publishers are done, to handle every confirmed message before the rest
 * count as lost: messages sent ahead to a consumer whose connection went half-open come back only after the broker's
 * heartbeat timeout (2.5 min measured after a Keepalived SIGKILL), so well above that.
 */
const CATCH_UP_MS = 300_000;
/** Confirms and deliveries per bin of the report's series. */
export const SERIES_BIN_MS = 1000;

export interface LineOptions {
  readonly line: string;
  /** A file under examples/. */
  readonly example: string;
  readonly loadBalancer: LoadBalancerBuild;
  readonly schedule: Schedule;
  readonly maxGapMs: number;
  readonly log: (line: string) => void;
  /** A folder to copy the clients' logs and the nodes' and load balancers' logs into. @default - not kept */
  readonly keepLogsIn?: string;
}

export interface SoakReport {
  readonly line: string;
  readonly example: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly startedAt: string;
  readonly schedule: Schedule;
  /** The fault period (epoch ms): nemesis start to the last round's end. */
  readonly startMs: number;
  readonly endMs: number;
  readonly executed: { readonly faults: readonly FaultRecord[]; readonly rounds: readonly RoundRecord[] };
  /** Each client's last line (its summary), by name. */
  readonly clients: Readonly<Record<string, unknown>>;
  readonly verdict: SoakVerdict;
  /** Which load balancers held the VIP, sampled every 500 ms during the run: one entry per change. */
  readonly vipHolders: readonly { readonly atMs: number; readonly holders: readonly string[] }[];
  /** Per SERIES_BIN_MS from `fromMs`: for the timeline. */
  readonly series: { readonly fromMs: number; readonly binMs: number; readonly attempts: number[]; readonly confirms: number[]; readonly fails: number[]; readonly handled: number[] };
}

export async function soakLine(options: LineOptions): Promise<SoakReport> {
  const work = mkdtempSync(join(tmpdir(), 'warren-soak-'));
  let spec: Record<string, any> = {};
  const specPath = specVariant(join(REPO_ROOT, 'examples', options.example), work, `soak-${options.line}`, (s) => {
    s.topology = {
      exchanges: [{ name: 'events', type: 'topic' }],
      queues: [{ name: QUEUE, type: 'quorum', retry: { attempts: 5, delayMs: 1000, maxDelayMs: 4000 } }],
      bindings: [{ source: 'events', destination: QUEUE, routingKey: 'order.created' }],
    };
    spec = s;
  });
  const bundles = synthVmBundles(specPath, join(work, 'out'));
  const warren = await WarrenLab.create(bundles, { loadBalancer: options.loadBalancer });
  try {
    const cluster = warren.cluster;
    const { schedule } = options;
    for (const lb of cluster.loadBalancer!.hosts) await warren.startHaproxy(lb.host);
    const formationMs = await warren.startCluster();
    const nemesis = new Nemesis(warren, options.log);
    await nemesis.startKeepaliveds();
    const versions = { ...warren.rabbitmq.versions, ...warren.loadBalancer.versions };
    options.log(`${options.line}: RabbitMQ ${versions['rabbitmq-server']}, HAProxy ${versions.haproxy}, keepalived ${versions.keepalived}; cluster formed in ${formationMs} ms`);

    const dir = join(warren.lab.tempDir, 'soak');
    mkdirSync(dir, { recursive: true });
    const [url] = amqpUrlsOf(cluster, { user: cluster.defaultUser.name, password: bundles.secrets.defaultUserPassword });
    const client = (name: string, mode: string, store: string) =>
      warren.lab.spawn(CLIENT_HOST, [TSX, CLIENT_APP], {
        env: { MODE: mode, NAME: name, URL: url!, SPEC: JSON.stringify(spec), QUEUE, STORE: join(dir, store), LOG: join(dir, `${name}.jsonl`), STOP_FILE: join(dir, `stop-${mode}`), RATE: String(RATE_PER_PRODUCER) },
      });
    const consumers = CONSUMERS.map((name) => ({ name, process: client(name, 'consume', 'consumers.db') }));
    const producers = PRODUCERS.map((name) => ({ name, process: client(name, 'produce', `${name}.db`) }));
    await waitFor(() => PRODUCERS.every((p) => readEvents(dir, p).some((e) => e.e === 'confirm')), 120_000, 'every publisher got a first confirm');

    const vipHolders: { atMs: number; holders: string[] }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const holders = await warren.vipHolders();
        if (vipHolders.at(-1)?.holders.join() !== holders.join()) vipHolders.push({ atMs: Date.now(), holders });
        await sleep(500);
      }
    })();
    const startMs = Date.now();
    const deadlineMs = startMs + schedule.minutes * 60_000;
    for (const round of schedule.rounds) {
      if (Date.now() >= deadlineMs) break;
      await nemesis.runRound(round, deadlineMs);
    }
    const endMs = Date.now();
    options.log(`${options.line}: ${nemesis.rounds.length} rounds, ${nemesis.faults.length} faults in ${((endMs - startMs) / 1000).toFixed(0)} s; draining the outboxes`);

    writeFileSync(join(dir, 'stop-produce'), '');
    await Promise.all(producers.map((p) => p.process.exited()));
    const confirmed = () => new Set(PRODUCERS.flatMap((p) => readEvents(dir, p).filter((e) => e.e === 'confirm').map((e) => e.id)));
    const all = confirmed();
    await waitFor(() => {
      const handled = new Set(CONSUMERS.flatMap((c) => readEvents(dir, c).filter((e) => e.e === 'handled').map((e) => e.id)));
      return [...all].every((id) => handled.has(id));
    }, CATCH_UP_MS, 'the consumers handled every confirmed message').catch((error: Error) => options.log(`${options.line}: ${error.message}`));
    // Redeliveries after the last handled message still count: give them a moment.
    await sleep(3_000);
    writeFileSync(join(dir, 'stop-consume'), '');
    await Promise.all(consumers.map((c) => Promise.race([c.process.exited(), sleep(30_000)])));

    sampling = false;
    await sampler;
    if (options.keepLogsIn) keepLogs(warren, dir, options.keepLogsIn);
    const events = [...PRODUCERS, ...CONSUMERS].flatMap((name) => readEvents(dir, name));
    const clients = Object.fromEntries([...producers, ...consumers].map((c) => [c.name, lastJsonLine(c.process.logFile)]));
    const verdict = checkSoak({ events, faults: nemesis.faults, rounds: nemesis.rounds, startMs, endMs, maxGapMs: options.maxGapMs });
    return {
      line: options.line,
      example: options.example,
      versions,
      startedAt: new Date(startMs).toISOString(),
      schedule,
      startMs,
      endMs,
      executed: { faults: nemesis.faults, rounds: nemesis.rounds },
      clients,
      verdict,
      vipHolders,
      series: seriesOf(events, startMs - 10_000, endMs + 10_000),
    };
  } finally {
    await warren.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Attempts, confirms, failures and handled messages per second, from `fromMs` to `toMs`. */
export function seriesOf(events: readonly ClientEvent[], fromMs: number, toMs: number): SoakReport['series'] {
  const bins = Math.max(1, Math.ceil((toMs - fromMs) / SERIES_BIN_MS));
  const empty = () => new Array<number>(bins).fill(0);
  const series = { fromMs, binMs: SERIES_BIN_MS, attempts: empty(), confirms: empty(), fails: empty(), handled: empty() };
  const key = { attempt: 'attempts', confirm: 'confirms', fail: 'fails', handled: 'handled' } as const;
  for (const event of events) {
    const name = key[event.e as keyof typeof key];
    const bin = Math.floor((event.t - fromMs) / SERIES_BIN_MS);
    if (name && bin >= 0 && bin < bins) series[name][bin]!++;
  }
  return series;
}

/** The clients' JSON lines, the nodes' logs and the load balancers' process logs, for reading after the lab is gone. */
function keepLogs(warren: WarrenLab, soakDir: string, target: string): void {
  mkdirSync(target, { recursive: true });
  cpSync(soakDir, join(target, 'clients'), { recursive: true, filter: (f) => !/\.db(-wal|-shm)?$/.test(f) });
  cpSync(join(warren.lab.tempDir, 'log'), join(target, 'nodes'), { recursive: true });
  for (const f of readdirSync(warren.lab.tempDir).filter((f) => f.endsWith('.log'))) cpSync(join(warren.lab.tempDir, f), join(target, f));
}

function readEvents(dir: string, name: string): ClientEvent[] {
  const file = join(dir, `${name}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ClientEvent);
}

function lastJsonLine(file: string): unknown {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const last = lines.filter((l) => l.startsWith('{')).pop();
  return last ? JSON.parse(last) : { output: lines.slice(-5).join('\n') };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await sleep(1_000);
  }
}
