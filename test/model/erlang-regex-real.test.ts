/**
 * The recorded answers of erlang-regex-table.ts, asked again of the real re:compile/1 on the Erlang of every lab
 * line: this machine's (RabbitMQ 3.10, OTP 25) and the roots of RabbitMQ 4.0 (OTP 27) and 4.3 (OTP 29). Each
 * Erlang is held to the column of its engine: PCRE up to OTP 27, PCRE2 from OTP 28.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RABBITMQ_LINES, rabbitmqRuntime } from '../lab';
import { RECORDED_PATTERNS } from './erlang-regex-table';

/** One line per pattern: 'ok' or re:compile's error text, after a first line with the OTP release. */
function compileAll(root: string | undefined, patterns: readonly string[]): { otp: number; answers: string[] } {
  const binaries = patterns.map((p) => `<<${[...Buffer.from(p, 'utf8')].join(',')}>>`).join(',');
  const program =
    'io:format("~s~n", [erlang:system_info(otp_release)]),' +
    'lists:foreach(fun(P) -> case re:compile(P) of {ok, _} -> io:format("ok~n"); {error, {Message, _}} -> io:format("~s~n", [Message]) end end, ' +
    `[${binaries}]), halt().`;
  const command = root === undefined ? ['erl', '-noshell', '-eval', program] : ['chroot', root, 'erl', '-noshell', '-eval', program];
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`${command.slice(0, 2).join(' ')} erl failed (${run.status}): ${run.stderr}`);
  const [otp, ...answers] = run.stdout.trimEnd().split('\n');
  return { otp: Number(otp), answers };
}

describe('the recorded re:compile answers hold on the real Erlangs', () => {
  it.each(RABBITMQ_LINES)('GIVEN the Erlang of the RabbitMQ %s lab line WHEN it compiles every recorded pattern THEN it answers as recorded for its engine', (line) => {
    const { otp, answers } = compileAll(rabbitmqRuntime(line).root, RECORDED_PATTERNS.map((r) => r.pattern));
    const column = otp >= 28 ? 'pcre2' : 'pcre';
    expect(answers).toEqual(RECORDED_PATTERNS.map((r) => r[column]));
  });
});
