/**
 * Schema pieces shared by the cluster spec (spec.ts) and its topology section (topology.ts),
 * kept apart so neither imports the other.
 */
import { z } from 'zod';

export const QUEUE_TYPES = ['quorum', 'classic', 'stream'] as const;
export const USER_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

/** `generate`, `file:<path>` or `env:<VARIABLE>`. */
export const SECRET_SOURCE = /^(generate|file:.+|env:[A-Za-z_][A-Za-z0-9_]*)$/;

export const secretSource = (what: string) =>
  z
    .string()
    .regex(SECRET_SOURCE, `is not a secret source; use "generate", "file:<path>" or "env:<VARIABLE>"`)
    .default('generate')
    .describe(
      `Where ${what} comes from: "generate" (random, created once and kept in the secrets folder next to the output), ` +
        `"file:<path>" or "env:<VARIABLE>" (read at synth time). @default "generate"`,
    );
