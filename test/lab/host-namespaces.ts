/**
 * The namespaces behind a lab: a switch namespace holding the bridge, one network namespace per host
 * cabled to it by a veth pair, and per host a small "holder" process that owns the host's UTS name
 * (and, optionally, its PID namespace). Every command of a host enters the holder's namespaces.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay, mustRun } from './commands';
import { renderHostsFile, type LabHost, type LabLayout } from './lab-spec';

/** The interface name every host sees, as on a VM or in a container. */
export const HOST_INTERFACE = 'eth0';

export async function buildNetwork(layout: LabLayout): Promise<void> {
  const sw = layout.switchNetns;
  await mustRun(['ip', 'netns', 'add', sw]);
  await mustRun(['ip', '-n', sw, 'link', 'set', 'lo', 'up']);
  // No IGMP snooping: multicast (VRRP, test datagrams) floods every port like on a dumb switch.
  await mustRun(['ip', '-n', sw, 'link', 'add', layout.bridge, 'type', 'bridge', 'mcast_snooping', '0']);
  await mustRun(['ip', '-n', sw, 'link', 'set', layout.bridge, 'up']);
  const hostsFile = renderHostsFile(layout);
  for (const host of layout.hosts) {
    mkdirSync(join('/etc/netns', host.netns), { recursive: true });
    writeFileSync(join('/etc/netns', host.netns, 'hosts'), hostsFile);
    await mustRun(['ip', 'netns', 'add', host.netns]);
    const ns = ['ip', '-n', host.netns];
    await mustRun([...ns, 'link', 'set', 'lo', 'up']);
    // Both ends are created inside their namespaces: the root namespace never sees a lab link or address.
    await mustRun(['ip', 'link', 'add', HOST_INTERFACE, 'netns', host.netns, 'type', 'veth', 'peer', 'name', host.switchPort, 'netns', sw]);
    await mustRun([...ns, 'addr', 'add', `${host.address}/${layout.prefixLength}`, 'dev', HOST_INTERFACE]);
    await mustRun([...ns, 'link', 'set', HOST_INTERFACE, 'up']);
    await mustRun([...ns, 'route', 'add', '224.0.0.0/4', 'dev', HOST_INTERFACE]);
    await mustRun(['ip', '-n', sw, 'link', 'set', host.switchPort, 'master', layout.bridge]);
    await mustRun(['ip', '-n', sw, 'link', 'set', host.switchPort, 'up']);
  }
}

export interface Holder {
  /** The process to kill (group leader, outside the host's PID namespace). */
  readonly leaderPid: number;
  /** The process whose namespaces every host command enters. */
  readonly targetPid: number;
}

// Reaps orphans (it is PID 1 of the host when the host has its own PID namespace) and otherwise sleeps.
const HOLDER_SCRIPT = `hostname "$1" && exec perl -e '$SIG{TERM} = sub { exit 0 }; while (1) { sleep 1 if waitpid(-1, 0) < 0 }'`;

export async function startHolder(layout: LabLayout, host: LabHost, logFile: string): Promise<Holder> {
  const pidNamespace = layout.ownPidNamespaces ? ['--pid', '--fork', '--mount-proc', '--kill-child'] : [];
  const argv = ['netns', 'exec', host.netns, 'unshare', '--uts', ...pidNamespace, '--', 'sh', '-c', HOLDER_SCRIPT, 'lab-holder', host.name];
  const log = openSync(logFile, 'a');
  const child = spawn('ip', argv, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const leaderPid = child.pid;
  if (leaderPid === undefined) throw new Error(`lab: could not start the namespace holder of host ${host.name}`);
  for (let attempt = 0; attempt < 200; attempt++) {
    const targetPid = layout.ownPidNamespaces ? firstChild(leaderPid) : leaderPid;
    if (targetPid !== undefined && commandName(targetPid) === 'perl') return { leaderPid, targetPid };
    if (child.exitCode !== null) break;
    await delay(25);
  }
  throw new Error(`lab: the namespace holder of host ${host.name} did not come up: ${readFileSync(logFile, 'utf8').trim()}`);
}

export interface BindMount {
  readonly source: string;
  readonly target: string;
}

// Runs in a fresh private mount namespace of the host: bind mounts first, then the program itself. With a
// root file system ($3 not empty) the targets are inside it, the host's /proc, /dev, /sys and hosts file are
// bound into it too, and the program runs chrooted there: one root can serve several hosts at once.
const WRAPPER_SCRIPT = [
  'cd "$1" 2>/dev/null || cd /',
  'n=$2; root=$3; shift 3',
  'while [ "$n" -gt 0 ]; do mount --bind "$1" "$root$2" || { echo "lab: cannot bind-mount $1 on $root$2" >&2; exit 125; }; shift 2; n=$((n - 1)); done',
  'if [ -n "$root" ]; then',
  '  for d in /proc /dev /sys; do mount --rbind "$d" "$root$d" || { echo "lab: cannot bind $d into $root" >&2; exit 125; }; done',
  '  mount --bind /etc/hosts "$root/etc/hosts" || { echo "lab: cannot bind /etc/hosts into $root" >&2; exit 125; }',
  '  exec chroot "$root" "$@"',
  'fi',
  'exec "$@"',
].join('\n');

/**
 * argv that runs `argv` inside a host: its network, UTS name, hosts file, PID namespace and the bind mounts;
 * inside `root` (a Debian root file system, see test/roots) when given, else on this machine's own files.
 */
export function hostCommand(holder: Holder, pidNamespace: boolean, bindMounts: readonly BindMount[], argv: readonly string[], root = ''): string[] {
  if (argv.length === 0) throw new Error('lab: argv is empty; give at least the program to run');
  if (root !== '' && !existsSync(join(root, 'etc/hosts'))) throw new Error(`lab: root "${root}" is not a root file system with /etc/hosts; build it with test/roots/roots.sh`);
  for (const mount of bindMounts) {
    if (!existsSync(mount.source)) throw new Error(`lab: bind mount source "${mount.source}" does not exist; create it first`);
    if (!existsSync(root + mount.target)) throw new Error(`lab: bind mount target "${root}${mount.target}" does not exist; mount over an existing path`);
  }
  return [
    'nsenter', '-t', String(holder.targetPid), '--net', '--uts', '--mount', ...(pidNamespace ? ['--pid'] : []), '--',
    'unshare', '--mount', '--propagation', 'private', '--',
    'sh', '-c', WRAPPER_SCRIPT, 'lab-exec', process.cwd(), String(bindMounts.length), root,
    ...bindMounts.flatMap((m) => [m.source, m.target]),
    ...argv,
  ];
}

function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first === undefined || first === '' ? undefined : Number(first);
  } catch {
    return undefined;
  }
}

function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
