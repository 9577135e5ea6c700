/**
 * `lbmedic receiver`: the alert receiver as a long-running process against `TEMPORAL_ADDRESS`.
 * Composition root: config → Temporal client (lazy, so the receiver starts and answers 503 while
 * Temporal is down) → the HTTP server, until SIGINT/SIGTERM. It holds no Google Cloud credentials and
 * builds no Google client: URL maps are resolved by the worker (the project's governor).
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { describeScope } from '../core/scope';
import { controlTaskQueue, scopeFrom, type Config } from '../runtime/config';
import { startReceiver } from '../receiver/server';
import { temporalConnectionOptions } from '../runtime/connection';
import { busyPort, portFlag, UsageError } from './flags';
import { untilSignal } from './signals';

export const RECEIVER_USAGE = `  lbmedic receiver [--host H] [--port N]
      Receives Cloud Monitoring alerts (POST /alerts: webhook; POST /pubsub: Pub/Sub push) and starts
      or signals one remediation workflow per backend service on TEMPORAL_ADDRESS. Needs
      LBMEDIC_RECEIVER_TOKEN and/or LBMEDIC_RECEIVER_BASIC_AUTH, and against Google Cloud LBMEDIC_SCOPE:
      alerts outside the scope, or older than LBMEDIC_MAX_ALERT_AGE, start nothing (docs/safety.md).`;

export async function cmdReceiver(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } } });
  const port = portFlag(values.port, 'port') ?? config.receiverPort;
  const credentials = {
    ...(config.receiverToken ? { token: config.receiverToken } : {}),
    ...(config.receiverBasicAuth ? { basic: config.receiverBasicAuth } : {}),
  };
  if (!credentials.token && !credentials.basic) {
    throw new UsageError(
      'set LBMEDIC_RECEIVER_TOKEN (the ?token= of the webhook URL) and/or LBMEDIC_RECEIVER_BASIC_AUTH (user:password)',
    );
  }
  // Refuse to start without a scope, before anything listens.
  const scope = scopeFrom(config);
  const connection = Connection.lazy(temporalConnectionOptions(config));
  try {
    const receiver = await startReceiver({
      client: new Client({ connection, namespace: config.temporalNamespace }),
      taskQueue: config.taskQueue,
      governorTaskQueue: controlTaskQueue(config),
      temporalTimeoutMs: config.receiverTemporalTimeoutMs,
      scope,
      maxAlertAgeSec: config.maxAlertAge,
      credentials,
      host: values.host ?? config.receiverHost,
      port,
      maxBodyBytes: config.receiverMaxBodyBytes,
    }).catch(busyPort(port, '--port'));
    console.log(
      JSON.stringify({
        time: new Date().toISOString(),
        msg: 'receiver listening',
        url: receiver.url,
        endpoints: ['POST /alerts', 'POST /pubsub', 'GET /healthz'],
        auth: Object.keys(credentials),
        scope: describeScope(scope),
        maxAlertAgeSec: config.maxAlertAge,
        temporal: config.temporalAddress,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        governorTaskQueue: controlTaskQueue(config),
      }),
    );
    await untilSignal();
    await receiver.close();
    return 0;
  } finally {
    await connection.close();
  }
}
