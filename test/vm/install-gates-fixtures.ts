/**
 * Shared by the install.sh gate tests: the bundles of the VM examples, private host folders, a dpkg status
 * without some packages, local apt repositories and throwaway signing keys. Each test file that imports this
 * gets its own scratch folder, removed after its tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { vmBundleFiles, vmInstallPlans } from '../../vm';
import { fixtureSecrets, loadExample } from '../support/fixtures';
import { snapshot } from './private-host';
export const scratch = mkdtempSync(join(tmpdir(), 'warren-vm-gates-'));
// apt's download methods run as _apt, which must read the local repositories below.
chmodSync(scratch, 0o755);
afterAll(() => {
  for (const home of ['gnupg-team', 'gnupg-impostor']) {
    if (existsSync(join(scratch, home))) spawnSync('gpgconf', ['--homedir', join(scratch, home), '--kill', 'all']);
  }
  rmSync(scratch, { recursive: true, force: true });
});

export interface Bundle {
  readonly files: ReturnType<typeof vmBundleFiles>;
  readonly plans: ReturnType<typeof vmInstallPlans>;
}

export function bundleOf(example: string): Bundle {
  const cluster = resolveCluster(loadExample(example) as ClusterSpec);
  const secrets = fixtureSecrets(cluster);
  return { files: vmBundleFiles(cluster, secrets), plans: vmInstallPlans(cluster, secrets) };
}

/**
 * /etc/hosts of a host that already has the bundle's block: the script rewrites a changed block with sed -i, which
 * cannot replace a bind-mounted file.
 */
export function hostsFile(bundle: Bundle, host: string): string {
  const plan = bundle.plans.find((p) => p.host === host)!;
  const block = plan.hostsEntries.length === 0 ? '' : `# BEGIN warren ${host}\n${plan.hostsEntries.map((e) => `${e.address} ${e.name}\n`).join('')}# END warren ${host}\n`;
  return `127.0.0.1 localhost\n${block}`;
}

export const bundle43 = bundleOf('lb-vm-4.3.yaml');
export const bundle310 = bundleOf('lb-vm-3.10.yaml');

let counter = 0;
/** A fresh folder of this test run. */
export function folder(name: string): string {
  const dir = join(scratch, `${++counter}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The folders a RabbitMQ host's install.sh writes, as private folders holding what a host had before. */
export function privateRabbitmqHost(hosts = '127.0.0.1 localhost\n'): { binds: Record<string, string>; before: () => Record<string, string> } {
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

export function hostVersion(pkg: string): string {
  return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
}

/** A copy of this machine's dpkg status without the packages whose names match: a host where they were never installed. */
export function statusWithout(packages: RegExp): string {
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/).filter(Boolean);
  const kept = stanzas.filter((stanza) => !packages.test(/^Package: (.+)$/m.exec(stanza)?.[1] ?? ''));
  expect(kept.length).toBeLessThan(stanzas.length);
  const file = join(folder('dpkg'), 'status');
  writeFileSync(file, `${kept.join('\n\n')}\n`);
  return file;
}

export interface FakePackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: 'all' | 'amd64';
  readonly depends?: string;
}

/** A local apt repository (suite bookworm, component main, amd64), signed with `gnupgHome`'s key or unsigned. */
export function writeRepository(dir: string, packages: readonly FakePackage[], gnupgHome?: string): void {
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
export function throwawayKey(home: string, name: string): { fingerprint: string; armoured: string } {
  mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--quiet', '--homedir', home, ...args], { encoding: 'utf8' });
  gpg('--passphrase', '', '--quick-gen-key', `${name} <test@example.invalid>`, 'ed25519', 'sign', 'never');
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys'))![1]!;
  return { fingerprint, armoured: gpg('--armor', '--export', fingerprint) };
}
