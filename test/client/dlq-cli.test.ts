/**
 * `warren dlq` before any broker is reached: an invalid spec gets the same validation report as `warren synth`
 * (every problem with its path and fix, exit 1), a secret it cannot read is named, and no connection is tried.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../../cli/main';

const dir = mkdtempSync(join(tmpdir(), 'warren-dlq-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (command: string, spec: string, env: NodeJS.ProcessEnv = {}) => {
  const file = join(dir, 'warren.yaml');
  writeFileSync(file, spec);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const args = command === 'dlq' ? ['dlq', 'list', '--spec', file, '--queue', 'orders.created'] : ['synth', '--spec', file, '--out', join(dir, 'dist')];
  const code = await runCliAsync(args, { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env, cwd: dir });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
};

describe('warren dlq with a spec it cannot use', () => {
  it('an invalid spec: the validation report synth gives, every problem at once, exit 1', async () => {
    const spec = 'name: Shop\nnodes: 0\ntopology: { queues: [{ name: orders.created, type: classic, retry: { attempts: 0 } }] }\n';
    const dlq = await run('dlq', spec);
    expect(dlq.code).toBe(1);
    expect(dlq.stderr).toBe((await run('synth', spec)).stderr);
    expect(dlq.stderr.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^warren: the spec has \d+ errors:$/), expect.stringMatching(/^  \S+: ".*" is .*; .+/)]);
    expect(dlq.stderr).toContain('  topology.queues[0].retry.attempts: "0" is below 1; give 1 (no retry) or more deliveries\n');
    expect(dlq.stdout).toBe('');
  });

  it('a password it cannot read: named with its source and the fix, exit 1, never a connection attempt', async () => {
    const spec = 'name: shop\ndefaultUser: { password: "env:SHOP_PASSWORD" }\ntopology: { queues: [{ name: orders.created, retry: { attempts: 3 } }] }\n';
    const dlq = await run('dlq', spec);
    expect([dlq.code, dlq.stderr.split('\n')[1]]).toEqual([
      1,
      '  defaultUser.password: "env:SHOP_PASSWORD" names environment variable SHOP_PASSWORD, which is not set (password of the default user "admin"); export it before running warren, or use "generate"',
    ]);
  });
});
