/**
 * The Prometheus files of the VM bundle and the compose project, for every example: the rules file passes
 * `promtool check rules`, a prometheus.yml loading it with the generated scrape jobs passes `promtool check
 * config`, and `promtool test rules` sees every alert stay silent on a healthy cluster and fire on its fault.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { composeFiles } from '../../compose';
import {
  alertRulesOf,
  haproxyPasswordFileOf,
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

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  params?: Record<string, string[]>;
  basic_auth?: { username: string; password?: string; password_file?: string };
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}

const TARGETS: readonly [name: string, files: (c: ResolvedCluster) => GeneratedFile[], folder: string][] = [
  ['vm', (c) => vmBundleFiles(c, fixtureSecrets(c)), 'vm/monitoring'],
  ['compose', (c) => composeFiles(c, fixtureSecrets(c)), 'compose/prometheus'],
];

for (const example of exampleNames()) {
  describe(example, () => {
    const cluster = resolveCluster(loadExample(example) as ClusterSpec);
    const secrets = fixtureSecrets(cluster);

    for (const [target, filesOf, folder] of TARGETS) {
      const files = filesOf(cluster);
      const fileAt = (name: string) => {
        const file = files.find((f) => f.path === `${folder}/${name}`);
        if (!file) throw new Error(`${target} writes no ${folder}/${name}`);
        return file;
      };
      const rules = fileAt(PROMETHEUS_RULES_FILE);
      const scrape = fileAt(PROMETHEUS_SCRAPE_FILE);
      const jobs = (parse(scrape.content) as { scrape_configs: ScrapeJob[] }).scrape_configs;

      it(`${target}: promtool check rules and check config accept the rules file and the scrape jobs`, () => {
        const dir = mkdtempSync(join(work, `${target}-`));
        writeFileSync(join(dir, PROMETHEUS_RULES_FILE), rules.content);
        const checkRules = promtool(['check', 'rules', PROMETHEUS_RULES_FILE], dir);
        expect(checkRules.output).toContain(`SUCCESS: ${alertRulesOf(cluster).length} rules found`);
        expect(checkRules.status).toBe(0);
        // Debian 12's Prometheus (2.42) has no scrape_config_files, so the jobs go into prometheus.yml as the README says.
        writeFileSync(join(dir, 'prometheus.yml'), stringify({ rule_files: [PROMETHEUS_RULES_FILE], scrape_configs: jobs }));
        const checkConfig = promtool(['check', 'config', 'prometheus.yml'], dir);
        expect(checkConfig.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
        expect(checkConfig.output).toContain(`SUCCESS: ${alertRulesOf(cluster).length} rules found`);
        expect(checkConfig.status).toBe(0);
      });

      it(`${target}: the rules are the chart's alert data, and the scrape jobs reach every node and HAProxy`, () => {
        expect((parse(rules.content) as { groups: unknown }).groups).toEqual(prometheusRuleGroupsOf(cluster));
        const nodeJob = jobs.find((j) => j.job_name === `rabbitmq-${cluster.name}`)!;
        expect(nodeJob.metrics_path).toBe('/metrics');
        const nodeTargets = nodeJob.static_configs.flatMap((s) => s.targets);
        expect(nodeTargets).toHaveLength(cluster.nodes.length);
        expect(new Set(nodeTargets).size).toBe(cluster.nodes.length);
        if (target === 'vm') expect(nodeTargets).toEqual(cluster.nodes.map((n) => `${n.address ?? n.host}:${cluster.ports.prometheus}`));
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

    it('promtool test rules: every alert is silent on a healthy cluster and fires after its fault lasts `for`', () => {
      const alerts = alertRulesOf(cluster);
      expect(alerts.filter((a) => !(a.name in SCENARIOS)).map((a) => a.name)).toEqual([]);
      const dir = mkdtempSync(join(work, 'test-'));
      writeFileSync(join(dir, PROMETHEUS_RULES_FILE), filesOfVm(cluster));
      writeFileSync(join(dir, 'tests.yml'), stringify(promtoolTestsOf(cluster, alerts, PROMETHEUS_RULES_FILE), { lineWidth: 0 }));
      const run = promtool(['test', 'rules', 'tests.yml'], dir);
      expect(run.output).toContain('SUCCESS');
      expect(run.status).toBe(0);
    });
  });
}

function filesOfVm(cluster: ResolvedCluster): string {
  return vmBundleFiles(cluster, fixtureSecrets(cluster)).find((f) => f.path === `vm/monitoring/${PROMETHEUS_RULES_FILE}`)!.content;
}
