/**
 * One process of the local Temporal cluster (PostgreSQL, a Temporal service, the UI server): started
 * in a process group of its own, so a Ctrl-C in the terminal reaches only the supervisor, which stops
 * the cluster in order; its output appended to a log file, so the log outlives the supervisor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

export interface ClusterProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<string>;
  running(): boolean;
  /** `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  logFile: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses root). */
  user?: { uid: number; gid: number; home: string };
}

export function spawnClusterProcess(
  name: string,
  command: string,
  args: string[],
  opts: SpawnOptions,
): ClusterProcess {
  const out = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: {
        ...process.env,
        ...(opts.user ? { HOME: opts.user.home, USER: '', LOGNAME: '' } : {}),
        ...opts.env,
      },
      stdio: ['ignore', out, out],
      detached: true,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
  } finally {
    closeSync(out);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let alive = true;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve(signal ?? String(code));
    });
    child.once('error', (err) => {
      alive = false;
      resolve(`error: ${err.message}`);
    });
  });
  return {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    exited,
    running: () => alive,
    async stop(signal = 'SIGTERM', graceMs = 20_000) {
      if (!alive) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Polls `ready` every 200 ms until it is true; fails when `proc` exits first or after `timeoutMs`,
 * with the end of its log.
 */
export async function waitReady(
  proc: ClusterProcess,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  logTail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (!proc.running()) throw new Error(`${proc.name} exited before ${what}; its log:\n${logTail()}`);
    if (Date.now() > deadline) {
      throw new Error(`${proc.name}: no ${what} after ${timeoutMs / 1000} s; its log:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l))
      .join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
