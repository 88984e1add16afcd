/**
 * A real Prometheus (Debian's `prometheus`, 2.42) in a lab host, loading the rules file and scrape jobs of a VM bundle
 * (vm/monitoring/) with the test's shorter timings: every alert's non-zero `for` and every job's scrape interval are
 * rewritten here, never in the shipped files. The HAProxy job's password file is the one place the test moves: the
 * bundle names /etc/prometheus/warren/..., the test writes the stats password into its own folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { haproxyPasswordFileOf, PROMETHEUS_RULES_FILE, PROMETHEUS_SCRAPE_FILE, type PrometheusRuleGroup } from '../../model';
import type { LabProcess } from '../lab';
import type { VmBundles } from '../e2e/bundles';
import { sleep, type WarrenLab } from '../e2e/warren-lab';

export interface TestTimings {
  /** Replaces every non-zero `for` of the rules file. */
  readonly forSeconds: number;
  /** Every job's scrape interval and timeout, and the rule evaluation interval. */
  readonly scrapeSeconds: number;
}

export interface AlertState {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}

interface RuleState {
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
}

const PORT = 9090;

export class LabPrometheus {
  private constructor(
    private readonly warren: WarrenLab,
    readonly host: string,
    readonly process: LabProcess,
    /** The rules as the bundle ships them, before the test's rewrite. */
    readonly shippedGroups: readonly PrometheusRuleGroup[],
  ) {}

  static async start(warren: WarrenLab, host: string, bundles: VmBundles, timings: TestTimings): Promise<LabPrometheus> {
    const monitoring = join(bundles.vmDir, 'monitoring');
    const dir = join(warren.lab.tempDir, 'prometheus');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const shipped = parse(readFileSync(join(monitoring, PROMETHEUS_RULES_FILE), 'utf8')) as { groups: PrometheusRuleGroup[] };
    const groups = shipped.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: r.for === '0s' ? r.for : `${timings.forSeconds}s` })) }));
    writeFileSync(join(dir, PROMETHEUS_RULES_FILE), stringify({ groups }));
    const passwordFile = join(dir, 'haproxy-stats.password');
    writeFileSync(passwordFile, bundles.secrets.statsPassword, { mode: 0o600 });
    const { scrape_configs: jobs } = parse(readFileSync(join(monitoring, PROMETHEUS_SCRAPE_FILE), 'utf8')) as { scrape_configs: Record<string, any>[] };
    const interval = `${timings.scrapeSeconds}s`;
    const testJobs = jobs.map((job) => {
      if (job.basic_auth && job.basic_auth.password_file !== haproxyPasswordFileOf(bundles.cluster)) {
        throw new Error(`job ${job.job_name} reads its password from ${job.basic_auth.password_file}, not ${haproxyPasswordFileOf(bundles.cluster)}`);
      }
      return { ...job, scrape_interval: interval, scrape_timeout: interval, ...(job.basic_auth && { basic_auth: { ...job.basic_auth, password_file: passwordFile } }) };
    });
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({ global: { scrape_interval: interval, evaluation_interval: interval }, rule_files: [join(dir, PROMETHEUS_RULES_FILE)], scrape_configs: testJobs }),
    );
    const process = warren.lab.spawn(host, [
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PORT}`,
    ]);
    const prometheus = new LabPrometheus(warren, host, process, shipped.groups);
    await prometheus.waitFor('Prometheus answering', async () => (await prometheus.api('/-/ready').catch(() => undefined)) !== undefined, 60_000);
    return prometheus;
  }

  /** GET of Prometheus's HTTP API from inside its host; the parsed `data` (or raw text for non-JSON answers). */
  async api(path: string): Promise<any> {
    const result = await this.warren.lab.run(this.host, ['curl', '-sf', '-m', '5', '--get', `http://127.0.0.1:${PORT}${path.split('?')[0]}`, ...queryArgs(path)]);
    if (result.code !== 0) throw new Error(`Prometheus ${path}: curl exited with ${result.code}`);
    if (!path.startsWith('/api/')) return result.stdout;
    const body = JSON.parse(result.stdout) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error}`);
    return body.data;
  }

  async alerts(): Promise<AlertState[]> {
    return ((await this.api('/api/v1/alerts')) as { alerts: AlertState[] }).alerts;
  }

  async rules(): Promise<RuleState[]> {
    const data = (await this.api('/api/v1/rules')) as { groups: { rules: RuleState[] }[] };
    return data.groups.flatMap((g) => g.rules);
  }

  /** Series count of an instant query. */
  async count(query: string): Promise<number> {
    const data = (await this.api(`/api/v1/query?query=${encodeURIComponent(query)}`)) as { result: unknown[] };
    return data.result.length;
  }

  async targets(): Promise<{ scrapePool: string; scrapeUrl: string; health: string; lastError: string }[]> {
    return ((await this.api('/api/v1/targets?state=active')) as { activeTargets: any[] }).activeTargets;
  }

  /** Polls /api/v1/alerts every 250 ms until `alertname` is firing (and `accept` agrees); the epoch ms it was seen. */
  async whenFiring(alertname: string, timeoutMs: number, accept: (a: AlertState) => boolean = () => true): Promise<{ atMs: number; alerts: AlertState[] }> {
    let seen: AlertState[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      seen = await this.alerts();
      const firing = seen.filter((a) => a.labels.alertname === alertname && a.state === 'firing' && accept(a));
      if (firing.length > 0) return { atMs: Date.now(), alerts: firing };
      await sleep(250);
    }
    throw new Error(`${alertname} did not fire within ${timeoutMs} ms; alerts: ${JSON.stringify(seen)}`);
  }

  /** Polls until no alert is pending or firing; the epoch ms that was seen. */
  async whenQuiet(timeoutMs: number): Promise<number> {
    let seen: AlertState[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      seen = await this.alerts();
      if (seen.length === 0) return Date.now();
      await sleep(500);
    }
    throw new Error(`alerts still active after ${timeoutMs} ms: ${JSON.stringify(seen.map((a) => [a.labels.alertname, a.state]))}`);
  }

  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(500);
    }
    throw new Error(`${what}: not within ${timeoutMs} ms`);
  }
}

function queryArgs(path: string): string[] {
  const query = path.split('?')[1];
  return query ? query.split('&').flatMap((pair) => ['--data-urlencode', decodeURIComponent(pair)]) : [];
}

/** Metric names an expression reads (rabbitmq_*, erlang_*, haproxy_*). */
export function metricsOf(expr: string): string[] {
  const names = expr.replace(/\{[^}]*\}/g, '{}').replace(/\b(?:by|on|group_left|ignoring|without)\s*\([^)]*\)/g, '');
  return [...new Set([...names.matchAll(/\b((?:rabbitmq|erlang|haproxy)_[a-z0-9_]+)\b/g)].map((m) => m[1]!))];
}
