/**
 * The policy format: what lbmedic may do on its own, per root cause. Parsed with zod at the edge
 * (runtime/policy-loader.ts reads the files); the schema and its inferred type share one name.
 * The causes a policy can match and the actions it can take come from the root-cause registry
 * (core/causes/): each cause brings the schemas of the actions that can remedy it.
 */
import { z } from 'zod';
import { causeOf, REMEDY_ACTIONS, ROOT_CAUSES, type RootCause } from '../core/causes';

/** Durations as people write them: `90s`, `30m`, `2h`, `1d`. Parsed to seconds. */
export const Duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'expected a duration such as 90s, 30m, 2h or 1d')
  .transform((s) => {
    const n = Number(s.slice(0, -1));
    const unit = s.slice(-1);
    return n * ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[unit]!;
  });

/** Hand the finding to people, with extra words for them; any cause can escalate. */
const Escalate = z.strictObject({
  type: z.literal('escalate'),
  /** Extra words for the humans who receive the escalation. */
  message: z.string().optional(),
});

/** Actions and their parameters: escalation and every cause's remedies. */
export const Action = z.discriminatedUnion('type', [Escalate, ...REMEDY_ACTIONS]);
export type Action = z.infer<typeof Action>;

/** The action types that can remedy `cause`: its own remedies, and escalation. */
export function actionsFor(cause: RootCause): string[] {
  return [...causeOf(cause).actionTypes, 'escalate'];
}

export const Approval = z
  .strictObject({
    mode: z.enum(['auto', 'manual']).default('manual'),
    /** Who may approve (emails or names). Empty: anyone who can signal the workflow. */
    approvers: z.array(z.string().min(1)).default([]),
    required: z.number().int().min(1).max(10).default(1),
    /** May the person whose alert or command triggered the remediation approve it? */
    allowSelfApproval: z.boolean().default(false),
    timeout: Duration.prefault('30m'),
    /** What happens when nobody decides in time. */
    onTimeout: z.enum(['escalate', 'reject']).default('escalate'),
    /** Does a closed incident end the wait for approval (nothing applied)? */
    cancelOnIncidentClosed: z.boolean().default(false),
  })
  .refine((a) => a.approvers.length === 0 || a.required <= a.approvers.length, {
    message: 'required approvals exceed the number of approvers',
    path: ['required'],
  });
export type Approval = z.infer<typeof Approval>;

export const Verification = z.strictObject({
  /** How long the backends get to turn HEALTHY after the change. */
  deadline: Duration.prefault('10m'),
  /** Fraction of backends that must be HEALTHY (0 < f ≤ 1). */
  healthyFraction: z.number().gt(0).max(1).default(1),
});
export type Verification = z.infer<typeof Verification>;

export const Limits = z.strictObject({
  /** Minimum time between two remediations of one backend service. */
  cooldown: Duration.prefault('30m'),
  maxPerDay: z.number().int().min(1).max(100).default(3),
  /** Consecutive failed remediations of one backend service after which lbmedic stops and escalates. */
  circuitBreakerFailures: z.number().int().min(1).max(20).default(2),
});
export type Limits = z.infer<typeof Limits>;

/**
 * How far one step of the plan may reach beyond the backend service lbmedic was called for
 * (core/impact.ts). The default is the target only: a step that would also reach another backend
 * service escalates.
 */
export const MaxImpact = z.strictObject({
  /** Other backend services one step may reach; 0: the target backend service only. */
  otherBackendServices: z.number().int().min(0).max(1000).default(0),
  /** A step that reaches further (or whose reach could not be read in full): escalate, approve, allow. */
  beyond: z.enum(['escalate', 'approve', 'allow']).default('escalate'),
});
export type MaxImpact = z.infer<typeof MaxImpact>;

const Glob = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9*?._-]+$/, 'expected a name or a glob of letters, digits, . _ - * ?');

export const Policy = z
  .strictObject({
    name: z.string().regex(/^[a-z][-a-z0-9]*$/, 'expected a lowercase name (letters, digits, dashes)'),
    description: z.string().optional(),
    /** Higher wins when several policies match one root cause (see policies/select.ts). */
    priority: z.number().int().min(0).max(1000).default(0),
    match: z.strictObject({
      causes: z.array(z.enum(ROOT_CAUSES)).min(1),
      projects: z.array(Glob).default(['*']),
      backendServices: z.array(Glob).default(['*']),
      /** All must equal the alert's policy user labels. */
      labels: z.record(z.string(), z.string()).default({}),
    }),
    action: Action,
    approval: Approval.prefault({}),
    /** true: plan and report, change nothing. */
    dryRun: z.boolean().default(false),
    verification: Verification.prefault({}),
    rollback: z.enum(['auto', 'never']).default('auto'),
    limits: Limits.prefault({}),
    maxImpact: MaxImpact.prefault({}),
  })
  .superRefine((p, ctx) => {
    for (const [i, cause] of p.match.causes.entries()) {
      const allowed = actionsFor(cause);
      if (!allowed.includes(p.action.type)) {
        ctx.addIssue({
          code: 'custom',
          path: ['action', 'type'],
          message: `action ${p.action.type} cannot remedy ${cause} (match.causes[${i}]); allowed: ${allowed.join(', ')}`,
        });
      }
    }
  });
export type Policy = z.infer<typeof Policy>;

/** `settings.yaml` beside the policies: switches that apply to all of them. */
export const PolicySettings = z.strictObject({
  /** true: every policy behaves as dry-run (an emergency stop for all changes). */
  killSwitch: z.boolean().default(false),
});
export type PolicySettings = z.infer<typeof PolicySettings>;

export interface PolicySet {
  settings: PolicySettings;
  policies: Policy[];
}
