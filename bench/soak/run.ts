/**
 * npm run soak [-- --minutes N --seed S --line 4.3|3.10 --harsh --max-gap-s G --readme]: the chaos soak (issue 19).
 * Per broker line (both by default): boots the line's e2e example as VM bundles in the lab, runs confirmed
 * publishers and consumers through the VIP while the nemesis injects a seeded schedule of faults, and checks the
 * clients' logs. Writes bench/soak/results/<line>-<seed>.json and .svg (git-ignored) and, for the last run of each
 * line, latest-<line>.json / .svg (latest-<line>-harsh.* for --harsh); `--readme` regenerates the README's soak table from the latest files. Exits 1
 * when an enforced invariant fails (within tolerance: loss, unconfirmed rows, long gaps, no recovery; always:
 * handled twice, unknown ids). Needs root and the roots of test/roots, as the e2e suite.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveCluster, type ClusterSpec } from '../../model';
import { REPO_ROOT } from '../../test/e2e/bundles';
import ensurePackages from '../../test/setup/ensure-packages';
import { parseSoakArgs } from './args';
import { soakLine } from './line-run';
import { renderSoakSvg } from './plot';
import { updateSoakReadme } from './readme';
import { describeSchedule, drawSchedule } from './schedule';

const LINES = [
  { line: '4.3', example: 'e2e-4.3.yaml', loadBalancer: 'sid' },
  { line: '3.10', example: 'e2e-3.10.yaml', loadBalancer: 'bookworm' },
] as const;
const RESULTS = join(REPO_ROOT, 'bench', 'soak', 'results');

function log(line: string): void {
  process.stderr.write(`soak ${new Date().toISOString().slice(11, 19)}: ${line}\n`);
}

async function main(): Promise<void> {
  // Only the entry point draws randomness: a seed left out is drawn here, printed and stored in the report.
  const args = parseSoakArgs(process.argv.slice(2), () => Math.floor(Math.random() * 0x100000000));
  ensurePackages();
  mkdirSync(RESULTS, { recursive: true });
  let failed = false;
  for (const { line, example, loadBalancer } of LINES.filter((l) => args.lines.includes(l.line))) {
    const cluster = resolveCluster(parse(readFileSync(join(REPO_ROOT, 'examples', example), 'utf8')) as ClusterSpec);
    const schedule = drawSchedule(args, { nodes: cluster.nodes.map((n) => n.host), loadBalancers: cluster.loadBalancer?.hosts.map((h) => h.host) ?? [] });
    log(`RabbitMQ ${line}: schedule ${describeSchedule(schedule)}`);
    const base = join(RESULTS, `${line}-${args.seed}${args.harsh ? '-harsh' : ''}`);
    const report = await soakLine({ line, example, loadBalancer, schedule, maxGapMs: args.maxGapMs, log, keepLogsIn: `${base}-logs` });
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.svg`, renderSoakSvg(report));
    // Harsh runs keep a latest of their own: the README shows both, and a harsh run never stands for a tolerated one.
    const latest = join(RESULTS, `latest-${line}${args.harsh ? '-harsh' : ''}`);
    copyFileSync(`${base}.json`, `${latest}.json`);
    copyFileSync(`${base}.svg`, `${latest}.svg`);
    const v = report.verdict;
    log(`RabbitMQ ${line}: ${v.counts.confirmed} confirmed, ${v.lostConfirmed.count} lost, ${v.handledTwice.count} handled twice, ${v.handlerRedeliveries.count} redelivered to the handler, longest gap ${(v.longestGap.ms / 1000).toFixed(1)} s (${v.longestGap.faults.join(', ') || 'no fault'}), longest confirm-to-handled ${(v.longestDelivery.ms / 1000).toFixed(1)} s (${v.longestDelivery.id})`);
    for (const i of v.invariants) log(`  ${i.holds ? 'PASS' : i.enforced ? 'FAIL' : 'fail (beyond tolerance, reported)'}: ${i.name}: ${i.detail}`);
    log(`wrote ${base}.json and .svg, the logs in ${base}-logs/`);
    failed ||= !v.passed;
  }
  if (args.readme) {
    updateSoakReadme(join(REPO_ROOT, 'README.md'), RESULTS);
    log('regenerated the README soak table from the latest results');
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
