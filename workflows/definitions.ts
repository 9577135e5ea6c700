/**
 * The remediation workflow's public contract: its name, input, signals, update and query. Declared
 * once here so the receiver, the CLI and tests import them without the workflow bodies.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The registered workflow type name (the exported function's name). */
export const REMEDIATION_WORKFLOW = 'remediationWorkflow';

/** One alert notification as the receiver understood it. */
export interface Incident {
  /** Cloud Monitoring's incident id; the same incident delivered again is one incident. */
  incidentId: string;
  state: 'open' | 'closed';
  /** Where it came from: `webhook`, `pubsub`, `cli`, `test`. */
  source: string;
  policyName?: string;
  conditionName?: string;
  summary?: string;
  url?: string;
  /** The alert policy's user labels (policies can select on them; `lbmedic_approval: manual` asks for a person). */
  labels?: Record<string, string>;
  /** Unix seconds, as Cloud Monitoring sends them. */
  startedAt?: number;
  endedAt?: number;
  /** When lbmedic received it (ISO). */
  receivedAt: string;
}

export interface RemediationInput {
  project: string;
  backendService: string;
  /** Incidents known when the workflow started; later ones arrive by the `alert` signal. */
  incidents: Incident[];
  /** Who or what asked for this remediation (recorded; may matter for self-approval rules). */
  triggeredBy?: string;
}

export interface ApprovalRequest {
  approver: string;
  reason?: string;
}

/** An alert for a backend already being remediated: attached to the running workflow. */
export const alertSignal = defineSignal<[Incident]>('alert');
export const approveSignal = defineSignal<[ApprovalRequest]>('approve');
export const rejectSignal = defineSignal<[ApprovalRequest]>('reject');
/** Like the approve signal, but the caller gets an answer (validator: who may approve, is anything pending). */
export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalRequest]>('approve');
export const statusQuery = defineQuery<RemediationStatus>('status');

export interface ApprovalResult {
  accepted: true;
  approvals: number;
  required: number;
  /** The phase after this approval. */
  phase: string;
}

/** Filled by the workflow; kept structurally loose here so callers need not import the pure core. */
export interface RemediationStatus {
  workflowId: string;
  project: string;
  backendService: string;
  phase: string;
  incidents: Incident[];
  [key: string]: unknown;
}

/**
 * One running remediation per backend service: the id is derived from project + backend service.
 * Characters outside Temporal-friendly ones are replaced so any name maps to a valid id.
 */
export function remediationWorkflowId(project: string, backendService: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `lbmedic/${clean(project)}/${clean(backendService)}`;
}

/** Outcomes a remediation ends with (search attribute `LbmedicOutcome`). */
export const OUTCOMES = [
  'REMEDIATED',
  'NO_FAULT',
  'DRY_RUN',
  'ESCALATED',
  'REJECTED',
  'APPROVAL_TIMEOUT',
  'CANCELLED',
  'BLOCKED_BY_LIMITS',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'DUPLICATE',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A phase change worth telling people about (notifications; also the workflow's own log). */
export interface TransitionEvent {
  workflowId: string;
  project: string;
  backendService: string;
  phase: string;
  /** Set on the final transition. */
  outcome?: Outcome;
  /** One line for humans, e.g. "plan ready: 3 changes, waiting for 1 approval". */
  summary: string;
  /** Longer text (diagnosis, plan, escalation's human fix). */
  details?: string;
  /** Workflow time (ISO). */
  at: string;
}
