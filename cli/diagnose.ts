/**
 * `lbmedic diagnose` and `lbmedic plan`: the field guide's diagnostic workflow outside Temporal.
 * Both collect the evidence and classify it from the same flags; plan also selects the policies and
 * prints the plan. Neither changes anything. Exit 0 no fault, 3 faults found, 4 inconclusive.
 */
import { parseArgs } from 'node:util';
import { createEvidenceActivities, withDeadline } from '../activities/evidence';
import { classify } from '../core/classify';
import { policyPorts } from '../core/bounds';
import { collectEvidence } from '../core/collect';
import { buildPlan } from '../core/plan';
import { renderPlan } from '../core/plan-render';
import { renderDiagnosis } from '../core/report';
import type { Config } from '../runtime/config';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { gcpClientsFor, probeOptions } from './clients';
import { portFlag, UsageError } from './flags';

export const DIAGNOSE_USAGE = `  lbmedic diagnose --project P --backend-service BS [--region R] [--window MIN] [--probe-ports 8080,9090] [--json]
      Collects the evidence (logs, getHealth, health check, firewall, named ports, latency, NEGs,
      an in-VPC probe) and names the root cause(s), like the field guide's diagnostic workflow.
      --region names a regional backend service (regional external or internal ALB).`;

export const PLAN_USAGE = `  lbmedic plan --project P --backend-service BS [--region R] [--policies DIR] [--json]
      Diagnoses, selects the policies and prints the plan (before → after, rollback). Changes nothing.`;

const DIAGNOSE_OPTIONS = {
  project: { type: 'string' },
  'backend-service': { type: 'string' },
  region: { type: 'string' },
  window: { type: 'string', default: '10' },
  'probe-ports': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Collects evidence and classifies it, outside Temporal (diagnose and plan). */
async function diagnoseFromFlags(
  values: {
    project?: string;
    'backend-service'?: string;
    region?: string;
    window: string;
    'probe-ports'?: string;
  },
  config: Config,
  command: string,
  /** Ports probed besides --probe-ports (`plan`: the policies' fixed ports). */
  policyProbePorts: number[] = [],
) {
  const project = values.project ?? config.project;
  const backendService = values['backend-service'];
  if (!project || !backendService) throw new UsageError(`${command} needs --project and --backend-service`);
  if (values.region !== undefined && !/^[a-z]+(-[a-z0-9]+)+$/.test(values.region)) {
    throw new UsageError(`--region must be a region name such as us-central1, not "${values.region}"`);
  }
  const windowMinutes = Number(values.window);
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > 1440) {
    throw new UsageError('--window must be whole minutes between 1 and 1440');
  }
  const probePorts = (values['probe-ports'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => portFlag(p.trim(), 'probe-ports') ?? 0)
    .concat(policyProbePorts);
  const clients = gcpClientsFor(config, project);
  try {
    const readers = createEvidenceActivities(clients, probeOptions(config));
    const evidence = await collectEvidence(
      withDeadline(readers, config.gcpTimeoutMs * 3),
      { project, backendService, ...(values.region ? { region: values.region } : {}) },
      { windowMinutes, probePorts, now: new Date().toISOString() },
    );
    return { evidence, diagnosis: classify(evidence) };
  } finally {
    await clients.close();
  }
}

const verdictExitCode = (verdict: string) =>
  verdict === 'NO_FAULT' ? 0 : verdict === 'FAULTS_FOUND' ? 3 : 4;

export async function cmdDiagnose(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: DIAGNOSE_OPTIONS });
  const { evidence, diagnosis } = await diagnoseFromFlags(values, config, 'diagnose');
  console.log(
    values.json ? JSON.stringify({ evidence, diagnosis }, null, 2) : renderDiagnosis(evidence, diagnosis),
  );
  return verdictExitCode(diagnosis.verdict);
}

export async function cmdPlan(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { ...DIAGNOSE_OPTIONS, policies: { type: 'string' } } });
  // Policies first: a broken policy folder should not cost a diagnosis.
  const policies = loadConfiguredPolicies(config, { dir: values.policies });
  const ports = policyPorts(policies.policies.map((p) => p.action));
  const { evidence, diagnosis } = await diagnoseFromFlags(values, config, 'plan', ports);
  const plan = buildPlan(evidence, diagnosis, policies);
  if (values.json) console.log(JSON.stringify({ diagnosis, plan }, null, 2));
  else {
    console.log(
      `Diagnosis: ${diagnosis.verdict}${diagnosis.findings.map((f) => `\n  ✗ ${f.cause}: ${f.summary}`).join('')}`,
    );
    for (const u of diagnosis.unavailable) console.log(`  could not see ${u.source}: ${u.error}`);
    console.log(`\n${renderPlan(plan)}\n\nNothing was changed (lbmedic plan only reads).`);
  }
  return verdictExitCode(diagnosis.verdict);
}
