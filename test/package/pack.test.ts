/**
 * The package as a user gets it: `npm pack`, installed into an empty folder, gives a working `warren` command
 * and the library entry points the README shows, with types, and nothing that is not declared public.
 * Dependencies come from npm's cache (`--prefer-offline`); install scripts are not run (none is needed by
 * what is checked here: the client's SQLite store is not opened).
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'warren-pack-'));
const app = join(work, 'app');

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.error) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>): string {
  if (result.status !== 0) throw new Error(`exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

// Asynchronous: a minute of a blocked worker would time out vitest's own messages.
const npm = (args: readonly string[], cwd: string, timeout: number) => promisify(execFile)('npm', args, { cwd, timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });

beforeAll(async () => {
  await npm(['pack', '--pack-destination', work], ROOT, 180_000);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'an-app', private: true }));
  await npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(work, tarball)], app, 300_000);
}, 480_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package, installed into an empty folder', () => {
  it('GIVEN the installed package WHEN `warren synth` runs THEN it writes every target and says what it wrote', () => {
    const stdout = ok(run(join(app, 'node_modules', '.bin', 'warren'), ['synth', '--out', 'dist'], app));
    expect(stdout).toMatch(/^warren: cluster "rabbit" \(RabbitMQ 4\.3, 3 nodes\) -> dist\/ \(\d+ files\)$/m);
    for (const file of ['dist/compose/compose.yaml', 'dist/kubernetes', 'dist/vm/rabbit-1/install.sh']) expect(existsSync(join(app, file)), file).toBe(true);
    // The installed command runs the bundle, never the TypeScript sources (which are not shipped).
    expect(existsSync(join(app, 'node_modules', 'warren', 'cli'))).toBe(false);
  });

  it('GIVEN the installed package WHEN the command starts THEN it runs the bundle from the code cache the build wrote', () => {
    const loader = join(app, 'node_modules', 'warren', 'lib', 'warren.cjs');
    const script = `const loader = require(${JSON.stringify(loader)}); process.argv = [process.argv[0], 'warren', '--help']; loader.main(); console.error('code cache: ' + loader.codeCache);`;
    const result = run(process.execPath, ['-e', script], app);
    expect(result.stdout).toMatch(/^warren: one description of a RabbitMQ cluster/);
    expect(result.stderr).toBe('code cache: accepted\n');
    // Other V8 flags (as another Node version would) make V8 refuse the cache: the bundle is compiled, same output.
    const refused = run(process.execPath, ['--no-opt', '-e', script], app);
    expect(refused.stdout).toBe(result.stdout);
    expect(refused.stderr).toBe('code cache: rejected\n');
  });

  it('GIVEN the installed package WHEN `warren graph --format svg` runs THEN the bundle loads Graphviz (the one module it imports on demand)', () => {
    const svg = ok(run(join(app, 'node_modules', '.bin', 'warren'), ['graph', '--format', 'svg'], app));
    expect(svg).toMatch(/^<\?xml[^]*<svg[^]*<\/svg>\s*$/);
    expect(svg).toContain('rabbit');
  });

  it('GIVEN the exports map WHEN each library entry point is required THEN it loads with its main symbols, and internals stay private', () => {
    const script = `
      const expected = {
        'warren/model': ['resolveCluster', 'validateSpec', 'clusterSpecSchema', 'renderRabbitmqConf', 'secretsOfTarget'],
        'warren/charts': ['RabbitmqCluster', 'synthKubernetesManifests'],
        'warren/compose': ['composeFiles'],
        'warren/haproxy': ['haproxyConfigFromCluster', 'renderHaproxyConfig'],
        'warren/keepalived': ['keepalivedConfigsFromCluster'],
        'warren/vm': ['vmBundleFiles'],
        'warren/stacks': ['DockerRabbitmqCluster', 'KubernetesRabbitmqCluster'],
        'warren/client': ['Publisher', 'ReliableConsumer', 'OutboxRelay', 'SqliteStore'],
      };
      const missing = [];
      for (const [entry, names] of Object.entries(expected)) {
        const module = require(entry);
        for (const name of names) if (typeof module[name] !== 'function' && typeof module[name] !== 'object') missing.push(entry + ':' + name);
      }
      let internal;
      try { require('warren/model/internal'); internal = 'importable'; } catch (error) { internal = error.code; }
      console.log(JSON.stringify({ missing, internal }));`;
    const result = JSON.parse(ok(run(process.execPath, ['-e', script], app)));
    expect(result).toEqual({ missing: [], internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('GIVEN TypeScript code using the entry points WHEN it is type-checked THEN the types are real: good code passes, a wrong spec is refused', () => {
    writeFileSync(
      join(app, 'good.ts'),
      [
        "import { resolveCluster, type ResolvedCluster } from 'warren/model';",
        "import { haproxyConfigFromCluster } from 'warren/haproxy';",
        "const cluster: ResolvedCluster = resolveCluster({ name: 'orders', nodes: 3, loadBalancer: {} });",
        'const ports: number[] = cluster.listeners.map((listener) => listener.port);',
        'export { ports, haproxyConfigFromCluster };',
      ].join('\n'),
    );
    writeFileSync(join(app, 'bad.ts'), "import { resolveCluster } from 'warren/model';\nresolveCluster({ name: 'orders', nodes: 'three' });\n");
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types')];
    const good = run(process.execPath, [tsc, ...options, 'good.ts'], app);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    const bad = run(process.execPath, [tsc, ...options, 'bad.ts'], app);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number/);
  });
});
