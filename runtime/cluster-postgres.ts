/**
 * PostgreSQL for the local Temporal cluster: Debian's server binaries, a data folder initialised
 * once (as an unprivileged user when we are root: PostgreSQL refuses to run as root), listening on
 * 127.0.0.1 only, with password authentication for the one role Temporal uses.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnClusterProcess, tail, waitReady, type ClusterProcess } from './cluster-process';

export const PG_ROLE = 'temporal';

export interface PgUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The folder with initdb, postgres and pg_isready: LBMEDIC_POSTGRES_BIN, Debian's newest, or PATH. */
export function findPostgresBin(): string {
  const fromEnv = process.env.LBMEDIC_POSTGRES_BIN;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb')))
      throw new Error(`LBMEDIC_POSTGRES_BIN=${fromEnv} has no initdb`);
    return fromEnv;
  }
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(debian, versions[0], 'bin');
  const onPath = (process.env.PATH ?? '').split(delimiter).find((d) => existsSync(join(d, 'initdb')));
  if (onPath) return onPath;
  throw new Error(
    'PostgreSQL was not found: install it (Debian: apt-get install postgresql) or set LBMEDIC_POSTGRES_BIN ' +
      'to the folder holding initdb and postgres',
  );
}

/**
 * Who runs PostgreSQL: ourselves, unless we are root; then the `postgres` user Debian's package
 * creates (or `nobody`), since initdb and postgres refuse root.
 */
export function postgresUser(): PgUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (fields) return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
  }
  throw new Error('running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as');
}

function run(command: string, args: string[], user: PgUser | undefined, what: string) {
  const res = spawnSync(command, args, {
    encoding: 'utf8',
    ...(user ? { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: user.home } } : {}),
  });
  if (res.status !== 0) {
    throw new Error(
      `${what} failed (${res.error?.message ?? `exit ${res.status}`}):\n${res.stderr}${res.stdout}`,
    );
  }
}

/**
 * Initialises `dataDir` unless it already holds a database (a second start reuses the data).
 * Returns whether it was created now.
 */
export function initPostgres(opts: {
  bin: string;
  dataDir: string;
  password: string;
  user: PgUser | undefined;
}): boolean {
  if (existsSync(join(opts.dataDir, 'PG_VERSION'))) return false;
  rmSync(opts.dataDir, { recursive: true, force: true });
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(opts.dataDir, '..', `.pg-init-${process.pid}`);
  writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
  try {
    if (opts.user) {
      chownSync(opts.dataDir, opts.user.uid, opts.user.gid);
      chownSync(pwfile, opts.user.uid, opts.user.gid);
      const reach = spawnSync('test', ['-w', opts.dataDir], { uid: opts.user.uid, gid: opts.user.gid });
      if (reach.status !== 0) {
        throw new Error(
          `the ${opts.user.name} user, which runs PostgreSQL, cannot reach ${opts.dataDir}: a folder above it ` +
            `is closed to other users. Put the cluster elsewhere with LBMEDIC_CLUSTER_DIR (e.g. under /var/tmp).`,
        );
      }
    }
    run(
      join(opts.bin, 'initdb'),
      [
        '--pgdata',
        opts.dataDir,
        '--username',
        PG_ROLE,
        '--pwfile',
        pwfile,
        '--auth-host=scram-sha-256',
        '--auth-local=reject',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      opts.user,
      'initdb',
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
  return true;
}

/** Starts `postgres` on 127.0.0.1:`port` (no Unix socket) and waits until it accepts connections. */
export async function startPostgres(opts: {
  bin: string;
  dataDir: string;
  port: number;
  user: PgUser | undefined;
  logFile: string;
}): Promise<ClusterProcess> {
  const proc = spawnClusterProcess(
    'postgres',
    join(opts.bin, 'postgres'),
    [
      '-D',
      opts.dataDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Four Temporal services, each with a pool for its store and one for visibility.
      '-c',
      'max_connections=300',
    ],
    { logFile: opts.logFile, ...(opts.user ? { user: opts.user } : {}) },
  );
  const isReady = () =>
    Promise.resolve(
      spawnSync(join(opts.bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(opts.port)]).status ===
        0,
    );
  await waitReady(proc, 'connections accepted', isReady, 60_000, () => tail(opts.logFile));
  return proc;
}
