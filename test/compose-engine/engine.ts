/**
 * A private Docker engine for one test file (test/roots/docker-engine.sh): dockerd in a network namespace
 * of its own, the docker CLI pointed at it, and commands run inside that namespace, where the compose
 * project's published 127.0.0.1 ports are.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export const REPOSITORY = resolve(__dirname, '../..');
const SCRIPT = join(REPOSITORY, 'test/roots/docker-engine.sh');
/** Debian's CLI, which matches the engine; /usr/local/bin/docker may be another one. */
const DOCKER = '/usr/bin/docker';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(argv: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      done({ code: 127, stdout, stderr: stderr + String(error) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr });
    });
  });
}

export async function ok(argv: readonly string[], options?: Parameters<typeof run>[1]): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export class DockerEngine {
  private stopped = false;
  private readonly onExit = () => this.stopNow();

  private constructor(
    /** The network namespace (under /run/netns) that dockerd and every container live in. */
    readonly netns: string,
    readonly dockerHost: string,
  ) {
    process.on('exit', this.onExit);
  }

  /** Starts dockerd in a new namespace; throws with the script's message (e.g. what is not built) when it cannot. */
  static async start(): Promise<DockerEngine> {
    const netns = `wce-${randomBytes(3).toString('hex')}`;
    const started = await run([SCRIPT, 'start', netns]);
    const host = /^DOCKER_HOST=(\S+)$/m.exec(started.stdout)?.[1];
    if (started.code !== 0 || !host) throw new Error(`the Docker engine did not start (${SCRIPT} start ${netns}):\n${started.stderr}`);
    return new DockerEngine(netns, host);
  }

  /** Builds (or finds cached) stand-ins for these image names; throws naming what is missing. */
  async buildStandInImages(images: readonly string[]): Promise<string> {
    const built = await run([SCRIPT, 'images', this.netns, ...images]);
    if (built.code !== 0) throw new Error(`stand-in images ${images.join(', ')} could not be built:\n${built.stderr}`);
    return built.stderr;
  }

  docker(args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
    return run([DOCKER, ...args], { ...options, env: { DOCKER_HOST: this.dockerHost } });
  }

  async dockerOk(args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
    const result = await this.docker(args, options);
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** A command inside the engine's network namespace (where 127.0.0.1 has the published ports). */
  inNamespace(argv: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
    return run(['nsenter', `--net=/run/netns/${this.netns}`, ...argv], options);
  }

  /** Stops dockerd (its containers with it) and deletes the namespace. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.off('exit', this.onExit);
    const stopped = await run([SCRIPT, 'stop', this.netns], { timeoutMs: 60_000 });
    if (stopped.code !== 0) throw new Error(`${SCRIPT} stop ${this.netns} failed:\n${stopped.stderr}`);
  }

  /** Last resort when the test process exits without afterAll. */
  private stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    spawnSync(SCRIPT, ['stop', this.netns], { stdio: 'ignore', timeout: 60_000 });
  }
}
