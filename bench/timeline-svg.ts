/**
 * Failover timelines as hand-made SVG (no plotting dependency): one panel per setting (warren's, the guide's),
 * side by side on one time axis (seconds from the event). Each panel draws the publish rate (confirms per 100 ms
 * bin, as msg/s), the publisher's errors (one red tick each), and state lanes: the VIP holder and HAProxy's
 * server states (and HAProxy running or stopped). Every series is a <g data-series="..."> so a test (and a
 * reader of the source) can find it. Pure: data in, text out.
 */

export type SeriesName = 'publish-rate' | 'errors' | 'vip-holder' | 'haproxy-server' | 'haproxy-process' | 'link';

export interface StateLane {
  readonly series: Exclude<SeriesName, 'publish-rate' | 'errors'>;
  readonly label: string;
  /** State changes in time order (epoch ms); the first holds from the panel's start. */
  readonly changes: readonly { readonly atMs: number; readonly state: string }[];
}

export interface TimelinePanel {
  /** e.g. "warren: inter 1000ms fastinter 250ms rise 2 fall 3". */
  readonly title: string;
  readonly event: { readonly atMs: number; readonly label: string };
  /** Other actions of the bench inside the window (e.g. the next scenario's start), drawn lighter. */
  readonly otherEvents?: readonly { readonly atMs: number; readonly label: string }[];
  /** When recording stopped, if inside the window: later is greyed out as not recorded. */
  readonly recordedUntilMs?: number;
  /** Epoch ms of every confirm the publisher received. */
  readonly confirms: readonly number[];
  readonly errors: readonly { readonly atMs: number; readonly message: string }[];
  readonly lanes: readonly StateLane[];
}

export interface TimelinePlot {
  readonly title: string;
  /** Shown under the title: what was measured, with which probes. */
  readonly note: string;
  /** Seconds around each panel's event. */
  readonly fromS: number;
  readonly toS: number;
  readonly panels: readonly TimelinePanel[];
}

const PANEL_W = 600;
const LEFT = 130;
const RIGHT = 20;
const RATE_H = 120;
const LANE_H = 18;
const BIN_MS = 100;
const COLOURS: Record<string, string> = { UP: '#2e9d4a', running: '#2e9d4a', up: '#2e9d4a', DOWN: '#d33a2c', stopped: '#d33a2c', 'link cut': '#d33a2c', none: '#b8b8b8', unknown: '#b8b8b8', 'Keepalived not running': '#b8b8b8' };
const HOLDER_COLOURS = ['#3a6fd3', '#8a4fc4', '#c48a1f', '#1f9cc4'];
/** lb-1 is always blue, lb-2 always purple, in every panel and plot. */
const holderColour = (state: string) => HOLDER_COLOURS[(Number(/^lb-(\d+)$/.exec(state)?.[1] ?? 3) - 1) % HOLDER_COLOURS.length]!;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Confirms per bin from `fromMs`, as messages per second. */
export function publishRate(confirms: readonly number[], fromMs: number, toMs: number): number[] {
  const bins = new Array<number>(Math.max(1, Math.ceil((toMs - fromMs) / BIN_MS))).fill(0);
  for (const t of confirms) if (t >= fromMs && t < toMs) bins[Math.floor((t - fromMs) / BIN_MS)]! += 1000 / BIN_MS;
  return bins;
}

function colourOf(state: string): string {
  if (COLOURS[state]) return COLOURS[state]!;
  if (/^lb-\d+$/.test(state)) return holderColour(state);
  return '#e08a1e'; // MAINT, NOLB, DRAIN, several holders, ...
}

function renderPanel(plot: TimelinePlot, panel: TimelinePanel, x0: number, y0: number): string {
  const fromMs = panel.event.atMs + plot.fromS * 1000;
  const toMs = panel.event.atMs + plot.toS * 1000;
  const width = PANEL_W - LEFT - RIGHT;
  const xOf = (ms: number) => x0 + LEFT + ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / (toMs - fromMs)) * width;
  const out: string[] = [`<text x="${x0 + 4}" y="${y0 + 14}" font-size="11" font-weight="bold">${escapeXml(panel.title)}</text>`];
  const top = y0 + 26;
  // Time axis ticks (every second, labelled every 1, 2 or 5 s) across the whole panel.
  const span = plot.toS - plot.fromS;
  const every = span <= 12 ? 1 : span <= 24 ? 2 : 5;
  const lanesBottom = top + RATE_H + 8 + LANE_H * (panel.lanes.length + 1);
  out.push('<g data-series="axis" font-size="10" fill="#555">');
  for (let s = Math.ceil(plot.fromS); s <= plot.toS; s++) {
    const x = xOf(panel.event.atMs + s * 1000).toFixed(1);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${lanesBottom}" stroke="#eee"/>`);
    if (s % every === 0) out.push(`<text x="${x}" y="${lanesBottom + 12}" text-anchor="middle">${s} s</text>`);
  }
  out.push('</g>');
  // Publish rate.
  const rate = publishRate(panel.confirms, fromMs, toMs);
  const max = Math.max(50, ...rate);
  const yMax = Math.ceil(max / 50) * 50;
  const points = rate.map((r, i) => `${xOf(fromMs + (i + 0.5) * BIN_MS).toFixed(1)},${(top + RATE_H - (r / yMax) * RATE_H).toFixed(1)}`);
  out.push(
    `<g data-series="publish-rate"><text x="${x0 + LEFT - 6}" y="${top + 10}" text-anchor="end" font-size="10">${yMax} msg/s</text>`,
    `<text x="${x0 + LEFT - 6}" y="${top + RATE_H}" text-anchor="end" font-size="10">0</text>`,
    `<text x="${x0 + 4}" y="${top + RATE_H / 2}" font-size="11">confirms</text>`,
    `<rect x="${x0 + LEFT}" y="${top}" width="${width}" height="${RATE_H}" fill="none" stroke="#999"/>`,
    `<polyline fill="none" stroke="#3a6fd3" stroke-width="1.5" points="${points.join(' ')}"/></g>`,
  );
  // The event.
  const ex = xOf(panel.event.atMs).toFixed(1);
  out.push(`<g data-series="event"><line x1="${ex}" y1="${top}" x2="${ex}" y2="${lanesBottom}" stroke="#000" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${Number(ex) + 3}" y="${top + 22}" font-size="10">${escapeXml(panel.event.label)}</text>`);
  for (const other of (panel.otherEvents ?? []).filter((e) => e.atMs > fromMs && e.atMs < toMs)) {
    const ox = xOf(other.atMs).toFixed(1);
    out.push(`<line x1="${ox}" y1="${top}" x2="${ox}" y2="${lanesBottom}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${Number(ox) + 3}" y="${top + 34}" font-size="9" fill="#666">${escapeXml(other.label)}</text>`);
  }
  out.push('</g>');
  if (panel.recordedUntilMs !== undefined && panel.recordedUntilMs < toMs) {
    const rx = xOf(panel.recordedUntilMs);
    out.push(`<g data-series="not-recorded"><rect x="${rx.toFixed(1)}" y="${top}" width="${(x0 + LEFT + width - rx).toFixed(1)}" height="${lanesBottom - top}" fill="#ddd" fill-opacity="0.8"/>`);
    out.push(`<text x="${(rx + 3).toFixed(1)}" y="${top + RATE_H - 4}" font-size="10" fill="#555">not recorded</text></g>`);
  }
  // Errors.
  let y = top + RATE_H + 8;
  const shown = panel.errors.filter((e) => e.atMs >= fromMs && e.atMs < toMs);
  out.push(`<g data-series="errors"><text x="${x0 + 4}" y="${y + 13}" font-size="11">errors (${shown.length})</text>`);
  for (const e of shown) out.push(`<line x1="${xOf(e.atMs).toFixed(1)}" y1="${y + 2}" x2="${xOf(e.atMs).toFixed(1)}" y2="${y + LANE_H - 2}" stroke="#d33a2c" stroke-width="1.5"><title>${escapeXml(e.message)}</title></line>`);
  out.push('</g>');
  // State lanes.
  for (const lane of panel.lanes) {
    y += LANE_H;
    out.push(`<g data-series="${lane.series}"><text x="${x0 + 4}" y="${y + 13}" font-size="11">${escapeXml(lane.label)}</text>`);
    const inside = lane.changes.filter((c) => c.atMs < toMs);
    inside.forEach((change, i) => {
      const from = xOf(change.atMs);
      const to = xOf(inside[i + 1]?.atMs ?? toMs);
      if (to <= from) return;
      const fill = colourOf(change.state);
      out.push(`<rect x="${from.toFixed(1)}" y="${y + 2}" width="${(to - from).toFixed(1)}" height="${LANE_H - 4}" fill="${fill}"><title>${escapeXml(change.state)}</title></rect>`);
      if (to - from > 40) out.push(`<text x="${(from + 3).toFixed(1)}" y="${y + 13}" font-size="10" fill="#fff">${escapeXml(change.state)}</text>`);
    });
    out.push('</g>');
  }
  return out.join('\n');
}

export function renderTimelineSvg(plot: TimelinePlot): string {
  const panelH = 26 + RATE_H + 8 + LANE_H * (Math.max(...plot.panels.map((p) => p.lanes.length)) + 1) + 20;
  const width = PANEL_W * plot.panels.length;
  const height = 44 + panelH;
  const body = plot.panels.map((panel, i) => renderPanel(plot, panel, i * PANEL_W, 40)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="16" font-size="14" font-weight="bold">${escapeXml(plot.title)}</text>`,
    `<text x="8" y="32" font-size="11" fill="#555">${escapeXml(plot.note)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
