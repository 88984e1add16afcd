/**
 * haproxy.cfg for every example with a load balancer, compose and vm targets: semantic assertions, and
 * Debian's HAProxy 2.6 and 3.2 (`haproxy -c`, see test/support/load-balancer-programs.ts) accepting each one
 * without a single warning. Their golden copies are the bundles' haproxy.cfg under test/golden/ (test/golden.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haproxyConfigFromCluster, renderHaproxyConfig, sha512Crypt, type HaproxyTargetOptions } from '../../haproxy';
import { resolveCluster, type ClusterSpec, type ResolvedCluster } from '../../model';
import type { LoadBalancerBuild } from '../lab/runtimes';
import { loadExample } from '../support/fixtures';
import { haproxyCheck as runHaproxyCheck, LOAD_BALANCER_BUILDS, type ProgramResult } from '../support/load-balancer-programs';
import { lbFixtureSecrets, loadBalancedExamples } from './support';

const work = mkdtempSync(join(tmpdir(), 'warren-haproxy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TARGETS: Record<'compose' | 'vm', HaproxyTargetOptions> = {
  compose: { target: 'compose', serverAddress: (node) => node.host },
  vm: { target: 'vm', serverAddress: (node) => node.address ?? node.host },
};

/** compose for every example; vm where every node has an address (VMs reach nodes by address). */
function variants(cluster: ResolvedCluster): ('compose' | 'vm')[] {
  return cluster.nodes.every((n) => n.address) ? ['compose', 'vm'] : ['compose'];
}

function haproxyCheck(text: string, name: string, build: LoadBalancerBuild = 'bookworm'): ProgramResult {
  const file = join(work, name);
  writeFileSync(file, text);
  return runHaproxyCheck(file, build);
}

/** The lines of one `listen` section. */
function listen(text: string, name: string): string[] {
  const start = text.indexOf(`\nlisten ${name}\n`);
  expect(start, `listen ${name}`).toBeGreaterThan(0);
  const end = text.indexOf('\n\n', start + 1);
  return text.slice(start + 1, end === -1 ? undefined : end).split('\n').map((line) => line.trim());
}

const examples = loadBalancedExamples();

/** The AMQP listen every example has: `amqp`, or `amqps` where TLS replaced the plain listener. */
const clientListen = (cluster: ResolvedCluster) => (cluster.tls?.listeners.amqp === 'tls' ? 'amqps' : 'amqp');

describe('haproxy.cfg from the examples', () => {
  it('covers a 3.x and a 4.3 spec, with compose and vm variants', () => {
    const lines = examples.map(({ cluster }) => cluster.version.line);
    expect(lines).toContain('3.10');
    expect(lines).toContain('4.3');
    expect(examples.some(({ cluster }) => variants(cluster).includes('vm'))).toBe(true);
  });

  for (const { name, cluster } of examples) {
    for (const target of variants(cluster)) {
      describe(`${name} (${target})`, () => {
        const secrets = lbFixtureSecrets(cluster);
        const text = renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, TARGETS[target]));

        it('renders byte-identically twice', () => {
          expect(renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, TARGETS[target]))).toBe(text);
        });

        it.each(LOAD_BALANCER_BUILDS)('passes haproxy -c of the %s build with zero warnings', (build) => {
          const { status, output } = haproxyCheck(text, `${name}.${target}.cfg`, build);
          expect(output).not.toMatch(/\[(WARNING|ALERT)\]/);
          expect(output).toContain('Configuration file is valid');
          expect(status).toBe(0);
        });

        it('opens the AMQP port without a byte RabbitMQ logs, then asks the broker; shuts sessions of a node marked down and outlives the heartbeat', () => {
          const amqp = listen(text, clientListen(cluster));
          const health = cluster.features.httpHealthEndpoints ? '/api/health/checks/ready-to-serve-clients' : '/api/auth';
          expect(amqp.filter((l) => l.startsWith('tcp-check')).slice(0, 4)).toEqual([
            'tcp-check connect default linger',
            // The management API on its plain port, or over TLS where the nodes closed that one.
            cluster.tls?.listeners.management === 'tls' ? `tcp-check connect port ${cluster.ports.managementTls} ssl` : `tcp-check connect port ${cluster.ports.management}`,
            `tcp-check send "GET ${health} HTTP/1.0\\r\\n\\r\\n"`,
            'tcp-check expect rstring "^HTTP/1\\.[01] 200"',
          ]);
          // A TLS handshake that carries no AMQP is logged (handshake timeout); the check's connection stays plain.
          expect(amqp.find((l) => l.startsWith('default-server'))).not.toContain('check-ssl');
          expect(amqp).toContain(`balance ${cluster.loadBalancer!.balance}`);
          const defaults = amqp.find((l) => l.startsWith('default-server'))!;
          expect(defaults).toContain('on-marked-down shutdown-sessions');
          const { check } = cluster.loadBalancer!.haproxy;
          expect(defaults).toContain(`rise ${check.rise} fall ${check.fall}`);
          for (const kind of ['client', 'server', 'tunnel']) {
            const seconds = Number(/(\d+)s$/.exec(amqp.find((l) => l.startsWith(`timeout ${kind} `))!)![1]);
            expect(seconds).toBeGreaterThan(cluster.heartbeatSeconds);
          }
          expect(amqp).toEqual(expect.arrayContaining(['option clitcpka', 'option srvtcpka']));
          expect(amqp.filter((l) => l.startsWith('server ')).map((l) => l.split(' ')[1])).toEqual(cluster.nodes.map((n) => n.host));
        });

        it('keeps the stats password out of the file, as a SHA-512 crypt hash of it', () => {
          const password = secrets['haproxy-stats-password']!;
          expect(text).not.toContain(password);
          const hash = /user stats password (\$6\$([^$]+)\$\S+)/.exec(text)!;
          expect(sha512Crypt(password, hash[2]!)).toBe(hash[1]);
          const stats = listen(text, 'stats');
          expect(stats.slice(stats.indexOf('http-request auth realm haproxy-stats unless { http_auth(stats_users) }') + 1)).toContain('http-request use-service prometheus-exporter if { path /metrics }');
          expect(stats).toContain('monitor-uri /healthz');
        });

        it(`${target === 'compose' ? 'resolves names late through Docker DNS' : 'reaches nodes by address'}`, () => {
          if (target === 'compose') {
            expect(text).toContain('nameserver dns 127.0.0.11:53');
            expect(listen(text, clientListen(cluster)).filter((l) => l.startsWith('server ')).every((l) => l.endsWith('init-addr none'))).toBe(true);
          } else {
            expect(text).not.toContain('resolvers');
            for (const node of cluster.nodes) expect(text).toContain(`server ${node.host} ${node.address}:${cluster.ports[clientListen(cluster)]} check\n`);
          }
        });
      });
    }
  }

  it('follows the enabled plugins: no management listen without rabbitmq_management, no node-metrics hint without rabbitmq_prometheus', () => {
    const spec = loadExample('e2e-3.10.yaml') as ClusterSpec;
    const render = (plugins: string[]) => {
      const cluster = resolveCluster({ ...spec, plugins });
      return renderHaproxyConfig(haproxyConfigFromCluster(cluster, lbFixtureSecrets(cluster), TARGETS.vm));
    };
    const full = render(['rabbitmq_management', 'rabbitmq_prometheus']);
    expect(listen(full, 'management')).toContain('bind :15672');
    expect(listen(full, 'stats').join('\n')).toContain('metrics on port 15692');

    const bare = render([]);
    expect(bare).not.toContain('listen management');
    expect(bare).not.toContain(':15672');
    expect(bare).not.toContain('15692');
    // Without the management API only an AMQP exchange shows that the broker answers, and RabbitMQ logs it.
    expect(listen(bare, 'amqp').filter((l) => l.startsWith('tcp-check'))).toEqual([
      'tcp-check send-binary 414d515000000901',
      'tcp-check expect rbinary ^010000[0-9A-F]{8}000A000A',
    ]);
    expect(listen(bare, 'amqp')).toContain('# RabbitMQ logs every such check (3 lines); with rabbitmq_management the check would not speak AMQP.');
    expect(listen(bare, 'stats')).toContain('monitor-uri /healthz');
    const { status, output } = haproxyCheck(bare, 'no-plugins.cfg');
    expect(output).not.toMatch(/\[(WARNING|ALERT)\]/);
    expect(status).toBe(0);

    const managementOnly = render(['rabbitmq_management']);
    expect(listen(managementOnly, 'management')).toContain('bind :15672');
    expect(managementOnly).not.toContain('15692');
  });

  it.each(LOAD_BALANCER_BUILDS)('haproxy -c of the %s build rejects a broken config, so the zero-warning checks above can fail', (build) => {
    const { cluster } = examples[0]!;
    const text = renderHaproxyConfig(haproxyConfigFromCluster(cluster, lbFixtureSecrets(cluster), TARGETS.compose));
    const broken = haproxyCheck(text.replace('option tcplog', 'option tcplogg'), 'broken.cfg', build);
    expect(broken.status).not.toBe(0);
    expect(broken.output).not.toContain('Configuration file is valid');
    const warned = haproxyCheck(text.replace(/init-addr none/g, 'init-addr libc'), 'unresolvable.cfg', build);
    expect(warned.output).toMatch(/\[(WARNING|ALERT)\]/);
  });
});
