/**
 * install.sh refuses a rabbitmq-server of another line than the bundle's before it changes anything (this machine has
 * Debian 12's 3.10.8; the test roots have Debian's 4.3.6 and 4.0.5), and pins apt to the bundle's line.
 * Proved with the real script and programs in private folders (test/vm/private-host.ts); shared set-up in
 * install-gates-fixtures.ts.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rabbitmqRuntime } from '../lab/runtimes';
import { loggedCalls, runPrivately, snapshot, writeBundle, writeStubs } from './private-host';
import { type Bundle, bundleOf, hostsFile, bundle43, bundle310, folder, privateRabbitmqHost, hostVersion, statusWithout } from './install-gates-fixtures';

describe('install.sh refuses a rabbitmq-server of another line before it changes anything', () => {
  const installed = hostVersion('rabbitmq-server');
  const refusal43 =
    `install.sh: rabbitmq-server ${installed} is installed but this bundle is for RabbitMQ 4.3.x; upgrade it one line at a time ` +
    'to 4.3 (https://www.rabbitmq.com/docs/upgrade) or synthesise the bundle for 3.10 (rabbitmq.version: "3.10"); nothing was changed\n';

  it("this machine runs Debian 12's rabbitmq-server 3.10.8 (what the tests below rely on)", () => {
    expect(installed).toMatch(/^3\.10\.8-/);
    expect(rabbitmqRuntime('3.10').versions['rabbitmq-server']).toBe(installed);
  });

  it.each([
    ['--no-packages', ['--no-packages']],
    ['packages allowed (nothing reaches apt)', []],
  ])('a 4.3 node bundle on this machine, %s: one line naming both versions and the fix, exit 1, nothing replaced', (_, args) => {
    const bundleDir = folder('bundle-4.3');
    writeBundle(bundle43.files, bundleDir);
    const host = privateRabbitmqHost();
    const apt = join(folder('etc-apt'), 'apt');
    cpSync('/etc/apt', apt, { recursive: true });
    const aptBefore = snapshot(apt);
    const before = host.before();
    const stubs = folder('stubs');
    const log = join(stubs, 'calls.log');
    writeStubs(stubs, ['apt-get', 'apt-cache', 'curl', 'systemctl', 'rabbitmqctl', 'useradd'], log);

    const run = runPrivately({ command: [join(bundleDir, 'vm/rmq-1/install.sh'), ...args], binds: { ...host.binds, '/etc/apt': apt }, path: stubs });

    expect(run.stderr).toBe(refusal43);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
    expect(host.before()).toEqual(before);
    expect(snapshot(apt)).toEqual(aptBefore);
    expect(loggedCalls(log)).toEqual([]);
  });

  it('a 3.10 node bundle on this machine passes the check and puts its files in place', () => {
    const bundleDir = folder('bundle-3.10');
    writeBundle(bundle310.files, bundleDir);
    const host = privateRabbitmqHost(hostsFile(bundle310, 'mq-a'));
    const run = runPrivately({ command: [join(bundleDir, 'vm/mq-a/install.sh'), '--no-packages', '--no-services'], binds: host.binds });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('installed /etc/rabbitmq/rabbitmq.conf (0644 root:rabbitmq)\n');
    expect(run.stdout).toContain('installed /var/lib/rabbitmq/.erlang.cookie (0400 rabbitmq:rabbitmq)\n');
    expect(readFileSync(join(host.binds['/etc/rabbitmq']!, 'rabbitmq.conf'), 'utf8')).toBe(
      bundle310.files.find((f) => f.path === 'vm/mq-a/etc/rabbitmq/rabbitmq.conf')!.content,
    );
  });

  it("a 3.10 node bundle with packages allowed pins apt to its release and Erlang 25, which real apt applies to Debian's installed 3.10.8", () => {
    const bundleDir = folder('bundle-3.10-pin');
    writeBundle(bundle310.files, bundleDir);
    const host = privateRabbitmqHost(hostsFile(bundle310, 'mq-a'));
    const apt = join(folder('etc-apt'), 'apt');
    cpSync('/etc/apt', apt, { recursive: true });
    const stubs = folder('stubs');
    const log = join(stubs, 'calls.log');
    writeStubs(stubs, ['apt-get', 'curl', 'systemctl', 'rabbitmqctl', 'useradd'], log);

    const run = runPrivately({ command: [join(bundleDir, 'vm/mq-a/install.sh'), '--no-services'], binds: { ...host.binds, '/etc/apt': apt }, path: stubs });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('installed /etc/apt/preferences.d/warren-rabbitmq (0644 root:root)');
    // Installed and on the line: nothing to install, no repository added.
    expect(loggedCalls(log)).toEqual([]);
    expect(existsSync(join(apt, 'sources.list.d/warren-rabbitmq.sources'))).toBe(false);
    expect(readFileSync(join(apt, 'preferences.d/warren-rabbitmq'), 'utf8')).toBe(
      [
        "# Written by warren's install.sh: this host's files are for RabbitMQ 3.10, run on Erlang 25.",
        "# 999 wins over the distribution's packages (500) and never downgrades an installed one.",
        '',
        'Package: rabbitmq-server',
        'Pin: version 3.10.8-*',
        'Pin-Priority: 999',
        '',
        'Package: erlang*',
        'Pin: version 1:25.*',
        'Pin-Priority: 999',
        '',
      ].join('\n'),
    );
    // Real apt reads the file: the installed packages now carry the pin's priority.
    const noSources = folder('no-sources');
    const policy = runPrivately({
      command: ['apt-cache', '-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${noSources}`, 'policy', 'rabbitmq-server', 'erlang-base'],
      binds: { '/etc/apt': apt },
    });
    expect(policy.stderr).toBe('');
    expect(policy.stdout).toContain(` *** ${installed} 999\n`);
    expect(policy.stdout).toContain(` *** ${hostVersion('erlang-base')} 999\n`);
  });

  describe.each(['4.3', '4.0'] as const)("in the test root with Debian's RabbitMQ %s", (line) => {
    const { root, versions } = rabbitmqRuntime(line);
    const rootVersion = versions['rabbitmq-server']!;

    /** The bundle of `example` for `host`, run in the root with private folders. */
    function runInRoot(example: Bundle, host: string) {
      const bundleDir = folder('bundle-root');
      writeBundle(example.files, bundleDir);
      const privateHost = privateRabbitmqHost(hostsFile(example, host));
      const before = privateHost.before();
      const run = runPrivately({
        chroot: root!,
        command: [`/mnt/vm/${host}/install.sh`, '--no-packages', '--no-services'],
        binds: { ...privateHost.binds, '/mnt': bundleDir },
      });
      return { run, changed: () => privateHost.before(), before };
    }

    it(`a bundle for ${line} passes`, () => {
      const spec = line === '4.3' ? bundle43 : bundleOf('compose-4.0.yaml');
      const host = line === '4.3' ? 'rmq-1' : spec.plans[0]!.host;
      const { run } = runInRoot(spec, host);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('installed /etc/rabbitmq/rabbitmq.conf (0644 root:rabbitmq)\n');
    });

    it('a 3.10 bundle is refused: RabbitMQ cannot be downgraded, and the message names the bundle that fits', () => {
      const { run, changed, before } = runInRoot(bundle310, 'mq-a');
      expect(run.stderr).toBe(
        `install.sh: rabbitmq-server ${rootVersion} is installed but this bundle is for RabbitMQ 3.10.x; RabbitMQ cannot be downgraded: ` +
          `synthesise the bundle for ${line} (rabbitmq.version: "${line}"); nothing was changed\n`,
      );
      expect(run.status).toBe(1);
      expect(changed()).toEqual(before);
    });
  });

  it('--no-packages on a host without rabbitmq-server is refused too (no files for a server that is not there)', () => {
    const bundleDir = folder('bundle-none');
    writeBundle(bundle43.files, bundleDir);
    const host = privateRabbitmqHost();
    const before = host.before();
    const run = runPrivately({
      command: [join(bundleDir, 'vm/rmq-1/install.sh'), '--no-packages'],
      binds: { ...host.binds, '/var/lib/dpkg/status': statusWithout(/^(rabbitmq-server|erlang.*)$/) },
    });
    expect(run.stderr).toBe(
      'install.sh: rabbitmq-server is not installed and --no-packages installs nothing; install RabbitMQ 4.3.x or run without --no-packages; nothing was changed\n',
    );
    expect(run.status).toBe(1);
    expect(host.before()).toEqual(before);
  });
});
