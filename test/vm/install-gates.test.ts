/**
 * What install.sh refuses before it changes anything, proved with the real script, dpkg, apt, gpg and keepalived:
 * a rabbitmq-server of another line than the bundle's (this machine has Debian 12's 3.10.8; the test roots have
 * Debian's 4.3.6 and 4.0.5), a signing key that is not the RabbitMQ team's, and a keepalived.conf that keepalived -t
 * rejects. The apt files the script writes are read by real apt, offline: the RabbitMQ team's repositories are not
 * reachable from here, so local copies signed by a throwaway key stand in for them (see "not tested" in README).
 * Every run is private (test/vm/private-host.ts): bind-mounted copies of what it writes, and no network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { renderInstallScript, vmBundleFiles, vmInstallPlans } from '../../vm';
import { RABBITMQ_TEAM_REPOSITORIES } from '../../vm/rabbitmq-apt';
import { rabbitmqRuntime } from '../lab/runtimes';
import { fixtureSecrets, loadExample } from '../support/fixtures';
import { loggedCalls, runPrivately, snapshot, writeBundle, writeStubs, type PrivateRun } from './private-host';

const scratch = mkdtempSync(join(tmpdir(), 'warren-vm-gates-'));
// apt's download methods run as _apt, which must read the local repositories below.
chmodSync(scratch, 0o755);
afterAll(() => {
  for (const home of ['gnupg-team', 'gnupg-impostor']) {
    if (existsSync(join(scratch, home))) spawnSync('gpgconf', ['--homedir', join(scratch, home), '--kill', 'all']);
  }
  rmSync(scratch, { recursive: true, force: true });
});

interface Bundle {
  readonly files: ReturnType<typeof vmBundleFiles>;
  readonly plans: ReturnType<typeof vmInstallPlans>;
}

function bundleOf(example: string): Bundle {
  const cluster = resolveCluster(loadExample(example) as ClusterSpec);
  const secrets = fixtureSecrets(cluster);
  return { files: vmBundleFiles(cluster, secrets), plans: vmInstallPlans(cluster, secrets) };
}

/**
 * /etc/hosts of a host that already has the bundle's block: the script rewrites a changed block with sed -i, which
 * cannot replace a bind-mounted file.
 */
function hostsFile(bundle: Bundle, host: string): string {
  const plan = bundle.plans.find((p) => p.host === host)!;
  const block = plan.hostsEntries.length === 0 ? '' : `# BEGIN warren ${host}\n${plan.hostsEntries.map((e) => `${e.address} ${e.name}\n`).join('')}# END warren ${host}\n`;
  return `127.0.0.1 localhost\n${block}`;
}

const bundle43 = bundleOf('lb-vm-4.3.yaml');
const bundle310 = bundleOf('lb-vm-3.10.yaml');

let counter = 0;
/** A fresh folder of this test run. */
function folder(name: string): string {
  const dir = join(scratch, `${++counter}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The folders a RabbitMQ host's install.sh writes, as private folders holding what a host had before. */
function privateRabbitmqHost(hosts = '127.0.0.1 localhost\n'): { binds: Record<string, string>; before: () => Record<string, string> } {
  const top = folder('host');
  const etc = join(top, 'etc-rabbitmq');
  const lib = join(top, 'var-lib-rabbitmq');
  mkdirSync(etc);
  mkdirSync(lib);
  writeFileSync(join(etc, 'rabbitmq.conf'), "# the host's own configuration\n");
  writeFileSync(join(lib, '.erlang.cookie'), 'THEHOSTSOWNCOOKIE', { mode: 0o400 });
  writeFileSync(join(top, 'hosts'), hosts);
  mkdirSync(join(top, 'usr-local-lib'));
  mkdirSync(join(top, 'systemd-system'));
  const binds = {
    '/etc/rabbitmq': etc,
    '/var/lib/rabbitmq': lib,
    '/etc/hosts': join(top, 'hosts'),
    '/usr/local/lib': join(top, 'usr-local-lib'),
    '/etc/systemd/system': join(top, 'systemd-system'),
  };
  return { binds, before: () => snapshot(top) };
}

function hostVersion(pkg: string): string {
  return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
}

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

/** A copy of this machine's dpkg status without the packages whose names match: a host where they were never installed. */
function statusWithout(packages: RegExp): string {
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/).filter(Boolean);
  const kept = stanzas.filter((stanza) => !packages.test(/^Package: (.+)$/m.exec(stanza)?.[1] ?? ''));
  expect(kept.length).toBeLessThan(stanzas.length);
  const file = join(folder('dpkg'), 'status');
  writeFileSync(file, `${kept.join('\n\n')}\n`);
  return file;
}

interface FakePackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: 'all' | 'amd64';
  readonly depends?: string;
}

/** A local apt repository (suite bookworm, component main, amd64), signed with `gnupgHome`'s key or unsigned. */
function writeRepository(dir: string, packages: readonly FakePackage[], gnupgHome?: string): void {
  const index = join(dir, 'dists/bookworm/main/binary-amd64');
  mkdirSync(index, { recursive: true });
  const text = packages
    .map((p) =>
      [
        `Package: ${p.name}`,
        `Version: ${p.version}`,
        `Architecture: ${p.architecture}`,
        'Maintainer: warren tests <test@example.invalid>',
        ...(p.depends ? [`Depends: ${p.depends}`] : []),
        `Filename: pool/${p.name}_${p.version.replace(':', '%3a')}_${p.architecture}.deb`,
        'Size: 1',
        `SHA256: ${'0'.repeat(64)}`,
        'Description: stand-in package (never downloaded)',
        '',
      ].join('\n'),
    )
    .join('\n');
  writeFileSync(join(index, 'Packages'), text);
  const hash = createHash('sha256').update(text).digest('hex');
  const release = [
    'Origin: warren tests',
    'Suite: bookworm',
    'Codename: bookworm',
    `Date: ${new Date().toUTCString()}`,
    'Architectures: amd64',
    'Components: main',
    'SHA256:',
    ` ${hash} ${Buffer.byteLength(text)} main/binary-amd64/Packages`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'dists/bookworm/Release'), release);
  if (gnupgHome) {
    execFileSync('gpg', ['--batch', '--quiet', '--homedir', gnupgHome, '--yes', '--clearsign', '-o', join(dir, 'dists/bookworm/InRelease'), join(dir, 'dists/bookworm/Release')]);
  }
}

/** A throwaway signing key; returns its fingerprint and armoured public key. */
function throwawayKey(home: string, name: string): { fingerprint: string; armoured: string } {
  mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--quiet', '--homedir', home, ...args], { encoding: 'utf8' });
  gpg('--passphrase', '', '--quick-gen-key', `${name} <test@example.invalid>`, 'ed25519', 'sign', 'never');
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys'))![1]!;
  return { fingerprint, armoured: gpg('--armor', '--export', fingerprint) };
}

describe("the RabbitMQ team's repositories: install.sh's key check and apt files, read by real apt (offline)", () => {
  const teamUrl = RABBITMQ_TEAM_REPOSITORIES.key.urls[0]!;
  let team: { fingerprint: string; armoured: string };
  let impostor: { fingerprint: string; armoured: string };
  /** What the script wrote in the successful run: its /etc/apt and /usr/share/keyrings. */
  let written: { apt: string; keyrings: string; stdout: string; stderr: string; status: number | null };

  /** A Debian 12 host without RabbitMQ or Erlang whose only repository is a local stand-in for Debian's. */
  function freshHost() {
    const top = folder('fresh');
    const apt = join(top, 'apt');
    cpSync('/etc/apt', apt, { recursive: true });
    rmSync(join(apt, 'sources.list.d'), { recursive: true, force: true });
    rmSync(join(apt, 'sources.list'), { force: true });
    mkdirSync(join(apt, 'sources.list.d'));
    const debian = join(top, 'debian');
    writeRepository(debian, [
      { name: 'rabbitmq-server', version: '3.10.8-1.1+deb12u1', architecture: 'all', depends: 'erlang-base (>= 1:24.2)' },
      { name: 'erlang-base', version: '1:25.2.3+dfsg-1+deb12u4', architecture: 'amd64' },
    ]);
    writeFileSync(join(apt, 'sources.list.d/debian.sources'), `Types: deb\nURIs: file:${debian}\nSuites: bookworm\nComponents: main\nTrusted: yes\n`);
    const keyrings = join(top, 'keyrings');
    cpSync('/usr/share/keyrings', keyrings, { recursive: true });
    for (const dir of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(top, dir), { recursive: true });
    const binds = {
      '/etc/apt': apt,
      '/usr/share/keyrings': keyrings,
      '/var/lib/apt/lists': join(top, 'lists'),
      '/var/cache/apt': join(top, 'cache'),
      '/var/lib/dpkg/status': statusWithout(/^(rabbitmq-server|erlang.*)$/),
    };
    return { top, apt, keyrings, binds };
  }

  /** Serves `key` for every URL, logging it: curl is the one program here that would need the network. */
  function curlServing(key: string, log: string): string {
    const stubs = folder('curl');
    writeStubs(stubs, ['systemctl', 'rabbitmqctl', 'useradd'], log);
    writeFileSync(join(stubs, 'key.asc'), key);
    writeFileSync(
      join(stubs, 'curl'),
      `#!/bin/sh\nout=""; url=""\nwhile [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift 2 ;; *) url=$1; shift ;; esac; done\necho "curl $url" >> ${log}\ncp ${join(stubs, 'key.asc')} "$out"\n`,
      { mode: 0o755 },
    );
    return stubs;
  }

  function runNode(script: string, host: ReturnType<typeof freshHost>, stubs: string, options: { args?: string[]; binds?: Record<string, string> } = {}): ReturnType<typeof runPrivately> {
    const bundleDir = folder('bundle');
    writeBundle(bundle43.files, bundleDir);
    const scriptPath = join(bundleDir, 'vm/rmq-1/install.sh');
    writeFileSync(scriptPath, script);
    const rabbitmq = privateRabbitmqHost();
    const run: PrivateRun = {
      command: [scriptPath, '--no-services', ...(options.args ?? [])],
      binds: { ...host.binds, ...rabbitmq.binds, ...options.binds },
      path: stubs,
    };
    const before = rabbitmq.before();
    const result = runPrivately(run);
    // Whatever happened with apt, no file of the bundle was put in place.
    expect(rabbitmq.before()).toEqual(before);
    return result;
  }

  const script43 = () => bundle43.files.find((f) => f.path === 'vm/rmq-1/install.sh')!.content;

  beforeAll(() => {
    team = throwawayKey(join(scratch, 'gnupg-team'), 'warren test stand-in for the RabbitMQ team');
    impostor = throwawayKey(join(scratch, 'gnupg-impostor'), 'warren test impostor');
  });

  it("refuses a key whose fingerprint is not the team's: apt is not told to trust it, and no repository is added", () => {
    const host = freshHost();
    const log = join(host.top, 'calls.log');
    const keyringsBefore = snapshot(host.keyrings);
    const run = runNode(script43(), host, curlServing(impostor.armoured, log));
    expect(run.stderr).toBe(
      `install.sh: ${teamUrl} did not give the RabbitMQ team's signing key (one key, fingerprint ${RABBITMQ_TEAM_REPOSITORIES.key.fingerprint}, ` +
        'with a user ID); apt was not told to trust it and rabbitmq-server was not installed\n',
    );
    expect(run.status).toBe(1);
    // The local Debian offers 3.10.8 only, so the script went for the team's repositories, fetching the key once.
    expect(loggedCalls(log)).toEqual([`curl ${teamUrl}`]);
    expect(snapshot(host.keyrings)).toEqual(keyringsBefore);
    expect(existsSync(join(host.apt, 'sources.list.d/warren-rabbitmq.sources'))).toBe(false);
    expect(run.stdout).toBe('installed /etc/apt/preferences.d/warren-rabbitmq (0644 root:root)\n');
  });

  it('--no-repositories adds none: where the distribution offers 3.10.8 only, it refuses without fetching a key', () => {
    const host = freshHost();
    const log = join(host.top, 'calls.log');
    const run = runNode(script43(), host, curlServing(team.armoured, log), { args: ['--no-repositories'] });
    expect(run.stderr).toBe(
      "install.sh: apt's candidate for rabbitmq-server is 3.10.8-1.1+deb12u1, not RabbitMQ 4.3.x; give this host a repository that has it " +
        '(https://www.rabbitmq.com/docs/install-debian); rabbitmq-server was not installed\n',
    );
    expect(run.status).toBe(1);
    expect(loggedCalls(log)).toEqual([]);
    expect(existsSync(join(host.apt, 'sources.list.d/warren-rabbitmq.sources'))).toBe(false);
  });

  it('a release the team does not serve (Debian forky) is refused with the list of those it serves', () => {
    const host = freshHost();
    const log = join(host.top, 'calls.log');
    const osRelease = join(host.top, 'os-release');
    writeFileSync(osRelease, 'PRETTY_NAME="Debian GNU/Linux forky/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=forky\nID=debian\n');
    const run = runNode(script43(), host, curlServing(team.armoured, log), { binds: { '/etc/os-release': osRelease } });
    expect(run.stderr).toBe(
      "install.sh: the RabbitMQ team's apt repositories serve Debian bullseye, bookworm, trixie and Ubuntu focal, jammy, noble, resolute, " +
        'not debian forky; run with --no-repositories once a repository of this host carries RabbitMQ 4.3\n',
    );
    expect(run.status).toBe(1);
    expect(loggedCalls(log)).toEqual([]);
  });

  it('with the stand-in key as the expected one: writes the keyring and the sources, then refuses what apt offers without the repositories', () => {
    const host = freshHost();
    const log = join(host.top, 'calls.log');
    const plan = bundle43.plans.find((p) => p.host === 'rmq-1')!;
    const rabbitmq = plan.rabbitmq!;
    const standIn = renderInstallScript({
      ...plan,
      rabbitmq: { ...rabbitmq, repositories: { ...rabbitmq.repositories, key: { ...rabbitmq.repositories.key, fingerprint: team.fingerprint } } },
    });
    // The stand-in differs from the real script by the fingerprint only.
    expect(standIn.replaceAll(team.fingerprint, RABBITMQ_TEAM_REPOSITORIES.key.fingerprint)).toBe(script43());
    const run = runNode(standIn, host, curlServing(team.armoured, log));
    written = { apt: host.apt, keyrings: host.keyrings, ...run };

    expect(run.stdout).toBe(
      [
        'installed /etc/apt/preferences.d/warren-rabbitmq (0644 root:root)',
        'installed /usr/share/keyrings/com.rabbitmq.team.gpg (0644 root:root)',
        'installed /etc/apt/sources.list.d/warren-rabbitmq.sources (0644 root:root)',
        '',
      ].join('\n'),
    );
    // No network here: apt cannot reach deb1/deb2.rabbitmq.com, so its candidate stays Debian's 3.10.8.
    expect(run.stderr).toMatch(/deb1\.rabbitmq\.com/);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      "install.sh: apt's candidate for rabbitmq-server is 3.10.8-1.1+deb12u1, not RabbitMQ 4.3.x; give this host a repository that has it " +
        '(https://www.rabbitmq.com/docs/install-debian); rabbitmq-server was not installed',
    );
    expect(run.status).toBe(1);
    expect(readFileSync(join(host.apt, 'sources.list.d/warren-rabbitmq.sources'), 'utf8')).toBe(
      [
        'Types: deb',
        'URIs: https://deb1.rabbitmq.com/rabbitmq-erlang/debian/bookworm https://deb2.rabbitmq.com/rabbitmq-erlang/debian/bookworm',
        'Suites: bookworm',
        'Components: main',
        'Architectures: amd64',
        'Signed-By: /usr/share/keyrings/com.rabbitmq.team.gpg',
        '',
        'Types: deb',
        'URIs: https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm https://deb2.rabbitmq.com/rabbitmq-server/debian/bookworm',
        'Suites: bookworm',
        'Components: main',
        'Architectures: amd64',
        'Signed-By: /usr/share/keyrings/com.rabbitmq.team.gpg',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(host.keyrings, 'com.rabbitmq.team.gpg'))).toEqual(execFileSync('gpg', ['--dearmor'], { input: team.armoured }));
  });

  /** Real apt with the script's files, the deb1/deb2 URIs pointed at local copies of the team's repositories. */
  function aptWithWrittenFiles(signer: string, keyring: Buffer) {
    expect(written?.status).toBe(1);
    const host = freshHost();
    const mirrors = folder('mirrors');
    for (const mirror of ['deb1', 'deb2']) {
      writeRepository(
        join(mirrors, mirror, 'rabbitmq-server/debian/bookworm'),
        [
          { name: 'rabbitmq-server', version: '4.3.6-1', architecture: 'all', depends: 'erlang-base (>= 1:26.2)' },
          { name: 'rabbitmq-server', version: '4.4.0-1', architecture: 'all', depends: 'erlang-base (>= 1:27)' },
        ],
        signer,
      );
      writeRepository(
        join(mirrors, mirror, 'rabbitmq-erlang/debian/bookworm'),
        [
          { name: 'erlang-base', version: '1:27.3.4.6-1', architecture: 'amd64' },
          { name: 'erlang-base', version: '1:28.1.1-1', architecture: 'amd64' },
        ],
        signer,
      );
    }
    const sources = readFileSync(join(written.apt, 'sources.list.d/warren-rabbitmq.sources'), 'utf8');
    writeFileSync(join(host.apt, 'sources.list.d/warren-rabbitmq.sources'), sources.replace(/https:\/\/(deb[12])\.rabbitmq\.com/g, `file:${mirrors}/$1`));
    copyFileSync(join(written.apt, 'preferences.d/warren-rabbitmq'), join(host.apt, 'preferences.d/warren-rabbitmq'));
    writeFileSync(join(host.keyrings, 'com.rabbitmq.team.gpg'), keyring);
    return runPrivately({
      command: ['sh', '-c', 'apt-get update -q; apt-cache policy rabbitmq-server erlang-base; apt-get install -s rabbitmq-server'],
      binds: host.binds,
    });
  }

  it("apt verifies the local copies with the keyring the script wrote, and the pin picks 4.3.6 and Erlang 27 over 4.4.0, 28 and Debian's 3.10.8", () => {
    const run = aptWithWrittenFiles(join(scratch, 'gnupg-team'), readFileSync(join(written.keyrings, 'com.rabbitmq.team.gpg')));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/rabbitmq-server:\n {2}Installed: \(none\)\n {2}Candidate: 4\.3\.6-1\n/);
    expect(run.stdout).toMatch(/ {5}4\.3\.6-1 999\n/);
    expect(run.stdout).toMatch(/ {5}4\.4\.0-1 500\n/);
    expect(run.stdout).toMatch(/erlang-base:\n {2}Installed: \(none\)\n {2}Candidate: 1:27\.3\.4\.6-1\n/);
    expect(run.stdout).toContain('Inst erlang-base (1:27.3.4.6-1 ');
    expect(run.stdout).toContain('Inst rabbitmq-server (4.3.6-1 ');
  });

  it('and refuses the same copies signed by another key, so the check above can fail', () => {
    const run = aptWithWrittenFiles(join(scratch, 'gnupg-impostor'), readFileSync(join(written.keyrings, 'com.rabbitmq.team.gpg')));
    expect(run.stderr).toContain('NO_PUBKEY');
    expect(run.stdout).toMatch(/rabbitmq-server:\n {2}Installed: \(none\)\n {2}Candidate: 3\.10\.8-1\.1\+deb12u1\n/);
  });
});

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
