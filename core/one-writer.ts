/**
 * One writer per resource, and no flip-flops. A GCP resource is changed by at most one remediation at
 * a time: each remediation holds a lock on every resource it changes, from the snapshot to its
 * outcome. The lock is a Temporal workflow per resource (workflows/lock.ts), so it is as durable as
 * the remediations themselves; it also remembers, for the policy's window, what the last remediation
 * set on the resource, so that a later one which would set it back stops and escalates once, naming
 * both. This module is the pure part: the names, the messages' shapes and the undo check.
 */
import type { FieldChange } from './causes/cause';

/** The registered lock workflow type name. */
export const LOCK_WORKFLOW = 'resourceLockWorkflow';

/** Signal names of the lock workflow's protocol (declared with these names in workflows/lock-definitions.ts). */
export const LOCK_SIGNALS = {
  /** A remediation asks for the lock (sent with signal-with-start, so the first asker starts it). */
  request: 'lockRequest',
  /** The holder gives it back, saying what it left changed; a waiting asker withdraws. */
  release: 'lockRelease',
  /** The lock's answer to an asker: granted (with the last write), or queued behind a holder. */
  answer: 'lockAnswer',
} as const;

/** One remediation run. */
export interface Requester {
  workflowId: string;
  runId: string;
}

/** What a remediation left changed on a resource, kept by the lock until `until`. */
export interface LastWrite {
  by: Requester;
  backendService: string;
  stepIds: string[];
  changes: FieldChange[];
  /** When the remediation ended (ISO). */
  at: string;
  /** The end of the policy window (ISO): after it, setting the resource back is no flip-flop. */
  until: string;
  /** The remediation that already escalated undoing this write: a later one does not escalate again. */
  escalatedBy?: string;
}

export interface LockRequest {
  key: string;
  requester: Requester;
}

export interface LockRelease {
  requester: Requester;
  /** Set when the holder left the resource changed (not rolled back). */
  wrote?: Omit<LastWrite, 'by' | 'escalatedBy'>;
  /** The holder stopped because it would have undone the last write, and escalated. */
  flipFlopEscalated?: boolean;
}

export interface LockAnswer {
  key: string;
  granted: boolean;
  /** Who holds the lock, when the asker was queued. */
  holder?: string;
  /** With a grant: what the previous holder left changed, while its window lasts. */
  lastWrite?: LastWrite;
}

/** The resource a plan step changes, as a lock key: `project/kind/[zone/]name`. */
export function resourceKey(
  project: string,
  resource: { kind: string; name: string; zone?: string },
): string {
  return [project, resource.kind, ...(resource.zone ? [resource.zone] : []), resource.name].join('/');
}

/** The lock workflow's id for a resource key (characters Temporal ids dislike become `_`). */
export function lockWorkflowId(key: string): string {
  return `lbmedic-lock/${key.replace(/[^A-Za-z0-9._/-]/g, '_')}`;
}

const same = (a: Requester, b: Requester) => a.workflowId === b.workflowId && a.runId === b.runId;

/**
 * The change of `steps` that sets back what `last` set (a field moved from `b` to `a` there, and
 * from `a` to `b` here), when `last` was written by another remediation and its window is still open
 * at `now`; undefined otherwise.
 */
export function undoOf(
  steps: { id: string; changes: FieldChange[] }[],
  last: LastWrite | undefined,
  me: Requester,
  now: string,
): { step: string; change: FieldChange } | undefined {
  if (!last || same(last.by, me) || Date.parse(last.until) <= Date.parse(now)) return undefined;
  for (const step of steps) {
    for (const c of step.changes) {
      const reverts = last.changes.some(
        (d) => d.field === c.field && d.before === c.after && d.after === c.before,
      );
      if (reverts) return { step: step.id, change: c };
    }
  }
  return undefined;
}
