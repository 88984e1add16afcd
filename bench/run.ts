/**
 * npm run bench: figures from one run on this machine, printed as JSON on stdout (progress on stderr).
 * Needs root, Debian's rabbitmq-server, haproxy and keepalived, and the roots of test/roots (as the e2e suite).
 * Lab figures per broker line (4.3 behind HAProxy 3.2 / keepalived 2.3, then 3.10 behind 2.6 / 2.2.7; BENCH_LINES=4.3
 * for one). `-- --readme` also writes bench/results.json and regenerates the README's table from it. Runs: BENCH_KILL_RUNS (default 4, alternating warren/guide), BENCH_VIP_RUNS (3), BENCH_THROUGHPUT_PAIRS (400 interleaved windows each direct / through HAProxy, after 3 discarded: the median's 95 % interval is about ± 0.03 at this machine's per-pair spread), BENCH_SYNTH_IN_PROCESS_RUNS (5), BENCH_SYNTH_COMMAND_RUNS (7), BENCH_GRAPH_RUNS (7).
 * BENCH_ONLY=graph measures only how long the 1,000-queue topology takes to draw (no root, no roots, a minute);
 * BENCH_ONLY=synth only the synth timings (no root, no roots; a minute or two).
 * BENCH_ONLY=throughput only the throughput pairs through HAProxy / direct (root and roots; about 4 minutes a line); with
 * `-- --readme` they replace those in bench/results.json, and the README's table is regenerated.
 * BENCH_ONLY=reliability-kills only issue 13's kill proofs (root and roots; 2 minutes a line on a quiet machine, 10 under load); with `-- --readme`
 * its figures replace those in bench/results.json, and the README's table is regenerated from it.
 */
import { cpus } from 'node:os';
import { log } from './figures';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/e2e/bundles';
import { measureLab, measureLabThroughput, type LabFigures } from './lab-bench';
import type { ThroughputFigures } from './throughput';
import { mergeIntoResults, updateReadme } from './readme-table';
import { measureSynth } from './synth-timing';
import { measureGraph } from './graph-timing';
import { measureReliabilityKills, type ReliabilityKillFigures } from './reliability-kills';
import { renderTimelineSvg } from './timeline-svg';
import ensurePackages from '../test/setup/ensure-packages';
import { measureReliabilityLines } from './reliability-figures';
import { runReliabilityFiguresOnly } from './reliability-run';

/** Issue 15's targets for failover (medians unless named worst), issue 20's for throughput, the synth ones. */
const TARGETS = {
  nodeDeathDetectionMedianMaxMs: 800,
  nodeDeathDetectionMaxMs: 1200,
  vipFailoverHaproxyMaxMs: 1000,
  vipFailoverLinkCutMaxMs: 1500,
  vipFailoverSubSecondMaxMs: 500,
  throughputRatioMin: 0.9,
  synth100NodesMaxMs: 3000,
  synthDefaultCommandMaxMs: 500,
  graphSvg1000QueuesMaxCpuMs: 2000,
};

/** The broker lines the lab measures, primary first: each its e2e example and its load-balancer build. */
const LINES = [
  { line: '4.3', example: 'e2e-4.3.yaml', loadBalancer: 'sid' },
  { line: '3.10', example: 'e2e-3.10.yaml', loadBalancer: 'bookworm' },
] as const;

/** Issue 13's kill proofs on each selected line, after its lab part. */
async function reliabilityKillsOf(only: readonly string[] | undefined): Promise<Record<string, ReliabilityKillFigures>> {
  const figures: Record<string, ReliabilityKillFigures> = {};
  for (const { line } of LINES.filter((l) => !only || only.includes(l.line))) figures[line] = await measureReliabilityKills(line);
  return figures;
}

function synthTargetsMet(synth: ReturnType<typeof measureSynth>): { synth100NodesMet: boolean; synthDefaultCommandMet: boolean } {
  return {
    synth100NodesMet: synth['100']!.cliMs.median < TARGETS.synth100NodesMaxMs,
    synthDefaultCommandMet: synth.default!.cliMs.median < TARGETS.synthDefaultCommandMaxMs,
  };
}

async function main(): Promise<void> {
  const runs = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const only = process.env.BENCH_LINES?.split(',');
  const throughputPairs = () => runs('BENCH_THROUGHPUT_PAIRS', 400);
  if (process.env.BENCH_ONLY === 'graph') {
    const graph = await measureGraph(runs('BENCH_GRAPH_RUNS', 7));
    const met = graph.svgCpuMs.median < TARGETS.graphSvg1000QueuesMaxCpuMs;
    process.stdout.write(`${JSON.stringify({ startedAt: new Date().toISOString(), machine: { cpus: cpus().length }, graph, targets: { graphSvg1000QueuesMaxCpuMs: TARGETS.graphSvg1000QueuesMaxCpuMs, graphSvg1000QueuesMet: met } }, null, 2)}\n`);
    return;
  }
  if (process.env.BENCH_ONLY === 'synth') {
    const synth = measureSynth(runs('BENCH_SYNTH_IN_PROCESS_RUNS', 5), runs('BENCH_SYNTH_COMMAND_RUNS', 7));
    const targets = { synth100NodesMaxMs: TARGETS.synth100NodesMaxMs, synthDefaultCommandMaxMs: TARGETS.synthDefaultCommandMaxMs, ...synthTargetsMet(synth) };
    process.stdout.write(`${JSON.stringify({ startedAt: new Date().toISOString(), machine: { cpus: cpus().length }, synthWallMs: synth, targets }, null, 2)}\n`);
    return;
  }
  if (process.env.BENCH_ONLY === 'throughput') {
    ensurePackages();
    const print = console.log;
    console.log = console.error;
    const measuredAt = new Date().toISOString();
    const throughput: Record<string, ThroughputFigures> = {};
    try {
      for (const { line, example, loadBalancer } of LINES.filter((l) => !only || only.includes(l.line))) throughput[line] = { ...(await measureLabThroughput({ example, loadBalancer, throughputPairs: throughputPairs() })), measuredAt };
    } finally {
      console.log = print;
    }
    process.stdout.write(`${JSON.stringify({ startedAt: measuredAt, machine: { cpus: cpus().length }, throughput }, null, 2)}\n`);
    if (process.argv.includes('--readme')) mergeIntoResults(REPO_ROOT, (figures) => {
      for (const [line, t] of Object.entries(throughput)) {
        const lab = figures.lines[line];
        if (!lab) throw new Error(`bench/results.json has no line ${line}: run the whole bench with -- --readme once first`);
        Object.assign(figures.lines, { [line]: { ...lab, publishThroughput: t, met: { ...lab.met, throughputRatio: t.ratio.median >= TARGETS.throughputRatioMin } } });
      }
      log('merged the throughput pairs into bench/results.json and regenerated the README table');
    });
    return;
  }
  if (process.env.BENCH_ONLY === 'reliability-figures') return runReliabilityFiguresOnly(LINES.map((l) => l.line).filter((l) => !only || only.includes(l)));
  ensurePackages();
  if (process.env.BENCH_ONLY === 'reliability-kills') {
    // The lab's helpers print progress with console.log: keep stdout for the JSON alone.
    const print = console.log;
    console.log = console.error;
    const reliabilityKills = await reliabilityKillsOf(only).finally(() => (console.log = print));
    process.stdout.write(`${JSON.stringify({ startedAt: new Date().toISOString(), machine: { cpus: cpus().length }, reliabilityKills }, null, 2)}\n`);
    if (process.argv.includes('--readme')) mergeIntoResults(REPO_ROOT, (figures) => {
      const measuredAt = new Date().toISOString();
      Object.assign(figures, { reliabilityKills: Object.fromEntries(Object.entries(reliabilityKills).map(([line, f]) => [line, { ...f, measuredAt }])) });
      log('merged the reliability kills into bench/results.json and regenerated the README table');
    });
    return;
  }
  const startedAt = new Date().toISOString();
  log('synth timings');
  const synth = measureSynth(runs('BENCH_SYNTH_IN_PROCESS_RUNS', 5), runs('BENCH_SYNTH_COMMAND_RUNS', 7));
  log('graph timings');
  const graph = await measureGraph(runs('BENCH_GRAPH_RUNS', 7));
  const lines: Record<string, LabFigures & { met: Record<string, boolean> }> = {};
  const plots: Record<string, string[]> = {};
  mkdirSync(join(REPO_ROOT, 'bench', 'plots'), { recursive: true });
  for (const { line, example, loadBalancer } of LINES.filter((l) => !only || only.includes(l.line))) {
    log(`lab figures for RabbitMQ ${line} (${example}, ${loadBalancer} load balancers; about 6 minutes)`);
    const lab = await measureLab({ example, loadBalancer, killRuns: runs('BENCH_KILL_RUNS', 4), vipRuns: runs('BENCH_VIP_RUNS', 3), throughputPairs: throughputPairs(),
      onPlot: (name, plot) => {
        const file = `bench/plots/${line}-${name}.svg`;
        writeFileSync(join(REPO_ROOT, file), renderTimelineSvg(plot));
        (plots[line] ??= []).push(file);
        log(`wrote ${file}`);
      },
    });
    lines[line] = {
      ...lab,
      met: {
        nodeDeathDetection: lab.nodeDeathDetectionMs.warren.median <= TARGETS.nodeDeathDetectionMedianMaxMs && lab.nodeDeathDetectionMs.warren.max <= TARGETS.nodeDeathDetectionMaxMs,
        vipFailoverHaproxy: Math.max(lab.vipFailoverMs.warren!.haproxyStopped.median, lab.vipFailoverMs.warren!.haproxyHung?.median ?? Infinity) <= TARGETS.vipFailoverHaproxyMaxMs,
        vipFailoverLinkCut: lab.vipFailoverMs.warren!.linkCut.median <= TARGETS.vipFailoverLinkCutMaxMs,
        vipFailoverSubSecond: Math.max(lab.vipFailoverMs.subSecond!.haproxyStopped.median, lab.vipFailoverMs.subSecond!.linkCut.median) <= TARGETS.vipFailoverSubSecondMaxMs,
        throughputRatio: lab.publishThroughput.ratio.median >= TARGETS.throughputRatioMin,
      },
    };
  }
  const reliabilityKills = await reliabilityKillsOf(only);
  const figures = {
    startedAt,
    machine: { cpus: cpus().length },
    lines,
    plots,
    reliability: { startedAt: new Date().toISOString(), lines: await measureReliabilityLines(Object.keys(lines)) },
    reliabilityKills,
    synthWallMs: synth,
    graph,
    targets: {
      ...TARGETS,
      ...synthTargetsMet(synth),
      graphSvg1000QueuesMet: graph.svgCpuMs.median < TARGETS.graphSvg1000QueuesMaxCpuMs,
    },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  if (process.argv.includes('--readme')) {
    writeFileSync(join(REPO_ROOT, 'bench', 'results.json'), `${JSON.stringify(figures, null, 2)}\n`);
    updateReadme(join(REPO_ROOT, 'README.md'), figures);
    log('wrote bench/results.json and the README table');
  }
}

// Exit once the figures are out: a lab helper's timer or socket left open kept the process alive for minutes after.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
