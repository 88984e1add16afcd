/**
 * The RabbitMQ team's repositories as install.sh configures them: its key check and apt files, read by real apt
 * offline (the repositories are not reachable from here, so local copies signed by a throwaway key stand in).
 * Proved with the real script and programs in private folders (test/vm/private-host.ts); shared set-up in
 * install-gates-fixtures.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderInstallScript } from '../../vm';
import { RABBITMQ_TEAM_REPOSITORIES } from '../../vm/rabbitmq-apt';
import { loggedCalls, runPrivately, snapshot, writeBundle, writeStubs, type PrivateRun } from './private-host';
import { scratch, bundle43, folder, privateRabbitmqHost, statusWithout, writeRepository, throwawayKey } from './install-gates-fixtures';

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
