/**
 * Secret references. The model names every secret a cluster needs and where its value comes from;
 * only entry points read or generate values (see cli/secrets-store.ts).
 */

export type SecretSource =
  | { readonly kind: 'generate'; readonly length: number }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly variable: string };

export interface SecretRef {
  /** Stable identifier, also the file name in the secrets folder, e.g. `erlang-cookie`. */
  readonly id: string;
  readonly description: string;
  readonly source: SecretSource;
}

/** Secret values by id, as an entry point materialised them. */
export type SecretValues = Readonly<Record<string, string>>;

/** Lengths of generated secrets: 48 alphanumerics is ~285 bits for the cookie, 32 (~190 bits) for passwords. */
export const GENERATED_LENGTH = { cookie: 48, password: 32 } as const;

export function parseSecretSource(text: string, generatedLength: number): SecretSource {
  if (text.startsWith('file:')) return { kind: 'file', path: text.slice('file:'.length) };
  if (text.startsWith('env:')) return { kind: 'env', variable: text.slice('env:'.length) };
  return { kind: 'generate', length: generatedLength };
}

export function secretValue(values: SecretValues, ref: SecretRef): string {
  const value = values[ref.id];
  if (value === undefined) throw new Error(`secret "${ref.id}" (${ref.description}) has no value; materialise the cluster's secrets first`);
  return value;
}
