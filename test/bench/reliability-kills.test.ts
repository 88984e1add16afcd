/** Issue 13's kill proofs in the README table, and how their time to recover is read from event times. */
import { describe, expect, it } from 'vitest';
import { reliabilityKillRows, RELIABILITY_KILL_RUN, type ReliabilityKillFigures } from '../../bench/reliability-kills';
import { recoveryMs, type Fault, type FaultFigures } from '../client/kill-scenarios';

const fault = (name: Fault, changes: Partial<FaultFigures> = {}): FaultFigures => ({
  fault: name,
  sent: 10_000,
  confirmed: 10_000,
  handled: 10_000,
  lost: 0,
  handledTwice: 0,
  duplicatesSkipped: 12,
  publishRatePerSecond: 981,
  handleRatePerSecond: 975,
  recoverMs: 3210,
  atFault: { written: 3334, consumerHost: 'rabbit-2' },
  note: 'killed',
  ...changes,
});

const figures: ReliabilityKillFigures = {
  versions: { 'rabbitmq-server': '4.3.6-1' },
  run: RELIABILITY_KILL_RUN,
  method: 'counted',
  faults: { publisher: fault('publisher'), consumer: fault('consumer', { lost: 1, handled: 9999 }), 'leader-node': fault('leader-node', { recoverMs: 6450 }) },
  met: false,
};

describe('the reliability kill figures', () => {
  it('render a heading per line and a row per fault, each saying whether 0 lost and 0 handled twice was met', () => {
    const rows = reliabilityKillRows({ '4.3': figures });
    expect(rows[0]).toBe('| **reliable messaging on 4.3** (RabbitMQ 4.3.6-1; 3 nodes, 2 load balancers, VIP): 10,000 messages paced at up to 1,000/s (achieved rates per row) through the VIP, outbox + inbox, window 200 | | | |');
    expect(rows[1]).toBe(
      '| SIGKILL of the publisher (restarted, resends its outbox) | sent 10000, confirmed 10000, handled 10000, lost 0, handled twice 0 (duplicates skipped by the inbox: 12); 981 confirmed/s, 975 handled/s; recovered in 3.21 s (one run; the longest pause after the kill in confirms, polled every 20 ms, or in commits) | - | 0 lost, 0 handled twice: met |',
    );
    expect(rows[2]).toContain('lost 1, handled twice 0');
    expect(rows[2]).toMatch(/: NOT met \|$/);
    expect(rows[3]).toContain("| SIGKILL of the node holding the queue's leader | ");
    expect(rows[3]).toContain('recovered in 6.45 s');
    expect(rows).toHaveLength(4);
    expect(reliabilityKillRows({ '3.10': { ...figures, run: { ...RELIABILITY_KILL_RUN, storeDir: '/dev/shm' } } })[0]).toContain('outbox + inbox (SQLite on /dev/shm), window 200');
  });

  it('time to recover: from the fault to the end of the longest pause after it', () => {
    // Events every 10 ms, the fault at 1000, nothing until 1800, a shorter pause later.
    const times = [990, 1000, 1800, 1810, 1820, 2200, 2210];
    expect(recoveryMs(times, 1000)).toBe(800);
    // The first event after the fault ends the pause when it is the longest.
    expect(recoveryMs([1500, 1510], 1000)).toBe(500);
    expect(() => recoveryMs([900], 1000)).toThrow('nothing recovered');
  });
});
