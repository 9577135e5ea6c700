/**
 * The floor for Temporal's durability cost: what the remediation workflow does from the alert to the
 * last change applied, done in this process without Temporal. The same activities (built by
 * `createActivities` from the same clients, called inside a mock activity context) and the same pure
 * decisions, in the same order and with the same parallelism as workflows/remediation.ts; only the
 * workflow, the task queue and the server are missing.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import type { GcpClients } from '../activities/gcp-clients';
import { collectEvidence, type EvidenceReaders } from '../core/collect';
import { INCIDENT_MEMORY_HOURS } from '../core/freshness';
import { scopeOfProjects } from '../core/scope';
import type { PolicySet } from '../policies/schema';
import type { TransitionEvent } from '../core/model';

export interface FloorRun {
  /** ms from the start to the last change applied. */
  toAppliedMs: number;
  applied: number;
}

export async function remediateInProcess(opts: {
  clients: GcpClients;
  policies: PolicySet;
  temporal: Client;
  project: string;
  backendService: string;
}): Promise<FloorRun> {
  const acts = createActivities({
    clients: opts.clients,
    policies: opts.policies,
    scope: scopeOfProjects([opts.project]),
    temporal: opts.temporal,
    probeAllowedRanges: ['127.0.0.0/8'],
    notify: { writeLine: () => undefined },
  });
  const env = new MockActivityEnvironment();
  const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
    return (...args: A): Promise<R> => env.run(fn, ...args);
  };
  const target = { project: opts.project, backendService: opts.backendService };
  // As in the workflow: notifications go out one after another, and the remediation does not wait.
  let told = Promise.resolve();
  const tell = (phase: string, summary: string) => {
    const event: TransitionEvent = {
      workflowId: 'in-process',
      ...target,
      phase,
      summary,
      at: new Date().toISOString(),
    };
    told = told.then(() => run(acts.notify)(event)).then(() => undefined);
  };

  const t0 = performance.now();
  const history = await run(acts.pastRemediations)({
    ...target,
    sinceHours: INCIDENT_MEMORY_HOURS,
    incidentIds: ['in-process'],
    workflowId: 'in-process',
    runId: 'in-process',
  });
  tell('DIAGNOSING', 'round 1: collecting evidence');
  const readers: EvidenceReaders = {
    readBackendService: run(acts.readBackendService),
    readHealth: run(acts.readHealth),
    readHealthCheck: run(acts.readHealthCheck),
    readFirewallRules: run(acts.readFirewallRules),
    readInstanceGroups: run(acts.readInstanceGroups),
    readTopology: run(acts.readTopology),
    readLbLogs: run(acts.readLbLogs),
    readBackendLatency: run(acts.readBackendLatency),
    readNegs: run(acts.readNegs),
    readFirewallPolicies: run(acts.readFirewallPolicies),
    probeInstances: run(acts.probeInstances),
  };
  const evidence = await collectEvidence(readers, target, {
    windowMinutes: 10,
    now: new Date().toISOString(),
  });
  const { plan, limits } = await run(acts.decide)({
    evidence,
    labels: {},
    past: history.remediations,
    now: new Date().toISOString(),
    applied: [],
  });
  if (!limits.allowed) throw new Error(`in-process run blocked: ${limits.reason}`);
  if (plan.dryRun || plan.steps.length === 0) throw new Error('in-process run: nothing to apply');
  tell('SNAPSHOT', `reading ${plan.steps.length} resource(s) before changing them`);
  await run(acts.snapshot)({ project: opts.project, steps: plan.steps });
  tell('APPLYING', `applying ${plan.steps.length} change(s)`);
  for (const step of plan.steps) {
    await run(acts.applyMutation)({ project: opts.project, mutation: step.apply, requestId: randomUUID() });
  }
  const toAppliedMs = performance.now() - t0;
  await told;
  return { toAppliedMs, applied: plan.steps.length };
}
