/**
 * Composition root of the Temporal worker: real Google clients in, activities and workflows registered.
 */
import { DefaultLogger, Runtime, Worker, type LogLevel, type NativeConnection } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities';
import { DEFAULT_MAX_CONCURRENT_READS } from './config';
import { workflowBundle } from './bundle';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Installs the Temporal runtime once with a quieter logger (the SDK logs every worker state change
 * and the webpack bundle at INFO). Must run before the first connection or worker is created.
 */
export function installRuntime(
  level: LogLevel = (process.env.LBMEDIC_LOG_LEVEL as LogLevel | undefined) ?? 'WARN',
) {
  Runtime.install({ logger: new DefaultLogger(level) });
}

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Default {@link DEFAULT_MAX_CONCURRENT_READS}. */
  maxConcurrentReads?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    // Bundled in a child process: webpack's memory never lives in the worker.
    workflowBundle: { code: await workflowBundle(WORKFLOWS_PATH) },
    activities: createActivities(opts),
    maxConcurrentLocalActivityExecutions: opts.maxConcurrentReads ?? DEFAULT_MAX_CONCURRENT_READS,
  });
}
