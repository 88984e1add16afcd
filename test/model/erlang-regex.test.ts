import { describe, expect, it } from 'vitest';
import { formatProblem, validateSpec } from '../../model';
import { erlangRegexProblem } from '../../model/topology/erlang-regex';
import { RECORDED_PATTERNS } from './erlang-regex-table';

/** Every problem of a spec, formatted as the user sees it. */
function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

const policyWith = (version: string, pattern: string) => ({
  name: 'orders',
  rabbitmq: { version },
  topology: { policies: [{ name: 'limit', pattern, definition: { 'max-length': 1000 } }] },
});

describe('erlangRegexProblem agrees with re:compile on every recorded pattern', () => {
  it.each(RECORDED_PATTERNS)('GIVEN $pattern ($why) WHEN judged for PCRE THEN it answers as Erlang 25 and 27 did', ({ pattern, pcre }) => {
    expect(erlangRegexProblem(pattern, false)).toEqual(pcre === 'ok' ? undefined : { engine: 'PCRE', reason: pcre });
  });

  it.each(RECORDED_PATTERNS)('GIVEN $pattern WHEN judged for PCRE and PCRE2 THEN PCRE answers first, then Erlang 29', ({ pattern, pcre, pcre2 }) => {
    const expected = pcre !== 'ok' ? { engine: 'PCRE', reason: pcre } : pcre2 !== 'ok' ? { engine: 'PCRE2', reason: pcre2 } : undefined;
    expect(erlangRegexProblem(pattern, true)).toEqual(expected);
  });
});

describe('policy patterns, operator policies and permissions are judged as RabbitMQ compiles them', () => {
  it('GIVEN (?i)^orders\\. (valid PCRE that JavaScript refuses) WHEN validated for 3.10 and 4.3 THEN there is no problem', () => {
    expect(problemsOf(policyWith('3.10.8', '(?i)^orders\\.'))).toEqual([]);
    expect(problemsOf(policyWith('4.3', '(?i)^orders\\.'))).toEqual([]);
  });

  it.each(['3.10.8', '4.0', '4.3'])('GIVEN every recorded pattern in a policy WHEN validated for RabbitMQ %s THEN only the patterns its Erlangs refuse are errors', (version) => {
    // 4.2+ runs on Erlang 27 (PCRE) or 28+ (PCRE2): a pattern must suit both.
    const pcre2 = version === '4.3';
    for (const row of RECORDED_PATTERNS) {
      const refused = row.pcre !== 'ok' || (pcre2 && row.pcre2 !== 'ok');
      expect(problemsOf(policyWith(version, row.pattern)).length, `${row.pattern} on ${version}`).toBe(refused ? 1 : 0);
    }
  });

  it('GIVEN a pattern JavaScript accepts but PCRE refuses WHEN validated THEN the error quotes PCRE and says what to do', () => {
    expect(problemsOf(policyWith('3.10.8', '(?<=a+)b'))).toEqual([
      `topology.policies[0].pattern: "(?<=a+)b" is not a regular expression RabbitMQ accepts (Erlang's PCRE: lookbehind assertion is not fixed length); fix the pattern (e.g. "^orders\\\\.")`,
    ]);
    expect(problemsOf(policyWith('4.3', '\\u0041'))).toEqual([
      `topology.policies[0].pattern: "\\\\u0041" is not a regular expression RabbitMQ accepts (Erlang's PCRE: PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u); fix the pattern (e.g. "^orders\\\\.")`,
    ]);
  });

  it('GIVEN a pattern only PCRE2 refuses WHEN validated for 3.10 and for 4.3 THEN 3.10 accepts it and 4.3 names Erlang 28 and PCRE2', () => {
    expect(problemsOf(policyWith('3.10.8', '[\\d-z]'))).toEqual([]);
    expect(problemsOf(policyWith('4.3', '[\\d-z]'))).toEqual([
      'topology.policies[0].pattern: "[\\\\d-z]" is not a regular expression RabbitMQ 4.3 accepts on Erlang 28 and later (PCRE2: invalid range in character class); fix the pattern (e.g. "^orders\\\\.")',
    ]);
  });

  it('GIVEN bad operator policy and permission patterns WHEN validated THEN each names its path with its own fix', () => {
    expect(
      problemsOf({
        name: 'orders',
        rabbitmq: { version: '4.0' },
        topology: {
          users: [{ name: 'app' }],
          permissions: [{ user: 'app', configure: '^$', write: 'orders\\', read: '(?i)^orders\\.' }],
          operatorPolicies: [{ name: 'cap', pattern: 'a**', definition: { 'max-length': 10 } }],
        },
      }),
    ).toEqual([
      `topology.permissions[0].write: "orders\\\\" is not a regular expression RabbitMQ accepts (Erlang's PCRE: \\ at end of pattern); fix it (".*" allows everything, "^$" nothing)`,
      `topology.operatorPolicies[0].pattern: "a**" is not a regular expression RabbitMQ accepts (Erlang's PCRE: nothing to repeat); fix the pattern (e.g. "^orders\\\\.")`,
    ]);
  });
});
