/** The structure of a pattern for the Erlang regular expression checker (erlang-regex.ts): branches, quantifiers and groups. */
import { isDigit, isSpace, isWord } from './erlang-regex-characters';
import { GroupScanner, itemLength, type Frame, type Item, type Last, type Length } from './erlang-regex-groups';

/** Verbs allowed anywhere, and start-of-pattern settings (only before anything else). */
const VERBS = ['ACCEPT', 'COMMIT', 'F', 'FAIL', 'PRUNE', 'SKIP', 'THEN', 'MARK', ''];
const START_SETTINGS = /^(UTF8|UTF|UCP|NO_AUTO_POSSESS|NO_START_OPT|CR|LF|CRLF|ANYCRLF|ANY|BSR_ANYCRLF|BSR_UNICODE|LIMIT_MATCH=\d+|LIMIT_RECURSION=\d+)$/;

export class Parser extends GroupScanner {
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
}
