/**
 * The real `lbmedic` command as a child process (bin/lbmedic.mjs), killed after a bound so a hang
 * fails the test instead of holding it; and a loopback port held busy.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';

export interface LbmedicRun {
  /** The exit code; null when it had to be killed at the bound. */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runLbmedic(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<LbmedicRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A port on 127.0.0.1 that something listens on until `close`. */
export async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Whether something holds 127.0.0.1:`port` (it cannot be listened on). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}
