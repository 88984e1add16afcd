/**
 * Secret references. The model names every secret a cluster needs and where its value comes from;
 * only entry points read or generate values (see io/secrets-store.ts), then hand the values they read
 * back to secretValueRules (value-rules.ts), which judges them with the spec's other rules.
 */

export type SecretSource =
  | { readonly kind: 'generate'; readonly length: number }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly variable: string };

export interface SecretRef {
  /** Stable identifier, also the file name in the secrets folder, e.g. `erlang-cookie`. */
  readonly id: string;
  readonly description: string;
  /** Where the spec names the source, e.g. `defaultUser.password`, so messages point at the line to fix. */
  readonly path: string;
  readonly source: SecretSource;
  /** Whether the spec accepts "generate" here (not for certificate material or connection URIs). */
  readonly generatable: boolean;
  /** The program that reads the value; a target materialises only the secrets of the programs it runs. */
  readonly consumer: SecretConsumer;
  /**
   * How the value reaches it: a file of its own (the cookie, TLS material), inside definitions.json (user
   * passwords, federation and shovel URIs), or inside the program's configuration file.
   */
  readonly carrier: 'own-file' | 'definitions' | 'config-file';
}

export type SecretConsumer = 'rabbitmq' | 'haproxy' | 'keepalived';

/** Secret values by id, as an entry point materialised them. */
export type SecretValues = Readonly<Record<string, string>>;

/** Lengths of generated secrets: 48 alphanumerics is ~285 bits for the cookie, 32 (~190 bits) for passwords. */
export const GENERATED_LENGTH = { cookie: 48, password: 32 } as const;

export function parseSecretSource(text: string, generatedLength: number): SecretSource {
  if (text.startsWith('file:')) return { kind: 'file', path: text.slice('file:'.length) };
  if (text.startsWith('env:')) return { kind: 'env', variable: text.slice('env:'.length) };
  return { kind: 'generate', length: generatedLength };
}

/** The source as the spec writes it: `generate`, `file:<path>` or `env:<VARIABLE>`. */
export function secretSourceText(source: SecretSource): string {
  switch (source.kind) {
    case 'generate':
      return 'generate';
    case 'file':
      return `file:${source.path}`;
    case 'env':
      return `env:${source.variable}`;
    default: {
      const unknown: never = source;
      return unknown;
    }
  }
}

export function secretValue(values: SecretValues, ref: SecretRef): string {
  const value = values[ref.id];
  if (value === undefined) throw new Error(`secret "${ref.id}" (${ref.description}) has no value; materialise the cluster's secrets first`);
  return value;
}
