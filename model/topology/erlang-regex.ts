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

/** Why re:compile refuses the pattern (PCRE's or PCRE2's own words), and on which Erlang releases. */
export interface ErlangRegexProblem {
  readonly engine: 'PCRE' | 'PCRE2';
  readonly reason: string;
}

/** The Erlang releases behind each engine, for messages. */
export const ERLANG_REGEX_ENGINES = { PCRE: 'Erlang 27 and earlier', PCRE2: 'Erlang 28 and later' } as const;

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

class Refusal extends Error {}

/** Unicode property names of PCRE 8 (`\p{...}`), as Erlang 25 and 27 list them. */
const PROPERTIES = new Set(
  ('Any Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bopomofo Brahmi Braille Buginese Buhid C Canadian_Aboriginal ' +
    'Carian Caucasian_Albanian Cc Cf Chakma Cham Cherokee Cn Co Common Coptic Cs Cuneiform Cypriot Cyrillic Deseret Devanagari ' +
    'Duployan Egyptian_Hieroglyphs Elbasan Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo ' +
    'Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana ' +
    'Kayah_Li Kharoshthi Khmer Khojki Khudawadi L L& Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Ll Lm Lo Lt Lu Lycian Lydian M ' +
    'Mahajani Malayalam Mandaic Manichaean Mc Me Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Mn Modi ' +
    'Mongolian Mro Myanmar N Nabataean Nd New_Tai_Lue Nko Nl No Ogham Ol_Chiki Old_Italic Old_North_Arabian Old_Permic Old_Persian ' +
    'Old_South_Arabian Old_Turkic Oriya Osmanya P Pahawh_Hmong Palmyrene Pau_Cin_Hau Pc Pd Pe Pf Phags_Pa Phoenician Pi Po Ps ' +
    'Psalter_Pahlavi Rejang Runic S Samaritan Saurashtra Sc Sharada Shavian Siddham Sinhala Sk Sm So Sora_Sompeng Sundanese ' +
    'Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Telugu Thaana Thai Tibetan Tifinagh Tirhuta ' +
    'Ugaritic Vai Warang_Citi Xan Xps Xsp Xuc Xwd Yi Z Zl Zp Zs').split(' '),
);
const POSIX_CLASSES = ['alpha', 'lower', 'upper', 'alnum', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'print', 'punct', 'space', 'word', 'xdigit'];
/** Verbs allowed anywhere, and start-of-pattern settings (only before anything else). */
const VERBS = ['ACCEPT', 'COMMIT', 'F', 'FAIL', 'PRUNE', 'SKIP', 'THEN', 'MARK', ''];
const START_SETTINGS = /^(UTF8|UTF|UCP|NO_AUTO_POSSESS|NO_START_OPT|CR|LF|CRLF|ANYCRLF|ANY|BSR_ANYCRLF|BSR_UNICODE|LIMIT_MATCH=\d+|LIMIT_RECURSION=\d+)$/;
/** Letters PCRE2 refuses after a backslash (PCRE 8 takes them literally); \F it does not support either. */
const PCRE2_UNKNOWN_ESCAPES = 'ijmqyIJMOTY';
const NOT_SUPPORTED = 'PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u';
const NONEXISTENT = 'reference to non-existent subpattern';

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isWord = (c: number | undefined) => c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f);
const isHex = (c: number | undefined) => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
const isSpace = (c: number | undefined) => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);

/** Shortest and longest match, in bytes; `max` is Infinity when unbounded. */
interface Length {
  readonly min: number;
  readonly max: number;
}

/** What the previous item lets a quantifier do. */
type Last = 'none' | 'repeatable' | 'quantified';

/** Per open group: its number (0 for the pattern), what its current branch has matched at least, its flags. */
interface Frame {
  readonly number: number | undefined;
  consumed: number;
  extended: boolean;
  duplicateNames: boolean;
  readonly lookaround: boolean;
}

type Reference = { readonly number: number } | { readonly name: string };

/** A lookbehind's branches, as items whose lengths are known once every group has been read. */
type Item =
  | { readonly kind: 'length'; readonly length: Length }
  | { readonly kind: 'group'; readonly branches: Item[][]; readonly min: number; readonly max: number }
  | { readonly kind: 'repeat'; readonly item: Item; readonly min: number; readonly max: number }
  /** `min`: the called group's, when it is complete at the call (PCRE's view); else 0. */
  | { readonly kind: 'call'; readonly target: Reference; readonly min: number };

class Parser {
  private pos = 0;
  private groups = 0;
  private readonly names = new Map<string, number>();
  private readonly references: Reference[] = [];
  private readonly groupItems = new Map<number, Item[][]>();
  private readonly lookbehinds: Item[][][] = [];
  private readonly frames: Frame[] = [];

  private readonly pcre2: boolean;

  constructor(
    private readonly bytes: Buffer,
    engine: 'PCRE' | 'PCRE2',
  ) {
    this.pcre2 = engine === 'PCRE2';
  }

  parse(): void {
    this.frames.push({ number: 0, consumed: 0, extended: false, duplicateNames: false, lookaround: false });
    this.alternatives();
    if (this.pos < this.bytes.length) this.fail('unmatched parentheses');
    for (const reference of this.references) this.resolve(reference);
    // PCRE wants every branch of a lookbehind fixed; PCRE2 takes variable ones up to 255 characters.
    for (const branches of this.lookbehinds) {
      for (const branch of branches) {
        const length = this.lengthOf(branch, new Set());
        if (length.min === length.max) continue;
        if (!this.pcre2) this.fail('lookbehind assertion is not fixed length');
        if (length.max === Infinity) this.fail('length of lookbehind assertion is not limited');
        if (length.max > 255) this.fail('branch too long in variable-length lookbehind assertion');
      }
    }
  }

  private fail(reason: string): never {
    throw new Refusal(reason);
  }

  /** What PCRE2 refuses and PCRE accepts. */
  private failPcre2(reason: string): void {
    if (this.pcre2) this.fail(reason);
  }

  private peek(offset = 0): number | undefined {
    return this.bytes[this.pos + offset];
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** Branches up to a `)` or the end; returns each branch's items and the group's length. */
  private alternatives(): { branches: Item[][]; length: Length } {
    const branches: Item[][] = [];
    let min = Infinity;
    let max = 0;
    for (;;) {
      this.frame.consumed = 0;
      const { items, length } = this.branch();
      branches.push(items);
      min = Math.min(min, length.min);
      max = Math.max(max, length.max);
      if (this.peek() !== 0x7c) break;
      this.pos++;
    }
    return { branches, length: { min, max } };
  }

  private branch(): { items: Item[]; length: Length } {
    const items: Item[] = [];
    let last: Last = 'none';
    let min = 0;
    let max = 0;
    const atStart = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c || c === 0x29) break;
      if (this.frame.extended && this.skipExtended()) continue;
      const quantifier = this.quantifier();
      if (quantifier) {
        if (last !== 'repeatable') this.fail(this.pcre2 ? 'quantifier does not follow a repeatable item' : 'nothing to repeat');
        const item = items.pop()!;
        const before = itemLength(item);
        const repeated: Item = { kind: 'repeat', item, min: quantifier.min, max: quantifier.max };
        const after = itemLength(repeated);
        min += after.min - before.min;
        max += after.max - before.max;
        this.frame.consumed = min;
        items.push(repeated);
        last = 'quantified';
        continue;
      }
      const parsed = this.item(atStart);
      if (parsed === 'transparent') continue;
      last = parsed.last;
      if (parsed.item) {
        const length = itemLength(parsed.item);
        items.push(parsed.item);
        min += length.min;
        max += length.max;
        this.frame.consumed = min;
      }
    }
    return { items, length: { min, max } };
  }

  /** Whitespace and `#` comments, which the x flag ignores. */
  private skipExtended(): boolean {
    const c = this.peek();
    if (isSpace(c)) {
      this.pos++;
      return true;
    }
    if (c !== 0x23) return false;
    while (this.peek() !== undefined && this.peek() !== 0x0a) this.pos++;
    return true;
  }

  /** A quantifier at the current position (consumed), or undefined. */
  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    let bounds: { min: number; max: number } | undefined;
    if (c === 0x2a) bounds = { min: 0, max: Infinity };
    else if (c === 0x2b) bounds = { min: 1, max: Infinity };
    else if (c === 0x3f) bounds = { min: 0, max: 1 };
    if (bounds) this.pos++;
    else if (c === 0x7b) bounds = this.braces();
    if (!bounds) return undefined;
    if (this.peek() === 0x3f || this.peek() === 0x2b) this.pos++;
    return bounds;
  }

  /** `{n}`, `{n,}`, `{n,m}` (PCRE2 also `{,m}` and spaces inside); anything else is a literal `{`. */
  private braces(): { min: number; max: number } | undefined {
    const rest = this.bytes.subarray(this.pos, this.pos + 40).toString('latin1');
    const strict = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    const loose = /^\{\s*(\d*)\s*(,\s*(\d*)\s*)?\}/.exec(rest);
    const pcre2Only = loose && !strict && (loose[1] !== '' || (loose[3] ?? '') !== '');
    if (pcre2Only && this.pcre2) {
      // PCRE reads these as literals; PCRE2 as quantifiers, so what they follow matters there.
      this.pos += loose[0].length;
      return { min: Number(loose[1] || 0), max: loose[2] === undefined ? Number(loose[1]) : loose[3] === '' ? Infinity : Number(loose[3]) };
    }
    if (!strict) return undefined;
    const min = Number(strict[1]);
    const max = strict[2] === undefined ? min : strict[3] === '' ? Infinity : Number(strict[3]);
    if (min > 65535 || (max !== Infinity && max > 65535)) this.fail('number too big in {} quantifier');
    if (max < min) this.fail('numbers out of order in {} quantifier');
    this.pos += strict[0].length;
    return { min, max };
  }

  /** One item: what it adds to the branch and whether a quantifier may follow. */
  private item(branchStart: number): { item?: Item; last: Last } | 'transparent' {
    const c = this.peek()!;
    const one: Item = { kind: 'length', length: { min: 1, max: 1 } };
    if (c === 0x28) return this.group(branchStart);
    if (c === 0x5b) {
      this.characterClass();
      return { item: one, last: 'repeatable' };
    }
    if (c === 0x5c) return this.escape();
    this.pos++;
    if (c === 0x5e || c === 0x24) return { last: 'none' };
    return { item: one, last: 'repeatable' };
  }

  private escape(): { item?: Item; last: Last } | 'transparent' {
    const start = this.pos;
    this.pos++;
    const c = this.peek();
    if (c === undefined) this.fail('\\ at end of pattern');
    this.pos++;
    const ch = String.fromCharCode(c);
    const one = (length: Length = { min: 1, max: 1 }): { item: Item; last: Last } => ({ item: { kind: 'length', length }, last: 'repeatable' });
    if ('bBAzZG'.includes(ch)) return { last: 'none' };
    if (ch === 'K') {
      if (this.frames.some((f) => f.lookaround)) this.failPcre2('\\K is not allowed in lookarounds (but see PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK)');
      return { last: 'none' };
    }
    if (ch === 'Q') return this.quoted();
    if (ch === 'E') return 'transparent';
    if (ch === 'R') return one({ min: 1, max: 2 });
    if (ch === 'X') return one({ min: 1, max: Infinity });
    if (ch === 'g' || ch === 'k') return this.namedEscape(ch);
    if (isDigit(c) && c !== 0x30) {
      this.pos = start;
      const reference = this.numberedBackReference();
      if (reference === undefined) return one();
      this.references.push(reference);
      return one({ min: 0, max: Infinity });
    }
    this.pos = start;
    this.characterEscape(false);
    return one();
  }

  /** `\Q...\E`: literals; a quantifier after it repeats the last one, or what came before an empty one. */
  private quoted(): { item?: Item; last: Last } | 'transparent' {
    let count = 0;
    while (this.peek() !== undefined && !(this.peek() === 0x5c && this.peek(1) === 0x45)) {
      this.pos++;
      count++;
    }
    if (this.peek() !== undefined) this.pos += 2;
    return count === 0 ? 'transparent' : { item: { kind: 'length', length: { min: count, max: count } }, last: 'repeatable' };
  }

  /**
   * `\1`..`\9` and what follows: a back reference below 8 or up to the groups opened so far; else PCRE takes \8 and
   * \9 literally (PCRE2 as references) and reads the rest as octal. Returns the reference, or undefined for a character.
   */
  private numberedBackReference(): Reference | undefined {
    this.pos++;
    const digits = /^\d+/.exec(this.bytes.subarray(this.pos, this.pos + 12).toString('latin1'))![0];
    const number = Number(digits);
    if (number < 8 || number <= this.groups) {
      this.pos += digits.length;
      return { number };
    }
    if (digits[0] === '8' || digits[0] === '9') {
      if (this.pcre2) {
        this.pos += digits.length;
        return { number };
      }
      this.pos++;
      return undefined;
    }
    this.octal(digits);
    return undefined;
  }

  private octal(digits: string): void {
    const octal = /^[0-7]{1,3}/.exec(digits)![0];
    this.pos += octal.length;
    if (parseInt(octal, 8) > 0o377) this.fail('octal value is greater than \\377 in 8-bit non-UTF-8 mode');
  }

  /** `\g` and `\k`: back references and (with `<...>` or `'...'` after \g) subroutine calls. */
  private namedEscape(letter: 'g' | 'k'): { item?: Item; last: Last } {
    const text = this.bytes.subarray(this.pos, this.pos + 200).toString('latin1');
    const any: { item: Item; last: Last } = { item: { kind: 'length', length: { min: 0, max: Infinity } }, last: 'repeatable' };
    if (letter === 'k') {
      if (!/^[<'{]/.test(text)) this.fail('\\k is not followed by a braced, angle-bracketed, or quoted name');
      const match = /^(?:<(\w+)>|'(\w+)'|\{(\w+)\})/.exec(text);
      if (!match) this.fail(isWord(text.charCodeAt(1)) ? 'syntax error in subpattern name (missing terminator)' : 'subpattern name expected');
      const name = match[1] ?? match[2] ?? match[3]!;
      this.pos += match[0].length;
      this.references.push({ name });
      return any;
    }
    const call = /^(?:<([+-]?\d+|\w+)>|'([+-]?\d+|\w+)')/.exec(text);
    if (call) {
      this.pos += call[0].length;
      return this.call(call[1] ?? call[2]!);
    }
    const reference = /^(?:([+-]?\d+)|\{([+-]?\d+|\w+)\})/.exec(text);
    if (!reference) this.fail(text.startsWith('{') ? "\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number" : 'a numbered reference must not be zero');
    this.pos += reference[0].length;
    this.references.push(this.referenceTo(reference[1] ?? reference[2]!));
    return any;
  }

  /** Number, relative number or name, as a reference to a group. */
  private referenceTo(text: string): Reference {
    if (!/^[+-]?\d+$/.test(text)) return { name: text };
    const value = Number(text);
    if (value === 0) this.fail('a numbered reference must not be zero');
    if (text.startsWith('-')) return { number: this.groups + value + 1 };
    if (text.startsWith('+')) return { number: this.groups + value };
    return { number: value };
  }

  /** A subroutine call or recursion; PCRE refuses one that re-enters an open group before matching anything. */
  private call(text: string): { item: Item; last: Last } {
    const target = text === 'R' || text === '0' ? { number: 0 } : this.referenceTo(text);
    if ('name' in target || target.number !== 0) this.references.push(target);
    const number = 'number' in target ? target.number : this.names.get(target.name);
    const open = this.frames.findIndex((f) => f.number === number);
    if (!this.pcre2 && open >= 0 && this.frames.slice(open).every((f) => f.consumed === 0)) this.fail('recursive call could loop indefinitely');
    const complete = number === undefined ? undefined : this.groupItems.get(number);
    const min = complete ? Math.min(...complete.map((branch) => this.lengthOf(branch, new Set([number!])).min)) : 0;
    return { item: { kind: 'call', target, min }, last: 'repeatable' };
  }

  /** A character given by an escape (not a class escape): its value. */
  private characterEscape(inClass: boolean): number | 'class' {
    this.pos++;
    const c = this.peek()!;
    this.pos++;
    const ch = String.fromCharCode(c);
    if ('dDsSwWhHvV'.includes(ch)) return 'class';
    if (ch === 'p' || ch === 'P') {
      this.property();
      return 'class';
    }
    if (ch === 'N') {
      if (this.peek() === 0x7b) this.fail(NOT_SUPPORTED);
      if (inClass) this.fail('\\N is not supported in a class');
      return 'class';
    }
    if (ch === 'C') return 'class';
    if ('uUlL'.includes(ch)) this.fail(NOT_SUPPORTED);
    if (ch === 'F') this.failPcre2('PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u');
    if (PCRE2_UNKNOWN_ESCAPES.includes(ch)) this.failPcre2('unrecognized character follows \\');
    const simple: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9 };
    if (simple[ch] !== undefined) return simple[ch]!;
    if (ch === 'c') {
      const next = this.peek();
      if (next === undefined) this.fail('\\c at end of pattern');
      if (next > 127) this.fail('\\c must be followed by an ASCII character');
      if (next < 32 || next === 127) this.failPcre2('\\c must be followed by a printable ASCII character');
      this.pos++;
      return String.fromCharCode(next).toUpperCase().charCodeAt(0) ^ 0x40;
    }
    if (ch === 'x' || ch === 'o') return this.codedCharacter(ch);
    if (ch === '0') {
      this.pos--;
      const digits = /^[0-7]{1,3}/.exec(this.bytes.subarray(this.pos, this.pos + 3).toString('latin1'))![0];
      this.pos += digits.length;
      return parseInt(digits, 8);
    }
    if (isDigit(c)) {
      // In a class \1..\7 start octal, \8 and \9 are the digits themselves.
      if (c >= 0x38) return c;
      this.pos--;
      const digits = /^\d+/.exec(this.bytes.subarray(this.pos, this.pos + 12).toString('latin1'))![0];
      this.octal(digits);
      return parseInt(/^[0-7]{1,3}/.exec(digits)![0], 8);
    }
    return c;
  }

  /** `\x`, `\x41`, `\x{41}`, `\o{101}`: at most \xff without the unicode option. */
  private codedCharacter(letter: 'x' | 'o'): number {
    const digit = letter === 'x' ? isHex : (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x37;
    if (this.peek() !== 0x7b) {
      if (letter === 'o') this.fail('missing opening brace after \\o');
      let text = '';
      while (text.length < 2 && isHex(this.peek())) text += String.fromCharCode(this.bytes[this.pos++]!);
      if (text === '') this.failPcre2('digits missing after \\x or in \\x{} or \\o{} or \\N{U+}');
      return text === '' ? 0 : parseInt(text, 16);
    }
    this.pos++;
    let text = '';
    while (digit(this.peek())) text += String.fromCharCode(this.bytes[this.pos++]!);
    if (this.peek() === 0x7d && text === '') this.fail('digits missing in \\x{} or \\o{}');
    if (this.peek() !== 0x7d) this.fail(letter === 'x' ? 'non-hex character in \\x{} (closing brace missing?)' : 'non-octal character in \\o{} (closing brace missing?)');
    this.pos++;
    const value = parseInt(text, letter === 'x' ? 16 : 8);
    if (value > 0xff) this.fail('character value in \\x{} or \\o{} is too large');
    return value;
  }

  /** `\pL`, `\p{Lu}`, `\p{^Greek}`. */
  private property(): void {
    const c = this.peek();
    if (c === undefined) this.fail('malformed \\P or \\p sequence');
    let name: string;
    if (c === 0x7b) {
      const end = this.bytes.indexOf(0x7d, this.pos);
      if (end < 0) this.fail('malformed \\P or \\p sequence');
      name = this.bytes.subarray(this.pos + 1, end).toString('latin1').replace(/^\^/, '');
      this.pos = end + 1;
    } else {
      name = String.fromCharCode(c);
      this.pos++;
    }
    if (!PROPERTIES.has(name)) this.fail('unknown property name after \\P or \\p');
  }

  private characterClass(): void {
    const open = this.pos;
    const posix = this.posixAt(open);
    if (posix) this.fail(posix.terminator === ':' ? 'POSIX named classes are supported only within a class' : 'POSIX collating elements are not supported');
    this.pos++;
    if (this.peek() === 0x5e) this.pos++;
    let first = true;
    /** The previous element: a character (a range may start there), a class, or nothing. */
    let previous: number | 'class' | undefined;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing terminating ] for character class');
      if (c === 0x5d && !first) {
        this.pos++;
        return;
      }
      const wasFirst = first;
      first = false;
      if (c === 0x2d && previous !== undefined && this.peek(1) !== 0x5d && this.peek(1) !== undefined) {
        this.pos++;
        if (previous === 'class') {
          this.failPcre2('invalid range in character class');
          previous = 0x2d;
          continue;
        }
        const end = this.classElement();
        if (end === 'class') this.fail('invalid range in character class');
        if (end !== undefined && end < previous) this.fail('range out of order in character class');
        previous = undefined;
        continue;
      }
      previous = this.classElement();
      // \E (or an empty \Q\E) at the start leaves a following ] literal.
      if (previous === undefined && wasFirst) first = true;
    }
  }

  /** One element of a class: a character's value, 'class' for \d, [:alpha:] and the like, undefined for \E. */
  private classElement(): number | 'class' | undefined {
    const c = this.peek()!;
    if (c === 0x5b) {
      const posix = this.posixAt(this.pos);
      if (posix) {
        if (posix.terminator !== ':') this.fail('POSIX collating elements are not supported');
        const name = this.bytes.subarray(this.pos + 2, posix.end).toString('latin1').replace(/^\^/, '');
        if (!POSIX_CLASSES.includes(name)) this.fail('unknown POSIX class name');
        this.pos = posix.end + 2;
        return 'class';
      }
    }
    if (c !== 0x5c) {
      this.pos++;
      return c;
    }
    const next = this.peek(1);
    if (next === undefined) this.fail('missing terminating ] for character class');
    const ch = String.fromCharCode(next);
    if (ch === 'E') {
      this.pos += 2;
      return undefined;
    }
    if (ch === 'Q') {
      this.pos += 2;
      let value: number | undefined;
      while (this.peek() !== undefined && !(this.peek() === 0x5c && this.peek(1) === 0x45)) value = this.bytes[this.pos++];
      if (this.peek() !== undefined) this.pos += 2;
      return value;
    }
    if ('BRX'.includes(ch)) {
      this.failPcre2('escape sequence is invalid in character class');
      this.pos += 2;
      return next;
    }
    if (ch === 'g' || ch === 'k') {
      this.pos += 2;
      return next;
    }
    return this.characterEscape(true);
  }

  /** PCRE's test for `[:name:]`, `[.x.]` or `[=x=]` at `at`: the terminator before any `]`. */
  private posixAt(at: number): { terminator: string; end: number } | undefined {
    const terminator = this.bytes[at + 1];
    if (terminator !== 0x3a && terminator !== 0x2e && terminator !== 0x3d) return undefined;
    for (let i = at + 2; i < this.bytes.length; i++) {
      const c = this.bytes[i];
      if (c === 0x5c && (this.bytes[i + 1] === 0x5d || this.bytes[i + 1] === 0x5c)) i++;
      else if ((c === 0x5b && this.bytes[i + 1] === terminator) || c === 0x5d) return undefined;
      else if (c === terminator && this.bytes[i + 1] === 0x5d) return { terminator: String.fromCharCode(terminator), end: i };
    }
    return undefined;
  }

  /** Everything that starts with `(`. */
  private group(branchStart: number): { item?: Item; last: Last } | 'transparent' {
    const start = this.pos;
    this.pos++;
    const text = this.bytes.subarray(this.pos, this.pos + 200).toString('latin1');
    if (text.startsWith('*') && /^\*[A-Za-z:]/.test(text)) return this.verb(start, branchStart);
    if (!text.startsWith('?')) return this.body({ capture: true });
    this.pos++;
    const rest = text.slice(1);
    if (rest.startsWith('#')) {
      const end = this.bytes.indexOf(0x29, this.pos);
      if (end < 0) this.fail('missing ) after comment');
      this.pos = end + 1;
      return 'transparent';
    }
    for (const [prefix, kind] of [[':', 'plain'], ['|', 'reset'], ['>', 'plain'], ['=', 'ahead'], ['!', 'ahead'], ['<=', 'behind'], ['<!', 'behind']] as const) {
      if (rest.startsWith(prefix)) {
        this.pos += prefix.length;
        return this.body({ capture: false, reset: kind === 'reset', lookahead: kind === 'ahead', lookbehind: kind === 'behind' });
      }
    }
    const named = /^(?:<(\w*)>|'(\w*)'|P<(\w*)>)/.exec(rest);
    if (named || /^(?:<|'|P<)/.test(rest)) {
      if (!named) {
        const after = rest.replace(/^(?:<|'|P<)/, '');
        if (isDigit(after.charCodeAt(0))) this.fail('group name must start with a non-digit');
        if (rest.startsWith('<') && !isWord(after.charCodeAt(0))) this.fail('unrecognized character after (?<');
        this.fail('syntax error in subpattern name (missing terminator)');
      }
      const name = named[1] ?? named[2] ?? named[3]!;
      if (name === '') {
        if (rest.startsWith('<')) this.fail('unrecognized character after (?<');
        this.failPcre2('subpattern name expected');
      }
      if (isDigit(name.charCodeAt(0))) this.fail('group name must start with a non-digit');
      if (name.length > (this.pcre2 ? 128 : 32)) this.fail(`subpattern name is too long (maximum ${this.pcre2 ? 128 : 32} characters)`);
      this.pos += named[0].length;
      return this.body({ capture: true, name });
    }
    if (rest.startsWith('P')) {
      const reference = /^P([=>])(\w*)\)/.exec(rest);
      if (!reference) this.fail(/^P[=>]/.test(rest) ? 'syntax error in subpattern name (missing terminator)' : 'unrecognized character after (?P');
      if (reference[2] === '') this.fail('subpattern name expected');
      this.pos += reference[0].length;
      if (reference[1] === '=') {
        this.references.push({ name: reference[2]! });
        return { item: { kind: 'length', length: { min: 0, max: Infinity } }, last: 'repeatable' };
      }
      return this.call(reference[2]!);
    }
    const call = /^(R|[+-]?\d+|&\w+)\)/.exec(rest);
    if (call) {
      this.pos += call[0].length;
      const target = call[1]!.replace(/^&/, '');
      if (/^[+-]0+$/.test(target)) this.fail('a numbered reference must not be zero');
      return this.call(target);
    }
    if (rest.startsWith('&')) this.fail('syntax error in subpattern name (missing terminator)');
    if (rest.startsWith('C')) {
      const callout = /^C(\d*)\)/.exec(rest);
      if (!callout) this.fail('closing ) for (?C expected');
      if (Number(callout[1] || 0) > 255) this.fail('number after (?C is > 255');
      this.pos += callout[0].length;
      return { last: 'none' };
    }
    if (rest.startsWith('(')) return this.conditional();
    return this.flags();
  }

  /** `(?imsxXJU-imsxXJU)` for the rest of the group, or `(?i:...)`. */
  private flags(): { item?: Item; last: Last } | 'transparent' {
    const match = /^([A-Za-z-]*)([:)])?/.exec(this.bytes.subarray(this.pos, this.pos + 40).toString('latin1'))!;
    const letters = match[1]!;
    if (!match[2]) this.fail("unrecognized character after (? or (?-");
    for (const letter of letters) {
      if (!'imsxXJU-'.includes(letter)) this.fail("unrecognized character after (? or (?-");
      if (letter === 'X') this.failPcre2("unrecognized character after (? or (?-");
    }
    if ((letters.match(/-/g) ?? []).length > 1) this.failPcre2('invalid hyphen in option setting');
    const [on, off = ''] = letters.split('-');
    this.pos += match[0].length;
    const apply = (frame: Frame) => {
      if (on!.includes('x')) frame.extended = true;
      if (off.includes('x')) frame.extended = false;
      if (on!.includes('J')) frame.duplicateNames = true;
      if (off.includes('J')) frame.duplicateNames = false;
    };
    if (match[2] === ')') {
      apply(this.frame);
      return { last: 'none' };
    }
    return this.body({ capture: false, flags: apply });
  }

  /** `(?(condition)yes|no)`. */
  private conditional(): { item?: Item; last: Last } {
    this.pos++;
    const text = this.bytes.subarray(this.pos, this.pos + 200).toString('latin1');
    if (/^\?[=!C]|^\?<[=!]/.test(text)) {
      // An assertion (or a callout) as the condition: read as a group of its own.
      this.pos--;
      this.group(this.pos);
    } else {
      const condition = /^(?:([+-]?\d+)|<(\w+)>|'(\w+)'|R(\d*)|R&(\w+)|(DEFINE)|(\w+))\)/.exec(text);
      if (!condition) this.fail('assertion expected after (?( or (?(?C)');
      this.pos += condition[0].length;
      const [, number, angle, quote, recursion, recursionName, , bare] = condition;
      if (number !== undefined) this.references.push(this.referenceTo(number));
      const name = angle ?? quote ?? recursionName ?? bare;
      if (name !== undefined) this.references.push({ name });
      if (recursion !== undefined && recursion !== '') this.references.push({ number: Number(recursion) });
    }
    return this.body({ capture: false, conditional: true });
  }

  /** `(*VERB)`, `(*VERB:NAME)`, `(*:NAME)` and start-of-pattern settings such as `(*UTF8)`. */
  private verb(start: number, branchStart: number): { last: Last } {
    const match = /^\*([A-Za-z0-9_]*(?:=\d+)?)(?::([^)]*))?\)/.exec(this.bytes.subarray(this.pos, this.pos + 200).toString('latin1'));
    const name = match?.[1];
    const atPatternStart = /^(\(\*[A-Z0-9_]+(=\d+)?\))*$/.test(this.bytes.subarray(0, start).toString('latin1')) && branchStart === 0 && this.frames.length === 1;
    if (!match || (!VERBS.includes(name!) && !(START_SETTINGS.test(name!) && atPatternStart && match[2] === undefined))) this.fail('(*VERB) not recognized or malformed');
    if ((name === 'MARK' || name === '') && !match[2]) this.fail('(*MARK) must have an argument');
    this.pos += match[0].length;
    return { last: this.pcre2 && name === 'ACCEPT' ? 'repeatable' : 'none' };
  }

  /** A group's body up to its `)`. */
  private body(kind: { capture: boolean; name?: string; reset?: boolean; lookahead?: boolean; lookbehind?: boolean; conditional?: boolean; flags?: (frame: Frame) => void }): { item: Item; last: Last } {
    const number = kind.capture ? ++this.groups : undefined;
    if (kind.name !== undefined && number !== undefined) {
      const existing = this.names.get(kind.name);
      if (existing !== undefined && existing !== number && !this.frame.duplicateNames) this.fail('two named subpatterns have the same name');
      this.names.set(kind.name, number);
    }
    const parent = this.frame;
    const frame: Frame = { number, consumed: 0, extended: parent.extended, duplicateNames: parent.duplicateNames, lookaround: parent.lookaround || !!kind.lookahead || !!kind.lookbehind };
    kind.flags?.(frame);
    this.frames.push(frame);
    const groupsBefore = this.groups;
    let result: { branches: Item[][]; length: Length };
    if (kind.reset) {
      let most = groupsBefore;
      const branches: Item[][] = [];
      let min = Infinity;
      let max = 0;
      for (;;) {
        this.groups = groupsBefore;
        frame.consumed = 0;
        const part = this.branchOf();
        branches.push(...part.branches);
        min = Math.min(min, part.length.min);
        max = Math.max(max, part.length.max);
        most = Math.max(most, this.groups);
        if (this.peek() !== 0x7c) break;
        this.pos++;
      }
      this.groups = most;
      result = { branches, length: { min, max } };
    } else {
      result = this.alternatives();
    }
    if (this.peek() !== 0x29) this.fail('missing )');
    this.pos++;
    this.frames.pop();
    if (kind.conditional && result.branches.length > 2) this.fail('conditional group contains more than two branches');
    if (number !== undefined) this.groupItems.set(number, result.branches);
    if (kind.lookbehind) this.lookbehinds.push(result.branches);
    const zeroWidth = kind.lookahead || kind.lookbehind;
    const length = zeroWidth ? { min: 0, max: 0 } : kind.conditional ? { min: 0, max: result.length.max } : result.length;
    return { item: { kind: 'group', branches: zeroWidth ? [[]] : result.branches, min: length.min, max: length.max }, last: 'repeatable' };
  }

  /** One branch of a branch-reset group, as a one-branch alternatives result. */
  private branchOf(): { branches: Item[][]; length: Length } {
    const { items, length } = this.branch();
    return { branches: [items], length };
  }

  private resolve(reference: Reference): void {
    const exists = 'number' in reference ? reference.number >= 1 && reference.number <= this.groups : this.names.has(reference.name);
    if (!exists) this.fail(NONEXISTENT);
  }

  /** A lookbehind branch's length once every group is known; a call that re-enters itself is unbounded. */
  private lengthOf(items: readonly Item[], calling: Set<number>): Length {
    let min = 0;
    let max = 0;
    for (const item of items) {
      const length = this.itemLengthDeep(item, calling);
      min += length.min;
      max += length.max;
    }
    return { min, max };
  }

  private itemLengthDeep(item: Item, calling: Set<number>): Length {
    if (item.kind === 'length') return item.length;
    if (item.kind === 'repeat') {
      const inner = this.itemLengthDeep(item.item, calling);
      return { min: inner.min * item.min, max: repeatMax(inner.max, item.max) };
    }
    if (item.kind === 'group') {
      const lengths = item.branches.map((branch) => this.lengthOf(branch, calling));
      return { min: Math.min(...lengths.map((l) => l.min)), max: Math.max(...lengths.map((l) => l.max)) };
    }
    const number = 'number' in item.target ? item.target.number : this.names.get(item.target.name);
    if (number === undefined || number === 0 || calling.has(number)) return { min: 0, max: Infinity };
    const branches = this.groupItems.get(number) ?? [];
    const lengths = branches.map((branch) => this.lengthOf(branch, new Set([...calling, number])));
    return { min: Math.min(...lengths.map((l) => l.min)), max: Math.max(...lengths.map((l) => l.max)) };
  }
}

/** A quantifier's upper bound on an item's length. */
function repeatMax(length: number, times: number): number {
  if (length === 0) return 0;
  return times === Infinity ? Infinity : length * times;
}

/** Length of an item as far as the parse knows it (a call counts as unknown). */
function itemLength(item: Item): Length {
  switch (item.kind) {
    case 'length':
      return item.length;
    case 'group':
      return { min: item.min, max: item.max };
    case 'repeat': {
      const inner = itemLength(item.item);
      return { min: inner.min * item.min, max: repeatMax(inner.max, item.max) };
    }
    case 'call':
      return { min: item.min, max: Infinity };
    default: {
      const unknown: never = item;
      return unknown;
    }
  }
}
