/**
 * Bundles the workflow code in a short-lived child `node` process and hands back the bundle.
 *
 * `Worker.create({ workflowsPath })` runs webpack (and swc) inside the worker process: that loads
 * ~100 modules that stay in the module cache forever and grows the heap and the malloc arenas by
 * ~150–200 MB that the process never returns. Bundling in a child keeps all of that out of the
 * worker; the worker only receives the bundle (a ~2 MB string) and passes it as `workflowBundle`.
 * The options are the SDK's defaults, the same ones `workflowsPath` would use.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Runtime, type LogLevel, type Logger } from '@temporalio/worker';

/** Runs in the child (`node -e`): argv[1] is the SDK's path, argv[2] the workflows path. */
const CHILD_SCRIPT = `
const { bundleWorkflowCode } = require(process.argv[1]);
const log = (level) => (message, meta) =>
  process.stderr.write(JSON.stringify({ level, message: String(message), meta }) + '\\n');
const logger = {
  log: (level, message, meta) => log(level)(message, meta),
  trace: log('TRACE'), debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR'),
};
bundleWorkflowCode({ workflowsPath: process.argv[2], logger }).then(
  ({ code }) => process.stdout.write(code),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + '\\n');
    process.exitCode = 1;
  },
);
`;

const LEVELS = new Set<string>(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);

/** Bundles `workflowsPath` in a child process; the child's log lines go to `logger`. */
export function bundleWorkflowsInChild(
  workflowsPath: string,
  logger: Logger = Runtime.instance().logger,
): Promise<string> {
  const sdk = createRequire(import.meta.url).resolve('@temporalio/worker');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, sdk, workflowsPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    const other: string[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const line of err.split('\n')) {
        if (!line) continue;
        let entry: { level?: unknown; message?: unknown; meta?: Record<string, unknown> } | undefined;
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          entry = undefined;
        }
        if (entry && typeof entry.level === 'string' && LEVELS.has(entry.level)) {
          logger.log(entry.level as LogLevel, String(entry.message), entry.meta);
        } else {
          other.push(line);
        }
      }
      if (code === 0) {
        if (other.length > 0) logger.warn(`workflow bundler: ${other.join('\n')}`);
        resolve(Buffer.concat(out).toString('utf8'));
      } else {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`bundling ${workflowsPath} failed (${why}):\n${other.join('\n')}`));
      }
    });
  });
}

const bundles = new Map<string, Promise<string>>();

/** {@link bundleWorkflowsInChild}, once per process and path (workers created later reuse it). */
export function workflowBundle(workflowsPath: string): Promise<string> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowsInChild(workflowsPath);
    bundles.set(workflowsPath, bundle);
    bundle.catch(() => bundles.delete(workflowsPath));
  }
  return bundle;
}
