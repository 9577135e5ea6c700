/**
 * All activities, built from injected clients. Workflows import this module's type only.
 */
import type { Client } from '@temporalio/client';
import { policyPorts } from '../core/bounds';
import type { Scope } from '../core/scope';
import type { PolicySet } from '../policies/schema';
import { createApplyActivities } from './apply';
import { createApprovalActivities } from './approvals';
import { createAutonomyActivities } from './autonomy';
import { createBackendHealthActivities } from './backend-health';
import { createDecideActivities } from './decide';
import { createEvidenceActivities } from './evidence';
import { createFleetActivities } from './fleet';
import type { GcpClients } from './gcp-clients';
import { withFailureMapping } from './google-errors';
import { createHistoryActivities } from './history';
import { createLockActivities, type LockOptions } from './locks';
import { createNotifyActivities, type NotifyOptions } from './notify';
import { createUrlMapActivities } from './url-maps';
import { createSiblingActivities } from './siblings';
import { createVerifyActivities } from './verify';
import { createWatchActivities } from './watch';

export interface ActivityDeps {
  clients: GcpClients;
  /** Validated at start-up; the workflow decides with them in the `decide` local activity, recorded per run. */
  policies: PolicySet;
  /**
   * What lbmedic may act on (docs/safety.md, "Scope"): every decision is checked against it, and the
   * backend services behind a URL map before the governor admits them.
   */
  scope: Scope;
  /**
   * For the visibility queries behind cooldowns, daily limits and the circuit breaker, and for the
   * governor and kill switches (starting remediations, reading the switches).
   */
  temporal: Client;
  /** Addresses the in-VPC probe may reach (the simulator's instances: 127.0.0.0/8). */
  probeAllowedRanges?: string[];
  /** The local address the probe binds to, and the worker's VPC address (activities/probe.ts). */
  probeLocalAddress?: string;
  probeSource?: string;
  /** Where transitions are announced (log-only by default). */
  notify?: NotifyOptions;
  /** The resource locks (one writer per resource). */
  locks?: LockOptions;
}

export function createActivities(deps: ActivityDeps) {
  const { clients } = deps;
  return withFailureMapping({
    ...createBackendHealthActivities(clients),
    ...createEvidenceActivities(clients, {
      ...(deps.probeAllowedRanges ? { probeAllowedRanges: deps.probeAllowedRanges } : {}),
      ...(deps.probeLocalAddress ? { probeLocalAddress: deps.probeLocalAddress } : {}),
      ...(deps.probeSource ? { probeSource: deps.probeSource } : {}),
      probePorts: policyPorts(deps.policies.policies.map((p) => p.action)),
    }),
    ...createApplyActivities(clients),
    ...createVerifyActivities(clients),
    ...createSiblingActivities(clients),
    ...createHistoryActivities(deps.temporal),
    ...createAutonomyActivities(deps.temporal, deps.policies),
    ...createLockActivities(deps.temporal, deps.locks ?? {}),
    ...createNotifyActivities(deps.notify ?? {}),
    ...createDecideActivities(deps.policies, deps.scope),
    ...createApprovalActivities(),
    ...createFleetActivities(deps.temporal, deps.policies),
    ...createUrlMapActivities(clients, deps.scope),
    ...createWatchActivities({
      clients,
      temporal: deps.temporal,
      policies: deps.policies,
      scope: deps.scope,
    }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
