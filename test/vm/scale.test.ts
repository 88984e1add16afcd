/**
 * The admin host's scale scripts run by bash with a recording stand-in transport: what they refuse before touching
 * any node. Their whole runs against real nodes: test/day2/scale-real.test.ts (shellcheck: test/vm/vm-bundle.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { renderScaleInScript, renderScaleOutScript } from '../../vm/day2/scale';
import { loadExample } from '../support/fixtures';
import { runWithStandInRemote } from './stand-in-remote';

const scratch = mkdtempSync(join(tmpdir(), 'warren-scale-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const clusterWith = (nodes: number) => {
  const spec = loadExample('e2e-4.3.yaml') as ClusterSpec & { nodes: { host: string; address: string }[] };
  return resolveCluster({ ...spec, nodes: spec.nodes.concat([{ host: 'rabbit-4', address: '10.231.206.14' }]).slice(0, nodes) } as ClusterSpec);
};

/** Runs a script with a stand-in transport that logs every call and succeeds, reporting no partition and no virtual host. */
const run = (script: string, args: string[]) => runWithStandInRemote(scratch, script, args, `*cluster_status*) echo '{"partitions":{}}' ;;`);

describe('warren-scale-in.sh', () => {
  it('refuses a host that is still in the spec, before any remote call', () => {
    const result = run(renderScaleInScript(clusterWith(3)), ['rabbit-2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('warren-scale-in: rabbit-2 is still a RabbitMQ host of the spec; remove it from the spec, run warren synth, then run this again\n');
    expect(result.calls).toEqual([]);
  });

  it('refuses to leave fewer than 3 nodes, before any remote call', () => {
    const result = run(renderScaleInScript(clusterWith(2)), ['rabbit-3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('warren-scale-in: rabbit-3: gate "at least 3 nodes remain" failed: the spec keeps 2; quorum queues and streams would lose their majority');
    expect(result.calls).toEqual([]);
  });

  it('asks for the host when none is given', () => {
    const result = run(renderScaleInScript(clusterWith(3)), []);
    expect([result.code, result.stderr]).toEqual([2, 'warren-scale-in: which host? give the RabbitMQ host that left the spec\n']);
  });
});

describe('warren-scale-out.sh', () => {
  it('refuses a host that is not a RabbitMQ host of the spec', () => {
    const result = run(renderScaleOutScript(clusterWith(4)), ['rabbit-9']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"rabbit-9" is not a RabbitMQ host of this cluster; use one of rabbit-1 rabbit-2 rabbit-3 rabbit-4');
    expect(result.calls).toEqual([]);
  });

  it('joins, grows and checks the members in that order, on the new node', () => {
    const result = run(renderScaleOutScript(clusterWith(4)), ['rabbit-4']);
    const steps = result.calls.map((c) => c.replace(/ --timeout \d+/, ''));
    expect(steps.slice(0, 2)).toEqual(['rabbit-4: rabbitmqctl -q -n rabbit@rabbit-4 await_startup', 'rabbit-4: rabbitmq-diagnostics -q -n rabbit@rabbit-4 check_alarms']);
    expect(steps).toContain('rabbit-4: rabbitmq-queues -q -n rabbit@rabbit-4 grow rabbit@rabbit-4 all');
    expect(steps.indexOf('rabbit-4: rabbitmq-queues -q -n rabbit@rabbit-4 grow rabbit@rabbit-4 all')).toBeLessThan(steps.indexOf('rabbit-4: rabbitmqctl -q -n rabbit@rabbit-4 list_vhosts --no-table-headers name'));
    expect(steps.filter((s) => s.endsWith('rebalance quorum'))).toEqual(['rabbit-4: rabbitmq-queues -q -n rabbit@rabbit-4 rebalance quorum']);
    expect(result.stdout).toContain('warren-scale-out: rabbit-4: quorum leaders per node 0/0/0/0 (rabbit@rabbit-1 rabbit@rabbit-2 rabbit@rabbit-3 rabbit@rabbit-4); leaders moved: 0\n');
  });

  /**
   * A stand-in broker whose quorum queues ("q-N-K": led by rabbit-N) have `members` and whose leaders per node are
   * `byMoves[m]` after m transfer_leadership calls (the last one after more).
   */
  const leadersByMoves = (byMoves: number[][], members = (_leader: number) => 'rabbit@rabbit-1, rabbit@rabbit-2, rabbit@rabbit-3, rabbit@rabbit-4') => {
    const moves = join(scratch, `moves-${Math.random().toString(16).slice(2)}`);
    const tables = byMoves.map((counts) =>
      counts.flatMap((n, i) => Array.from({ length: n }, (_, k) => `q-${i + 1}-${k}\\tquorum\\trabbit@rabbit-${i + 1}\\t[${members(i + 1)}]`)).concat('c-1\\tclassic\\trabbit@rabbit-1\\t[]').join('\\n'),
    );
    return [
      `*list_vhosts*) echo / ;;`,
      `*transfer_leadership*) echo $(( $(cat ${moves} 2>/dev/null || echo 0) + 1 )) > ${moves} ;;`,
      `*'list_queues -p '*) case $(cat ${moves} 2>/dev/null || echo 0) in ${tables.map((t, i) => `${i === tables.length - 1 ? '*' : i}) printf '${t}\\n' ;;`).join(' ')} esac ;;`,
      `*cluster_status*) echo '{"partitions":{}}' ;;`,
    ].join('\n');
  };

  it('moves leaders one at a time from the busiest node to the idlest member until they differ by at most one (rebalance leaves 4/2/4)', () => {
    const result = runWithStandInRemote(scratch, renderScaleOutScript(clusterWith(4)), ['rabbit-4'], leadersByMoves([[3, 3, 3, 0], [2, 3, 3, 1], [2, 2, 3, 2]]));
    expect(result.code, result.stderr).toBe(0);
    expect(result.calls.filter((c) => c.endsWith('rebalance quorum'))).toHaveLength(1);
    expect(result.calls.filter((c) => c.includes('transfer_leadership'))).toEqual([
      "rabbit-4: rabbitmq-queues -q -n rabbit@rabbit-4 transfer_leadership --vhost '/' 'q-1-0' rabbit@rabbit-4",
      "rabbit-4: rabbitmq-queues -q -n rabbit@rabbit-4 transfer_leadership --vhost '/' 'q-2-0' rabbit@rabbit-4",
    ]);
    expect(result.stdout).toContain('warren-scale-out: rabbit-4: quorum leaders per node 3/3/3/0: moving the leader of //q-1-0 to rabbit@rabbit-4\n');
    expect(result.stdout).toContain('warren-scale-out: rabbit-4: quorum leaders per node 2/2/3/2 (rabbit@rabbit-1 rabbit@rabbit-2 rabbit@rabbit-3 rabbit@rabbit-4); leaders moved: 2\n');
  });

  it('says so when no leader can move closer (the busiest node\'s queues have no other member), and finishes', () => {
    const members = (leader: number) => (leader === 4 ? 'rabbit@rabbit-4' : `rabbit@rabbit-${leader}, rabbit@rabbit-4`);
    const result = runWithStandInRemote(scratch, renderScaleOutScript(clusterWith(4)), ['rabbit-4'], leadersByMoves([[1, 1, 1, 5]], members));
    expect(result.code, result.stderr).toBe(0);
    expect(result.calls.filter((c) => c.includes('transfer_leadership'))).toEqual([]);
    expect(result.stdout).toContain('warren-scale-out: rabbit-4: WARNING: quorum leaders per node still 1/1/1/5 (queues whose members are not on every node cannot move further)');
  });

  it('moves a leader with the function rebalance calls where the CLI has no transfer_leadership (3.10)', () => {
    const cluster = resolveCluster({ ...(loadExample('e2e-3.10.yaml') as ClusterSpec) });
    const script = renderScaleOutScript(cluster);
    expect(script).toContain(
      `remote "$host" "rabbitmqctl -q -n $node eval 'rabbit_quorum_queue:transfer_leadership(element(2, rabbit_amqqueue:lookup(rabbit_misc:r(<<\\"$vhost\\"/utf8>>, queue, <<\\"$queue\\"/utf8>>))), list_to_atom(\\"$to\\")).'"`,
    );
  });
});
