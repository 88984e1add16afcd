/**
 * `warren synth` wall time (every target) for the default spec and for clusters of 3, 25 and 100 nodes:
 * in-process (runCli) and as the command an installed package runs (lib/warren.cjs, which the package's bin loads:
 * it runs the bundle lib/warren-cli.cjs from the V8 code cache `npm run build` writes; Node start-up included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../cli/main';
import { REPO_ROOT } from '../test/e2e/bundles';
import { figure, log, type Figure } from './figures';

export const SYNTH_NODE_COUNTS = ['default', 3, 25, 100] as const;

function specOf(nodes: (typeof SYNTH_NODE_COUNTS)[number]): Record<string, unknown> | undefined {
  if (nodes === 'default') return undefined;
  return {
    name: 'bench',
    nodes: Array.from({ length: nodes }, (_, i) => ({ host: `mq-${i + 1}`, address: `10.40.0.${i + 11}` })),
    loadBalancer: {
      hosts: [
        { host: 'lb-1', address: '10.40.0.201' },
        { host: 'lb-2', address: '10.40.0.202' },
      ],
      virtualIp: '10.40.0.250/24',
    },
  };
}

export function measureSynth(inProcessRuns: number, cliRuns: number): Record<string, { inProcessMs: Figure; cliMs: Figure }> {
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
  const command = join(REPO_ROOT, 'lib', 'warren.cjs');
  const work = mkdtempSync(join(tmpdir(), 'warren-bench-synth-'));
  const quiet = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: work };
  try {
    const result: Record<string, { inProcessMs: Figure; cliMs: Figure }> = {};
    for (const nodes of SYNTH_NODE_COUNTS) {
      const spec = specOf(nodes);
      const specArgs = spec ? ['--spec', join(work, `bench-${nodes}.yaml`)] : [];
      if (spec) writeFileSync(specArgs[1]!, stringify(spec));
      const out = join(work, `dist-${nodes}`);
      const inProcess: number[] = [];
      for (let i = 0; i < inProcessRuns; i++) {
        const started = performance.now();
        const code = runCli(['synth', ...specArgs, '--out', out], quiet);
        inProcess.push(performance.now() - started);
        if (code !== 0) throw new Error(`warren synth of ${nodes} nodes failed with ${code}`);
      }
      const cli: number[] = [];
      for (let i = 0; i < cliRuns; i++) {
        const started = performance.now();
        const run = spawnSync(process.execPath, [command, 'synth', ...specArgs, '--out', out], { cwd: work, encoding: 'utf8' });
        cli.push(performance.now() - started);
        if (run.status !== 0) throw new Error(`warren synth (process) of ${nodes} nodes failed: ${run.stderr}`);
      }
      // performance.now() reads in microseconds.
      result[String(nodes)] = { inProcessMs: figure(inProcess, { resolutionMs: 0.001 }), cliMs: figure(cli, { resolutionMs: 0.001 }) };
      log(`synth ${nodes} nodes: in-process median ${result[String(nodes)]!.inProcessMs.median} ms, command median ${result[String(nodes)]!.cliMs.median} ms`);
    }
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
