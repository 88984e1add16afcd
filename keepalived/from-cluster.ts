/**
 * keepalivedConfigsFromCluster: one keepalived.conf per load-balancer host. Every host starts BACKUP;
 * priorities and the check weight come resolved from the model, where they are derived so that a host
 * whose HAProxy check fails drops strictly below every healthy peer.
 */
import type { ResolvedCluster, SecretValues } from '../model/internal';
import { secretValue, secretValueRules, SpecError } from '../model/internal';
import { HAPROXY_CHECK_SCRIPT_PATH, HAPROXY_FAILING_FILE, haproxyProbeFromCluster } from './check-script';
import type { KeepalivedConfig, VrrpInstance } from './config';

/**
 * How often the holder repeats its gratuitous ARP. A load balancer cut off with a minority (it still reaches the
 * clients, not its peer) takes the virtual IP for a moment and announces it; once it gives the address up, clients keep
 * sending to it until their ARP entry ages out, because the real holder never changed state and so never announced
 * again: 50 s without a confirm in the chaos soak (bench/soak). A refresh bounds that to this many seconds, for one
 * broadcast frame per period.
 */
const GARP_REFRESH_SECONDS = 5;

const CHECK_SCRIPT_NAME = 'chk_haproxy';
const FAILING_FILE_NAME = 'haproxy_failing';
/** keepalived's convention for the unprivileged script user; the VM bundle creates it. */
export const KEEPALIVED_SCRIPT_USER = 'keepalived_script';

/**
 * Longest time from the holder losing its HAProxy, or its link, to a backup holding the virtual IP. The checker asks
 * every probe interval and writes its verdict at once: two refused questions after HAProxy died (`haproxyDeadMs`), or
 * `failAfterMs` without a 200 (plus one question's timeout and pause) when it hangs (`haproxyHungMs`). Keepalived
 * reads the file the moment it changes. A FAULT holder (weight 0) sends a priority-0 advert and the backup takes over
 * after its skew time, under one advert interval; a holder whose priority only dropped is ignored by the backup,
 * which waits out 3 adverts plus the skew. A holder cut off sends nothing: 3 adverts plus the skew (`linkCutMs`).
 */
export function vipFailoverBoundsMs(cluster: ResolvedCluster): { readonly haproxyDeadMs: number; readonly haproxyHungMs: number; readonly linkCutMs: number } {
  const k = cluster.loadBalancer?.keepalived;
  if (!k) throw new Error(`cluster "${cluster.name}" has no loadBalancer section; it has no virtual IP to move`);
  const probe = haproxyProbeFromCluster(cluster);
  const masterDownMs = 4 * k.advertIntervalMs;
  const takeoverMs = k.check.weight === 0 ? k.advertIntervalMs : masterDownMs;
  return {
    haproxyDeadMs: 2 * probe.probeIntervalMs + takeoverMs,
    haproxyHungMs: probe.failAfterMs + probe.probeTimeoutMs + probe.probeIntervalMs + takeoverMs,
    linkCutMs: masterDownMs,
  };
}

export function keepalivedConfigsFromCluster(cluster: ResolvedCluster, secrets: SecretValues): readonly { host: string; config: KeepalivedConfig }[] {
  const lb = cluster.loadBalancer;
  if (!lb?.virtualIp) return [];
  const k = lb.keepalived;
  const vip = lb.virtualIp;
  // The CLI judges secret values with the spec; a library caller that skipped that still gets the same problems.
  const secretProblems = secretValueRules(cluster, secrets);
  if (secretProblems.length > 0) throw new SpecError(secretProblems);
  const password = k.authPass && secretValue(secrets, k.authPass);
  const priorities = lb.hosts.map((h) => `${h.host} ${h.priority}`).join(', ');
  const bounds = vipFailoverBoundsMs(cluster);
  const checkEffect =
    k.check.weight === 0
      ? 'a failed check puts this host in FAULT: its priority-0 advert hands the virtual IP over at once'
      : `a failed check changes the priority by ${k.check.weight}, below every healthy host (a backup takes over after 3 adverts)`;
  return lb.hosts.map((host) => {
    const instance: VrrpInstance = {
      name: `${cluster.name}-vip`,
      comment: [
        `Priorities ${priorities}; ${checkEffect}.`,
        `The virtual IP moves within ${bounds.haproxyDeadMs} ms of HAProxy dying here, ${bounds.haproxyHungMs} ms of it hanging, ${bounds.linkCutMs} ms of this host going silent.`,
        ...(k.nopreempt ? ['nopreempt: the virtual IP stays where it is when a higher-priority host returns.'] : []),
      ],
      state: 'BACKUP',
      interface: k.interface,
      virtualRouterId: k.virtualRouterId,
      version: k.vrrpVersion,
      priority: host.priority,
      advertIntervalMs: k.advertIntervalMs,
      garpRefreshSeconds: GARP_REFRESH_SECONDS,
      nopreempt: k.nopreempt,
      ...(k.peering === 'unicast' && {
        unicast: { sourceAddress: host.address, peers: lb.hosts.filter((peer) => peer.host !== host.host).map((peer) => peer.address) },
      }),
      ...(password !== undefined && { authentication: { type: 'PASS', password } }),
      virtualAddresses: [{ address: vip.address, prefixLength: vip.prefixLength, device: k.interface }],
      trackScripts: [{ name: CHECK_SCRIPT_NAME, weight: k.check.weight }],
      // The file holds 1 while failing: a negative weight lowers the priority by its size, as a failing script does.
      trackFiles: [{ name: FAILING_FILE_NAME, weight: -Math.abs(k.check.weight) }],
      notify: k.notify,
    };
    const config: KeepalivedConfig = {
      header: [
        `keepalived.conf for ${host.host} (${host.address}), virtual IP ${vip.address}/${vip.prefixLength} of cluster "${cluster.name}", generated by warren.`,
        'Edit the spec and synthesise again rather than this file.',
      ],
      global: { routerId: host.host, enableScriptSecurity: true, scriptUser: KEEPALIVED_SCRIPT_USER },
      scripts: [
        {
          name: CHECK_SCRIPT_NAME,
          path: HAPROXY_CHECK_SCRIPT_PATH,
          intervalSeconds: k.check.intervalSeconds,
          timeoutSeconds: 1,
          // The checker already waited checkRise intervals of 200s before it wrote 0.
          rise: 1,
          fall: k.check.fall,
        },
      ],
      // A host whose checker has not written yet starts failing.
      trackFiles: [{ name: FAILING_FILE_NAME, path: HAPROXY_FAILING_FILE, initialValue: 1 }],
      instances: [instance],
    };
    return { host: host.host, config };
  });
}
