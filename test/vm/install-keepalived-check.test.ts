/**
 * On a load balancer, install.sh checks keepalived.conf with keepalived -t (2.2.7, in its own PID namespace)
 * before replacing anything.
 * Proved with the real script and programs in private folders (test/vm/private-host.ts); shared set-up in
 * install-gates-fixtures.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { loadExample } from '../support/fixtures';
import { loggedCalls, runPrivately, snapshot, writeBundle, writeStubs } from './private-host';
import { bundle43, folder } from './install-gates-fixtures';

describe('install.sh on a load balancer checks keepalived.conf with keepalived -t before replacing anything', () => {
  const lb = bundle43;
  const cluster = resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec);
  const keepalived = cluster.loadBalancer!.keepalived;

  /** lb-1's folders with what the host had before, its interface in the run's network namespace, and the script user known. */
  function privateLoadBalancer() {
    const top = folder('lb');
    const etcKeepalived = join(top, 'keepalived');
    const etcHaproxy = join(top, 'haproxy');
    mkdirSync(etcKeepalived);
    mkdirSync(etcHaproxy);
    cpSync('/etc/keepalived', etcKeepalived, { recursive: true });
    writeFileSync(join(etcKeepalived, 'keepalived.conf'), "# the host's previous configuration\n", { mode: 0o600 });
    for (const script of Object.values(keepalived.notify)) writeFileSync(join(etcKeepalived, basename(script)), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(etcHaproxy, 'haproxy.cfg'), "# the host's previous configuration\n");
    const hosts = join(top, 'hosts');
    const entries = [...cluster.nodes.map((n) => `${n.address} ${n.host}`), ...cluster.loadBalancer!.hosts.map((h) => `${h.address} ${h.host}`)];
    writeFileSync(hosts, `127.0.0.1 localhost\n# BEGIN warren lb-1\n${entries.join('\n')}\n# END warren lb-1\n`);
    const users = join(top, 'users');
    mkdirSync(users);
    writeFileSync(join(users, 'passwd'), `${readFileSync('/etc/passwd', 'utf8')}keepalived_script:x:64000:64000::/nonexistent:/usr/sbin/nologin\n`);
    writeFileSync(join(users, 'group'), `${readFileSync('/etc/group', 'utf8')}keepalived_script:x:64000:\n`);
    return {
      top,
      etcKeepalived,
      binds: {
        '/etc/keepalived': etcKeepalived,
        '/etc/haproxy': etcHaproxy,
        '/etc/hosts': hosts,
        '/etc/passwd': join(users, 'passwd'),
        '/etc/group': join(users, 'group'),
      },
      setup: [`ip link add ${keepalived.interface} type veth peer name peer0`, `ip link set ${keepalived.interface} up`],
      state: () => snapshot(top),
    };
  }

  function runLb(conf?: string) {
    const bundleDir = folder('bundle-lb');
    writeBundle(lb.files, bundleDir);
    if (conf !== undefined) writeFileSync(join(bundleDir, 'vm/lb-1/etc/keepalived/keepalived.conf'), conf);
    const host = privateLoadBalancer();
    const stubs = folder('stubs');
    const log = join(stubs, 'calls.log');
    writeStubs(stubs, ['apt-get', 'useradd', 'systemctl'], log);
    const before = host.state();
    const run = runPrivately({ command: [join(bundleDir, 'vm/lb-1/install.sh'), '--no-packages'], binds: host.binds, setup: host.setup, path: stubs });
    return { run, host, before, calls: loggedCalls(log) };
  }

  const conf = () => lb.files.find((f) => f.path === 'vm/lb-1/etc/keepalived/keepalived.conf')!.content;

  it("refuses a keepalived.conf that keepalived 2.2.7 rejects, with keepalived's own message, and replaces nothing (not even haproxy.cfg)", () => {
    const { run, host, before, calls } = runLb(conf().replace('advert_int 0.1', 'advert_intt 0.1'));
    expect(run.stderr).toContain("Unknown keyword 'advert_intt'");
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe("install.sh: keepalived refused the bundle's etc/keepalived/keepalived.conf (above); nothing was replaced");
    expect(run.status).toBe(1);
    expect(host.state()).toEqual(before);
    expect(calls.filter((c) => c.startsWith('systemctl'))).toEqual([]);
  });

  it('refuses a keepalived.conf whose tracked script is missing on the host (keepalived -t sees /etc/keepalived as the install leaves it)', () => {
    const { run, host, before } = runLb(conf().replace('/etc/keepalived/check-haproxy.sh', '/etc/keepalived/absent.sh'));
    expect(run.stderr).toContain('Disabling track script chk_haproxy since not found/accessible');
    expect(run.status).toBe(1);
    expect(host.state()).toEqual(before);
  });

  it("accepts the bundle's keepalived.conf (script_user keepalived_script) and replaces the files; outside its own PID namespace 2.2.7's -t kills itself on that file", () => {
    const { run, host, calls } = runLb();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('installed /etc/keepalived/keepalived.conf (0600 root:root)\n');
    expect(readFileSync(join(host.etcKeepalived, 'keepalived.conf'), 'utf8')).toBe(conf());
    expect(calls).toContain('systemctl reload-or-restart keepalived');
    // The control: the same check without the PID namespace (acassen/keepalived#2617).
    const bare = spawnSync(
      'unshare',
      ['--mount', '--net', '--propagation', 'private', 'sh', '-c', [...hostSetup(host), 'exec keepalived -t -f /etc/keepalived/keepalived.conf'].join(' && ')],
      { encoding: 'utf8' },
    );
    expect(bare.signal).toBe('SIGTERM');
  });

  function hostSetup(host: ReturnType<typeof privateLoadBalancer>): string[] {
    return [...host.setup, ...Object.entries(host.binds).map(([target, source]) => `mount --bind ${source} ${target}`)];
  }
});
