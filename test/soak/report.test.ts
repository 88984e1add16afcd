/** The soak's outputs from one hand-made report: the timeline SVG (checked by xmllint), the series, the README table. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSoak, type ClientEvent, type FaultRecord, type RoundRecord } from '../../bench/soak/checker';
import { seriesOf, type SoakReport } from '../../bench/soak/line-run';
import { renderSoakSvg } from '../../bench/soak/plot';
import { renderSoakTable, updateSoakReadme } from '../../bench/soak/readme';
import { drawSchedule } from '../../bench/soak/schedule';

const work = mkdtempSync(join(tmpdir(), 'warren-soak-report-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T = 1_800_000_000_000;
const events: ClientEvent[] = [];
for (let i = 0; i < 600; i++) {
  const t = T + i * 100;
  if (t > T + 20_000 && t < T + 26_000) continue; // no confirm while rabbit-2 is down
  events.push({ e: 'write', id: `m-${i}`, t, c: 'p' }, { e: 'attempt', id: `m-${i}`, t, c: 'p' }, { e: 'confirm', id: `m-${i}`, t: t + 10, c: 'p' }, { e: 'handled', id: `m-${i}`, t: t + 30, c: 'c' });
}
events.push({ e: 'fail', id: 'm-205', t: T + 20_500, c: 'p', error: 'PublishTimeoutError & <x>' });
const faults: FaultRecord[] = [
  { round: 0, kind: 'broker-kill', targets: ['rabbit-2'], injectedAtMs: T + 20_000, healedAtMs: T + 30_000 },
  { round: 0, kind: 'lb-link-cut', targets: ['lb-1'], injectedAtMs: T + 22_000, healedAtMs: T + 27_000 },
];
const rounds: RoundRecord[] = [{ index: 0, exceedsTolerance: false, startedAtMs: T + 20_000, recoveredAtMs: T + 40_000 }];
const report: SoakReport = {
  line: '4.3',
  example: 'e2e-4.3.yaml',
  versions: { 'rabbitmq-server': '4.3.6-1', haproxy: '3.2.26-1', keepalived: '1:2.3.4-1+b2' },
  startedAt: new Date(T).toISOString(),
  schedule: drawSchedule({ seed: 7, minutes: 1, harsh: false }, { nodes: ['rabbit-1', 'rabbit-2', 'rabbit-3'], loadBalancers: ['lb-1', 'lb-2'] }),
  startMs: T,
  endMs: T + 60_000,
  executed: { faults, rounds },
  clients: {},
  vipHolders: [
    { atMs: T - 10_000, holders: ['lb-1'] },
    { atMs: T + 22_500, holders: ['lb-2'] },
    { atMs: T + 40_000, holders: ['lb-1', 'lb-2'] },
    { atMs: T + 41_000, holders: ['lb-2'] },
  ],
  verdict: checkSoak({ events, faults, rounds, startMs: T, endMs: T + 60_000, maxGapMs: 60_000 }),
  series: seriesOf(events, T - 10_000, T + 70_000),
};

function xpathCount(file: string, xpath: string): number {
  return Number(execFileSync('xmllint', ['--xpath', `count(${xpath})`, file], { encoding: 'utf8' }).trim());
}

describe('the soak report', () => {
  it('counts events per second into the series, from its start', () => {
    expect(report.series.confirms).toHaveLength(80);
    expect(report.series.confirms.slice(10, 12)).toEqual([10, 10]);
    expect(report.series.confirms[32]).toBe(0);
    expect(report.series.fails.reduce((a, b) => a + b, 0)).toBe(1);
    expect(report.series.fails[30]).toBe(1);
    expect(report.series.attempts[0]).toBe(0);
  });

  it('draws the timeline as well-formed SVG: fault bands and lanes, the four rates, the longest gap', () => {
    const file = join(work, 'soak.svg');
    writeFileSync(file, renderSoakSvg(report));
    expect(spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' }).stderr).toBe('');
    expect(xpathCount(file, '//*[@data-series="fault-bands"]/*[local-name()="rect"]')).toBe(2);
    expect(xpathCount(file, '//*[@data-series="fault-lanes"]/*[local-name()="rect"]')).toBe(2);
    expect(xpathCount(file, '//*[@data-series="fault-lanes"]/*[local-name()="text"]')).toBeGreaterThanOrEqual(2);
    for (const s of ['attempts', 'confirms', 'handled', 'fails']) expect(xpathCount(file, `//*[@data-series="${s}"]/*[local-name()="polyline"]`)).toBe(1);
    expect(xpathCount(file, '//*[@data-series="longest-gap"]/*[local-name()="rect"]')).toBe(1);
    expect(xpathCount(file, '//*[@data-series="vip-holder"]/*[local-name()="rect"]')).toBe(4);
    expect(xpathCount(file, '//*[@data-series="vip-holder"]/*[local-name()="rect"]/*[local-name()="title" and text()="lb-1+lb-2"]')).toBe(1);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toContain('longest gap 6.0 s');
    expect(svg).toContain(`${report.verdict.counts.confirmed} confirmed, 0 lost, 0 handled twice`);
  });

  it('states the figures in the README table, between its markers, from the latest reports', () => {
    expect(report.verdict.longestGap).toMatchObject({ ms: 6_000, faults: ['broker-kill rabbit-2 (round 0)', 'lb-link-cut lb-1 (round 0)'] });
    const table = renderSoakTable([report]);
    expect(table.split('\n').slice(1, 4)).toEqual([
      '| line | run | faults injected | confirmed / written | confirmed lost | handled twice | longest window without a confirm | longest confirm-to-handled | invariants |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| 4.3 (RabbitMQ 4.3.6-1, HAProxy 3.2.26-1, keepalived 1:2.3.4-1+b2) | 2027-01-15, seed 7, 1 min | 1 rounds, 2 faults (broker-kill, lb-link-cut) | 541 / 541 | 0 | 0 (0 redelivered to the handler) | 6.0 s (broker-kill rabbit-2 (round 0), lb-link-cut lb-1 (round 0)) | 0.0 s | 8 of 8 hold |`,
    ]);
    const results = join(work, 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'latest-4.3.json'), JSON.stringify(report));
    const readme = join(work, 'README.md');
    writeFileSync(readme, '# x\n\n<!-- soak-table:start (old) -->\nold figures\n<!-- soak-table:end -->\n\nafter\n');
    updateSoakReadme(readme, results);
    expect(readFileSync(readme, 'utf8')).toBe(`# x\n\n${table}\n\nafter\n`);
    const harsh: SoakReport = { ...report, schedule: drawSchedule({ seed: 12, minutes: 1, harsh: true }, { nodes: ['rabbit-1', 'rabbit-2', 'rabbit-3'], loadBalancers: ['lb-1', 'lb-2'] }) };
    writeFileSync(join(results, 'latest-4.3-harsh.json'), JSON.stringify(harsh));
    updateSoakReadme(readme, results);
    const both = readFileSync(readme, 'utf8');
    expect(both).toContain('| 2027-01-15, seed 12, 1 min, harsh |');
    expect(both).toContain('![soak timeline, RabbitMQ 4.3, harsh](bench/soak/results/latest-4.3-harsh.svg)');
    expect(both.indexOf('seed 7,')).toBeLessThan(both.indexOf('seed 12,'));
    writeFileSync(readme, '# no markers\n');
    expect(() => updateSoakReadme(readme, results)).toThrow('has no soak-table markers');
    expect(() => updateSoakReadme(readme, join(work, 'none'))).toThrow('holds no latest-<line>.json; run npm run soak first');
  });
});
