/**
 * The one writer of the secrets store's files (the cookie, passwords, the generated CA and certificates): 0600,
 * never through a link planted in place of a file, and a replaced file (a reissued certificate) swapped in whole by
 * a rename, so that a crash leaves the old file or the new one, never half of one.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Writes `content` to `path` (0600); a new path is appended to `created`, so that a failed synth can remove it. */
export function writeStoreFile(path: string, content: string, created: string[]): void {
  if (!existsSync(path)) {
    // wx: fails on anything already there, a link included, instead of writing through it.
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
    created.push(path);
    return;
  }
  const next = `${path}.next`;
  rmSync(next, { force: true });
  writeFileSync(next, content, { mode: 0o600, flag: 'wx' });
  renameSync(next, path);
}
