/**
 * A soak run's timeline as hand-made SVG: faults as bands (over the rates, and one lane per host they hit), the
 * publish attempts, confirms, failed attempts and handled messages per second, and the longest window without a
 * confirm. Every series is a <g data-series="..."> (as bench/timeline-svg.ts does). Pure: report in, text out.
 */
import { escapeXml } from '../timeline-svg';
import type { SoakReport } from './line-run';
import type { FaultKind } from './schedule';

const WIDTH = 1200;
const LEFT = 110;
const RIGHT = 20;
const TOP = 56;
const RATE_H = 200;
const LANE_H = 18;

const FAULT_COLOURS: Record<FaultKind, string> = {
  'broker-kill': '#d33a2c',
  'broker-pause': '#e08a1e',
  'node-link-cut': '#8a4fc4',
  'node-partition': '#c44f8a',
  'haproxy-kill': '#b8322a',
  'haproxy-pause': '#d9a21e',
  'keepalived-kill': '#7a3a1e',
  'keepalived-pause': '#b0861e',
  'lb-link-cut': '#5a3ad3',
  'minority-partition': '#1f9cc4',
};

/** lb-1 blue and lb-2 purple as in bench/timeline-svg.ts; both at once orange (set below), none grey. */
const VIP_COLOURS: Record<string, string> = { 'lb-1': '#3a6fd3', 'lb-2': '#8a4fc4', none: '#b8b8b8' };

const SERIES = [
  { name: 'attempts', label: 'publish attempts/s', colour: '#999999', dash: '' },
  { name: 'confirms', label: 'confirms/s', colour: '#3a6fd3', dash: '' },
  { name: 'handled', label: 'handled/s', colour: '#2e9d4a', dash: '3 2' },
  { name: 'fails', label: 'failed attempts/s', colour: '#d33a2c', dash: '' },
] as const;

export function renderSoakSvg(report: SoakReport): string {
  const { series, verdict } = report;
  const fromMs = series.fromMs;
  const toMs = fromMs + series.binMs * series.confirms.length;
  const width = WIDTH - LEFT - RIGHT;
  const xOf = (ms: number) => LEFT + ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / (toMs - fromMs)) * width;
  const hosts = [...new Set(report.executed.faults.flatMap((f) => f.targets))].sort();
  const lanesTop = TOP + RATE_H + 10;
  const bottom = lanesTop + LANE_H * (hosts.length + 1);
  const height = bottom + 60;
  const max = Math.max(10, ...SERIES.flatMap((s) => series[s.name]));
  const yMax = Math.ceil(max / 10) * 10;
  const yOf = (perBin: number) => TOP + RATE_H - ((perBin * (1000 / series.binMs)) / yMax) * RATE_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(`Soak, RabbitMQ ${report.versions['rabbitmq-server'] ?? report.line}: seed ${report.schedule.seed}, ${report.schedule.minutes} min${report.schedule.harsh ? ', harsh' : ''}`)}</text>`,
    `<text x="8" y="36" fill="#555">${escapeXml(
      `${verdict.counts.confirmed} confirmed, ${verdict.lostConfirmed.count} lost, ${verdict.handledTwice.count} handled twice; longest gap without a confirm ${(verdict.longestGap.ms / 1000).toFixed(1)} s; ${verdict.passed ? 'every enforced invariant holds' : 'an enforced invariant FAILED'}`,
    )}</text>`,
  ];
  // Faults as bands over the rates.
  out.push('<g data-series="fault-bands">');
  for (const f of report.executed.faults) {
    const x = xOf(f.injectedAtMs);
    const w = Math.max(1, xOf(f.healedAtMs ?? toMs) - x);
    out.push(`<rect x="${x.toFixed(1)}" y="${TOP}" width="${w.toFixed(1)}" height="${RATE_H}" fill="${FAULT_COLOURS[f.kind]}" fill-opacity="0.15"><title>${escapeXml(`${f.kind} ${f.targets.join('+')} (round ${f.round})`)}</title></rect>`);
  }
  out.push('</g>');
  const gap = verdict.longestGap;
  out.push(
    `<g data-series="longest-gap"><rect x="${xOf(gap.fromMs).toFixed(1)}" y="${TOP}" width="${Math.max(1, xOf(gap.toMs) - xOf(gap.fromMs)).toFixed(1)}" height="${RATE_H}" fill="none" stroke="#000" stroke-dasharray="4 3"/>`,
    `<text x="${(xOf(gap.fromMs) + 2).toFixed(1)}" y="${TOP + RATE_H + 9}" font-size="9">longest gap ${(gap.ms / 1000).toFixed(1)} s</text></g>`,
  );
  // Axis: a tick every 10, 30 or 60 s.
  const spanS = (toMs - fromMs) / 1000;
  const every = spanS <= 120 ? 10 : spanS <= 600 ? 30 : 60;
  out.push('<g data-series="axis" fill="#555" font-size="10">');
  for (let s = Math.ceil((fromMs - report.startMs) / 1000 / every) * every; report.startMs + s * 1000 <= toMs; s += every) {
    const x = xOf(report.startMs + s * 1000).toFixed(1);
    out.push(`<line x1="${x}" y1="${TOP}" x2="${x}" y2="${bottom}" stroke="#eee"/><text x="${x}" y="${bottom + 12}" text-anchor="middle">${s} s</text>`);
  }
  out.push(`<rect x="${LEFT}" y="${TOP}" width="${width}" height="${RATE_H}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${yMax}/s</text><text x="${LEFT - 6}" y="${TOP + RATE_H}" text-anchor="end">0</text></g>`);
  SERIES.forEach((s, i) => {
    const points = series[s.name].map((n, bin) => `${xOf(fromMs + (bin + 0.5) * series.binMs).toFixed(1)},${yOf(n).toFixed(1)}`);
    out.push(
      `<g data-series="${s.name}"><polyline fill="none" stroke="${s.colour}" stroke-width="1.3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${points.join(' ')}"/>`,
      `<line x1="${LEFT + 10 + i * 160}" y1="${TOP - 8}" x2="${LEFT + 30 + i * 160}" y2="${TOP - 8}" stroke="${s.colour}" stroke-width="2"/><text x="${LEFT + 34 + i * 160}" y="${TOP - 4}">${s.label}</text></g>`,
    );
  });
  // One lane per host a fault hit.
  out.push('<g data-series="fault-lanes">');
  hosts.forEach((host, i) => {
    const y = lanesTop + i * LANE_H;
    out.push(`<text x="6" y="${y + 13}">${escapeXml(host)}</text>`);
    for (const f of report.executed.faults.filter((f) => f.targets.includes(host))) {
      const x = xOf(f.injectedAtMs);
      const w = Math.max(1, xOf(f.healedAtMs ?? toMs) - x);
      out.push(`<rect x="${x.toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${LANE_H - 4}" fill="${FAULT_COLOURS[f.kind]}"><title>${escapeXml(`${f.kind} (round ${f.round})`)}</title></rect>`);
      if (w > 60) out.push(`<text x="${(x + 2).toFixed(1)}" y="${y + 13}" font-size="9" fill="#fff">${escapeXml(f.kind)}</text>`);
    }
  });
  out.push('</g>');
  // The VIP holder below the host lanes.
  const vipY = lanesTop + hosts.length * LANE_H;
  out.push(`<g data-series="vip-holder"><text x="6" y="${vipY + 13}">VIP holder</text>`);
  report.vipHolders.forEach((change, i) => {
    const x = xOf(change.atMs);
    const w = xOf(report.vipHolders[i + 1]?.atMs ?? toMs) - x;
    if (w <= 0) return;
    const state = change.holders.length === 0 ? 'none' : change.holders.join('+');
    out.push(`<rect x="${x.toFixed(1)}" y="${vipY + 2}" width="${w.toFixed(1)}" height="${LANE_H - 4}" fill="${VIP_COLOURS[state] ?? '#e08a1e'}"><title>${escapeXml(state)}</title></rect>`);
    if (w > 40) out.push(`<text x="${(x + 2).toFixed(1)}" y="${vipY + 13}" font-size="9" fill="#fff">${escapeXml(state)}</text>`);
  });
  out.push('</g>');
  // Legend of the fault kinds that occurred.
  const kinds = [...new Set(report.executed.faults.map((f) => f.kind))].sort();
  out.push('<g data-series="legend" font-size="10">');
  kinds.forEach((kind, i) => {
    const x = LEFT + (i % 6) * 170;
    const y = bottom + 24 + Math.floor(i / 6) * 14;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${FAULT_COLOURS[kind]}"/><text x="${x + 14}" y="${y}">${kind}</text>`);
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}
