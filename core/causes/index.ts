/**
 * The registry of root causes, in evaluation order. Order matters: a detector sees the findings of
 * the causes before it (the firewall check uses the port the health check will probe once the
 * health-check and named-port fixes are made), and findings, plan steps and notes follow this order.
 *
 * Everything else about causes derives from this list: the Finding and RootCause types, the policy
 * schema's cause enum and its actions (policies/schema.ts), and which actions may remedy which cause.
 */
import { backendTimeout } from './backend-timeout';
import type { AnyFinding } from './cause';
import { externalBackendDown } from './external-backend-down';
import { firewallBlocksProbes } from './firewall-blocks-probes';
import { healthCheckMismatch } from './health-check-mismatch';
import { keepaliveTooShort } from './keepalive-too-short';
import { namedPortMismatch } from './named-port-mismatch';
import { negMisconfigured } from './neg-misconfigured';

export const CAUSES = [
  healthCheckMismatch,
  namedPortMismatch,
  firewallBlocksProbes,
  backendTimeout,
  keepaliveTooShort,
  negMisconfigured,
  externalBackendDown,
] as const;

type AnyCause = (typeof CAUSES)[number];
export type RootCause = AnyCause['id'];
/** What a diagnosis found: one root cause, the facts that prove it and the facts its fix needs. */
export type Finding = ReturnType<AnyCause['detect']>['findings'][number];
export type FixFacts = Finding['fix'];

/** Every root cause, in evaluation order. */
export const ROOT_CAUSES: RootCause[] = CAUSES.map((c) => c.id);

/** The schemas of every action that changes something, over all causes. */
export const REMEDY_ACTIONS = CAUSES.flatMap((c) => c.remedies.map((r) => r.action));

/** The registered cause with this id; an unknown id is a programming error. */
export function causeOf(id: string): AnyCause {
  const cause = CAUSES.find((c) => c.id === id);
  if (!cause) throw new Error(`unknown root cause ${id}`);
  return cause;
}

/** The human fix for a finding, as its cause words it. */
export function humanFixOf(finding: AnyFinding): string {
  return causeOf(finding.cause).humanFixFor(finding);
}
