/** Schema pieces shared by several sections of the spec: names, secret sources, addresses and sizes. */
import * as z from 'zod';

export const QUEUE_TYPES = ['quorum', 'classic', 'stream'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];
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

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([1-9]|[12]\d|3[0-2])$/;
/** Sizes as RabbitMQ reads them: bytes, or a number with a decimal (MB, GB) or binary (MiB, GiB) unit. */
export const INFORMATION_SIZE = /^\d+(kB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

const INFORMATION_UNIT: Readonly<Record<string, number>> = { '': 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** Bytes of a size that matches INFORMATION_SIZE, with RabbitMQ's units: kB, MB... decimal, KiB, MiB... binary. */
export function informationSizeBytes(text: string): number {
  const match = /^(\d+)([A-Za-z]*)$/.exec(text);
  const unit = match && INFORMATION_UNIT[match[2]!];
  if (unit === undefined || unit === null) throw new Error(`"${text}" is not an information size`);
  return Number(match![1]) * unit;
}

/** An IPv4 address of a host, e.g. `ipv4Address('10.0.0.11')`. */
export const ipv4Address = (example: string) =>
  z.string().regex(IPV4, `is not an IPv4 address; write four numbers 0-255 separated by dots (e.g. "${example}")`);
