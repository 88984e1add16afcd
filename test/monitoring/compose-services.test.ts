/**
 * monitoring.compose: Prometheus (and Alertmanager) as compose services, checked by the real programs that read them:
 * the Compose Specification schema, dclint and `docker compose config` (Compose 2.26.1, no engine needed) on
 * compose.yaml; Debian's `promtool check config` (2.42) on the service's prometheus.yml with its rules file beside it,
 * as the container sees them; Debian's `amtool check-config` (0.25) on alertmanager.yml. The images themselves
 * (prom/prometheus, prom/alertmanager) are not run here: nothing can pull them on this machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeFiles } from '../../compose';
import { haproxyPasswordFileOf, resolveCluster, SpecError, type ClusterSpec, type ResolvedCluster } from '../../model';
import { composeSchemaErrors, dclintMessages } from '../support/compose-checks';
import { fixtureSecrets, loadExample } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'warren-compose-monitoring-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function withMonitoring(example: string, compose: Record<string, unknown>): ClusterSpec {
  return { ...(loadExample(example) as ClusterSpec), monitoring: { compose } } as ClusterSpec;
}

/** Writes the compose bundle of `cluster` into a folder of its own; returns that folder's compose/. */
function write(name: string, cluster: ResolvedCluster): string {
  const out = join(work, name);
  for (const file of composeFiles(cluster, fixtureSecrets(cluster))) {
    mkdirSync(dirname(join(out, file.path)), { recursive: true });
    writeFileSync(join(out, file.path), file.content, { mode: file.kind === 'secret' ? 0o600 : 0o644 });
  }
  return join(out, 'compose');
}

function run(argv: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const CASES = [
  { name: 'compose-4.0 example (no load balancer)', cluster: () => resolveCluster(loadExample('compose-4.0.yaml') as ClusterSpec), alertmanager: true },
  { name: 'default with HAProxy, Prometheus and Alertmanager', cluster: () => resolveCluster(withMonitoring('default.yaml', { prometheus: true, alertmanager: true })), alertmanager: true },
  { name: 'default with HAProxy, Prometheus only, offset 10000', cluster: () => resolveCluster({ ...withMonitoring('default.yaml', { prometheus: true }), compose: { hostPortOffset: 10000 } } as ClusterSpec), alertmanager: false },
];

describe('compose target: Prometheus and Alertmanager services (monitoring.compose)', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: compose.yaml passes the schema, dclint and docker compose config; promtool and amtool accept the services' files`, () => {
      const cluster = c.cluster();
      const dir = write(`case-${i}`, cluster);
      const composeYaml = join(dir, 'compose.yaml');
      const document = parse(readFileSync(composeYaml, 'utf8')) as { services: Record<string, any>; volumes: Record<string, unknown> };
      expect(composeSchemaErrors(document)).toEqual([]);
      expect(dclintMessages(composeYaml)).toEqual([]);
      const config = run(['docker-compose', '-f', composeYaml, 'config', '-q'], dir);
      expect(config, 'docker compose config').toEqual({ status: 0, output: '' });

      const prometheus = document.services.prometheus;
      const offset = cluster.compose.hostPortOffset;
      expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
      expect(prometheus.ports).toEqual([`127.0.0.1:${9090 + offset}:9090`]);
      expect(prometheus.volumes).toContainEqual({ type: 'volume', source: 'prometheus-data', target: '/prometheus' });
      expect(prometheus.healthcheck.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9090/-/ready']);
      expect(prometheus.environment, 'nothing in environment:').toBeUndefined();
      expect(Object.keys(prometheus.depends_on)).toEqual([...cluster.nodes.map((n) => n.host), ...(cluster.loadBalancer ? ['haproxy'] : []), ...(c.alertmanager ? ['alertmanager'] : [])].sort());
      expect(Object.keys(document.volumes)).toContain('prometheus-data');

      const check = run(['promtool', 'check', 'config', 'prometheus/prometheus.yml'], dir);
      expect(check.status, check.output).toBe(0);
      expect(check.output).toMatch(/SUCCESS: 1 rule files found/);
      const promYaml = parse(readFileSync(join(dir, 'prometheus', 'prometheus.yml'), 'utf8'));
      const targets = promYaml.scrape_configs.flatMap((j: any) => j.static_configs.flatMap((s: any) => s.targets));
      expect(new Set(targets)).toEqual(new Set([...cluster.nodes.map((n) => `${n.host}:${cluster.ports.prometheus}`), ...(cluster.loadBalancer ? [`haproxy:${cluster.loadBalancer.haproxy.statsPort}`] : [])]));
      expect(promYaml.alerting?.alertmanagers[0].static_configs[0].targets).toEqual(c.alertmanager ? ['alertmanager:9093'] : undefined);

      if (cluster.loadBalancer) {
        // The stats password: a compose secret (0600 on the host) installed for nobody where the HAProxy job reads it.
        expect(prometheus.secrets).toEqual([{ source: 'haproxy-stats-password', target: 'haproxy-stats-password' }]);
        expect(prometheus.user).toBe('0');
        expect(prometheus.entrypoint[2]).toContain(`install -m 0400 -o 65534 -g 65534 /run/secrets/haproxy-stats-password ${haproxyPasswordFileOf(cluster)}`);
        expect(prometheus.entrypoint[2]).toMatch(/; exec setuidgid nobody \/bin\/prometheus --config\.file=\/etc\/prometheus\/prometheus\.yml --storage\.tsdb\.path=\/prometheus$/);
        const password = fixtureSecrets(cluster)[cluster.loadBalancer.statsPassword.id]!;
        expect(readFileSync(join(dir, 'secrets', 'haproxy-stats-password'), 'utf8')).toBe(password);
        for (const file of ['compose.yaml', 'prometheus/prometheus.yml', 'prometheus/scrape-configs.yml']) expect(readFileSync(join(dir, file), 'utf8')).not.toContain(password);
      } else {
        expect(prometheus.user).toBeUndefined();
        expect(prometheus.entrypoint, "the image's own entrypoint, as nobody").toBeUndefined();
      }

      const alertmanager = document.services.alertmanager;
      if (c.alertmanager) {
        expect(alertmanager.image).toMatch(/^prom\/alertmanager:v\d+\.\d+\.\d+$/);
        expect(alertmanager.ports).toEqual([`127.0.0.1:${9093 + offset}:9093`]);
        expect(alertmanager.healthcheck.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9093/-/ready']);
        expect(prometheus.depends_on.alertmanager).toEqual({ condition: 'service_healthy' });
        const amtool = run(['amtool', 'check-config', 'alertmanager/alertmanager.yml'], dir);
        expect(amtool.status, amtool.output).toBe(0);
        expect(amtool.output).toMatch(/SUCCESS[^]*1 receivers/);
      } else {
        expect(alertmanager).toBeUndefined();
      }
    });
  }

  it('writes no monitoring service unless asked: the default spec has neither', () => {
    const cluster = resolveCluster(loadExample('default.yaml') as ClusterSpec);
    const paths = composeFiles(cluster, fixtureSecrets(cluster)).map((f) => f.path);
    expect(paths.filter((p) => /prometheus\.yml|alertmanager|haproxy-stats-password/.test(p))).toEqual([]);
    expect(Object.keys((parse(composeFiles(cluster, fixtureSecrets(cluster))[0]!.content) as { services: object }).services)).not.toContain('prometheus');
  });

  it('refuses Alertmanager without Prometheus, Prometheus without metrics, and host ports already taken, naming field, value and fix', () => {
    const problems = (spec: ClusterSpec) => {
      try {
        resolveCluster(spec);
        return [];
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        return error.problems.map((p) => `${p.path}: ${JSON.stringify(p.value)} ${p.message}`);
      }
    };
    expect(problems(withMonitoring('default.yaml', { alertmanager: true }))).toEqual([
      'monitoring.compose.alertmanager: true needs monitoring.compose.prometheus: true (Alertmanager only receives what a Prometheus sends it); set prometheus to true as well, or alertmanager to false',
    ]);
    expect(problems({ ...withMonitoring('default.yaml', { prometheus: true }), plugins: ['rabbitmq_management'] } as ClusterSpec)).toEqual([
      'monitoring.compose.prometheus: true needs the rabbitmq_prometheus plugin, which is not enabled: no node would have metrics to scrape; add "rabbitmq_prometheus" to plugins, or set prometheus to false',
    ]);
    expect(problems(withMonitoring('default.yaml', { prometheus: true, alertmanager: true, prometheusPort: 5672, alertmanagerPort: 5672 }))).toEqual([
      'monitoring.compose.prometheusPort: 5672 gives Prometheus host port 5672, already published for haproxy (amqp); choose a port no other service publishes',
      'monitoring.compose.alertmanagerPort: 5672 gives Alertmanager host port 5672, already published for Prometheus; choose a port no other service publishes',
    ]);
    expect(problems(withMonitoring('default.yaml', { prometheus: 'yes' }))).toEqual([
      'monitoring.compose.prometheus: "yes" is not true or false; give true to run Prometheus as a compose service',
    ]);
  });
});
