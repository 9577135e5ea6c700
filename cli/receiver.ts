/**
 * `lbmedic receiver`: the alert receiver as a long-running process against `TEMPORAL_ADDRESS`.
 * Composition root: config → Temporal client (lazy, so the receiver starts and answers 503 while
 * Temporal is down) → Google clients for URL map lookups → the HTTP server, until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createGcpClients } from '../activities/gcp-clients';
import { createUrlMapResolver } from '../activities/url-maps';
import type { Config } from '../runtime/config';
import { startReceiver } from '../receiver/server';
import { temporalConnectionOptions } from '../runtime/connection';

export const RECEIVER_USAGE = `  lbmedic receiver [--host H] [--port N]
      Receives Cloud Monitoring alerts (POST /alerts: webhook; POST /pubsub: Pub/Sub push) and starts
      or signals one remediation workflow per backend service on TEMPORAL_ADDRESS. Needs
      LBMEDIC_RECEIVER_TOKEN and/or LBMEDIC_RECEIVER_BASIC_AUTH.`;

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function usage(message: string): number {
  console.error(`lbmedic receiver: ${message}\n\nUsage:\n${RECEIVER_USAGE}`);
  return 2;
}

export async function cmdReceiver(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } } });
  const port = values.port === undefined ? config.receiverPort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usage(`--port must be a port number`);
  const credentials = {
    ...(config.receiverToken ? { token: config.receiverToken } : {}),
    ...(config.receiverBasicAuth ? { basic: config.receiverBasicAuth } : {}),
  };
  if (!credentials.token && !credentials.basic) {
    return usage(
      'set LBMEDIC_RECEIVER_TOKEN (the ?token= of the webhook URL) and/or LBMEDIC_RECEIVER_BASIC_AUTH (user:password)',
    );
  }
  const connection = Connection.lazy(temporalConnectionOptions(config));
  const clients = createGcpClients({
    ...(config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
    projectId: config.project ?? '',
    timeoutMs: config.gcpTimeoutMs,
  });
  try {
    const receiver = await startReceiver({
      client: new Client({ connection, namespace: config.temporalNamespace }),
      taskQueue: config.taskQueue,
      temporalTimeoutMs: config.receiverTemporalTimeoutMs,
      resolveUrlMap: createUrlMapResolver(clients),
      credentials,
      host: values.host ?? config.receiverHost,
      port,
      maxBodyBytes: config.receiverMaxBodyBytes,
    });
    console.log(
      JSON.stringify({
        time: new Date().toISOString(),
        msg: 'receiver listening',
        url: receiver.url,
        endpoints: ['POST /alerts', 'POST /pubsub', 'GET /healthz'],
        auth: Object.keys(credentials),
        temporal: config.temporalAddress,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
      }),
    );
    await untilSignal();
    await receiver.close();
    return 0;
  } finally {
    await connection.close();
    await clients.close();
  }
}
