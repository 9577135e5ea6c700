/** `lbmedic inspect`: getHealth for a backend service, as `lbmedic up` prints it at start. */
import { parseArgs } from 'node:util';
import { createBackendHealthActivities, type BackendHealth } from '../activities/backend-health';
import type { Config } from '../runtime/config';
import { gcpClientsFor } from './clients';
import { UsageError } from './flags';

export const INSPECT_USAGE = `  lbmedic inspect --project P --backend-service BS [--region R] [--json]
      Prints getHealth for a backend service (uses LBMEDIC_GCP_ENDPOINT or real GCP); --region names a
      regional backend service (regional external or internal ALB).`;

/** One line for the backend service, then each group and its instances' health. */
export function formatHealth(h: BackendHealth): string {
  const lines = [`${h.project}/${h.backendService}: ${h.healthy}/${h.total} HEALTHY`];
  for (const g of h.groups) {
    lines.push(`  ${g.group.replace(/^.*\/projects\/[^/]+\//, '')}`);
    for (const i of g.instances) {
      lines.push(
        `    ${i.healthState.padEnd(9)} ${i.instance.split('/').pop() ?? ''} ${i.ipAddress}:${i.port ?? '-'}`,
      );
    }
  }
  return lines.join('\n');
}

export async function cmdInspect(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      'backend-service': { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const project = values.project ?? config.project;
  const backendService = values['backend-service'];
  if (!project || !backendService) throw new UsageError('inspect needs --project and --backend-service');
  const clients = gcpClientsFor(config, project);
  try {
    const health = await createBackendHealthActivities(clients).getBackendHealth({
      project,
      backendService,
      ...(values.region ? { region: values.region } : {}),
    });
    console.log(values.json ? JSON.stringify(health, null, 2) : formatHealth(health));
    return 0;
  } finally {
    await clients.close();
  }
}
