/**
 * `lbmedic receiver` and `lbmedic sim` as processes of their own, the way they are deployed (and so
 * that they do not share the test's or the benchmark's CPU). `lbmedic worker` processes: crash.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { freePort } from './scenarios';

export interface LbmedicProcess {
  url: string;
  /** What it wrote to stderr, for failure messages. */
  stderr(): string;
  /** SIGTERM, and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * `lbmedic <args>` as a process of its own, its stdout discarded; resolves once `readyPath` under
 * `url` answers 2xx.
 */
export async function startLbmedic(
  args: string[],
  env: Record<string, string>,
  url: string,
  readyPath: string,
): Promise<LbmedicProcess> {
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`lbmedic ${args[0]} exited: ${stderr}`);
    const up = await fetch(`${url}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 600) {
      child.kill('SIGKILL');
      throw new Error(`lbmedic ${args[0]} did not answer in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `lbmedic receiver` on a free port; `env` names at least TEMPORAL_ADDRESS, LBMEDIC_TASK_QUEUE and
 * LBMEDIC_RECEIVER_TOKEN. Resolves once it answers /healthz.
 */
export async function startReceiverProcess(env: Record<string, string>): Promise<LbmedicProcess> {
  const port = await freePort();
  return startLbmedic(['receiver', '--port', String(port)], env, `http://127.0.0.1:${port}`, '/healthz');
}

/** `lbmedic sim` on a free port with `scenario` (`--scenario NAME` or `--scenario-file FILE`). */
export async function startSimProcess(scenario: string[], timeScale: number): Promise<LbmedicProcess> {
  const port = await freePort();
  const args = ['sim', ...scenario, '--port', String(port), '--time-scale', String(timeScale)];
  return startLbmedic(args, {}, `http://127.0.0.1:${port}`, '/_sim/state');
}

/**
 * The flags that give an `lbmedic up` of a test its own free ports (the simulator and the receiver on
 * port 0), its Temporal database and its state file, both in `dir`.
 */
export async function upFlags(
  dir: string,
): Promise<{ args: string[]; temporalPort: number; uiPort: number; stateFile: string }> {
  const [temporalPort, uiPort] = [await freePort(), await freePort()];
  const stateFile = join(dir, 'up.json');
  const args = [
    '--temporal-port',
    String(temporalPort),
    '--ui-port',
    String(uiPort),
    '--receiver-port',
    '0',
    '--sim-port',
    '0',
    '--temporal-db',
    join(dir, 'temporal.db'),
    '--state',
    stateFile,
  ];
  return { args, temporalPort, uiPort, stateFile };
}
