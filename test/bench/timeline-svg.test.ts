/** The bench's failover timelines are well-formed SVG (checked by xmllint) that carry every series of every panel. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishRate, renderTimelineSvg, type TimelinePanel } from '../../bench/timeline-svg';
import { nodeKillPlot, vipPlot, type ScenarioEvent } from '../../bench/timelines';

const work = mkdtempSync(join(tmpdir(), 'warren-bench-svg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T = 1_800_000_000_000;
/** A publisher confirming every 5 ms, silent for `gapMs` after the event, with one error in the gap. */
function published(gapMs: number) {
  const confirmed: [string, number][] = [];
  for (let t = T - 3000; t < T + 8000; t += 5) if (t < T || t > T + gapMs) confirmed.push([`m-${t}`, t]);
  return { confirmed, failures: [[T + 10, 'publish m-x: connection closed <Channel ended> & "reset"'] as [number, string]], connects: [T - 3000, T + gapMs] };
}

/** xmllint parses the file (exit 0) and counts the elements an XPath selects. */
function xpathCount(file: string, xpath: string): number {
  return Number(execFileSync('xmllint', ['--xpath', `count(${xpath})`, file], { encoding: 'utf8' }).trim());
}

function written(name: string, svg: string): string {
  const file = join(work, `${name}.svg`);
  writeFileSync(file, svg);
  const lint = spawnSync('xmllint', ['--noout', file], { encoding: 'utf8' });
  expect(lint.stderr).toBe('');
  expect(lint.status).toBe(0);
  return file;
}

const series = (name: string) => `//*[local-name()='g'][@data-series='${name}']`;

describe('failover timeline SVG', () => {
  it('draws a node kill side by side: publish rate, errors, VIP holder and each HAProxy server state, per panel', () => {
    const servers = (downAfter: number) => ({
      'rabbit-1': [{ atMs: T - 60_000, state: 'UP' }, { atMs: T + downAfter, state: 'DOWN' }],
      'rabbit-2': [{ atMs: T - 60_000, state: 'UP' }],
    });
    const plot = nodeKillPlot(
      '4.3',
      [
        { title: "warren's checks: inter 1000ms", victim: 'rabbit-1', killedAt: T, published: published(400), serverHistory: servers(800), lbLabel: 'lb-1' },
        { title: "guide's checks: inter 5000ms <&>", victim: 'rabbit-1', killedAt: T, published: published(300), serverHistory: servers(12_000), lbLabel: 'lb-guide' },
      ],
      15,
    );
    const file = written('kill', renderTimelineSvg(plot));
    for (const name of ['publish-rate', 'errors', 'vip-holder', 'event']) expect(xpathCount(file, series(name)), name).toBe(2);
    expect(xpathCount(file, series('haproxy-server'))).toBe(4);
    expect(xpathCount(file, `${series('errors')}/*[local-name()='line']`)).toBe(2);
    // rabbit-1 goes DOWN in both panels, rabbit-2 stays UP: one red and three green segments after the first.
    expect(xpathCount(file, `${series('haproxy-server')}/*[local-name()='rect']/*[local-name()='title'][.='DOWN']`)).toBe(2);
    expect(xpathCount(file, `${series('haproxy-server')}/*[local-name()='rect']/*[local-name()='title'][.='UP']`)).toBe(4);
    expect(execFileSync('xmllint', ['--xpath', `string(${series('publish-rate')}/*[local-name()='polyline']/@points)`, file], { encoding: 'utf8' }).split(' ')).toHaveLength(170);
  });

  it('draws a VIP failover with the holder and the HAProxy processes, and skips a scenario a setting did not run', () => {
    const events: ScenarioEvent[] = [
      { kind: 'haproxy stopped', host: 'lb-1', atMs: T },
      { kind: 'haproxy started', host: 'lb-1', atMs: T + 1500 },
    ];
    const holder = [
      { atMs: T - 10_000, state: 'lb-1' },
      { atMs: T + 1400, state: 'lb-2' },
    ];
    const view = { title: "warren's Keepalived", published: published(1500), holder, events, lbs: ['lb-1', 'lb-2'], recordedUntilMs: T + 5000 };
    const file = written('vip', renderTimelineSvg(vipPlot('4.3', 'haproxy stopped', [view, { ...view, title: "guide's Keepalived" }], 6)!));
    expect(xpathCount(file, series('vip-holder'))).toBe(2);
    expect(xpathCount(file, series('haproxy-process'))).toBe(4);
    expect(xpathCount(file, series('link'))).toBe(4);
    expect(xpathCount(file, series('not-recorded'))).toBe(2);
    expect(xpathCount(file, `${series('vip-holder')}/*[local-name()='rect']/*[local-name()='title'][.='lb-2']`)).toBe(2);
    expect(xpathCount(file, `${series('haproxy-process')}/*[local-name()='rect']/*[local-name()='title'][.='stopped']`)).toBe(2);
    expect(vipPlot('4.3', 'link cut', [view], 10)).toBeUndefined();
  });

  it('turns confirms into a rate per 100 ms bin', () => {
    expect(publishRate([0, 5, 99, 100, 250, 999], 0, 300)).toEqual([30, 10, 10]);
  });

  it('escapes what it is given, so a message with markup still parses', () => {
    const panel: TimelinePanel = { title: '<b>', event: { atMs: T, label: '"&' }, confirms: [], errors: [{ atMs: T, message: '</svg>' }], lanes: [] };
    written('escaped', renderTimelineSvg({ title: 'a < b', note: "it's", fromS: -1, toS: 1, panels: [panel] }));
  });
});
