/**
 * The `warren` command. The only place that reads spec files, environment and secrets, and writes files.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SPEC, formatProblem, renderSpecReference, resolveCluster, specJsonSchema, SpecError, validateSpec, type GeneratedFile } from '../model';
import { loadSpecFile, UsageError } from './load-spec';
import { materialiseSecrets, secretsFolderFor, SecretSourceError } from './secrets-store';
import { STARTER_SPEC } from './starter-spec';
import { TARGETS } from './targets';
import { writeOutput } from './write-output';

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
  validate   check a spec and list every problem
  init       write a commented starter spec
  schema     write the JSON Schema of the spec file

Run \`warren <command> --help\` for its options.`,
  synth: `Usage: warren synth [--spec FILE] [--out DIR] [--target NAME]...

Writes the cluster's files into DIR, one folder per target. Without --spec, synthesises the
built-in default cluster (3 nodes, RabbitMQ 4.3, HAProxy in front). Nothing is written when the spec
has errors; an existing output is replaced target by target, never half-written.

Options:
  --spec FILE     spec file (YAML or JSON)
  --out DIR       output folder (default: dist)
  --target NAME   only this target; repeatable (${TARGETS.map((t) => t.name).join(', ')})
  -h, --help      show this help`,
  validate: `Usage: warren validate --spec FILE

Checks the spec and prints every problem as \`path: "value" is ...; fix\`. Exits 1 on errors.`,
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
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}; run with --help for the options`);
  }
}

function specFrom(specPath: string | undefined, io: CliIo): { spec: unknown; baseDir: string } {
  if (!specPath) return { spec: DEFAULT_SPEC, baseDir: io.cwd };
  const path = resolve(io.cwd, specPath);
  return { spec: loadSpecFile(path), baseDir: dirname(path) };
}

function reportWarnings(io: CliIo, lines: readonly string[]): void {
  for (const line of lines) io.stderr(`${line}\n`);
}

const synth: Command = (args, io) => {
  const { values } = parse(args, { spec: { type: 'string' }, out: { type: 'string' }, target: { type: 'string', multiple: true } });
  if (values.help) return io.stdout(`${HELP.synth}\n`), 0;
  const unknown = (values.target as string[] | undefined)?.filter((name) => !TARGETS.some((t) => t.name === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--target "${unknown.join('", "')}" is not a target; use one of ${TARGETS.map((t) => t.name).join(', ')}`);
  const targets = values.target ? TARGETS.filter((t) => (values.target as string[]).includes(t.name)) : TARGETS;
  const { spec, baseDir } = specFrom(values.spec as string | undefined, io);
  const cluster = resolveCluster(spec as never);
  const outDir = resolve(io.cwd, (values.out as string | undefined) ?? 'dist');
  const secretsFolder = secretsFolderFor(outDir, cluster.name);
  const secrets = materialiseSecrets(cluster, { folder: secretsFolder, baseDir, env: io.env });
  const written: { target: string; files: GeneratedFile[] }[] = targets.map((t) => ({ target: t.name, files: t.files(cluster, secrets) }));
  writeOutput(outDir, written.flatMap((w) => w.files));

  const show = (path: string) => relative(io.cwd, path) || '.';
  const total = written.reduce((n, w) => n + w.files.length, 0);
  io.stdout(`warren: cluster "${cluster.name}" (RabbitMQ ${cluster.version.text}, ${cluster.nodes.length} nodes) -> ${show(outDir)}/ (${total} files)\n`);
  for (const { target, files } of written) {
    const secretCount = files.filter((f) => f.kind === 'secret').length;
    io.stdout(`  ${target.padEnd(10)} ${String(files.length).padStart(3)} ${files.length === 1 ? 'file ' : 'files'}${secretCount ? ` (${secretCount} secret, mode 0600)` : ''}\n`);
    for (const line of summarise(files)) io.stdout(`             ${show(resolve(outDir, line.path))}${line.note}\n`);
  }
  io.stdout(`secrets: ${show(secretsFolder)}/ holds generated secrets (mode 0600); they are reused on every synth, keep them out of git\n`);
  reportWarnings(io, [...cluster.warnings.map(formatProblem), ...cluster.notices.map((n) => `notice: ${n}`)]);
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
  const { values } = parse(args, { spec: { type: 'string' } });
  if (values.help) return io.stdout(`${HELP.validate}\n`), 0;
  if (!values.spec) throw new UsageError('validate needs --spec FILE; run `warren validate --help`');
  const { spec } = specFrom(values.spec as string, io);
  const result = validateSpec(spec);
  if (!result.ok) throw new SpecError(result.problems);
  reportWarnings(io, result.warnings.map(formatProblem));
  io.stdout(`${values.spec}: valid\n`);
  return 0;
};

const init: Command = (args, io) => {
  const { values } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } });
  if (values.help) return io.stdout(`${HELP.init}\n`), 0;
  const path = resolve(io.cwd, (values.out as string | undefined) ?? 'warren.yaml');
  if (existsSync(path) && !values.force) throw new UsageError(`${path} exists; pass --force to overwrite it, or --out another file`);
  writeFileSync(path, STARTER_SPEC);
  io.stdout(`wrote ${relative(io.cwd, path)}; next: warren synth --spec ${relative(io.cwd, path)}\n`);
  return 0;
};

const schema: Command = (args, io) => {
  const { values } = parse(args, { out: { type: 'string' }, reference: { type: 'string' } });
  if (values.help) return io.stdout(`${HELP.schema}\n`), 0;
  const jsonSchema = specJsonSchema();
  const text = `${JSON.stringify(jsonSchema, null, 2)}\n`;
  if (values.out) writeFileSync(resolve(io.cwd, values.out as string), text);
  else io.stdout(text);
  if (values.reference) writeFileSync(resolve(io.cwd, values.reference as string), renderSpecReference(jsonSchema));
  return 0;
};

const COMMANDS: Record<string, Command> = { synth, validate, init, schema };

/** Runs one command line; returns the exit code (0 ok, 1 invalid spec or secrets, 2 usage). */
export function runCli(argv: string[], io: CliIo): number {
  const [name, ...rest] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(`${HELP.main}\n`);
      return name ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`"${name}" is not a warren command; use one of ${Object.keys(COMMANDS).join(', ')} (warren --help)`);
    return command(rest, io);
  } catch (error) {
    if (error instanceof SpecError || error instanceof SecretSourceError) {
      io.stderr(`warren: ${error.message}\nnothing was written\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      io.stderr(`warren: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** Runs the command line of this process (the package binary and `tsx cli/main.ts` both come here). */
export function main(): void {
  process.exitCode = runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  });
}

if (require.main === module) main();
