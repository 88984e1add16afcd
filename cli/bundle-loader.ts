/**
 * The installed `warren` command's entry point, built to lib/warren.cjs. It runs the CLI bundle (lib/warren-cli.cjs)
 * with the V8 code cache that `npm run build` wrote beside it (lib/warren-cli.cache), so a start does not parse and
 * compile the 1.3 MB bundle again. A cache this Node does not accept (another V8 version or other V8 flags) is
 * ignored and the bundle is compiled as usual: slower, never different.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { constants, Script } from 'node:vm';

type Cli = typeof import('./main');

const BUNDLE = join(__dirname, 'warren-cli.cjs');
const CODE_CACHE = join(__dirname, 'warren-cli.cache');

/** Whether the last load ran from the code cache (`rejected`: written by another Node or with other flags). */
export let codeCache: 'accepted' | 'rejected' | 'absent' = 'absent';

function compile(cachedData: Buffer | undefined): Script {
  return new Script(wrap(readFileSync(BUNDLE, 'utf8')), {
    filename: BUNDLE,
    ...(cachedData && { cachedData }),
    // `warren graph --format svg` imports @viz-js/viz: resolved as a plain require()d bundle would.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

/** Evaluates the bundle as Node's CommonJS loader would (same wrapper, require resolving from lib/). */
function evaluate(script: Script): Cli {
  const bundleModule = { exports: {} as Cli };
  (script.runInThisContext() as (...args: unknown[]) => void)(bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, dirname(BUNDLE));
  return bundleModule.exports;
}

function loadCli(): Cli {
  const cachedData = existsSync(CODE_CACHE) ? readFileSync(CODE_CACHE) : undefined;
  const script = compile(cachedData);
  codeCache = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return evaluate(script);
}

/** Runs the command line of this process. */
export function main(): void {
  loadCli().main();
}

/**
 * `npm run build`'s last step: compiles the bundle, warms it with a synth of the default spec in a temporary folder
 * (so the cache holds the functions a synth compiles, not only the top level), and writes the code cache.
 */
export function writeCodeCache(): void {
  const script = compile(undefined);
  const work = mkdtempSync(join(tmpdir(), 'warren-code-cache-'));
  try {
    const quiet = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: work };
    const code = evaluate(script).runCli(['synth', '--out', join(work, 'dist')], quiet);
    if (code !== 0) throw new Error(`writeCodeCache: the warm-up synth exited ${code}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(`${CODE_CACHE}.tmp`, script.createCachedData());
  renameSync(`${CODE_CACHE}.tmp`, CODE_CACHE);
}

if (require.main === module) main();
