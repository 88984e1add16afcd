/**
 * The `warren` command. The only place that reads spec files, environment and secrets, and writes files.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SPEC,
  formatProblem,
  renderSpecReference,
  resolveCluster,
  secretsStoreLocation,
  specJsonSchema,
  SpecError,
  truncateForMessage,
  validateSpec,
  WarrenUserError,
  PLAN_STATE_PATH,
  tlsDialledNames,
  tlsMaterialTargets,
  type GeneratedFile,
  type Problem,
  type SecretTarget,
  type ResolvedCluster,
} from '../model/internal';
import { describeFsError } from '../io/fs-errors';
import { loadSpecFile } from '../io/spec-file';
import { generateSecrets, readSecretSources, type GeneratedSecrets } from '../io/secrets-store';
import { tlsCertificateProblems } from '../io/tls-certificates';
import { STARTER_SPEC } from './starter-spec';
import { deploymentTargetsOf, TARGETS, type Target } from './targets';
import { checkOutputFolder, writeOutput, writeUserFile } from './write-output';
import { plan, PLAN_HELP } from './plan';
import { cookieRecordOf, planStateFile, previousPlanState, refuseLostCookie } from './plan-state';
import { DLQ_HELP } from './dlq-help';
import { graph, GRAPH_HELP } from './graph';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const HELP: Record<string, string> = {
  main: `warren: one description of a RabbitMQ cluster, synthesised for every target

Usage: warren <command> [options]

Commands:
  synth      write every target (${TARGETS.map((t) => t.name).join(', ')}) for a spec
  plan       what applying a changed spec would do to the cluster last synthesised
  validate   check a spec and list every problem
  init       write a commented starter spec
  schema     write the JSON Schema of the spec file
  dlq        list, inspect and replay a reliable queue's dead letters on the running cluster
  graph      draw the topology or a target's deployment (Mermaid, DOT or SVG)

Run \`warren <command> --help\` for its options. --debug (any command) shows the stack of an internal error.
Exit status: 0 done, 1 the spec or a secret has errors, 2 a bad option or file, 3 an internal error
(plan: 0 nothing to apply, 2 changes, 1 a rejected change or any error; see warren plan --help).`,
  plan: PLAN_HELP,
  dlq: DLQ_HELP,
  graph: GRAPH_HELP,
  synth: `Usage: warren synth [--spec FILE] [--out DIR] [--target NAME]... [--secrets DIR]

Writes the cluster's files into DIR, one folder per target, and DIR/${PLAN_STATE_PATH} for
\`warren plan\` (the resolved spec, with secret sources but no secret values). Without --spec, synthesises the
built-in default cluster (3 nodes, RabbitMQ 4.3, HAProxy in front). Nothing is written (and no secret
generated) when the spec, a secret source, a TLS certificate (see warren validate --help; only the names the
chosen targets dial) or the output folder has errors; an existing output is
replaced target by target, never half-written.

Options:
  --spec FILE     spec file (YAML or JSON)
  --out DIR       output folder (default: dist)
  --target NAME   only this target; repeatable (${TARGETS.map((t) => t.name).join(', ')})
  --secrets DIR   store of generated secrets (default: .warren-secrets/ in the spec's folder)
  -h, --help      show this help`,
  validate: `Usage: warren validate --spec FILE [--spec-only]

Checks the spec and prints every problem as \`path: "value" is ...; fix\`, then reads every
file: and env: secret source, as synth would; with TLS, the certificate must name every host and address
the targets dial, match its key, lead to the CA, and not be expired (expiring within 30 days: a warning).
Exits 1 on errors.

Options:
  --spec-only     do not read secret sources (where they are not at hand, e.g. a CI lint job)
  -h, --help      show this help`,
  init: `Usage: warren init [--out FILE] [--force]

Writes a commented starter spec (default: warren.yaml); refuses to overwrite unless --force.`,
  schema: `Usage: warren schema [--out FILE] [--reference FILE]

Prints the spec's JSON Schema, or writes it to FILE; --reference also writes the Markdown spec reference.`,
};

type Command = (args: string[], io: CliIo) => number;

type Options = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
type Values = { values: Record<string, string | boolean | (string | boolean)[] | undefined> };

function parse(args: string[], options: Options): Values {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
  } catch (error) {
    throw new WarrenUserError(`${truncateForMessage((error as Error).message.replace(/\. To specify.*$/s, ''), 200)}; run with --help for the options`);
  }
}

function specFrom(specPath: string | undefined, io: CliIo): { spec: unknown; baseDir: string } {
  if (!specPath) return { spec: DEFAULT_SPEC, baseDir: io.cwd };
  const path = resolve(io.cwd, specPath);
  return { spec: loadSpecFile(path), baseDir: dirname(path) };
}

/**
 * The spec's problems, then (on a valid spec) its file: and env: secret sources, then the TLS certificates read
 * from them against the names dialled in `targets` (at `now`), all reported at once. Certificate warnings
 * (expiring soon) are returned, for the caller to print.
 */
function checkedCluster(
  spec: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  targets: readonly SecretTarget[],
): { cluster: ResolvedCluster; values: Record<string, string>; warnings: Problem[] } {
  const cluster = resolveCluster(spec as never);
  const { values, problems } = readSecretSources(cluster, { baseDir, env });
  if (problems.length > 0) throw new SpecError([...problems, ...cluster.warnings]);
  const certificates = cluster.tls ? tlsCertificateProblems(cluster, values, tlsDialledNames(cluster, tlsMaterialTargets(cluster, targets)), new Date()) : [];
  if (certificates.some((p) => p.severity === 'error')) throw new SpecError([...certificates, ...cluster.warnings]);
  return { cluster, values, warnings: certificates };
}

/**
 * Each generated certificate checked like one the spec gives, against the names its node is dialled by: a store
 * edited by hand (a certificate swapped between nodes) is refused before anything is written.
 */
function refuseGeneratedCertificates(cluster: ResolvedCluster, generated: GeneratedSecrets, targets: readonly Target[]): void {
  if (!cluster.tls?.nodes) return;
  const problems = tlsCertificateProblems(cluster, generated.values, tlsDialledNames(cluster, tlsMaterialTargets(cluster, deploymentTargetsOf(targets))), new Date()).filter((p) => p.severity === 'error');
  if (problems.length === 0) return;
  generated.remove();
  throw new SpecError(problems);
}

function reportWarnings(io: CliIo, lines: readonly string[]): void {
  for (const line of lines) io.stderr(`${line}\n`);
}

const synth: Command = (args, io) => {
  const { values } = parse(args, { spec: { type: 'string' }, out: { type: 'string' }, target: { type: 'string', multiple: true }, secrets: { type: 'string' } });
  if (values.help) return io.stdout(`${HELP.synth}\n`), 0;
  const unknown = (values.target as string[] | undefined)?.filter((name) => !TARGETS.some((t) => t.name === name)) ?? [];
  if (unknown.length > 0) throw new WarrenUserError(`--target "${truncateForMessage(unknown.join('", "'))}" is not a target; use one of ${TARGETS.map((t) => t.name).join(', ')}`);
  const targets = values.target ? TARGETS.filter((t) => (values.target as string[]).includes(t.name)) : TARGETS;
  const outDir = resolve(io.cwd, (values.out as string | undefined) ?? 'dist');
  checkOutputFolder(outDir);
  const { spec, baseDir } = specFrom(values.spec as string | undefined, io);
  const { cluster, values: read, warnings: certificateWarnings } = checkedCluster(spec, baseDir, io.env, deploymentTargetsOf(targets));
  const explicit = values.secrets === undefined ? undefined : resolve(io.cwd, values.secrets as string);
  const store = secretsStoreLocation({ ...(explicit !== undefined && { explicit }), specDir: baseDir, outDir, clusterName: cluster.name }, existsSync);
  const previous = previousPlanState(outDir);
  refuseLostCookie(outDir, previous, cluster, store.folder);
  // Every check has passed: only now are secrets generated, and taken back if a later step fails.
  const generated = generateSecrets(cluster, store.folder, read);
  refuseGeneratedCertificates(cluster, generated, targets);
  let written: { target: string; files: GeneratedFile[] }[];
  let swapping = false;
  try {
    written = targets.map((t) => ({ target: t.name, files: t.files(cluster, generated.values) }));
    // Last, so it is swapped in only once every target folder was.
    const state = planStateFile(previous, targets.map((t) => t.name), TARGETS.map((t) => t.name), cluster, cookieRecordOf(cluster, store.folder, baseDir));
    writeOutput(
      outDir,
      [...written.flatMap((w) => w.files), state],
      () => (swapping = true),
    );
  } catch (error) {
    // Once a target folder may hold the new secrets, they must stay in the store: the next synth reuses them.
    if (!swapping) generated.remove();
    if (error instanceof WarrenUserError || !(error as NodeJS.ErrnoException).code) throw error;
    throw new WarrenUserError(`--out: ${(error as NodeJS.ErrnoException).path ?? outDir} ${describeFsError(error, 'written')}`);
  }

  const show = (path: string) => relative(io.cwd, path) || '.';
  const total = written.reduce((n, w) => n + w.files.length, 0);
  io.stdout(`warren: cluster "${cluster.name}" (RabbitMQ ${cluster.version.text}, ${cluster.nodes.length} nodes) -> ${show(outDir)}/ (${total} files)\n`);
  for (const { target, files } of written) {
    const secretCount = files.filter((f) => f.kind === 'secret').length;
    io.stdout(`  ${target.padEnd(10)} ${String(files.length).padStart(3)} ${files.length === 1 ? 'file ' : 'files'}${secretCount ? ` (${secretCount} secret, mode 0600)` : ''}\n`);
    for (const line of summarise(files)) io.stdout(`             ${show(resolve(outDir, line.path))}${line.note}\n`);
  }
  if (cluster.secrets.some((ref) => ref.source.kind === 'generate')) {
    const where = store.legacy ? ' (beside the output, where earlier versions kept it; move it next to the spec or pass --secrets)' : '';
    io.stdout(`secrets: ${show(store.folder)}/ holds generated secrets (mode 0600)${where}; they are reused on every synth, keep them out of git\n`);
    const issued = generated.tlsIssued ?? [];
    if (issued.length > 0) {
      const what = issued.length === 1 ? 'a new certificate' : `${issued.length} new certificates`;
      io.stdout(`tls: ${what} from the CA in ${show(store.folder)}/ (${issued.join('; ')}); clients trust ${issued.length === 1 ? 'it' : 'them'} through ${show(store.folder)}/tls-ca-certificate\n`);
    }
  } else {
    io.stdout('secrets: none generated; every secret is read from file: or env:\n');
  }
  reportWarnings(io, [...cluster.warnings, ...certificateWarnings].map(formatProblem));
  reportWarnings(io, cluster.notices.map((n) => `notice: ${n}`));
  io.stdout(`next:\n${targets.map((t) => `  ${t.next.replaceAll('{out}', show(outDir))}`).join('\n')}\n`);
  return 0;
};

/** Up to 8 files are listed one by one; more are listed per folder (one per VM host, say). */
function summarise(files: readonly GeneratedFile[]): { path: string; note: string }[] {
  if (files.length <= 8) return files.map((f) => ({ path: f.path, note: '' }));
  const folders = new Map<string, number>();
  for (const file of files) {
    const folder = file.path.split('/').slice(0, 2).join('/');
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
  }
  return [...folders].map(([folder, count]) => ({ path: folder, note: count > 1 ? `/ (${count} files)` : '' }));
}

const validate: Command = (args, io) => {
  const { values } = parse(args, { spec: { type: 'string' }, 'spec-only': { type: 'boolean' } });
  if (values.help) return io.stdout(`${HELP.validate}\n`), 0;
  if (!values.spec) throw new WarrenUserError('validate needs --spec FILE; run `warren validate --help`');
  const { spec, baseDir } = specFrom(values.spec as string, io);
  const result = validateSpec(spec);
  if (!result.ok) throw new SpecError(result.problems);
  if (values['spec-only']) {
    reportWarnings(io, result.warnings.map(formatProblem));
    io.stdout(`${values.spec}: valid; secret sources not read (--spec-only)\n`);
    return 0;
  }
  const { cluster, warnings } = checkedCluster(spec, baseDir, io.env, deploymentTargetsOf(TARGETS));
  reportWarnings(io, [...result.warnings, ...warnings].map(formatProblem));
  const readable = cluster.secrets.filter((ref) => ref.source.kind !== 'generate').length;
  const generated = cluster.secrets.length - readable;
  io.stdout(`${values.spec}: valid; secret sources: ${readable} file:/env: read and accepted, ${generated} generated at synth\n`);
  return 0;
};

const init: Command = (args, io) => {
  const { values } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } });
  if (values.help) return io.stdout(`${HELP.init}\n`), 0;
  const path = resolve(io.cwd, (values.out as string | undefined) ?? 'warren.yaml');
  if (existsSync(path) && !values.force && !statIsFolder(path)) throw new WarrenUserError(`${path} exists; pass --force to overwrite it, or --out another file`);
  writeUserFile(path, STARTER_SPEC, '--out', 'warren.yaml');
  io.stdout(`wrote ${relative(io.cwd, path)}; next: warren synth --spec ${relative(io.cwd, path)}\n`);
  return 0;
};

const schema: Command = (args, io) => {
  const { values } = parse(args, { out: { type: 'string' }, reference: { type: 'string' } });
  if (values.help) return io.stdout(`${HELP.schema}\n`), 0;
  const jsonSchema = specJsonSchema();
  const text = `${JSON.stringify(jsonSchema, null, 2)}\n`;
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out as string);
  const reference = values.reference === undefined ? undefined : resolve(io.cwd, values.reference as string);
  if (reference !== undefined) writeUserFile(reference, renderSpecReference(jsonSchema), '--reference', 'spec-reference.md');
  if (out !== undefined) writeUserFile(out, text, '--out', 'warren.schema.json');
  else io.stdout(text);
  return 0;
};

const COMMANDS: Record<string, Command> = { synth, validate, init, schema, plan };

/** `warren dlq`: it talks to a broker, so it is the one asynchronous command (runCliAsync runs it). */
async function dlq(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (!action || action === '--help' || action === '-h') return io.stdout(`${DLQ_HELP}\n`), action ? 0 : 2;
  const { values } = parse(rest, {
    spec: { type: 'string' },
    queue: { type: 'string' },
    vhost: { type: 'string' },
    id: { type: 'string', multiple: true },
    limit: { type: 'string' },
    rate: { type: 'string' },
    secrets: { type: 'string' },
  });
  if (values.help) return io.stdout(`${DLQ_HELP}\n`), 0;
  if (values.spec === undefined) throw new WarrenUserError('dlq needs --spec FILE: the spec of the cluster whose dead letters to read');
  if (values.queue === undefined) throw new WarrenUserError('dlq needs --queue NAME: a queue with a retry policy in the spec');
  const { spec, baseDir } = specFrom(values.spec as string, io);
  // Loaded here only: the other commands start without the AMQP client.
  const { dlqOptions, runDlq } = await import('./dlq');
  const request = {
    action,
    cluster: resolveCluster(spec as never),
    queue: values.queue as string,
    vhost: (values.vhost as string | undefined) ?? '/',
    ...dlqOptions(values),
    baseDir,
    secretsDir: values.secrets as string | undefined,
    env: io.env,
    cwd: io.cwd,
  };
  return runDlq(request, io.stdout);
}

/** Commands that wait (dlq talks to a broker; graph --format svg lays out with a WebAssembly Graphviz): runCliAsync runs them. */
const ASYNC_COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = { dlq, graph };
const COMMAND_NAMES = [...Object.keys(COMMANDS), ...Object.keys(ASYNC_COMMANDS)];

function statIsFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Exit status of an error that is warren's fault, not the user's. */
export const INTERNAL_ERROR_EXIT_CODE = 3;

/**
 * Runs one synchronous command line; returns the exit code (0 ok, 1 invalid spec or secrets, 2 usage, 3 internal error).
 */
export function runCli(argv: string[], io: CliIo): number {
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv.filter((arg) => arg !== '--debug');
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(`${HELP.main}\n`);
      return name ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (ASYNC_COMMANDS[name]) throw new Error(`warren ${name} is asynchronous: run it through runCliAsync`);
    if (!command) throw new WarrenUserError(`"${truncateForMessage(name)}" is not a warren command; use one of ${COMMAND_NAMES.join(', ')} (warren --help)`);
    return command(rest, io);
  } catch (error) {
    return reportError(error, io, debug);
  }
}

/** runCli, and the asynchronous commands (dlq, graph): what the `warren` binary runs. */
export async function runCliAsync(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv.filter((arg) => arg !== '--debug');
  const command = name === undefined ? undefined : ASYNC_COMMANDS[name];
  if (!command) return runCli(argv, io);
  try {
    return await command(rest, io);
  } catch (error) {
    return reportError(error, io, debug);
  }
}

/** A user error prints its lines; anything else is a defect, reported as such, its stack only with --debug. */
function reportError(error: unknown, io: CliIo, debug: boolean): number {
  if (error instanceof WarrenUserError) {
    io.stderr(`warren: ${error.message}\n${error.exitCode === 1 ? 'nothing was written\n' : ''}`);
    return error.exitCode;
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
  io.stderr(`warren: internal error, please report it with the command you ran: ${truncateForMessage(summary, 300)}\n`);
  io.stderr(debug && error instanceof Error ? `${error.stack}\n` : 'run again with --debug to see where it happened\n');
  return INTERNAL_ERROR_EXIT_CODE;
}

/** Runs the command line of this process (the package binary and `tsx cli/main.ts` both come here). */
export function main(): void {
  // `warren schema | head` closes the pipe early: that ends the output, it is no error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  void runCliAsync(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  }).then((code) => (process.exitCode = code));
}

if (require.main === module) main();
