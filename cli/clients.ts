/**
 * What the commands build from the config the same way: the Google clients, and the options a
 * worker gets (in `lbmedic worker` and in `lbmedic up`).
 */
import { createGcpClients, type GcpClients } from '../activities/gcp-clients';
import type { NotifyOptions } from '../activities/notify';
import type { Config } from '../runtime/config';

/** The Google clients for `project`: LBMEDIC_GCP_ENDPOINT (the simulator) or real GCP. */
export function gcpClientsFor(
  config: Pick<Config, 'gcpEndpoint' | 'gcpTimeoutMs'>,
  project: string,
): GcpClients {
  return createGcpClients({
    ...(config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
    projectId: project,
    timeoutMs: config.gcpTimeoutMs,
  });
}

/** Notification sinks from the config (the log line is always written). */
export function notifyOptions(config: Config): NotifyOptions {
  return {
    ...(config.notifyWebhookUrl ? { webhookUrl: config.notifyWebhookUrl } : {}),
    ...(config.notifySlackWebhookUrl ? { slackWebhookUrl: config.notifySlackWebhookUrl } : {}),
    timeoutMs: config.notifyTimeoutMs,
  };
}

/**
 * The in-VPC probe's options: against the simulator, instances live on loopback, so the probe never
 * leaves it; the local address it binds to and the worker's VPC address it stands for, when set.
 */
export function probeOptions(config: Pick<Config, 'gcpEndpoint' | 'probeLocalAddress' | 'probeSource'>): {
  probeAllowedRanges?: string[];
  probeLocalAddress?: string;
  probeSource?: string;
} {
  return {
    ...(config.gcpEndpoint ? { probeAllowedRanges: ['127.0.0.0/8'] } : {}),
    ...(config.probeLocalAddress ? { probeLocalAddress: config.probeLocalAddress } : {}),
    ...(config.probeSource ? { probeSource: config.probeSource } : {}),
  };
}
