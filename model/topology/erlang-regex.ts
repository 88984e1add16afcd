/**
 * Whether RabbitMQ can compile a regular expression (policy patterns, permissions). RabbitMQ hands the pattern's
 * UTF-8 bytes to Erlang's `re:compile/1`, without the unicode option. Erlang/OTP 27 and earlier embed PCRE 8.x,
 * OTP 28 and later PCRE2 10.4x, and they refuse different patterns; JavaScript's RegExp answers for neither
 * (it refuses `(?i)^orders\.` and accepts `\u0041`). Every line warren supports runs on a PCRE Erlang, and from
 * 4.2 also on a PCRE2 one, so a pattern must pass PCRE and, from 4.2, what PCRE2 refuses on top of it
 * (`features.pcre2Erlang`). The answers are recorded from real `re:compile` on OTP 25, 27 and 29
 * (test/model/erlang-regex-table.ts), and a test replays them on those Erlangs.
 *
 * Checked, as PCRE 8 does: escapes (with their value limits), character classes, ranges and POSIX classes, every
 * `(?` and `(*` form, quantifiers and what they may follow, back references, subroutine calls and conditions
 * naming groups that exist, group names, fixed-length lookbehinds, and calls that recurse without consuming
 * anything. On top, for PCRE2: back references \8 and \9, \x without digits, ranges from a class, class escapes
 * \B \R \X, unknown letter escapes, \K in lookarounds, (?X) and repeated hyphens, empty group names, \c before a
 * control character, and quantifiers written {,n} or with spaces. Not checked: limits on the compiled size
 * ("regular expression is too large") and nesting depth; Unicode property names are PCRE 8's (PCRE2 knows more,
 * but every line also runs on PCRE).
 */

import { Refusal } from './erlang-regex-characters';
import { Parser } from './erlang-regex-parser';

/** Why re:compile refuses the pattern (PCRE's or PCRE2's own words), and on which Erlang releases. */
export interface ErlangRegexProblem {
  readonly engine: 'PCRE' | 'PCRE2';
  readonly reason: string;
}

/** Whether re:compile/1 accepts the pattern on every Erlang the line runs on; `pcre2` adds PCRE2's refusals. */
export function erlangRegexProblem(pattern: string, pcre2: boolean): ErlangRegexProblem | undefined {
  const bytes = Buffer.from(pattern, 'utf8');
  for (const engine of pcre2 ? (['PCRE', 'PCRE2'] as const) : (['PCRE'] as const)) {
    try {
      new Parser(bytes, engine).parse();
    } catch (thrown) {
      if (thrown instanceof Refusal) return { engine, reason: thrown.message };
      throw thrown;
    }
  }
  return undefined;
}

/**
 * The message part of a refused pattern, or undefined when RabbitMQ compiles it. JavaScript's RegExp is no judge:
 * it refuses valid PCRE such as (?i) and accepts \u0041, which PCRE refuses.
 */
export function regexRefusal(pattern: string, version: string, pcre2: boolean): string | undefined {
  const problem = erlangRegexProblem(pattern, pcre2);
  if (!problem) return undefined;
  return problem.engine === 'PCRE'
    ? `is not a regular expression RabbitMQ accepts (Erlang's PCRE: ${problem.reason})`
    : `is not a regular expression RabbitMQ ${version} accepts on Erlang 28 and later (PCRE2: ${problem.reason})`;
}
