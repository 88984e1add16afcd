/**
 * A synth whose swap fails half-way (here a target folder that is a mount point, which cannot be renamed)
 * leaves the previous output whole: the targets already swapped are swapped back. Real mounts, in a
 * mount namespace of the test's own (root), so nothing outside it sees them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'warren-swap-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const warren = (args: string) => `${join(ROOT, 'node_modules', '.bin', 'tsx')} ${join(ROOT, 'cli', 'main.ts')} ${args}`;

describe('warren synth when a target folder cannot be swapped', () => {
  it('GIVEN an earlier output whose vm folder is a mount point WHEN synth runs again THEN it fails in one line and the earlier output is back, whole', () => {
    const spec = join(work, 'warren.yaml');
    writeFileSync(spec, 'name: orders\nloadBalancer: {}\n');
    const out = join(work, 'out');
    const first = spawnSync('sh', ['-c', warren(`synth --spec ${spec} --out ${out}`)], { encoding: 'utf8', timeout: 60_000 });
    expect(first.status).toBe(0);
    const before = readFileSync(join(out, 'compose', 'rabbitmq', 'rabbitmq.conf'), 'utf8');
    expect(before).toContain('heartbeat = 60');
    // The second spec changes every target, so a compose folder left swapped would show.
    writeFileSync(spec, 'name: orders\nloadBalancer: {}\nheartbeatSeconds: 30\n');
    const script = [
      'set -e',
      // A mount point cannot be renamed (EBUSY); keep what the earlier synth wrote inside it.
      `cp -a ${out}/vm ${work}/vm-copy && mount -t tmpfs tmpfs ${out}/vm && cp -a ${work}/vm-copy/. ${out}/vm/`,
      `set +e; ${warren(`synth --spec ${spec} --out ${out}`)}; echo "exit=$?"`,
      `ls ${out}; ls -a ${work} | grep -c -E "^\\.warren-(staging|retired)-" || true`,
    ].join('\n');
    const second = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(second.stderr).toMatch(new RegExp(`^warren: --out: ${join(out, 'vm').replaceAll('/', '\\/')} cannot be written: it is a mount point or on another file system than its folder; unmount it, or choose another output folder\\n`));
    expect(second.stderr).not.toMatch(/\n\s+at /);
    const [exit, ...listing] = second.stdout.trim().split('\n');
    expect(exit).toBe('exit=2');
    expect(listing.slice(0, -1)).toEqual(['compose', 'diagrams', 'kubernetes', 'vm']);
    expect(listing.at(-1)).toBe('0');
    expect(readFileSync(join(out, 'compose', 'rabbitmq', 'rabbitmq.conf'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual(['.warren', 'compose', 'diagrams', 'kubernetes', 'vm']);
    // The state warren plan compares with is swapped in last, so it still describes the earlier output.
    expect(JSON.parse(readFileSync(join(out, '.warren', 'state.json'), 'utf8')).synthesised[0].cluster.heartbeatSeconds).toBe(60);
  });
});
