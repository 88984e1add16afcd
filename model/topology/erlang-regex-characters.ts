/**
 * The character level of the Erlang regular expression checker (erlang-regex.ts): escapes that stand for
 * characters or classes, character classes with their ranges and POSIX names, and Unicode properties.
 */

/** A pattern Erlang's re:compile refuses; the message is PCRE's (or PCRE2's) own. */
export class Refusal extends Error {}

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
/** Letters PCRE2 refuses after a backslash (PCRE 8 takes them literally); \F it does not support either. */
const PCRE2_UNKNOWN_ESCAPES = 'ijmqyIJMOTY';
const NOT_SUPPORTED = 'PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u';

export const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
export const isWord = (c: number | undefined) => c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f);
const isHex = (c: number | undefined) => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
export const isSpace = (c: number | undefined) => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);

/** Reads a pattern's bytes as PCRE 8 does, or (engine PCRE2) refuses on top what PCRE2 refuses. */
export abstract class CharacterScanner {
  protected pos = 0;
  protected readonly pcre2: boolean;

  constructor(
    protected readonly bytes: Buffer,
    engine: 'PCRE' | 'PCRE2',
  ) {
    this.pcre2 = engine === 'PCRE2';
  }

  protected fail(reason: string): never {
    throw new Refusal(reason);
  }

  /** What PCRE2 refuses and PCRE accepts. */
  protected failPcre2(reason: string): void {
    if (this.pcre2) this.fail(reason);
  }

  protected peek(offset = 0): number | undefined {
    return this.bytes[this.pos + offset];
  }

  protected octal(digits: string): void {
    const octal = /^[0-7]{1,3}/.exec(digits)![0];
    this.pos += octal.length;
    if (parseInt(octal, 8) > 0o377) this.fail('octal value is greater than \\377 in 8-bit non-UTF-8 mode');
  }

  /** A character given by an escape (not a class escape): its value. */
  protected characterEscape(inClass: boolean): number | 'class' {
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
  protected codedCharacter(letter: 'x' | 'o'): number {
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
  protected property(): void {
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

  protected characterClass(): void {
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
  protected classElement(): number | 'class' | undefined {
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
  protected posixAt(at: number): { terminator: string; end: number } | undefined {
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
}
