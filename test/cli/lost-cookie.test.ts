/** A generated Erlang cookie the store lost is never replaced by a new one for a cluster that was synthesised with it. */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';

const work: string[] = [];
afterEach(() => {
  for (const folder of work.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function synth(cwd: string): { code: number; stderr: string } {
  const err: string[] = [];
  const code = runCli(['synth', '--spec', 'warren.yaml', '--out', 'out'], { stdout: () => undefined, stderr: (t) => err.push(t), env: {}, cwd });
  return { code, stderr: err.join('') };
}

describe('warren synth and a lost Erlang cookie', () => {
  it('GIVEN an output synthesised with a generated cookie WHEN the store loses it THEN synth refuses in one line, generates nothing, and leaves the output as it was', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'warren-cookie-'));
    work.push(cwd);
    writeFileSync(join(cwd, 'warren.yaml'), 'name: orders\n');
    expect(synth(cwd).code).toBe(0);
    const cookie = join(cwd, '.warren-secrets', 'orders', 'erlang-cookie');
    rmSync(cookie);
    const listing = readdirSync(join(cwd, 'out')).sort();
    const { code, stderr } = synth(cwd);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `warren: the secrets store lost the Erlang cookie ${cookie}, which the cluster in ${join(cwd, 'out')} was synthesised with; a new cookie would cut the running nodes off from each other: copy a node's /var/lib/rabbitmq/.erlang.cookie to ${cookie} (mode 0600), or, for a new cluster, remove ${join(cwd, 'out', '.warren', 'state.json')}\nnothing was written\n`,
    );
    expect(existsSync(cookie)).toBe(false);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(listing);
  });

  it('GIVEN the state removed as the message says WHEN synth runs THEN a new cluster gets a new cookie', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'warren-cookie-'));
    work.push(cwd);
    writeFileSync(join(cwd, 'warren.yaml'), 'name: orders\n');
    expect(synth(cwd).code).toBe(0);
    rmSync(join(cwd, '.warren-secrets', 'orders', 'erlang-cookie'));
    rmSync(join(cwd, 'out', '.warren', 'state.json'));
    expect(synth(cwd).code).toBe(0);
    expect(existsSync(join(cwd, '.warren-secrets', 'orders', 'erlang-cookie'))).toBe(true);
  });
});
