/**
 * The real HAProxy and Keepalived that check generated configs: this machine's Debian 12 builds (HAProxy 2.6,
 * keepalived 2.2.7) and Debian sid's (HAProxy 3.2, keepalived 2.3, from the root test/roots/roots.sh builds).
 * Each check runs in private namespaces: nothing changes outside it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadBalancerRuntime, type LoadBalancerBuild } from '../lab/runtimes';

export const LOAD_BALANCER_BUILDS: readonly LoadBalancerBuild[] = ['bookworm', 'sid'];

export interface ProgramResult {
  readonly status: number | null;
  readonly output: string;
}

/** `haproxy -c -V -f <file>` of one build (3.x prints "Configuration file is valid" only when verbose). */
export function haproxyCheck(file: string, build: LoadBalancerBuild): ProgramResult {
  const { root } = loadBalancerRuntime(build);
  if (root === undefined) return result(spawnSync('haproxy', ['-c', '-V', '-f', file], { encoding: 'utf8' }));
  const script = `mount --bind "$1" "$2/mnt" && exec chroot "$2" haproxy -c -V -f "/mnt/$3"`;
  return result(spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'check', dirname(file), root, basename(file)], { encoding: 'utf8' }));
}

export interface KeepalivedTestFiles {
  /** What /etc/keepalived holds (check scripts); the build's own files are copied in first. */
  readonly etcDir: string;
  /** /etc/passwd and /etc/group that know the config's script_user. */
  readonly passwd: string;
  readonly group: string;
}

/**
 * `keepalived -t -f <conf>` of one build, as PID 1 of a fresh PID namespace (2.2.7's config test otherwise kills
 * itself after checking a script of a non-root script_user), in a fresh network namespace where `device` is one
 * end of a veth pair (keepalived checks the interface exists).
 */
export function keepalivedTest(conf: string, device: string, build: LoadBalancerBuild, files: KeepalivedTestFiles): ProgramResult {
  const root = loadBalancerRuntime(build).root ?? '';
  // keepalived 2.3 (Debian sid) refuses to start without its package's keepalived.config-opts in /etc/keepalived.
  const packaged = `${root}/etc/keepalived/keepalived.config-opts`;
  if (existsSync(packaged)) cpSync(packaged, `${files.etcDir}/keepalived.config-opts`);
  const confDir = dirname(conf);
  const mounts = [
    `ip link add ${device} type veth peer name peer0`,
    `ip link set ${device} up`,
    `mount --bind ${files.passwd} ${root}/etc/passwd`,
    `mount --bind ${files.group} ${root}/etc/group`,
    `mount --bind ${files.etcDir} ${root}/etc/keepalived`,
    ...(root === '' ? [] : [`mount --bind ${confDir} ${root}/mnt`, `mount -t proc proc ${root}/proc`]),
  ].join(' && ');
  const program = root === '' ? `keepalived -t -f ${conf}` : `chroot ${root} keepalived -t -f /mnt/${basename(conf)}`;
  return result(spawnSync('unshare', ['--mount', '--pid', '--net', '--fork', 'sh', '-c', `${mounts} && exec ${program}`], { encoding: 'utf8' }));
}

function result(run: ReturnType<typeof spawnSync>): ProgramResult {
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}
