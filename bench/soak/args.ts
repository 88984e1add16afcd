/** The soak's command line: `--minutes N --seed S --line 4.3|3.10 (repeatable) --harsh --max-gap-s G --readme`. Pure. */

export const SOAK_LINES = ['4.3', '3.10'] as const;

export interface SoakArgs {
  /** @default 10 */
  readonly minutes: number;
  /** @default - drawn by the caller */
  readonly seed: number;
  /** @default - both lines */
  readonly lines: readonly string[];
  /** @default false */
  readonly harsh: boolean;
  /** Longest tolerated window without a confirm, within tolerance. @default 60000 */
  readonly maxGapMs: number;
  /** @default false */
  readonly readme: boolean;
}

/** Every problem at once, one line each, naming the flag, the value and the fix. */
export function parseSoakArgs(argv: readonly string[], drawSeed: () => number): SoakArgs {
  const problems: string[] = [];
  let minutes = 10;
  let seed: number | undefined;
  const lines: string[] = [];
  let harsh = false;
  let maxGapMs = 60_000;
  let readme = false;
  const number = (flag: string, value: string | undefined, ok: (n: number) => boolean, what: string): number | undefined => {
    const n = Number(value);
    if (value === undefined || value === '' || !ok(n)) {
      problems.push(`${flag}: "${value ?? ''}" is not ${what}; give e.g. ${flag} ${flag === '--seed' ? '42' : '3'}`);
      return undefined;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--minutes':
        minutes = number(flag, argv[++i], (n) => n > 0 && n <= 24 * 60, 'a number of minutes above 0 (at most a day)') ?? minutes;
        break;
      case '--seed':
        seed = number(flag, argv[++i], (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer from 0 to 4294967295');
        break;
      case '--line': {
        const line = argv[++i];
        if (line === undefined || !(SOAK_LINES as readonly string[]).includes(line)) problems.push(`--line: "${line ?? ''}" is not a line the soak runs; use one of ${SOAK_LINES.join(', ')}`);
        else lines.push(line);
        break;
      }
      case '--max-gap-s':
        maxGapMs = (number(flag, argv[++i], (n) => n > 0, 'a number of seconds above 0') ?? maxGapMs / 1000) * 1000;
        break;
      case '--harsh':
        harsh = true;
        break;
      case '--readme':
        readme = true;
        break;
      default:
        problems.push(`"${flag}" is not an option of npm run soak; use --minutes, --seed, --line, --harsh, --max-gap-s or --readme`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { minutes, seed: seed ?? drawSeed(), lines: lines.length > 0 ? lines : [...SOAK_LINES], harsh, maxGapMs, readme };
}
