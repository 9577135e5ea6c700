/**
 * The embedded Temporal dev server for `lbmedic up`: the official CLI's `temporal server start-dev`
 * (server + Web UI, SQLite persisted under .temporal/), with lbmedic's search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { searchAttributeArgs } from '../core/search-attributes';
import { findTemporalCli, PROJECT_ROOT } from './temporal-binaries';

export interface DevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file; default .temporal/lbmedic.db in the project. */
  dbFile?: string;
  /** How long to wait for the frontend port, ms. */
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = findTemporalCli();
  if (!cli)
    throw new Error('the Temporal CLI was not found: run `npm run tools` (or set LBMEDIC_TEMPORAL_CLI)');
  if (await portOpen(opts.port)) {
    throw new Error(
      `port ${opts.port} is already in use: is another Temporal server running? (set --temporal-port)`,
    );
  }
  if (await portOpen(opts.uiPort)) {
    throw new Error(
      `port ${opts.uiPort} is already in use: is another Temporal Web UI running? (set --ui-port)`,
    );
  }
  const dbFile = opts.dbFile ?? join(PROJECT_ROOT, '.temporal', 'lbmedic.db');
  mkdirSync(join(dbFile, '..'), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    ...searchAttributeArgs(),
  ];
  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let running = true;
  void exited.then(() => (running = false));
  while (!(await portOpen(opts.port))) {
    if (!running) throw new Error(`temporal server start-dev exited before it was ready:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev was not ready in time:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    async stop() {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
