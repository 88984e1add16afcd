/**
 * WarrenLab's HAProxy start (warren-lab.ts), with the real HAProxy of both builds (2.6 on this machine, 3.2 from the
 * Debian sid root): two load balancers started at the same moment both serve, each with its own runtime API socket,
 * and an HAProxy that exits at start fails the start at once with its own log. The CI failure behind this: lb-2's
 * HAProxy refused Prometheus for 60 s while lb-1's answered; both HAProxies, the first process of their hosts' PID
 * namespaces, had the same pid and bound the same `/run/haproxy/admin.sock.<pid>.tmp` in the shared root.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadBalancerBuild } from '../lab';
import { REPO_ROOT, synthVmBundles, type VmBundles } from './bundles';
import { bindPortsOf, WarrenLab } from './warren-lab';

const LBS = ['lb-1', 'lb-2'];
/** Each round stops both and starts them together again: a race lost 1 start in 20 here before the fix. */
const ROUNDS = 8;
const BUILDS: readonly LoadBalancerBuild[] = ['bookworm', 'sid'];

describe('WarrenLab.startHaproxy (real HAProxy in lab hosts, no RabbitMQ running)', () => {
  let work = '';
  let bundles: VmBundles;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'warren-lab-haproxy-'));
    bundles = synthVmBundles(join(REPO_ROOT, 'examples', 'e2e-4.3.yaml'), join(work, 'out'));
  });

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('reads the ports of every bind line of a haproxy.cfg', () => {
    expect(bindPortsOf('listen a\n    bind :5672\nlisten b\n    bind 10.0.0.5:8404\n    bind :5672\n  # bind :1\n')).toEqual(['5672', '8404']);
  });

  for (const build of BUILDS) {
    it(`${build}: two HAProxies started together ${ROUNDS} times both listen, each on its own /run/haproxy/admin.sock; one that exits at start fails with its log`, async () => {
      const warren = await WarrenLab.create(bundles, { loadBalancer: build });
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const started = await Promise.all(LBS.map((lb) => warren.startHaproxy(lb)));
          for (const [i, haproxy] of started.entries()) {
            const socket = join(warren.lab.tempDir, 'run', `${LBS[i]}-haproxy-${round * LBS.length + i + 1}`, 'admin.sock');
            expect(existsSync(socket) && statSync(socket).isSocket(), `${socket} of HAProxy ${haproxy.pid}`).toBe(true);
          }
          expect(warren.haproxyFailures()).toEqual([]);
          for (const lb of LBS) await warren.stopHaproxy(lb);
        }
        expect(warren.haproxyFailures(), 'stopHaproxy is no failure').toEqual([]);

        const broken = join(warren.lab.tempDir, 'broken-haproxy');
        mkdirSync(broken);
        writeFileSync(join(broken, 'haproxy.cfg'), 'global\n    no-such-keyword\nlisten stats\n    bind :8404\n');
        const startedAt = Date.now();
        await expect(warren.startHaproxy('lb-2', broken)).rejects.toThrow(/^HAProxy on lb-2 exited with code 1 before it listened on 8404\n--- .*haproxy\.log \(tail\)\n[^]*no-such-keyword/);
        expect(Date.now() - startedAt, 'fails as soon as HAProxy exits, not at the 20 s listen timeout').toBeLessThan(10_000);
        expect(warren.haproxyFailures()).toEqual([expect.stringMatching(/^HAProxy on lb-2 exited with code 1\n[^]*no-such-keyword/)]);
      } finally {
        await warren.destroy();
      }
    }, 120_000);
  }
});
