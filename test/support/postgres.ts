/**
 * A private PostgreSQL server from Debian's `postgresql` package, for the store tests: its own cluster in a
 * temporary folder (initdb), listening only on a unix socket in that folder (no TCP port to collide with
 * other tests; lab hosts reach it too, a socket file is not in a network namespace). As root it runs as the
 * package's `postgres` user (the server refuses root). fsync is off: these tests kill clients, never the server.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';

export interface PostgresServer {
  readonly socketDir: string;
  /** Pool options for `database` (created by `createDatabase`; "postgres" always exists). */
  config(database?: string): pg.PoolConfig;
  /** A `postgres://` URL of `database` over the socket. */
  url(database?: string): string;
  createDatabase(name: string): void;
  stop(): void;
}

const USER = 'warren';

function binDir(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('the PostgreSQL store tests need a PostgreSQL server; install it with: apt-get install -y postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export function startPostgres(): PostgresServer {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'warren-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = (argv: string[]) => (asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv);
  const run = (argv: string[]) => {
    const [file, ...args] = as(argv);
    execFileSync(file!, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run([join(bin, 'initdb'), '-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-c listen_addresses='' -k ${dir} -c fsync=off -c max_connections=200`, 'start']);
  const server: PostgresServer = {
    socketDir: dir,
    config: (database = 'postgres') => ({ host: dir, user: USER, database }),
    url: (database = 'postgres') => `postgres://${USER}@${encodeURIComponent(dir)}/${database}`,
    createDatabase: (name) => run([join(bin, 'createdb'), '-h', dir, '-U', USER, name]),
    stop: () => {
      try {
        run([join(bin, 'pg_ctl'), '-D', data, '-w', '-m', 'fast', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return server;
}
