/**
 * Which programs a lab host runs: this machine's Debian 12 packages, or a newer Debian root file system
 * built by test/roots/roots.sh (the tests' global set-up builds every root first). A missing root is an
 * error that names the command to build it, never a skipped test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** RabbitMQ lines the lab can run: 3.10 from this machine, 4.0 from Debian trixie, 4.3 from forky. */
export type RabbitmqLine = '3.10' | '4.0' | '4.3';
/** HAProxy/Keepalived builds: bookworm's 2.6 / 2.2.7 on this machine, or sid's 3.2 / 2.3. */
export type LoadBalancerBuild = 'bookworm' | 'sid';

export interface Runtime {
  /** Root file system to chroot into; undefined: this machine's own files. */
  readonly root: string | undefined;
  /** Package versions the root (or this machine) holds, e.g. { 'rabbitmq-server': '4.3.6-1' }. */
  readonly versions: Readonly<Record<string, string>>;
}

export const RABBITMQ_LINES: readonly RabbitmqLine[] = ['3.10', '4.0', '4.3'];

const RABBITMQ_ROOTS: Record<RabbitmqLine, string | undefined> = { '3.10': undefined, '4.0': 'rabbitmq-4.0', '4.3': 'rabbitmq-4.3' };
const LOAD_BALANCER_ROOTS: Record<LoadBalancerBuild, string | undefined> = { bookworm: undefined, sid: 'lb-sid' };

export function rootsDir(): string {
  return process.env.WARREN_ROOTS ?? resolve(__dirname, '../../.roots');
}

/** The lab line that runs a spec's RabbitMQ version ("4.3", "4.3.6", "3.10.8"...); throws for a line the lab lacks. */
export function rabbitmqLineOf(version: string): RabbitmqLine {
  const line = RABBITMQ_LINES.find((l) => version === l || version.startsWith(`${l}.`));
  if (line === undefined) throw new Error(`the lab runs RabbitMQ ${RABBITMQ_LINES.join(', ')}, not ${version}; give the spec one of these lines`);
  return line;
}

export function rabbitmqRuntime(line: RabbitmqLine): Runtime {
  return runtime(RABBITMQ_ROOTS[line], ['rabbitmq-server', 'erlang-base']);
}

export function loadBalancerRuntime(build: LoadBalancerBuild): Runtime {
  const result = runtime(LOAD_BALANCER_ROOTS[build], ['haproxy', 'keepalived']);
  // What the package's tmpfiles.d entry makes at boot on a real host (the runtime API socket's folder): a root
  // is never booted, so it is made here, by the root's own install and user names.
  if (result.root !== undefined && !existsSync(join(result.root, 'run', 'haproxy'))) {
    const made = spawnSync('chroot', [result.root, 'install', '-d', '-m', '2775', '-o', 'haproxy', '-g', 'haproxy', '/run/haproxy'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`/run/haproxy in ${result.root}: ${made.stderr}`);
  }
  return result;
}

function runtime(name: string | undefined, packages: readonly string[]): Runtime {
  if (name === undefined) return { root: undefined, versions: hostVersions(packages) };
  const root = join(rootsDir(), name);
  const stamp = `${root}.versions`;
  if (!existsSync(stamp)) {
    throw new Error(`root "${name}" is not built (no ${stamp}); build it with: test/roots/roots.sh build ${name}`);
  }
  return { root, versions: parseVersions(readFileSync(stamp, 'utf8')) };
}

function hostVersions(packages: readonly string[]): Record<string, string> {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', ...packages], { encoding: 'utf8' });
  return parseVersions(result.stdout ?? '');
}

function parseVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [pkg, version] = line.split(' ');
    if (pkg && version && !pkg.startsWith('#')) versions[pkg] = version;
  }
  return versions;
}
