/** `lbmedic worker`: the worker against TEMPORAL_ADDRESS, for containers and production. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describeScope } from '../core/scope';
import { controlTaskQueue, scopeFrom, type Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { watchFromConfig } from '../runtime/watch';
import { createWorker } from '../runtime/worker';
import { gcpClientsFor, notifyOptions, probeOptions } from './clients';
import { UsageError } from './flags';

export const WORKER_USAGE = `  lbmedic worker
      Runs the worker against TEMPORAL_ADDRESS (for containers and production): the remediations on
      LBMEDIC_TASK_QUEUE, and the governors and kill switches on LBMEDIC_GOVERNOR_TASK_QUEUE when set.
      Against Google Cloud it needs LBMEDIC_SCOPE, the projects it may act on (docs/safety.md).`;

export async function cmdWorker(config: Config): Promise<number> {
  const project = config.project;
  if (!project)
    throw new UsageError('the worker needs LBMEDIC_PROJECT (the default project for Google clients)');
  // Refuse to start without a scope or on invalid policies, before touching Temporal.
  const scope = scopeFrom(config);
  const policies = loadConfiguredPolicies(config);
  const clients = gcpClientsFor(config, project);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const clientConnection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const deps = {
      connection,
      namespace: config.temporalNamespace,
      clients,
      policies,
      scope,
      temporal: new Client({ connection: clientConnection, namespace: config.temporalNamespace }),
      ...probeOptions(config),
      notify: notifyOptions(config),
      maxConcurrentReads: config.maxConcurrentReads,
    };
    // The control workflows (governors, kill switches) on a queue of their own, when configured.
    const queues = [...new Set([config.taskQueue, controlTaskQueue(config)])];
    const workers = await Promise.all(queues.map((taskQueue) => createWorker({ ...deps, taskQueue })));
    console.log(
      `lbmedic worker on ${config.temporalAddress}, namespace ${config.temporalNamespace}, task queue ${queues.join(' and ')}`,
    );
    console.log(`scope: ${describeScope(scope)}`);
    const watches = await watchFromConfig(deps.temporal, {
      everySec: config.watchEvery,
      projects: scope.projects,
      taskQueue: config.taskQueue,
      governorTaskQueue: controlTaskQueue(config),
    });
    for (const line of watches) console.log(line);
    // The SDK's workers shut down gracefully on SIGINT/SIGTERM.
    await Promise.all(workers.map((w) => w.run()));
    return 0;
  } finally {
    await clientConnection.close();
    await connection.close();
    await clients.close();
  }
}
