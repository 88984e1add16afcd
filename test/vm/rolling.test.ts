/**
 * The admin host's rolling scripts as text and as bash runs: the upgrade verdicts come from the model's version matrix
 * (the one `warren plan` uses), and warren-upgrade.sh acts on them before touching any node. The transport here is a
 * recording stand-in that answers `server_version` only; the gates against real nodes are test/day2/rolling-real.test.ts.
 * (shellcheck of both scripts, for every example: test/vm/vm-bundle.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { versionChange } from '../../model/internal';
import { renderRollingRestartScript, renderUpgradeScript } from '../../vm/day2/rolling';
import { upgradeVerdicts } from '../../vm/day2/upgrade-verdicts';
import { loadExample } from '../support/fixtures';
import { runWithStandInRemote } from './stand-in-remote';

const scratch = mkdtempSync(join(tmpdir(), 'warren-rolling-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const clusterOf = (version: string) => {
  const spec = loadExample('e2e-4.3.yaml') as ClusterSpec & { rabbitmq: { version: string } };
  return resolveCluster({ ...spec, rabbitmq: { ...spec.rabbitmq, version } } as ClusterSpec);
};

/** Runs a script with a stand-in transport that logs every call and answers server_version with `versions[host]`. */
function runWithVersions(script: string, versions: Record<string, string>, args: string[], env: Record<string, string> = {}) {
  const answers = Object.entries(versions).map(([host, v]) => `${host}) echo ${v} ;;`).join(' ');
  return runWithStandInRemote(scratch, script, args, `*server_version*) case "$1" in ${answers} esac ;;`, env);
}

describe('warren-upgrade.sh: the version matrix decides, at synth time', () => {
  it('holds the model\'s verdict per running line: 4.2 -> 4.3 supported, 4.0 -> 4.3 refused with the matrix\'s reason and fix', () => {
    const verdicts = upgradeVerdicts(clusterOf('4.3'));
    expect(verdicts.get('4.2')).toEqual({ kind: 'upgrade', minimumPatch: 0, belowMinimum: undefined });
    const refused = versionChange('4.0', '4.3')!;
    expect(refused.class).toBe('rejected');
    expect(verdicts.get('4.0')).toEqual({ kind: 'refused', reason: refused.reason, fix: refused.fix });
    // 3.11 reaches 3.12 only from 3.11.18: found in the matrix, not written again here.
    expect(upgradeVerdicts(clusterOf('3.12')).get('3.11')).toMatchObject({ kind: 'upgrade', minimumPatch: 18 });
  });

  it('refuses 4.0.5 -> 4.3 before changing any node, naming the host, its release, the reason and the fix', () => {
    const run = runWithVersions(renderUpgradeScript(clusterOf('4.3')), { 'rabbit-1': '4.2.3', 'rabbit-2': '4.0.5', 'rabbit-3': '4.2.3' }, [], { WARREN_UPGRADE_COMMAND: 'true' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`warren-upgrade: rabbit-2 runs RabbitMQ 4.0.5: upgrading it to 4.3 is refused: ${versionChange('4.0', '4.3')!.reason}; upgrade one line at a time: 4.0 -> 4.2 -> 4.3`);
    expect(run.stderr).toContain('no node was changed');
    expect(run.calls.every((c) => c.includes('server_version'))).toBe(true);
  });

  it('refuses a patch downgrade and a line below the matrix\'s minimum patch, with the running release in the text', () => {
    const down = runWithVersions(renderUpgradeScript(clusterOf('4.3.5')), { 'rabbit-1': '4.3.6', 'rabbit-2': '4.3.5', 'rabbit-3': '4.3.5' }, ['--check']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/rabbit-1 runs RabbitMQ 4\.3\.6: upgrading it to 4\.3\.5 is refused: a downgrade.*keep 4\.3\.6;/);
    const old = runWithVersions(renderUpgradeScript(clusterOf('3.12')), { 'rabbit-1': '3.11.17', 'rabbit-2': '3.11.18', 'rabbit-3': '3.11.18' }, ['--check']);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('rabbit-1 runs RabbitMQ 3.11.17: upgrading it to 3.12 is refused: RabbitMQ upgrades to 3.12 only from 3.11.18 or later');
  });

  it('--check passes a supported path and reports nodes already on the target; without WARREN_UPGRADE_COMMAND a real run changes nothing', () => {
    const check = runWithVersions(renderUpgradeScript(clusterOf('4.3.6')), { 'rabbit-1': '4.3.6', 'rabbit-2': '4.2.3', 'rabbit-3': '4.3.1' }, ['--check']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('rabbit-1: runs 4.3.6 already');
    expect(check.stdout).toContain('rabbit-2: runs 4.2.3; path to 4.3.6 supported');
    const unset = runWithVersions(renderUpgradeScript(clusterOf('4.3')), { 'rabbit-1': '4.2.3' }, []);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('WARREN_UPGRADE_COMMAND is not set');
    expect(unset.calls).toEqual([]);
  });
});

describe('warren-rolling-restart.sh', () => {
  it('refuses an unknown --from host before any remote call, listing the hosts', () => {
    const run = runWithVersions(renderRollingRestartScript(clusterOf('4.3')), {}, ['--from', 'rabbit-9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"rabbit-9" is not a RabbitMQ host of this cluster; use one of rabbit-1 rabbit-2 rabbit-3');
    expect(run.calls).toEqual([]);
  });

  it('orders the steps of each node: gates, then drain, stop, start, back, HAProxy, revive (3.10 adds the mirror gates)', () => {
    const order = ['gate_healthy "$host"', 'gate_safe_to_stop "$host"', 'drain "$host"', 'stop_node "$host"', 'start_node "$host"', 'await_node_back "$host"', 'await_haproxy_up "$host"', 'revive "$host"'];
    const script = renderRollingRestartScript(clusterOf('4.3'));
    const positions = order.map((step) => script.indexOf(`  ${step}\n`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(script).not.toContain('mirror_sync');
    expect(renderRollingRestartScript(clusterOf('3.10'))).toContain('check_if_node_is_mirror_sync_critical');
  });
});
