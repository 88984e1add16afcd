/**
 * The Prometheus files of the VM bundle and the compose project, for every example: the rules file passes
 * `promtool check rules`, a prometheus.yml loading it with the generated scrape jobs passes `promtool check
 * config`, and `promtool test rules` sees every alert stay silent on a healthy cluster and fire on its fault.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { composeFiles } from '../../compose';
import {
  alertRulesOf,
  haproxyPasswordFileOf,
  scrapeCaFileOf,
  hostRuleOptions,
  vmRuleOptions,
  type AlertRuleOptions,
  PROMETHEUS_RULES_FILE,
  PROMETHEUS_SCRAPE_FILE,
  prometheusRuleGroupsOf,
  resolveCluster,
  type ClusterSpec,
  type GeneratedFile,
  type ResolvedCluster,
} from '../../model';
import { vmBundleFiles } from '../../vm';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';
import { promtoolTestsOf, SCENARIOS } from './alert-scenarios';

const work = mkdtempSync(join(tmpdir(), 'warren-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Asynchronous, so a long `promtool test rules` on a busy machine does not block the worker's RPC with vitest. */
function promtool(args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  params?: Record<string, string[]>;
  basic_auth?: { username: string; password?: string; password_file?: string };
  scheme?: string;
  tls_config?: { ca_file: string };
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}

const TARGETS: readonly [name: string, files: (c: ResolvedCluster) => GeneratedFile[], folder: string, options: (c: ResolvedCluster) => AlertRuleOptions][] = [
  ['vm', (c) => vmBundleFiles(c, fixtureSecrets(c)), 'vm/monitoring', vmRuleOptions],
  ['compose', (c) => composeFiles(c, fixtureSecrets(c)), 'compose/prometheus', hostRuleOptions],
];

for (const example of exampleNames()) {
  describe(example, () => {
    const cluster = resolveCluster(loadExample(example) as ClusterSpec);
    const secrets = fixtureSecrets(cluster);

    for (const [target, filesOf, folder, optionsOf] of TARGETS) {
      const options = optionsOf(cluster);
      const files = filesOf(cluster);
      const fileAt = (name: string) => {
        const file = files.find((f) => f.path === `${folder}/${name}`);
        if (!file) throw new Error(`${target} writes no ${folder}/${name}`);
        return file;
      };
      const rules = fileAt(PROMETHEUS_RULES_FILE);
      const scrape = fileAt(PROMETHEUS_SCRAPE_FILE);
      const jobs = (parse(scrape.content) as { scrape_configs: ScrapeJob[] }).scrape_configs;

      it(`${target}: promtool check rules and check config accept the rules file and the scrape jobs`, async () => {
        const dir = mkdtempSync(join(work, `${target}-`));
        writeFileSync(join(dir, PROMETHEUS_RULES_FILE), rules.content);
        const checkRules = await promtool(['check', 'rules', PROMETHEUS_RULES_FILE], dir);
        expect(checkRules.output).toContain(`SUCCESS: ${alertRulesOf(cluster, options).length} rules found`);
        expect(checkRules.status).toBe(0);
        // Debian 12's Prometheus (2.42) has no scrape_config_files, so the jobs go into prometheus.yml as the README says.
        writeFileSync(join(dir, 'prometheus.yml'), stringify({ rule_files: [PROMETHEUS_RULES_FILE], scrape_configs: jobs }));
        const checkConfig = await promtool(['check', 'config', 'prometheus.yml'], dir);
        expect(checkConfig.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
        expect(checkConfig.output).toContain(`SUCCESS: ${alertRulesOf(cluster, options).length} rules found`);
        expect(checkConfig.status).toBe(0);
      });

      it(`${target}: the rules are the chart's alert data, and the scrape jobs reach every node and HAProxy`, () => {
        expect((parse(rules.content) as { groups: unknown }).groups).toEqual(prometheusRuleGroupsOf(cluster, options));
        // The expiry alert only where its exporter is installed: TLS node hosts of VM bundles.
        expect(rules.content.includes('RabbitmqTlsCertificateExpiresSoon')).toBe(target === 'vm' && cluster.tls !== undefined);
        // Only metrics the version exposes (alerts-fire.test.ts checks them on real 3.10.8 and 4.3.6 scrapes); HAProxy's
        // only where its /metrics is scraped, never in the chart's PrometheusRule.
        const exprs = alertRulesOf(cluster, hostRuleOptions(cluster)).map((r) => r.expr).join('\n');
        expect(exprs.includes('rabbitmq_unreachable_cluster_peers_count')).toBe(cluster.features.unreachablePeersMetric && cluster.nodes.length > 1);
        expect(exprs.includes('haproxy_server_status')).toBe(cluster.loadBalancer !== undefined && cluster.majorityCheck !== undefined && cluster.nodes.length > 1);
        expect(prometheusRuleGroupsOf(cluster).flatMap((g) => g.rules.map((r) => r.expr)).filter((e) => e.includes('haproxy_'))).toEqual([]);
        const nodeJob = jobs.find((j) => j.job_name === `rabbitmq-${cluster.name}`)!;
        expect(nodeJob.metrics_path).toBe('/metrics');
        const nodeTargets = nodeJob.static_configs.flatMap((s) => s.targets);
        expect(nodeTargets).toHaveLength(cluster.nodes.length);
        expect(new Set(nodeTargets).size).toBe(cluster.nodes.length);
        // The plain metrics port while the nodes keep it; else TLS, verified against the CA the operator places.
        const tlsOnly = cluster.tls?.listeners.prometheus === 'tls';
        if (target === 'vm') expect(nodeTargets).toEqual(cluster.nodes.map((n) => `${n.address ?? n.host}:${tlsOnly ? cluster.ports.prometheusTls : cluster.ports.prometheus}`));
        expect([nodeJob.scheme, nodeJob.tls_config]).toEqual(tlsOnly ? ['https', { ca_file: scrapeCaFileOf(cluster) }] : [undefined, undefined]);
        // A target label named rabbitmq_cluster would turn the identity series' own into exported_rabbitmq_cluster.
        for (const job of jobs) for (const s of job.static_configs) expect(Object.keys(s.labels)).not.toContain('rabbitmq_cluster');
        const deadLetters = jobs.find((j) => j.job_name === `rabbitmq-${cluster.name}-dead-letters`);
        expect(deadLetters !== undefined).toBe(cluster.topology.deadLetterQueues.length > 0);
        if (deadLetters) expect(deadLetters.params).toEqual({ family: ['queue_coarse_metrics'], vhost: [...new Set(cluster.topology.deadLetterQueues.map((q) => q.vhost))] });
        const haproxy = jobs.find((j) => j.job_name === `haproxy-${cluster.name}`);
        const lb = cluster.loadBalancer;
        expect(haproxy !== undefined).toBe(lb !== undefined);
        if (haproxy && lb) {
          expect(haproxy.metrics_path).toBe(lb.haproxy.metricsPath);
          expect(haproxy.basic_auth).toEqual({ username: lb.haproxy.statsUser, password_file: haproxyPasswordFileOf(cluster) });
          const lbTargets = haproxy.static_configs.flatMap((s) => s.targets);
          if (target === 'vm') expect(lbTargets).toEqual(lb.hosts.map((h) => `${h.address}:${lb.haproxy.statsPort}`));
          else expect(lbTargets).toHaveLength(1);
          // The password stays with the operator: neither file carries it.
          const password = secrets[lb.statsPassword.id]!;
          expect(scrape.content).not.toContain(password);
          expect(rules.content).not.toContain(password);
        }
      });
    }

    it('promtool test rules: every alert is silent on a healthy cluster and fires after its fault lasts `for`', async () => {
      const alerts = alertRulesOf(cluster, vmRuleOptions(cluster));
      expect(alerts.filter((a) => !(a.name in SCENARIOS)).map((a) => a.name)).toEqual([]);
      const dir = mkdtempSync(join(work, 'test-'));
      writeFileSync(join(dir, PROMETHEUS_RULES_FILE), filesOfVm(cluster));
      writeFileSync(join(dir, 'tests.yml'), stringify(promtoolTestsOf(cluster, alerts, PROMETHEUS_RULES_FILE), { lineWidth: 0 }));
      const run = await promtool(['test', 'rules', 'tests.yml'], dir);
      expect(run.output).toContain('SUCCESS');
      expect(run.status).toBe(0);
    });
  });
}

function filesOfVm(cluster: ResolvedCluster): string {
  return vmBundleFiles(cluster, fixtureSecrets(cluster)).find((f) => f.path === `vm/monitoring/${PROMETHEUS_RULES_FILE}`)!.content;
}
