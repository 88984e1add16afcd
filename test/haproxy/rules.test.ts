/** Validation of the HAProxy settings (exact texts) and the values resolveCluster derives for them. */
import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';

function spec(haproxy: NonNullable<ClusterSpec['loadBalancer']>['haproxy'], extra: Partial<ClusterSpec> = {}): ClusterSpec {
  return { name: 'orders', nodes: 3, ...extra, loadBalancer: { haproxy } };
}

function problemsOf(input: ClusterSpec): string[] {
  const result = validateSpec(input);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

describe('haproxy validation', () => {
  it('errors on an idle timeout not above the heartbeat, a slow fast interval and a stats port HAProxy already uses, all at once', () => {
    // arrayContaining: the compose target's port rules also see a stats port on 5672.
    expect(problemsOf(spec({ idleTimeoutSeconds: 60, checkFastIntervalMs: 3000, statsPort: 5672 }))).toEqual(expect.arrayContaining([
      'loadBalancer.haproxy.idleTimeoutSeconds: "60" is not above heartbeatSeconds (60), so HAProxy could cut healthy idle AMQP connections; use at least 180 (3 x heartbeat) or remove it',
      'loadBalancer.haproxy.checkFastIntervalMs: "3000" is above checkIntervalMs (500); the fast interval confirms a state change and should be shorter, e.g. 125',
      'loadBalancer.haproxy.statsPort: "5672" is also ports.amqp, which HAProxy listens on as well; choose another port (e.g. 8404)',
    ]));
  });

  it('accepts any idle timeout when heartbeats are off', () => {
    expect(problemsOf(spec({ idleTimeoutSeconds: 30 }, { heartbeatSeconds: 0 }))).toEqual([]);
  });

  it('errors on check timings outside their range', () => {
    expect(problemsOf(spec({ checkIntervalMs: 50, rise: 0 }))).toEqual([
      'loadBalancer.haproxy.checkIntervalMs: "50" is not a check interval in milliseconds; give an integer between 100 and 60000',
      'loadBalancer.haproxy.rise: "0" is not a number of checks; give an integer between 1 and 20',
    ]);
  });
});

describe('resolved haproxy settings', () => {
  it('defaults to inter 500 ms, fastinter 200 ms, rise 2, fall 2 and idle timeouts of 3 x heartbeat', () => {
    const h = resolveCluster(spec(undefined)).loadBalancer!.haproxy;
    expect(h).toMatchObject({ statsPort: 8404, maxconn: 4096, connectTimeoutMs: 5000, idleTimeoutSeconds: 180, healthPath: '/healthz', metricsPath: '/metrics' });
    expect(h.check).toEqual({ intervalMs: 500, fastIntervalMs: 200, rise: 2, fall: 2, timeoutMs: 2000 });
    expect(resolveCluster(spec(undefined, { heartbeatSeconds: 30 })).loadBalancer!.haproxy.idleTimeoutSeconds).toBe(90);
    expect(resolveCluster(spec(undefined, { heartbeatSeconds: 0 })).loadBalancer!.haproxy.idleTimeoutSeconds).toBe(3600);
  });
});
