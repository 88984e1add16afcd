/**
 * Resource alarm sizes as RabbitMQ's own parser reads them: exact messages, and the real
 * rabbit_resource_monitor_misc:parse_information_unit/1 of every lab line (3.10.8 here, 4.0.5 and 4.3.6 in roots)
 * asked about every unit the spec's pattern admits.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, validateSpec } from '../../model';
import { RABBITMQ_LINES, rabbitmqRuntime } from '../lab';

function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

/** Every unit INFORMATION_SIZE admits, bytes included. */
const SIZES = ['2000', '2kB', '2KiB', '2MB', '2MiB', '2GB', '2GiB', '2TB', '2TiB'];

describe('resource alarm sizes RabbitMQ cannot read', () => {
  it('GIVEN a watermark and a disk free limit in KiB THEN each names the bytes to write instead', () => {
    expect(problemsOf({ name: 'orders', rabbitmq: { version: '4.3' }, resources: { memoryHighWatermark: '1048576KiB', diskFreeLimit: '2000KiB' } })).toEqual([
      `resources.memoryHighWatermark: "1048576KiB" is in KiB, which RabbitMQ's size parser fails on, leaving the node without its memory monitor setting; write it in bytes ("1073741824"), MiB or GiB`,
      `resources.diskFreeLimit: "2000KiB" is in KiB, which RabbitMQ's size parser fails on, leaving the node without its disk monitor setting; write it in bytes ("2048000"), MiB or GiB`,
    ]);
  });

  it('GIVEN a disk free limit in TB THEN 3.10 refuses it and 3.13 takes it', () => {
    const bigVolume = { storage: { size: '2Ti' } };
    expect(problemsOf({ name: 'orders', rabbitmq: { version: '3.10.8' }, resources: { diskFreeLimit: '1TB' }, kubernetes: bigVolume })).toEqual([
      'resources.diskFreeLimit: "1TB" is in TB, which RabbitMQ reads from 3.13 only (3.10.8 answers parse_error); write it in GB',
    ]);
    expect(problemsOf({ name: 'orders', rabbitmq: { version: '3.13' }, resources: { diskFreeLimit: '1TB' }, kubernetes: bigVolume })).toEqual([]);
  });

  it.each(RABBITMQ_LINES)('GIVEN the RabbitMQ %s lab line WHEN its parser reads every size the spec admits THEN the rule accepts exactly the sizes it reads', (line) => {
    const root = rabbitmqRuntime(line).root;
    const plugins = join(root ?? '/', 'usr/lib/rabbitmq/lib');
    const server = readdirSync(plugins).find((name) => name.startsWith('rabbitmq_server-'))!;
    const ebins = readdirSync(join(plugins, server, 'plugins'))
      .filter((name) => /^rabbit(_common)?-\d/.test(name))
      .flatMap((name) => ['-pa', `/usr/lib/rabbitmq/lib/${server}/plugins/${name}/ebin`]);
    const program =
      'lists:foreach(fun(S) -> R = (catch rabbit_resource_monitor_misc:parse_information_unit(S)), ' +
      'io:format("~s~n", [case R of {ok, _} -> "ok"; _ -> "refused" end]) end, ' +
      `[${SIZES.map((s) => `"${s}"`).join(',')}]), halt().`;
    const command = [...(root === undefined ? [] : ['chroot', root]), 'erl', '-noshell', ...ebins, '-eval', program];
    const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const parsed = run.stdout.trim().split('\n');
    const version = line === '3.10' ? '3.10.8' : line;
    const accepted = SIZES.map((size) => (validateSpec({ name: 'orders', rabbitmq: { version }, resources: { diskFreeLimit: size }, kubernetes: { storage: { size: '10Ti' } } }).ok ? 'ok' : 'refused'));
    expect(accepted).toEqual(parsed);
  });
});
