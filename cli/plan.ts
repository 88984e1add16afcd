/**
 * `warren plan`: what applying the spec now would do to the cluster last synthesised into the output folder,
 * one line per change with its class, reason and fix. Exit status as `terraform plan -detailed-exitcode`:
 * 0 nothing to apply, 2 changes to apply, 1 an error; a rejected change is an error (1), listed with the rest.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CHANGE_CLASSES,
  DEFAULT_SPEC,
  formatChange,
  formatProblem,
  PLAN_STATE_PATH,
  planChanges,
  planSnapshotOf,
  resolveCluster,
  secretsStoreLocation,
  truncateForMessage,
  WarrenUserError,
  type ChangeClass,
  type PlannedChange,
} from '../model/internal';
import { loadSpecFile } from '../io/spec-file';
import { observeCookie, readPlanState } from './plan-state';

interface PlanIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export const PLAN_HELP = `Usage: warren plan [--spec FILE] [--out DIR] [--secrets DIR]

Compares the spec with what \`warren synth\` last wrote into DIR (it keeps DIR/${PLAN_STATE_PATH}: the
resolved spec, secret sources but never secret values) and prints one line per change:
  path: before -> after: class: reason; fix
The class says what the change does to the running cluster: no-op (nothing), live (taken while running),
rolling restart (one node at a time), migration (a procedure: a version upgrade, a queue recreated, nodes
leaving), rejected (cannot be done as a change: an unsupported upgrade path, a downgrade, another Erlang
cookie, too few nodes for the quorum queues...). Nothing is written.

Options:
  --spec FILE     spec file (YAML or JSON); without it, the built-in default cluster, as synth does
  --out DIR       the output folder synth wrote (default: dist)
  --secrets DIR   the secrets store synth used (default: .warren-secrets/ in the spec's folder)
  -h, --help      show this help

Exit status (as terraform plan -detailed-exitcode): 0 nothing to apply (no changes, or only no-op ones),
2 changes to apply, 1 a rejected change (listed with the others) or an error (a bad spec or option, no earlier
synth in DIR), 3 an internal error.`;

/** What each class means for warren's own targets, printed once under the changes when the class is present. */
const CLASS_NOTES: Partial<Record<ChangeClass, string>> = {
  live:
    'live: RabbitMQ takes these while running (each fix says how), but warren\'s targets hand definitions.json, enabled_plugins and TLS files to a node only when it starts: ' +
    'on kubernetes, kubectl apply rolls the pods (their config checksum changes); on VMs, install.sh restarts RabbitMQ where they changed (run it one host at a time); ' +
    'compose nodes read them at their next start. Apply them live first; the new output then only makes later starts agree.',
  'rolling restart':
    'rolling restart: one node at a time, each drained (rabbitmq-upgrade await_online_quorum_plus_one, then drain) and back in the cluster before the next: ' +
    'on kubernetes, kubectl apply does it (the StatefulSet rolls the pods, the preStop hook drains); on VMs, run install.sh one host at a time; ' +
    'with compose, docker compose up -d --no-deps --force-recreate <host> for one node service after another.',
  migration: 'migration: do what each fix says before (or instead of) applying the new output; a restart alone does not do it.',
};

function parse(args: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: { spec: { type: 'string' }, out: { type: 'string' }, secrets: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (error) {
    throw new WarrenUserError(`${truncateForMessage((error as Error).message.replace(/\. To specify.*$/s, ''), 200)}; run warren plan --help for the options`, 1);
  }
}

const nodes = (count: number) => `${count} ${count === 1 ? 'node' : 'nodes'}`;

function summary(changes: readonly PlannedChange[]): string {
  if (changes.length === 0) return 'no changes';
  const counts = CHANGE_CLASSES.map((klass) => [klass, changes.filter((c) => c.class === klass).length] as const).filter(([, n]) => n > 0);
  return `${changes.length} ${changes.length === 1 ? 'change' : 'changes'}: ${counts.map(([klass, n]) => `${n} ${klass}`).join(', ')}`;
}

/** Runs the command; every user error exits 1, since 2 means "changes" here. */
export function plan(args: string[], io: PlanIo): number {
  try {
    return planOrThrow(args, io);
  } catch (error) {
    if (error instanceof WarrenUserError && error.exitCode !== 1) throw new WarrenUserError(error.message, 1);
    throw error;
  }
}

function planOrThrow(args: string[], io: PlanIo): number {
  const values = parse(args);
  if (values.help) return io.stdout(`${PLAN_HELP}\n`), 0;
  const outDir = resolve(io.cwd, (values.out as string | undefined) ?? 'dist');
  const show = (path: string) => relative(io.cwd, path) || '.';
  const specPath = values.spec === undefined ? undefined : resolve(io.cwd, values.spec as string);
  const spec = specPath === undefined ? DEFAULT_SPEC : loadSpecFile(specPath);
  const baseDir = specPath === undefined ? io.cwd : dirname(specPath);
  const cluster = resolveCluster(spec as never);
  const state = readPlanState(outDir);
  if (!state) {
    const synth = `warren synth${values.spec === undefined ? '' : ` --spec ${values.spec as string}`}${values.out === undefined ? '' : ` --out ${values.out as string}`}`;
    throw new WarrenUserError(
      `${show(outDir)}/ holds no synthesis to compare with (no ${show(outDir)}/${PLAN_STATE_PATH}); run \`${synth}\` first (or pass --out with the folder synth wrote)`,
      1,
    );
  }
  for (const warning of cluster.warnings) io.stderr(`${formatProblem(warning)}\n`);
  const explicit = values.secrets === undefined ? undefined : resolve(io.cwd, values.secrets as string);
  const store = secretsStoreLocation({ ...(explicit !== undefined && { explicit }), specDir: baseDir, outDir, clusterName: cluster.name }, existsSync);
  const now = planSnapshotOf(cluster);
  const all: PlannedChange[] = [];
  for (const entry of state.synthesised) {
    const cookie = { before: entry.erlangCookie, now: observeCookie(cluster, entry.erlangCookie, { storeFolder: store.folder, baseDir, env: io.env }) };
    const changes = planChanges(entry.cluster, now, { cookie });
    all.push(...changes);
    io.stdout(
      `warren plan: cluster "${cluster.name}" (RabbitMQ ${cluster.version.text}, ${nodes(cluster.nodes.length)}) against ${show(outDir)}/ ` +
        `as synthesised for ${entry.targets.join(', ')} (warren ${entry.warren}, RabbitMQ ${entry.cluster.version}, ${nodes(entry.cluster.nodes.length)})\n`,
    );
    for (const change of changes) io.stdout(`${formatChange(change)}\n`);
    io.stdout(`plan: ${summary(changes)}\n`);
  }
  for (const [klass, note] of Object.entries(CLASS_NOTES)) if (all.some((c) => c.class === klass)) io.stdout(`${note}\n`);
  const rejected = all.filter((c) => c.class === 'rejected').length;
  if (rejected > 0) {
    io.stderr(`warren: ${rejected} rejected ${rejected === 1 ? 'change' : 'changes'}; change the spec as ${rejected === 1 ? 'its fix says' : 'their fixes say'}, then run warren plan again\n`);
    return 1;
  }
  return all.some((c) => c.class !== 'no-op') ? 2 : 0;
}
