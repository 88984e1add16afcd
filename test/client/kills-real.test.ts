/**
 * warren's client on a real three-node cluster of each line booted from VM bundles (4.3.6 behind HAProxy 3.2 and
 * Keepalived 2.3; Debian's 3.10.8 behind 2.6 and 2.2.7), publishing through the outbox and consuming with an inbox,
 * both through the virtual IP. One fault per run (test/client/kill-scenarios.ts): SIGKILL of the publisher process,
 * of the consumer between its handler's commit and its ack, of the node holding the queue's leader. Correctness
 * only, with modest counts; the issue's 10,000 messages at 1,000/s and the recovery times are `npm run bench`'s
 * (BENCH_ONLY=reliability-kills).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KillLab, type FaultFigures, type KillLine } from './kill-scenarios';

const RUN = { total: 1500, ratePerSecond: 300, window: 100 };

const proven = (figures: FaultFigures) => {
  console.log(`${figures.fault}: ${figures.note}; sent ${figures.sent}, confirmed ${figures.confirmed}, handled ${figures.handled}, lost ${figures.lost}, handled twice ${figures.handledTwice}, duplicates skipped ${figures.duplicatesSkipped}`);
  expect([figures.sent, figures.confirmed, figures.handled]).toEqual([RUN.total, RUN.total, RUN.total]);
  expect([figures.lost, figures.handledTwice]).toEqual([0, 0]);
};

describe.each(['4.3', '3.10'] as KillLine[])('the client on a real 3-node RabbitMQ %s cluster through the VIP, with processes and nodes killed', (line) => {
  let lab: KillLab | undefined;

  beforeAll(async () => {
    lab = await KillLab.boot(line);
    console.log(`3 nodes of RabbitMQ ${lab.versions['rabbitmq-server']}, HAProxy ${lab.versions.haproxy}, keepalived ${lab.versions.keepalived}`);
  }, 400_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it(`SIGKILL of the publisher with messages awaiting confirms: the restarted process resends its outbox; none lost, none handled twice`, async () => {
    const figures = await lab!.run('publisher', RUN);
    proven(figures);
    // The kill mattered: messages were still unconfirmed in the outbox, and the restart sent them.
    expect(figures.atFault.inOutbox).toBeGreaterThanOrEqual(1);
  }, 400_000);

  it(`SIGKILL of the consumer after its handler's commit, before the ack: the redelivery finds the id in the inbox; none lost, none handled twice`, async () => {
    const figures = await lab!.run('consumer', RUN);
    proven(figures);
    // At least the message whose ack the kill prevented came back, and the inbox skipped it.
    expect(figures.duplicatesSkipped).toBeGreaterThanOrEqual(1);
  }, 400_000);

  it(`SIGKILL of the node holding the queue's leader: another node leads; none lost, none handled twice`, async () => {
    const figures = await lab!.run('leader-node', RUN);
    proven(figures);
    expect(figures.atFault.leader).toMatch(/^rabbit@rabbit-\d$/);
    expect(figures.atFault.newLeader).toMatch(/^rabbit@rabbit-\d$/);
    expect(figures.atFault.newLeader).not.toBe(figures.atFault.leader);
  }, 400_000);
});
