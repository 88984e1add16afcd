/**
 * WarrenUserError: something the user gave (a spec, a flag, a file, a secret source, a store folder) is
 * wrong. Entry points print its message, one line per problem, and never a stack trace; any other error
 * is a defect in warren.
 */

/** Exit status of a user error: 1 for a spec or secret the user must fix, 2 for a flag or file given to the command. */
export type UserErrorExitCode = 1 | 2;

export class WarrenUserError extends Error {
  constructor(
    /** One line per problem: `what: "value" is <what is wrong>; <what to do>`, after an optional heading line. */
    message: string,
    readonly exitCode: UserErrorExitCode = 2,
  ) {
    super(message);
    this.name = 'WarrenUserError';
  }
}

/** Values echoed in messages are cut to this many characters, so a huge input never fills the terminal. */
export const MAX_ECHOED_CHARACTERS = 60;

/** The text itself when short; otherwise its start and how long it really is. */
export function truncateForMessage(text: string, max: number = MAX_ECHOED_CHARACTERS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length} characters)`;
}
