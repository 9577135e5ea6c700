/**
 * lbmedic's shared vocabulary: what an incident is, how a remediation is asked for and how it can end,
 * the transitions it announces and the failure types activities raise and workflows branch on. Plain
 * types and constants, imported by every layer (workflows, activities, the receiver, the CLI); nothing
 * here imports from above core/.
 */

/** The registered workflow type name (the exported function's name). */
export const REMEDIATION_WORKFLOW = 'remediationWorkflow';

/**
 * Names of the remediation's signals that activities send by name (they may not import the
 * definitions in workflows/definitions.ts, which use these same names).
 */
export const REMEDIATION_SIGNALS = { alert: 'alert', recheck: 'recheck' } as const;

/** One alert notification as the receiver understood it. */
export interface Incident {
  /** Cloud Monitoring's incident id; the same incident delivered again is one incident. */
  incidentId: string;
  state: 'open' | 'closed';
  /** Where it came from: `webhook`, `pubsub`, `cli`, `watch` (the health watch, docs/watch.md), `test`. */
  source: string;
  policyName?: string;
  conditionName?: string;
  summary?: string;
  url?: string;
  /** The alert policy's user labels (policies can select on them; `lbmedic_approval: manual` asks for a person). */
  labels?: Record<string, string>;
  /**
   * The region of a regional load balancer's alerted resource (its `region` label): where the backend
   * service it names lives. Carried on the incident so that a queued admission keeps it.
   */
  region?: string;
  /** Unix seconds, as Cloud Monitoring sends them. */
  startedAt?: number;
  endedAt?: number;
  /** When lbmedic received it (ISO). */
  receivedAt: string;
}

export interface RemediationInput {
  project: string;
  backendService: string;
  /**
   * A regional backend service's region (a regional external or internal Application Load
   * Balancer's, from the alert's `region` label); absent for a global one.
   */
  region?: string;
  /** Incidents known when the workflow started; later ones arrive by the `alert` signal. */
  incidents: Incident[];
  /** Who or what asked for this remediation (recorded; may matter for self-approval rules). */
  triggeredBy?: string;
}

/**
 * An approve or reject message. Signed (what policies ask for unless they say `authentication: open`):
 * `payload`, the decision as text (core/approval-payload.ts), and `signature`, its OpenSSH signature
 * (`ssh-keygen -Y sign -n lbmedic`). An open policy takes `approver`, `planHash` and `reason` on trust.
 */
export interface ApprovalRequest {
  payload?: string;
  signature?: string;
  approver?: string;
  planHash?: string;
  reason?: string;
}

export interface ApprovalResult {
  accepted: true;
  /** Who approved (from the signed payload) and with which key (`SHA256:…`; none when open). */
  approver: string;
  key?: string;
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

const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * One running remediation per backend service: the id is derived from project + backend service.
 * Characters outside Temporal-friendly ones are replaced so any name maps to a valid id.
 */
export function remediationWorkflowId(project: string, backendService: string): string {
  return `lbmedic/${clean(project)}/${clean(backendService)}`;
}

/** The registered type of the per-project governor (fleet limits, the fleet circuit breaker). */
export const GOVERNOR_WORKFLOW = 'governorWorkflow';
/** The registered type of a kill switch (global, or one project's). */
export const KILL_SWITCH_WORKFLOW = 'killSwitchWorkflow';

/**
 * The governor of one project: where every new remediation of the project is admitted. Its prefix
 * is not `lbmedic/`, so no project and backend service can name it.
 */
export function governorWorkflowId(project: string): string {
  return `lbmedic-governor/${clean(project)}`;
}

/** The kill switch of one project, or the global one (no project). */
export function killSwitchWorkflowId(project?: string): string {
  return project === undefined ? 'lbmedic-kill-switch' : `lbmedic-kill-switch/${clean(project)}`;
}

/** A kill switch's position, as `lbmedic pause` / `resume` set it (memo of its workflow). */
export interface SwitchState {
  paused: boolean;
  /** Who set it last, and why. */
  by?: string;
  reason?: string;
  /** When (ISO, workflow time). */
  at?: string;
}

/** What `lbmedic pause` / `resume` send to a kill switch. */
export interface SwitchRequest {
  paused: boolean;
  by: string;
  reason?: string;
}

/** Outcomes a remediation ends with (search attribute `LbmedicOutcome`). */
export const OUTCOMES = [
  'REMEDIATED',
  'NO_FAULT',
  'DRY_RUN',
  'OBSERVED',
  'ESCALATED',
  'REJECTED',
  'APPROVAL_TIMEOUT',
  'CANCELLED',
  'BLOCKED_BY_LIMITS',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'DUPLICATE',
  'OUT_OF_SCOPE',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes in which lbmedic changed something. */
export const APPLIED_OUTCOMES = ['REMEDIATED', 'ROLLED_BACK', 'ROLLBACK_FAILED'] as const;

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

/**
 * Failure types (ApplicationFailure `type`) activities raise and workflows branch on, in one place.
 * - `googleRetryable` / `googlePermanent`: a Google API error (429/5xx/timeouts vs 400/403/404/409/412);
 * - `drift`: a snapshot found a resource no longer as the plan was made from it;
 * - `notifySink`: a notification sink failed (retried; sinks that delivered are skipped);
 * - `refused`: a mutation module refused a change lbmedic must never make (patching a firewall rule
 *   that is not its own and narrow), whatever the plan said.
 */
export const FAILURE_TYPES = {
  googleRetryable: 'GoogleApiRetryable',
  googlePermanent: 'GoogleApiPermanent',
  drift: 'ResourceDrifted',
  notifySink: 'NotifySinkFailed',
  refused: 'ChangeRefused',
} as const;
export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];

/** The alert-policy user label that asks for manual approval whatever the policy says. */
export const MANUAL_APPROVAL_LABEL = 'lbmedic_approval';
