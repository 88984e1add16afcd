/** A file a generator produces; only entry points (cli/) write files. */
export interface GeneratedFile {
  /** Relative to the output folder, with forward slashes, e.g. `compose/compose.yaml`. */
  readonly path: string;
  readonly content: string;
  /** Secret-bearing files are written 0600, executables 0755, everything else 0644. */
  readonly kind: 'plain' | 'secret' | 'executable';
}
