/**
 * `lbmedic setup alerts` (Cloud Monitoring channel + policies) and `lbmedic setup temporal` (search
 * attributes on a real cluster). Both are safe to run again: they create only what is missing.
 */
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import type { Config } from '../runtime/config';
import { desiredAlertResources } from '../setup/alert-policies';
import { renderDryRun, setupAlerts } from '../setup/alerts';
import { setupTemporalSearchAttributes } from '../runtime/search-attributes';
import { temporalConnectionOptions } from '../runtime/connection';
import { gcpClientsFor } from './clients';
import { UsageError } from './flags';

export const SETUP_ALERTS_USAGE = `  lbmedic setup alerts --project P --webhook-url URL [--runbook-url URL] [--dry-run]
      Creates (once; finds its own by the labels managed_by=lbmedic, lbmedic_role) a webhook
      notification channel for URL (token auth; basic auth when URL has user:password@) and alert
      policies on the load balancers' 5xx ratio and on failed_to_pick_backend log entries.
      --dry-run prints them (secrets masked) without calling Google Cloud.`;

export const SETUP_TEMPORAL_USAGE = `  lbmedic setup temporal
      Registers lbmedic's search attributes in TEMPORAL_NAMESPACE on TEMPORAL_ADDRESS.`;

export const SETUP_USAGE = `${SETUP_ALERTS_USAGE}\n${SETUP_TEMPORAL_USAGE}`;

async function setupAlertsCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      'webhook-url': { type: 'string' },
      'runbook-url': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const project = values.project ?? config.project;
  const webhookUrl = values['webhook-url'];
  if (!project || !webhookUrl) throw new UsageError('setup alerts needs --project and --webhook-url');
  const opts = {
    project,
    webhookUrl,
    ...(values['runbook-url'] ? { runbookUrl: values['runbook-url'] } : {}),
  };
  let desired;
  try {
    desired = desiredAlertResources(opts);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values['dry-run']) {
    console.log(renderDryRun(project, desired));
    return 0;
  }
  for (const warning of desired.warnings) console.error(`warning: ${warning}`);
  const clients = gcpClientsFor(config, project);
  try {
    const actions = await setupAlerts(clients, opts);
    for (const a of actions) {
      console.log(`${a.action.padEnd(9)} ${a.kind.padEnd(19)} ${a.name}  (${a.displayName})`);
    }
    return 0;
  } finally {
    await clients.close();
  }
}

async function setupTemporalCommand(args: string[], config: Config): Promise<number> {
  parseArgs({ args, options: {} });
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const result = await setupTemporalSearchAttributes(connection, config.temporalNamespace);
    const where = `${config.temporalAddress}, namespace ${config.temporalNamespace}`;
    console.log(`search attributes on ${where}:`);
    for (const name of result.added) console.log(`  added     ${name}`);
    for (const name of result.existing) console.log(`  existing  ${name}`);
    return 0;
  } finally {
    await connection.close();
  }
}

export async function cmdSetup(args: string[], config: Config): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'alerts') return setupAlertsCommand(rest, config);
  if (what === 'temporal') return setupTemporalCommand(rest, config);
  throw new UsageError(what === undefined ? 'setup what?' : `unknown setup target "${what}"`);
}
