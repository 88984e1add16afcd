/**
 * What the failover scenarios of bench/lab-bench.ts record for their timeline plots (bench/timeline-svg.ts):
 * the publishers' confirms and errors, the HAProxy watchers' server states (100 ms polls), the VIP holder
 * (sampled every 100 ms here) and the bench's own actions (HAProxy killed and restarted, link cut and restored).
 */
import type { PublisherResult } from '../test/e2e/amqp-clients';
import { sleep, type WarrenLab } from '../test/e2e/warren-lab';
import type { StateLane, TimelinePanel, TimelinePlot } from './timeline-svg';

/** The VIP sampler's period (one `ip addr` per load balancer each time). */
export const VIP_SAMPLE_MS = 100;

export interface Change {
  readonly atMs: number;
  readonly state: string;
}

/** One action of a scenario: the VIP scenarios' HAProxy kills and restarts, link cuts and restores. */
export interface ScenarioEvent {
  readonly kind: 'haproxy stopped' | 'haproxy started' | 'link cut' | 'link restored';
  readonly host: string;
  readonly atMs: number;
}

/** Samples which load balancer holds the VIP until stopped; returns the changes ("lb-1", "none", "lb-1+lb-2"). */
export function sampleVipHolder(warren: WarrenLab): { stop(): Promise<Change[]> } {
  const changes: Change[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = (await warren.vipHolders()).join('+') || 'none';
      if (changes.at(-1)?.state !== state) changes.push({ atMs: Date.now(), state });
      await sleep(VIP_SAMPLE_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return changes;
    },
  };
}

/** A lane from a whole history: the state at `fromMs` (the last change before it, else "unknown"), then the rest. */
export function laneFrom(series: StateLane['series'], label: string, history: readonly Change[], fromMs: number): StateLane {
  const before = history.filter((c) => c.atMs <= fromMs).at(-1);
  return { series, label, changes: [{ atMs: fromMs, state: before?.state ?? 'unknown' }, ...history.filter((c) => c.atMs > fromMs)] };
}

/** The history of one scenario action pair as states: `upState` until `down`, `downState` until `up`, ... */
export function actionHistory(events: readonly ScenarioEvent[], host: string, down: ScenarioEvent['kind'], up: ScenarioEvent['kind'], states: [string, string]): Change[] {
  const mine = events.filter((e) => e.host === host && (e.kind === down || e.kind === up));
  return [{ atMs: 0, state: states[0] }, ...mine.map((e) => ({ atMs: e.atMs, state: e.kind === down ? states[1] : states[0] }))];
}

export function publisherSeries(published: PublisherResult): Pick<TimelinePanel, 'confirms' | 'errors'> {
  return { confirms: published.confirmed.map(([, t]) => t), errors: published.failures.map(([atMs, message]) => ({ atMs, message })) };
}

/** One node kill as seen by one setting: its publisher, its HAProxy's server states. */
export interface KillView {
  readonly title: string;
  readonly victim: string;
  readonly killedAt: number;
  readonly published: PublisherResult;
  readonly serverHistory: Readonly<Record<string, readonly Change[]>>;
  readonly lbLabel: string;
}

export function nodeKillPlot(line: string, views: readonly KillView[], toS: number): TimelinePlot {
  const fromS = -2;
  return {
    title: `RabbitMQ ${line}: node killed (SIGKILL) under a steady publisher, warren's HAProxy checks and the guide's`,
    note: `confirms per 100 ms; HAProxy server states from its stats CSV polled every 100 ms; Keepalived is not running in this scenario (no VIP)`,
    fromS,
    toS,
    panels: views.map((v) => ({
      title: v.title,
      event: { atMs: v.killedAt, label: `${v.victim} killed` },
      ...publisherSeries(v.published),
      lanes: [
        { series: 'vip-holder', label: 'VIP holder', changes: [{ atMs: v.killedAt + fromS * 1000, state: 'Keepalived not running' }] },
        ...Object.entries(v.serverHistory).map(([server, history]) => laneFrom('haproxy-server', `${v.lbLabel} ${server}`, history, v.killedAt + fromS * 1000)),
      ],
    })),
  };
}

/** One VIP scenario as seen by one setting: the publisher through the VIP, the holder, the bench's actions. */
export interface VipView {
  readonly title: string;
  readonly published: PublisherResult;
  readonly holder: readonly Change[];
  readonly events: readonly ScenarioEvent[];
  readonly lbs: readonly string[];
  /** When the publisher and the VIP sampler were stopped. */
  readonly recordedUntilMs: number;
}

export function vipPlot(line: string, kind: 'haproxy stopped' | 'link cut', views: readonly VipView[], toS: number): TimelinePlot | undefined {
  const fromS = -2;
  const panels: TimelinePanel[] = [];
  for (const v of views) {
    const event = v.events.find((e) => e.kind === kind);
    if (!event) return undefined;
    const fromMs = event.atMs + fromS * 1000;
    const lanes: StateLane[] = [laneFrom('vip-holder', 'VIP holder', v.holder, fromMs)];
    for (const lb of v.lbs) lanes.push(laneFrom('haproxy-process', `HAProxy on ${lb}`, actionHistory(v.events, lb, 'haproxy stopped', 'haproxy started', ['running', 'stopped']), fromMs));
    for (const lb of v.lbs) lanes.push(laneFrom('link', `link of ${lb}`, actionHistory(v.events, lb, 'link cut', 'link restored', ['up', 'link cut']), fromMs));
    const otherEvents = v.events.filter((e) => e !== event).map((e) => ({ atMs: e.atMs, label: `${e.kind} on ${e.host}` }));
    panels.push({ title: v.title, event: { atMs: event.atMs, label: `${kind} on ${event.host}` }, otherEvents, recordedUntilMs: v.recordedUntilMs, ...publisherSeries(v.published), lanes });
  }
  return {
    title: `RabbitMQ ${line}: VIP failover, ${kind === 'haproxy stopped' ? "the holder's HAProxy killed" : "the holder's link cut"}, warren's Keepalived settings and the guide's`,
    note: `publisher through the VIP, confirms per 100 ms; VIP holder sampled every ${VIP_SAMPLE_MS} ms with ip addr; first run of the scenario`,
    fromS,
    toS,
    panels,
  };
}
