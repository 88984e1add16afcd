/**
 * Schema pieces shared by the cluster spec (spec.ts) and its topology section (topology.ts),
 * kept apart so neither imports the other.
 */
import { z } from 'zod';

export const QUEUE_TYPES = ['quorum', 'classic', 'stream'] as const;
export const USER_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_LABEL_MESSAGE = (example: string) =>
  `is not a DNS-1123 label; use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. "${example}")`;
export const TOO_LONG_FOR_A_HOST_NAME = 'is longer than 63 characters; shorten it (it becomes a host name)';

/** A name that becomes a host name or a Kubernetes object name. */
export const dnsLabel = (example: string) => z.string().max(63, TOO_LONG_FOR_A_HOST_NAME).regex(DNS_LABEL, DNS_LABEL_MESSAGE(example));

/** `generate`, `file:<path>` or `env:<VARIABLE>`. */
export const SECRET_SOURCE = /^(generate|file:.+|env:[A-Za-z_][A-Za-z0-9_]*)$/;

export const secretSource = (what: string) =>
  z
    .string()
    .regex(SECRET_SOURCE, `is not a secret source; use "generate", "file:<path>" or "env:<VARIABLE>"`)
    .default('generate')
    .describe(
      `Where ${what} comes from: "generate" (random, created once and kept in the secrets store, .warren-secrets/ next to the spec), ` +
        `"file:<path>" or "env:<VARIABLE>" (read at synth time). @default "generate"`,
    );
