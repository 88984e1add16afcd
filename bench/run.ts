/**
 * npm run bench: figures from one run on this machine, printed as JSON on stdout (progress on stderr).
 * Needs root and Debian's rabbitmq-server, haproxy and keepalived (as the e2e suite).
 * Runs: BENCH_KILL_RUNS (default 4, alternating warren/guide), BENCH_VIP_RUNS (3), BENCH_THROUGHPUT_RUNS (3).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { log } from './figures';
import { measureLab } from './lab-bench';
import { measureSynth } from './synth-timing';

const TARGETS = {
  nodeDeathDetectionMaxMs: 2000,
  vipFailoverDefaultMaxMs: 3000,
  vipFailoverVrrp3SubSecondMaxMs: 1000,
  throughputRatioMin: 0.9,
  synth100NodesMaxMs: 3000,
};

function version(argv: string[], pattern: RegExp): string {
  // keepalived prints its version on stderr.
  const run = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return pattern.exec(`${run.stdout ?? ''}${run.stderr ?? ''}`)?.[1] ?? 'unknown';
}

async function main(): Promise<void> {
  const runs = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const startedAt = new Date().toISOString();
  log('synth timings');
  const synth = measureSynth(5, 3);
  log('lab figures (about 6 minutes)');
  const lab = await measureLab({ killRuns: runs('BENCH_KILL_RUNS', 4), vipRuns: runs('BENCH_VIP_RUNS', 3), throughputRuns: runs('BENCH_THROUGHPUT_RUNS', 3) });
  const figures = {
    startedAt,
    machine: {
      cpus: cpus().length,
      rabbitmq: version(['dpkg-query', '-W', '-f=${Version}', 'rabbitmq-server'], /^(\S+)/),
      haproxy: version(['haproxy', '-v'], /version (\S+)/),
      keepalived: version(['keepalived', '--version'], /Keepalived v(\S+)/),
    },
    ...lab,
    synthWallMs: synth,
    targets: {
      ...TARGETS,
      met: {
        nodeDeathDetection: lab.nodeDeathDetectionMs.warren.max <= TARGETS.nodeDeathDetectionMaxMs,
        vipFailoverDefault: Math.max(lab.vipFailoverMs.warren!.haproxyStopped.median, lab.vipFailoverMs.warren!.linkCut.median) <= TARGETS.vipFailoverDefaultMaxMs,
        vipFailoverVrrp3SubSecond: Math.max(lab.vipFailoverMs.vrrp3SubSecond!.haproxyStopped.median, lab.vipFailoverMs.vrrp3SubSecond!.linkCut.median) <= TARGETS.vipFailoverVrrp3SubSecondMaxMs,
        throughputRatio: lab.publishThroughput.ratio >= TARGETS.throughputRatioMin,
        synth100Nodes: synth['100']!.cliMs.median < TARGETS.synth100NodesMaxMs,
      },
    },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
