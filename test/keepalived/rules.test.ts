/** Validation of the keepalived settings (exact texts) and the values resolveCluster derives for them. */
import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';
import { vipFailoverBoundsMs } from '../../keepalived';

type LoadBalancer = NonNullable<ClusterSpec['loadBalancer']>;

/** GIVEN two load-balancer hosts (priorities 100, 90) and a virtual IP, with `lb` merged in. */
function spec(lb: Partial<LoadBalancer> = {}): ClusterSpec {
  return {
    name: 'orders',
    nodes: [{ host: 'rmq-1', address: '10.0.0.11' }],
    loadBalancer: {
      hosts: [
        { host: 'lb-1', address: '10.0.0.21' },
        { host: 'lb-2', address: '10.0.0.22' },
      ],
      virtualIp: '10.0.0.100/24',
      ...lb,
    },
  };
}

function problemsOf(input: ClusterSpec): string[] {
  const result = validateSpec(input);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

describe('keepalived validation', () => {
  it('errors when the virtual router id is outside 1-255 or the VRRP version unknown', () => {
    expect(problemsOf(spec({ keepalived: { virtualRouterId: 0 } }))).toEqual([
      'loadBalancer.keepalived.virtualRouterId: "0" is not a VRRP virtual router id; give an integer between 1 and 255',
    ]);
    expect(problemsOf(spec({ keepalived: { virtualRouterId: 256, vrrpVersion: 4 as 3 } }))).toEqual([
      'loadBalancer.keepalived.virtualRouterId: "256" is not a VRRP virtual router id; give an integer between 1 and 255',
      'loadBalancer.keepalived.vrrpVersion: "4" is not a VRRP version; use 2 or 3',
    ]);
  });

  it('errors on authentication with VRRPv3, which has none', () => {
    expect(problemsOf(spec({ keepalived: { authPass: 'env:VRRP_PASS' } }))).toEqual([
      'loadBalancer.keepalived.authPass: "env:VRRP_PASS" is not allowed with VRRP version 3, which has no authentication; remove authPass, or set vrrpVersion: 2',
    ]);
    expect(problemsOf(spec({ keepalived: { authPass: 'env:VRRP_PASS', vrrpVersion: 2 } }))).toEqual([]);
  });

  it('errors on a sub-second advert interval with VRRPv2 and on one VRRPv3 cannot express', () => {
    expect(problemsOf(spec({ keepalived: { vrrpVersion: 2, advertIntervalMs: 500 } }))).toEqual([
      'loadBalancer.keepalived.advertIntervalMs: "500" is not a whole number of seconds, which VRRP version 2 requires; use 1000, 2000, ... or set vrrpVersion: 3 for sub-second adverts',
    ]);
    expect(problemsOf(spec({ keepalived: { advertIntervalMs: 105 } }))).toEqual([
      'loadBalancer.keepalived.advertIntervalMs: "105" is not a VRRPv3 interval; use a multiple of 10 ms up to 40950 (e.g. 100 for sub-second failover)',
    ]);
    expect(problemsOf(spec({ keepalived: { advertIntervalMs: 100 } }))).toEqual([]);
  });

  it('errors on a check weight that cannot move the virtual IP (the guide\'s tie: 100 - 10 = 90)', () => {
    expect(problemsOf(spec({ keepalived: { checkWeight: -10 } }))).toEqual([
      'loadBalancer.keepalived.checkWeight: "-10" is too small to move the virtual IP: with a failed check lb-1 (priority 100) is not below healthy lb-2 (priority 90); use a weight whose size exceeds 10, the spread of priorities (e.g. -20), within 1-254 after the change',
    ]);
    expect(problemsOf(spec({ keepalived: { checkWeight: 5 } }))).toEqual([
      'loadBalancer.keepalived.checkWeight: "5" is too small to move the virtual IP: with a failed check lb-1 (priority 100) is not below healthy lb-2 (priority 90); use a weight whose size exceeds 10, the spread of priorities (e.g. -20), within 1-254 after the change',
    ]);
    expect(problemsOf(spec({ keepalived: { checkWeight: -11 } }))).toEqual([]);
    expect(problemsOf(spec({ keepalived: { checkWeight: 11 } }))).toEqual([]);
  });

  it('counts keepalived\'s clamp to priority 1: a weight that pushes both hosts to 1 ties them', () => {
    const low = spec({ hosts: [{ host: 'lb-1', address: '10.0.0.21', priority: 1 }, { host: 'lb-2', address: '10.0.0.22', priority: 2 }], keepalived: { checkWeight: -5 } });
    expect(problemsOf(low)).toEqual([
      'loadBalancer.keepalived.checkWeight: "-5" is too small to move the virtual IP: with a failed check lb-2 (priority 2) is not below healthy lb-1 (priority 1); use a weight whose size exceeds 1, the spread of priorities (e.g. -11), within 1-254 after the change',
    ]);
  });

  it('errors on a weight with nopreempt, where only FAULT releases the virtual IP', () => {
    expect(problemsOf(spec({ keepalived: { nopreempt: true, checkWeight: -50 } }))).toEqual([
      'loadBalancer.keepalived.checkWeight: "-50" cannot move the virtual IP with nopreempt: a backup never takes over from a lower-priority holder; remove checkWeight (a failed check then puts the holder in FAULT, which releases the virtual IP)',
    ]);
    expect(problemsOf(spec({ keepalived: { nopreempt: true, checkWeight: 0 } }))).toEqual([]);
  });

  it('errors on a derived priority that ties an explicit one', () => {
    expect(problemsOf(spec({ hosts: [{ host: 'lb-1', address: '10.0.0.21', priority: 90 }, { host: 'lb-2', address: '10.0.0.22' }] }))).toEqual([
      'loadBalancer.hosts[1].priority: is missing and the derived priority 90 equals lb-1\'s; a tie never moves the virtual IP, give every host a distinct priority',
    ]);
  });

  it('errors on a fractional script interval, an odd interface name and a relative notify path, all at once', () => {
    expect(problemsOf(spec({ keepalived: { checkIntervalSeconds: 0.5, interface: 'eth 0', notify: { master: 'notify.sh' } } }))).toEqual([
      'loadBalancer.keepalived.interface: "eth 0" is not a network interface name; give the Linux name of the interface carrying the virtual IP (e.g. "eth0", "ens3")',
      'loadBalancer.keepalived.checkIntervalSeconds: "0.5" is not a whole number of seconds (keepalived 2.2 runs scripts at most once a second); give an integer between 1 and 3600',
      'loadBalancer.keepalived.notify.master: "notify.sh" is not an absolute path without spaces or quotes; give the full path of an executable, e.g. "/etc/keepalived/notify.sh"',
    ]);
  });
});

describe('resolved keepalived settings', () => {
  it('puts a failing host in FAULT (weight 0) by default, with or without nopreempt, so its priority-0 advert hands the virtual IP over at once; an explicit weight stays', () => {
    const three = resolveCluster(spec({ hosts: [0, 1, 2].map((i) => ({ host: `lb-${i + 1}`, address: `10.0.0.2${i + 1}` })) })).loadBalancer!;
    expect(three.hosts.map((h) => h.priority)).toEqual([100, 90, 80]);
    expect(three.keepalived.check.weight).toBe(0);
    expect(resolveCluster(spec({ keepalived: { nopreempt: true } })).loadBalancer!.keepalived.check.weight).toBe(0);
    expect(resolveCluster(spec({ keepalived: { checkWeight: -30 } })).loadBalancer!.keepalived.check.weight).toBe(-30);
  });

  it('defaults: VRRPv3, 250 ms adverts (1 s with VRRPv2), unicast, eth0, a checker failing after 500 ms without a 200, a watchdog run every 1 s, fall 1', () => {
    const cluster = resolveCluster(spec());
    const k = cluster.loadBalancer!.keepalived;
    expect(k).toMatchObject({ vrrpVersion: 3, advertIntervalMs: 250, peering: 'unicast', nopreempt: false, interface: 'eth0', check: { intervalSeconds: 1, rise: 2, fall: 1, failAfterMs: 500, weight: 0 } });
    expect(resolveCluster(spec({ keepalived: { vrrpVersion: 2 } })).loadBalancer!.keepalived.advertIntervalMs).toBe(1000);
    expect(k.authPass).toBeUndefined();
    // Issue 15's targets are medians (HAProxy dead or hung <= 1 s, link cut <= 1.5 s); these are the worst cases.
    expect(vipFailoverBoundsMs(cluster)).toEqual({ haproxyDeadMs: 450, haproxyHungMs: 1050, linkCutMs: 1000 });
    // The sub-second option, 100 ms adverts: HAProxy dead and link cut both within 0.4 s.
    expect(vipFailoverBoundsMs(resolveCluster(spec({ keepalived: { advertIntervalMs: 100 } })))).toEqual({ haproxyDeadMs: 300, haproxyHungMs: 900, linkCutMs: 400 });
    // A negative weight only lowers the priority: the backup waits out 3 adverts plus its skew.
    expect(vipFailoverBoundsMs(resolveCluster(spec({ keepalived: { checkWeight: -20 } }))).haproxyDeadMs).toBe(1200);
  });

  it('derives a stable router id in 1-255 from the cluster name, and lists the VRRP password as a secret', () => {
    const id = resolveCluster(spec()).loadBalancer!.keepalived.virtualRouterId;
    expect(id).toBe(resolveCluster(spec()).loadBalancer!.keepalived.virtualRouterId);
    expect(id).toBeGreaterThanOrEqual(1);
    expect(id).toBeLessThanOrEqual(255);
    expect(resolveCluster({ ...spec(), name: 'billing' }).loadBalancer!.keepalived.virtualRouterId).not.toBe(id);
    const withPass = resolveCluster(spec({ keepalived: { vrrpVersion: 2, authPass: 'generate' } }));
    expect(withPass.secrets.map((s) => s.id)).toContain('keepalived-auth-pass');
    expect(withPass.loadBalancer!.keepalived.authPass!.source).toEqual({ kind: 'generate', length: 8 });
  });
});
