/**
 * Groups as the Erlang regular expression checker (erlang-regex.ts) tracks them: back references, subroutine
 * calls and recursion, the groups they name, and the lengths a lookbehind needs.
 */
import { CharacterScanner, isWord } from './erlang-regex-characters';

/** Shortest and longest match, in bytes; `max` is Infinity when unbounded. */
export interface Length {
  readonly min: number;
  readonly max: number;
}

/** What the previous item lets a quantifier do. */
export type Last = 'none' | 'repeatable' | 'quantified';

/** Per open group: its number (0 for the pattern), what its current branch has matched at least, its flags. */
export interface Frame {
  readonly number: number | undefined;
  consumed: number;
  extended: boolean;
  duplicateNames: boolean;
  readonly lookaround: boolean;
}

export type Reference = { readonly number: number } | { readonly name: string };

/** A lookbehind's branches, as items whose lengths are known once every group has been read. */
export type Item =
  | { readonly kind: 'length'; readonly length: Length }
  | { readonly kind: 'group'; readonly branches: Item[][]; readonly min: number; readonly max: number }
  | { readonly kind: 'repeat'; readonly item: Item; readonly min: number; readonly max: number }
  /** `min`: the called group's, when it is complete at the call (PCRE's view); else 0. */
  | { readonly kind: 'call'; readonly target: Reference; readonly min: number };

const NONEXISTENT = 'reference to non-existent subpattern';

export abstract class GroupScanner extends CharacterScanner {
  protected groups = 0;
  protected readonly names = new Map<string, number>();
  protected readonly references: Reference[] = [];
  protected readonly groupItems = new Map<number, Item[][]>();
  protected readonly lookbehinds: Item[][][] = [];
  protected readonly frames: Frame[] = [];

  protected get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** `\Q...\E`: literals; a quantifier after it repeats the last one, or what came before an empty one. */
  protected quoted(): { item?: Item; last: Last } | 'transparent' {
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
  protected numberedBackReference(): Reference | undefined {
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

  /** `\g` and `\k`: back references and (with `<...>` or `'...'` after \g) subroutine calls. */
  protected namedEscape(letter: 'g' | 'k'): { item?: Item; last: Last } {
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
  protected referenceTo(text: string): Reference {
    if (!/^[+-]?\d+$/.test(text)) return { name: text };
    const value = Number(text);
    if (value === 0) this.fail('a numbered reference must not be zero');
    if (text.startsWith('-')) return { number: this.groups + value + 1 };
    if (text.startsWith('+')) return { number: this.groups + value };
    return { number: value };
  }

  /** A subroutine call or recursion; PCRE refuses one that re-enters an open group before matching anything. */
  protected call(text: string): { item: Item; last: Last } {
    const target = text === 'R' || text === '0' ? { number: 0 } : this.referenceTo(text);
    if ('name' in target || target.number !== 0) this.references.push(target);
    const number = 'number' in target ? target.number : this.names.get(target.name);
    const open = this.frames.findIndex((f) => f.number === number);
    if (!this.pcre2 && open >= 0 && this.frames.slice(open).every((f) => f.consumed === 0)) this.fail('recursive call could loop indefinitely');
    const complete = number === undefined ? undefined : this.groupItems.get(number);
    const min = complete ? Math.min(...complete.map((branch) => this.lengthOf(branch, new Set([number!])).min)) : 0;
    return { item: { kind: 'call', target, min }, last: 'repeatable' };
  }

  protected resolve(reference: Reference): void {
    const exists = 'number' in reference ? reference.number >= 1 && reference.number <= this.groups : this.names.has(reference.name);
    if (!exists) this.fail(NONEXISTENT);
  }

  /** A lookbehind branch's length once every group is known; a call that re-enters itself is unbounded. */
  protected lengthOf(items: readonly Item[], calling: Set<number>): Length {
    let min = 0;
    let max = 0;
    for (const item of items) {
      const length = this.itemLengthDeep(item, calling);
      min += length.min;
      max += length.max;
    }
    return { min, max };
  }

  protected itemLengthDeep(item: Item, calling: Set<number>): Length {
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
export function repeatMax(length: number, times: number): number {
  if (length === 0) return 0;
  return times === Infinity ? Infinity : length * times;
}

/** Length of an item as far as the parse knows it (a call counts as unknown). */
export function itemLength(item: Item): Length {
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
