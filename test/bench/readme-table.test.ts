/** The README's benchmark table comes from a bench result, never from hand edits. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { figure } from '../../bench/figures';
import { renderBenchTable, updateReadme, type BenchResult } from '../../bench/readme-table';

const work = mkdtempSync(join(tmpdir(), 'warren-bench-table-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ms = (runs: number[]) => figure(runs, { resolutionMs: 100 });
const vip = (settings: string) => ({ settings, haproxyStopped: ms([900, 1000, 1100]), linkCut: ms([1400, 1500, 1600]) });
const result: BenchResult = {
  startedAt: '2026-12-01T23:00:00.000Z',
  machine: { cpus: 2 },
  lines: {
    '4.3': {
      versions: { 'rabbitmq-server': '4.3.6-1', haproxy: '3.2.26-1', keepalived: '1:2.3.4-1+b2' },
      clusterFormationMs: ms([20_000]),
      nodeDeathDetectionMs: {
        warren: { settings: 'inter 1000ms', worstCaseMs: 1500, ...ms([700, 900, 1100, 1300]) },
        guide: { settings: 'inter 5000ms', worstCaseMs: 15000, ...ms([10_000, 12_000, 13_000, 14_000]) },
      },
      clientVisibleOutageMs: { warren: ms([200, 300]), guide: ms([100, 150]) },
      vipFailoverMs: { warren: vip('VRRPv3 advert 500 ms'), guide: vip('VRRPv2 advert 1000 ms'), subSecond: vip('VRRPv3 advert 100 ms') },
      publishThroughput: { placement: 'pinned', method: 'windows', pairs: 8, directPerSecond: figure([5000, 5100]), throughHaproxyPerSecond: figure([4800, 4900]), ratio: figure([0.94, 0.96], { digits: 3 }), ratioMedianInterval95: [0.94, 0.96] },
      met: { nodeDeathDetection: false, vipFailoverHaproxy: false, vipFailoverLinkCut: true, vipFailoverSubSecond: false, throughputRatio: true },
    },
  },
  synthWallMs: {
    default: { inProcessMs: figure([90]), cliMs: figure([380, 400, 420, 700], { resolutionMs: 0.001 }) },
    '3': { inProcessMs: figure([110]), cliMs: figure([1300]) },
    '100': { inProcessMs: figure([240]), cliMs: figure([1800]) },
  },
  targets: {
    nodeDeathDetectionMedianMaxMs: 800,
    nodeDeathDetectionMaxMs: 1200,
    vipFailoverHaproxyMaxMs: 1000,
    vipFailoverLinkCutMaxMs: 1500,
    vipFailoverSubSecondMaxMs: 500,
    throughputRatioMin: 0.9,
    synth100NodesMaxMs: 3000,
    synth100NodesMet: true,
    synthDefaultCommandMaxMs: 500,
    synthDefaultCommandMet: true,
  },
};

describe('the README benchmark table', () => {
  it('says the date, the cores, each figure with spread, run count and worst, and each target met or not', () => {
    const table = renderBenchTable(result);
    expect(table).toContain('Run of 2026-12-01 on 2 shared cores');
    expect(table).toContain('| **4.3 (RabbitMQ 4.3.6-1, HAProxy 3.2.26-1, keepalived 1:2.3.4-1+b2)** |');
    expect(table).toContain('| node-death detection in HAProxy | 1.00 s ± 0.15 (n 4, max 1.30; probe 100 ms) | 12.50 s ± 0.88 (n 4, max 14.00; probe 100 ms) | median <= 0.80 s, worst <= 1.20 s: NOT met |');
    expect(table).toMatch(/\| VIP failover, holder's link cut \| 1\.50 s [^|]+\| [^|]+\| median <= 1\.50 s: met \|/);
    expect(table).toContain("| publish throughput through HAProxy / direct (interleaved pairs; pinned) | 0.950 (median of 2 pairs, its 95 % interval 0.940 to 0.960; per pair ± 0.005, 0.94 to 0.96); 4850 / 5050 msg/s | - | >= 0.9: met |");
    expect(table).toContain('medians <= 0.50 s: NOT met');
    expect(table).toContain('| `warren synth` of the default spec, command | 0.41 s ± 0.05 (n 4, max 0.70; probe 1 µs) | - | < 0.50 s: met |');
    expect(table).toContain('| `warren synth` of 3 / 100 nodes, command | 1.30 s / 1.80 s (n 1) |');
  });

  it('shows the failover timelines of the same run under the table, and none when the run wrote none', () => {
    const table = renderBenchTable({ ...result, plots: { '4.3': ['bench/plots/4.3-node-kill.svg', 'bench/plots/4.3-vip-link-cut.svg'] } });
    expect(table).toContain('![RabbitMQ 4.3: node killed](bench/plots/4.3-node-kill.svg)');
    expect(table).toContain("![RabbitMQ 4.3: VIP failover, the holder's link cut](bench/plots/4.3-vip-link-cut.svg)");
    expect(table.indexOf('4.3-node-kill.svg')).toBeLessThan(table.indexOf('<!-- bench-table:end -->'));
    expect(renderBenchTable(result)).not.toContain('Timelines');
  });

  it('replaces only what is between the markers, and refuses a README without them', () => {
    const readme = join(work, 'README.md');
    const table = renderBenchTable(result);
    writeFileSync(readme, `before\n${table.split('\n')[0]}\nold figures\n<!-- bench-table:end -->\nafter\n`);
    updateReadme(readme, result);
    expect(readFileSync(readme, 'utf8')).toBe(`before\n${table}\nafter\n`);
    writeFileSync(readme, 'no markers\n');
    expect(() => updateReadme(readme, result)).toThrow('has no bench-table markers');
  });
});
