/**
 * Deliberate access to a running HAProxy, proved with the real program of both builds (2.6 and 3.2) on warren's
 * VM haproxy.cfg as written: the runtime API socket puts a node in maintenance and back (root and the haproxy group
 * only), the stats page and /metrics need the stats user's password, /healthz answers Keepalived's check without one.
 * Runs as root in private network, mount and PID namespaces (test/haproxy/runtime-access.sh); nodes are an HTTP stand-in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_SOCKET_PATH, haproxyConfigFromCluster, renderHaproxyConfig } from '../../haproxy';
import { haproxyProbeFromCluster, renderHaproxyChecker, renderHaproxyCheckScript } from '../../keepalived';
import { resolveCluster, type ClusterSpec } from '../../model';
import { loadBalancerRuntime } from '../lab/runtimes';
import { loadExample } from '../support/fixtures';
import { LOAD_BALANCER_BUILDS } from '../support/load-balancer-programs';
import { lbFixtureSecrets } from './support';

const work = mkdtempSync(join(tmpdir(), 'warren-haproxy-runtime-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STAND_IN = `const http = require('node:http');
for (const at of process.argv.slice(2)) {
  const [address, port] = at.split(':');
  http.createServer((_, res) => res.end('ok')).listen(Number(port), address);
}
`;

const cluster = resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec);
const secrets = lbFixtureSecrets(cluster);
const password = secrets['haproxy-stats-password']!;
const node = cluster.nodes[0]!.host;
const config = renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, { target: 'vm', serverAddress: (n) => n.address ?? n.host }));

/** `key: value` lines the script prints. */
function run(build: (typeof LOAD_BALANCER_BUILDS)[number]): Record<string, string> {
  const dir = join(work, build);
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  // The checker writes its verdict into the same folder; 300 ms of 200s is enough here.
  const probe = { ...haproxyProbeFromCluster(cluster), stateDir: dir, passAfterMs: 300 };
  writeFileSync(join(dir, 'haproxy-checker.sh'), renderHaproxyChecker(probe));
  writeFileSync(join(dir, 'check-haproxy.sh'), renderHaproxyCheckScript(probe));
  writeFileSync(join(dir, 'stand-in.cjs'), STAND_IN);
  const ports = [cluster.ports.amqp, cluster.ports.management, cluster.majorityCheck?.agentPort].filter((p) => p !== undefined);
  // HAProxy binds every address of the client ports: each stand-in node listens on its own address only.
  const listeners = cluster.nodes.flatMap((n) => ports.map((port) => `${n.address}:${port}`));
  const root = loadBalancerRuntime(build).root ?? '';
  const script = join(__dirname, 'runtime-access.sh');
  const result = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', 'bash', script, root, dir, password, node, ...listeners], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  return Object.fromEntries(result.stdout.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
}

describe('access to a running HAProxy (VM haproxy.cfg)', () => {
  it('has the runtime API socket where Debian puts it, for root and the haproxy group', () => {
    expect(config).toContain(`\n    stats socket ${ADMIN_SOCKET_PATH} mode 660 group haproxy level admin\n    stats timeout 30s\n`);
  });

  describe.each(LOAD_BALANCER_BUILDS)('HAProxy of the %s build', (build) => {
    const out = run(build);

    it('creates the socket 0660 in the haproxy group; a member may use it, another user may not', () => {
      const [mode, gid, , haproxyGid] = out.socket!.split(' ');
      expect(mode).toBe('660');
      expect(gid).toBe(haproxyGid);
      expect(out['group-member']).toBe('1');
      expect(out['other-user']).toBe('Permission denied');
    });

    it('puts a node in maintenance and back (disable/enable, set state maint/ready), seen in show servers state and /metrics', () => {
      expect(out.before).toBe('admin 0 oper 2');
      expect(out.disabled).toBe('admin 1');
      expect(out['metrics-state']).toBe(`haproxy_server_status{proxy="amqp",server="${node}",state="MAINT"} 1`);
      expect(out.enabled).toBe('admin 0');
      expect(out['set-maint']).toBe('admin 1');
      expect(out['set-ready']).toBe('admin 0');
    });

    it('refuses /metrics and the stats page without the stats password, serves Prometheus text with it', () => {
      expect(out['metrics-anonymous']).toBe('401 Basic realm="haproxy-stats"');
      expect(out['metrics-wrong']).toBe('401');
      const [status, contentType, series] = out['metrics-stats']!.split('|');
      expect(status).toBe('200');
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(Number(series)).toBeGreaterThan(100);
      expect(out['page-anonymous']).toBe('401');
      expect(out['page-stats']).toBe('200');
    });

    it('answers /healthz without credentials, and Keepalived\'s check script passes', () => {
      expect(out['healthz-anonymous']).toBe('200');
      expect(out['check-script']).toBe('0');
    });
  });
});
