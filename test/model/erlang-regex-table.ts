/**
 * Patterns and what Erlang's re:compile/1 answers for each, recorded on this machine: `pcre` on Erlang/OTP 25
 * (Debian 12, RabbitMQ 3.10) and OTP 27 (Debian trixie's root, RabbitMQ 4.0), which agree on every row; `pcre2` on
 * OTP 29 (Debian forky's root, RabbitMQ 4.3). 'ok', or the error text without its position.
 * erlang-regex.test.ts holds warren's rule to these answers; erlang-regex-real.test.ts asks the real Erlangs again,
 * so the answers cannot drift from them.
 */
export interface RecordedPattern {
  readonly pattern: string;
  readonly pcre: string;
  readonly pcre2: string;
  /** What the row is about. */
  readonly why: string;
}

export const RECORDED_PATTERNS: readonly RecordedPattern[] = [
  { pattern: '^orders\\.', pcre: 'ok', pcre2: 'ok', why: 'valid everywhere' },
  { pattern: '^(orders|payments)\\.', pcre: 'ok', pcre2: 'ok', why: 'valid everywhere' },
  { pattern: '[a-z]+-\\d{2,3}$', pcre: 'ok', pcre2: 'ok', why: 'valid everywhere' },
  { pattern: '(?<=ab)c', pcre: 'ok', pcre2: 'ok', why: 'fixed-length lookbehind' },
  { pattern: '(?<n>a)\\k<n>', pcre: 'ok', pcre2: 'ok', why: 'named group and back reference' },
  { pattern: '(?i)^orders\\.', pcre: 'ok', pcre2: 'ok', why: 'inline flag: JavaScript refuses it (the false rejection of issue 12)' },
  { pattern: 'a*+', pcre: 'ok', pcre2: 'ok', why: 'possessive quantifier: JavaScript refuses it' },
  { pattern: '(?>ab|a)c', pcre: 'ok', pcre2: 'ok', why: 'atomic group: JavaScript refuses it' },
  { pattern: '\\Aorders\\z', pcre: 'ok', pcre2: 'ok', why: 'PCRE anchors; JavaScript reads \\A and \\z as letters' },
  { pattern: '\\Qa.b\\E', pcre: 'ok', pcre2: 'ok', why: 'quoted literal: JavaScript reads Q and E as letters' },
  { pattern: '(a(?1)?b)', pcre: 'ok', pcre2: 'ok', why: 'recursion into a group after consuming a character' },
  { pattern: '(?P<name>a)(?P=name)', pcre: 'ok', pcre2: 'ok', why: 'Python-style named group and back reference: JavaScript refuses them' },
  { pattern: '[[:alpha:]]+', pcre: 'ok', pcre2: 'ok', why: 'POSIX class: JavaScript reads a different class' },
  { pattern: '(?|(a)|(b))\\1', pcre: 'ok', pcre2: 'ok', why: 'branch reset: both branches are group 1' },
  { pattern: '(?|(a)|(b))\\2', pcre: 'reference to non-existent subpattern', pcre2: 'reference to non-existent subpattern', why: 'branch reset leaves one group, so \\2 names none' },
  { pattern: '(?#comment)abc', pcre: 'ok', pcre2: 'ok', why: 'comment group: JavaScript refuses it' },
  { pattern: '(?x) a b c', pcre: 'ok', pcre2: 'ok', why: 'extended mode ignores spaces: JavaScript refuses (?x)' },
  { pattern: ']', pcre: 'ok', pcre2: 'ok', why: 'a lone ] is a literal' },
  { pattern: '{', pcre: 'ok', pcre2: 'ok', why: 'a lone { is a literal' },
  { pattern: '[]a]', pcre: 'ok', pcre2: 'ok', why: '] first in a class is a literal (JavaScript: an empty class, then \'a]\')' },
  { pattern: '\\u{41}', pcre: 'PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u', pcre2: 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u', why: 'JavaScript escape PCRE refuses' },
  { pattern: '\\u0041', pcre: 'PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u', pcre2: 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u', why: 'JavaScript escape PCRE refuses' },
  { pattern: '(?<=a+)b', pcre: 'lookbehind assertion is not fixed length', pcre2: 'length of lookbehind assertion is not limited', why: 'unbounded lookbehind: JavaScript accepts it, no Erlang does' },
  { pattern: '(?<=a{1,3})b', pcre: 'lookbehind assertion is not fixed length', pcre2: 'ok', why: 'variable-length lookbehind: PCRE2 only' },
  { pattern: '(?<=(a|bc))d', pcre: 'lookbehind assertion is not fixed length', pcre2: 'ok', why: 'alternatives of different lengths inside a lookbehind group: PCRE2 only' },
  { pattern: '\\1', pcre: 'reference to non-existent subpattern', pcre2: 'reference to non-existent subpattern', why: 'back reference to no group (JavaScript: an octal escape)' },
  { pattern: 'x{99999}', pcre: 'number too big in {} quantifier', pcre2: 'number too big in {} quantifier', why: 'PCRE repeats at most 65535 times' },
  { pattern: '[a-\\d]', pcre: 'invalid range in character class', pcre2: 'invalid range in character class', why: 'range ending in a class' },
  { pattern: '[[:foo:]]', pcre: 'unknown POSIX class name', pcre2: 'unknown POSIX class name', why: 'unknown POSIX class' },
  { pattern: '\\p{Foo}', pcre: 'unknown property name after \\P or \\p', pcre2: 'unknown property after \\P or \\p', why: 'unknown Unicode property (JavaScript without the u flag: the letters p{Foo})' },
  { pattern: '\\p{Ol_Chiki}\\p{Xwd}', pcre: 'ok', pcre2: 'ok', why: 'a script and a PCRE special property' },
  { pattern: '\\c', pcre: '\\c at end of pattern', pcre2: '\\c at end of pattern', why: '\\c at the end (JavaScript: a literal backslash and c)' },
  { pattern: '\\x{100}', pcre: 'character value in \\x{} or \\o{} is too large', pcre2: 'character code point value in \\x{} or \\o{} is too large', why: 'above \\xff without the unicode option RabbitMQ does not pass' },
  { pattern: '(?<n>a)(?<n>b)', pcre: 'two named subpatterns have the same name', pcre2: 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)', why: 'duplicate group names without (?J)' },
  { pattern: '(', pcre: 'missing )', pcre2: 'missing closing parenthesis', why: 'unclosed group' },
  { pattern: 'a**', pcre: 'nothing to repeat', pcre2: 'quantifier does not follow a repeatable item', why: 'quantifier after a quantifier' },
  { pattern: '[z-a]', pcre: 'range out of order in character class', pcre2: 'range out of order in character class', why: 'range out of order' },
  { pattern: '\\8', pcre: 'ok', pcre2: 'reference to non-existent subpattern', why: 'PCRE reads the digit 8, PCRE2 a back reference to no group' },
  { pattern: '[\\d-z]', pcre: 'ok', pcre2: 'invalid range in character class', why: 'a range from a class: PCRE reads - literally, PCRE2 refuses' },
  { pattern: '\\x', pcre: 'ok', pcre2: 'digits missing after \\x or in \\x{} or \\o{} or \\N{U+}', why: '\\x without digits: PCRE reads NUL, PCRE2 refuses' },
  { pattern: '\\q', pcre: 'ok', pcre2: 'unrecognized character follows \\', why: 'unknown letter escape: PCRE reads the letter, PCRE2 refuses' },
  { pattern: '(?=a\\K)', pcre: 'ok', pcre2: '\\K is not allowed in lookarounds (but see PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK)', why: '\\K in a lookaround: PCRE2 refuses' },
  { pattern: 'a{,3}{2}', pcre: 'ok', pcre2: 'quantifier does not follow a repeatable item', why: 'PCRE reads {,3} literally, PCRE2 as a quantifier' },
  { pattern: '(?X)a', pcre: 'ok', pcre2: 'unrecognized character after (? or (?-', why: 'option X: PCRE only' },
  { pattern: '(?R)?', pcre: 'recursive call could loop indefinitely', pcre2: 'ok', why: 'recursion before consuming anything: PCRE refuses' },
  { pattern: '(a|(?R))', pcre: 'recursive call could loop indefinitely', pcre2: 'ok', why: 'recursion before consuming anything: PCRE refuses' },
  { pattern: '(?n)a', pcre: 'unrecognized character after (? or (?-', pcre2: 'ok', why: 'option n: PCRE2 only' },
  { pattern: '\\p{Adlam}', pcre: 'unknown property name after \\P or \\p', pcre2: 'ok', why: 'a script newer than PCRE 8' },
  { pattern: '(?(1)a|b|c)(x)', pcre: 'conditional group contains more than two branches', pcre2: 'conditional subpattern contains more than two branches', why: 'a conditional group takes two branches' },
];
