/** The secrets store's one writer: new files 0600 and recorded for removal, replaced files swapped whole, links never written through. */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeStoreFile } from '../../io/store-file';

const work = mkdtempSync(join(tmpdir(), 'warren-store-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('writeStoreFile', () => {
  it('creates a file 0600 and records it; replacing it keeps the record untouched and leaves no temporary file', () => {
    const created: string[] = [];
    const path = join(work, 'tls-certificate');
    writeStoreFile(path, 'first', created);
    expect([readFileSync(path, 'utf8'), (statSync(path).mode & 0o777).toString(8), created]).toEqual(['first', '600', [path]]);
    writeStoreFile(path, 'reissued', created);
    expect([readFileSync(path, 'utf8'), (statSync(path).mode & 0o777).toString(8), created]).toEqual(['reissued', '600', [path]]);
    expect(readdirSync(work)).toEqual(['tls-certificate']);
  });

  it('replaces a link planted in place of a stored file instead of writing through it', () => {
    const target = join(work, 'elsewhere');
    writeFileSync(target, 'not yours');
    const path = join(work, 'tls-private-key');
    symlinkSync(target, path);
    writeStoreFile(path, 'key', []);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('key');
  });
});
