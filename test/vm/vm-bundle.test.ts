import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { vmBundleFiles } from '../../vm';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';
import { loggedCalls, runPrivately, writeBundle, writeStubs } from './private-host';

const scratch = mkdtempSync(join(tmpdir(), 'warren-vm-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cluster = resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec);
const secrets = fixtureSecrets(cluster);
const files = vmBundleFiles(cluster, secrets);
const content = (path: string) => files.find((f) => f.path === path)!.content;

describe('VM bundles', () => {
  it('gives every host exactly the files of its role, in the layout of its file system', () => {
    const byHost = (host: string) => files.filter((f) => f.path.startsWith(`vm/${host}/`)).map((f) => f.path.slice(`vm/${host}/`.length)).sort();
    expect(byHost('rmq-1')).toEqual([
      'etc/rabbitmq/definitions.json',
      'etc/rabbitmq/enabled_plugins',
      'etc/rabbitmq/rabbitmq-env.conf',
      'etc/rabbitmq/rabbitmq.conf',
      'etc/systemd/system/warren-majority-agent.service',
      'install.sh',
      'usr/local/lib/warren/majority-agent.escript',
      'var/lib/rabbitmq/.erlang.cookie',
    ]);
    expect(byHost('lb-2')).toEqual([
      'etc/haproxy/haproxy.cfg',
      'etc/keepalived/check-haproxy.sh',
      'etc/keepalived/keepalived.conf',
      'etc/systemd/system/warren-haproxy-check.service',
      'install.sh',
      'usr/local/lib/warren/haproxy-checker.sh',
    ]);
    // Beside the hosts: the rules file and scrape jobs for the operator's Prometheus (test/monitoring checks them).
    expect(byHost('monitoring')).toEqual(['rabbitmq-rules.yml', 'scrape-configs.yml']);
    // And the admin host's rolling restart and upgrade (test/vm/rolling.test.ts, test/day2/rolling-real.test.ts).
    expect(byHost('admin')).toEqual(['warren-rolling-restart.sh', 'warren-scale-in.sh', 'warren-scale-out.sh', 'warren-upgrade.sh']);
    expect(new Set(files.map((f) => f.path.split('/')[1]))).toEqual(new Set(['rmq-1', 'rmq-2', 'rmq-3', 'lb-1', 'lb-2', 'monitoring', 'admin']));
  });

  it('shares one cookie and one definitions file across nodes, and names each node explicitly', () => {
    for (const host of ['rmq-1', 'rmq-2', 'rmq-3']) {
      expect(content(`vm/${host}/var/lib/rabbitmq/.erlang.cookie`)).toBe(secrets['erlang-cookie']);
      expect(content(`vm/${host}/etc/rabbitmq/definitions.json`)).toBe(content('vm/rmq-1/etc/rabbitmq/definitions.json'));
      expect(content(`vm/${host}/etc/rabbitmq/rabbitmq-env.conf`)).toContain(`NODENAME=rabbit@${host}\n`);
    }
    expect(files.filter((f) => f.kind === 'secret').map((f) => f.path.split('/').slice(2).join('/'))).toEqual([
      'etc/rabbitmq/definitions.json',
      'var/lib/rabbitmq/.erlang.cookie',
      'etc/rabbitmq/definitions.json',
      'var/lib/rabbitmq/.erlang.cookie',
      'etc/rabbitmq/definitions.json',
      'var/lib/rabbitmq/.erlang.cookie',
      'etc/keepalived/keepalived.conf',
      'etc/keepalived/keepalived.conf',
    ]);
  });

  it('points HAProxy at the node addresses and Keepalived at its peers', () => {
    const haproxy = content('vm/lb-1/etc/haproxy/haproxy.cfg');
    for (const [host, address] of [['rmq-1', '10.0.0.11'], ['rmq-2', '10.0.0.12'], ['rmq-3', '10.0.0.13']]) {
      expect(haproxy).toContain(`server ${host} ${address}:5672 check`);
    }
    const keepalived = content('vm/lb-1/etc/keepalived/keepalived.conf');
    expect(keepalived).toMatch(/unicast_src_ip 10\.0\.0\.21/);
    expect(keepalived).toMatch(/unicast_peer \{\s+10\.0\.0\.22\s+\}/);
  });

  it('install scripts and check scripts pass shellcheck (real program), for every example', () => {
    const dir = join(scratch, 'shellcheck');
    for (const example of exampleNames()) {
      const c = resolveCluster(loadExample(example) as ClusterSpec);
      writeBundle(vmBundleFiles(c, fixtureSecrets(c)), join(dir, example));
    }
    const scripts = execFileSync('find', [dir, '-name', '*.sh'], { encoding: 'utf8' }).trim().split('\n');
    expect(scripts.length).toBeGreaterThan(10);
    const result = spawnSync('shellcheck', ['-S', 'style', ...scripts], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    // About 80 scripts, the node ones 200 lines each: 15 s on an idle 2-core machine, 150 s at load average 28.
  }, 400_000);

  it('install.sh (real run under --root) places files with their owners and modes, idempotently', () => {
    const bundleDir = join(scratch, 'bundle');
    const root = join(scratch, 'root');
    writeBundle(files, bundleDir);
    const install = (host: string) =>
      execFileSync(join(bundleDir, 'vm', host, 'install.sh'), ['--root', root, '--no-packages'], { encoding: 'utf8' });

    const first = install('rmq-2');
    expect(first).toContain('installed /var/lib/rabbitmq/.erlang.cookie (0400 rabbitmq:rabbitmq)');
    const stat = (path: string) => {
      const s = statSync(join(root, path));
      return `${(s.mode & 0o777).toString(8)} ${s.uid === 0 ? 'root' : 'rabbitmq'}`;
    };
    expect(stat('var/lib/rabbitmq/.erlang.cookie')).toBe('400 rabbitmq');
    expect(stat('etc/rabbitmq/definitions.json')).toBe('640 root');
    expect(readFileSync(join(root, 'var/lib/rabbitmq/.erlang.cookie'), 'utf8')).toBe(secrets['erlang-cookie']);
    expect(readFileSync(join(root, 'etc/hosts'), 'utf8')).toBe(
      '# BEGIN warren rmq-2\n10.0.0.11 rmq-1\n10.0.0.12 rmq-2\n10.0.0.13 rmq-3\n10.0.0.21 lb-1\n10.0.0.22 lb-2\n# END warren rmq-2\n',
    );

    expect(install('rmq-2')).toBe(`files in place under ${root}; services not touched\n`);

    writeFileSync(join(bundleDir, 'vm/rmq-2/etc/rabbitmq/enabled_plugins'), '[rabbitmq_management].\n');
    expect(install('rmq-2')).toBe(`installed /etc/rabbitmq/enabled_plugins (0644 root:rabbitmq)\nfiles in place under ${root}; services not touched\n`);

    const lb = install('lb-1');
    expect(lb).toContain('installed /etc/keepalived/keepalived.conf (0600 root:root)');
    expect(stat('etc/keepalived/check-haproxy.sh')).toBe('755 root');
  });

  it('install.sh --root changes nothing outside that folder: no package, user or service command runs', () => {
    const bundleDir = join(scratch, 'isolated');
    const root = join(scratch, 'isolated-root');
    const stubs = join(scratch, 'stubs');
    const calls = join(scratch, 'calls.log');
    writeBundle(files, bundleDir);
    // Nor does it check this host: no installed version, apt, key or keepalived -t.
    writeStubs(stubs, ['apt-get', 'apt-cache', 'dpkg-query', 'curl', 'gpg', 'useradd', 'systemctl', 'rabbitmqctl', 'keepalived', 'unshare'], calls);
    // As on a machine where the users do not exist yet, so a useradd would run if --root allowed it.
    writeFileSync(join(stubs, 'getent'), '#!/bin/sh\nexit 2\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${stubs}:${process.env.PATH}` };
    for (const host of ['lb-1', 'rmq-1']) {
      const result = spawnSync(join(bundleDir, 'vm', host, 'install.sh'), ['--root', root], { encoding: 'utf8', env });
      expect(result.status, result.stderr).toBe(0);
    }
    expect(() => readFileSync(calls, 'utf8')).toThrow();
    expect(statSync(join(root, 'etc/keepalived/keepalived.conf')).isFile()).toBe(true);
  });

  it('install.sh on a load balancer reloads HAProxy and Keepalived instead of restarting them, and only the one whose files changed (real run, private /etc/haproxy, /etc/keepalived and /etc/hosts)', () => {
    const bundleDir = join(scratch, 'reload');
    const stubs = join(scratch, 'reload-stubs');
    const calls = join(scratch, 'reload-calls.log');
    writeBundle(files, bundleDir);
    writeStubs(stubs, ['apt-get', 'useradd', 'systemctl'], calls);
    // The real script as root on "/", with every folder it writes to and /etc/hosts private to this run; keepalived -t
    // (which the script runs) also needs the config's interface and its script user.
    const etc = {
      haproxy: join(scratch, 'reload-etc-haproxy'),
      keepalived: join(scratch, 'reload-etc-keepalived'),
      units: join(scratch, 'reload-etc-systemd-system'),
      programs: join(scratch, 'reload-usr-local-lib-warren'),
      checkerState: join(scratch, 'reload-run-warren-haproxy-check'),
    };
    for (const dir of Object.values(etc)) mkdirSync(dir, { recursive: true });
    // Mount points only (empty folders, as the e2e lab makes them): nothing is written outside the scratch folder.
    for (const target of ['/usr/local/lib/warren', '/run/warren-haproxy-check']) mkdirSync(target, { recursive: true });
    // /etc/hosts already holds the cluster's block (a bind-mounted file cannot be replaced by sed -i).
    const hosts = join(scratch, 'reload-hosts');
    const entries = [...cluster.nodes.map((n) => `${n.address} ${n.host}`), ...cluster.loadBalancer!.hosts.map((h) => `${h.address} ${h.host}`)];
    writeFileSync(hosts, `127.0.0.1 localhost\n# BEGIN warren lb-1\n${entries.join('\n')}\n# END warren lb-1\n`);
    const passwd = join(scratch, 'reload-passwd');
    const group = join(scratch, 'reload-group');
    writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}keepalived_script:x:64000:64000::/nonexistent:/usr/sbin/nologin\n`);
    writeFileSync(group, `${readFileSync('/etc/group', 'utf8')}keepalived_script:x:64000:\n`);
    const device = cluster.loadBalancer!.keepalived.interface;
    const install = () => {
      const run = runPrivately({
        command: [join(bundleDir, 'vm/lb-1/install.sh'), '--no-packages'],
        binds: {
          '/etc/haproxy': etc.haproxy,
          '/etc/keepalived': etc.keepalived,
          '/etc/systemd/system': etc.units,
          '/usr/local/lib/warren': etc.programs,
          '/run/warren-haproxy-check': etc.checkerState,
          '/etc/hosts': hosts,
          '/etc/passwd': passwd,
          '/etc/group': group,
        },
        setup: [`ip link add ${device} type veth peer name peer0`, `ip link set ${device} up`],
        path: stubs,
      });
      expect(run.status, run.stderr).toBe(0);
      const logged = loggedCalls(calls).filter((line) => line.startsWith('systemctl ') && !line.startsWith('systemctl enable'));
      rmSync(calls);
      return logged;
    };
    // The HAProxy checker (a unit of its own) starts before Keepalived, which watches the folder it writes to.
    expect(install()).toEqual(['systemctl daemon-reload', 'systemctl reload-or-restart haproxy', 'systemctl restart warren-haproxy-check', 'systemctl reload-or-restart keepalived']);
    writeFileSync(join(bundleDir, 'vm/lb-1/etc/haproxy/haproxy.cfg'), `${content('vm/lb-1/etc/haproxy/haproxy.cfg')}\n`);
    expect(install()).toEqual(['systemctl daemon-reload', 'systemctl reload-or-restart haproxy', 'systemctl start warren-haproxy-check', 'systemctl start keepalived']);
    // A RabbitMQ host still restarts: rabbitmq.conf is read at boot only.
    expect(content('vm/rmq-1/install.sh')).toContain('systemctl restart rabbitmq-server; echo "restarted rabbitmq-server"');
  });

  it('install.sh refuses a broken haproxy.cfg before replacing anything (haproxy -c, real program)', () => {
    const bundleDir = join(scratch, 'broken');
    const root = join(scratch, 'broken-root');
    writeBundle(files, bundleDir);
    writeFileSync(join(bundleDir, 'vm/lb-2/etc/haproxy/haproxy.cfg'), 'global\n    maxconnn 10\n');
    const result = spawnSync(join(bundleDir, 'vm/lb-2/install.sh'), ['--root', root, '--no-packages'], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('maxconnn');
    expect(() => statSync(join(root, 'etc/haproxy/haproxy.cfg'))).toThrow();
  });
});
