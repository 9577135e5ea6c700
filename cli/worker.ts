/** `lbmedic worker`: the worker against TEMPORAL_ADDRESS, for containers and production. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describeScope } from '../core/scope';
import { scopeFrom, type Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { createWorker } from '../runtime/worker';
import { gcpClientsFor, notifyOptions, probeOptions } from './clients';
import { UsageError } from './flags';

export const WORKER_USAGE = `  lbmedic worker
      Runs the worker against TEMPORAL_ADDRESS (for containers and production). Against Google Cloud it
      needs LBMEDIC_SCOPE, the projects it may act on (docs/safety.md).`;

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
    const worker = await createWorker({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      clients,
      policies,
      scope,
      temporal: new Client({ connection: clientConnection, namespace: config.temporalNamespace }),
      ...probeOptions(config),
      notify: notifyOptions(config),
      maxConcurrentReads: config.maxConcurrentReads,
    });
    console.log(
      `lbmedic worker on ${config.temporalAddress}, namespace ${config.temporalNamespace}, task queue ${config.taskQueue}`,
    );
    console.log(`scope: ${describeScope(scope)}`);
    // The SDK's worker shuts down gracefully on SIGINT/SIGTERM.
    await worker.run();
    return 0;
  } finally {
    await clientConnection.close();
    await connection.close();
    await clients.close();
  }
}
