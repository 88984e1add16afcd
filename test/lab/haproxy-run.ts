/**
 * The folder of the runtime API socket the VM haproxy.cfg names (/run/haproxy/admin.sock), bound to a fresh folder
 * per HAProxy start, as a real host has its own /run. Shared, it broke starts: HAProxy binds `admin.sock.<pid>.tmp`
 * and renames it, and two HAProxies started together in hosts of their own PID namespaces have the same pid, so one
 * removed the other's socket and that one exited ("cannot change UNIX socket ownership"; 1 start in 20 with
 * HAProxy 2.6 here). Every test that runs the VM haproxy.cfg in the lab mounts one.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BindMount } from './host-namespaces';
import type { Lab } from './lab';

export const HAPROXY_RUN_DIR = '/run/haproxy';

/** Starts per lab, numbering its folders (run/<host>-haproxy-<n>). */
const starts = new WeakMap<Lab, number>();

/** A bind mount of an empty folder, owned and moded as the package's (haproxy:haproxy 2775), on /run/haproxy. */
export function haproxyRunMount(lab: Lab, host: string, root = ''): BindMount {
  const packaged = `${root}${HAPROXY_RUN_DIR}`;
  if (!existsSync(packaged)) mkdirSync(packaged, { recursive: true }); // the bind mount's target, as tmpfiles.d makes it at boot
  const n = (starts.get(lab) ?? 0) + 1;
  starts.set(lab, n);
  const run = join(lab.tempDir, 'run', `${host}-haproxy-${n}`);
  mkdirSync(run, { recursive: true });
  const { uid, gid } = statSync(packaged);
  chownSync(run, uid, gid);
  chmodSync(run, 0o2775);
  return { source: run, target: HAPROXY_RUN_DIR };
}
