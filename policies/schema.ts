/**
 * The policy format: what lbmedic may do on its own, per root cause. Parsed with zod at the edge
 * (runtime/policy-loader.ts reads the files); the schema and its inferred type share one name.
 * The causes a policy can match and the actions it can take come from the root-cause registry
 * (core/causes/): each cause brings the schemas of the actions that can remedy it.
 *
 * Values that would switch safety off are refused, saying the bound and why (core/bounds.ts,
 * docs/safety.md "Policy bounds"). The one escape hatch, `unsafe:`, lets a lab or a demo shorten the
 * cooldown, with a reason that every plan the policy governs shows.
 */
import { z } from 'zod';
import { POLICY_BOUNDS as B } from '../core/bounds';
import { causeOf, REMEDY_ACTIONS, ROOT_CAUSES, type RootCause } from '../core/causes';
import { parsePublicKey } from '../core/ssh-wire';

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

/** `90s` → 90, as people read a bound. */
function human(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  return sec % 60 === 0 ? `${sec / 60}m` : `${sec}s`;
}

/** A {@link Duration} within [min, max] seconds, each bound said with why. */
function bounded(min: [number, string] | undefined, max: [number, string] | undefined) {
  let n = z.number();
  if (min) n = n.min(min[0], { message: `must be at least ${human(min[0])}: ${min[1]}` });
  if (max) n = n.max(max[0], { message: `must be at most ${human(max[0])}: ${max[1]}` });
  return Duration.pipe(n);
}

/** The action types that can remedy `cause`: its own remedies, and escalation. */
export function actionsFor(cause: RootCause): string[] {
  return [...causeOf(cause).actionTypes, 'escalate'];
}

/** A date or an instant, for key validity windows: `2026-01-01` or `2026-01-01T09:00:00Z`. Kept as ISO. */
const Instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'expected a date such as 2026-01-01 or a time such as 2026-01-01T09:00:00Z',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date')
  .transform((s) => new Date(s).toISOString());

/** An OpenSSH public key line, as in `~/.ssh/id_ed25519.pub`. */
const PublicKeyLine = z.string().superRefine((line, ctx) => {
  try {
    parsePublicKey(line);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * One key of an approver: the key line alone, or with the window in which signatures by it count
 * (rotation: the new key from a date, the old one until a date).
 */
export const ApproverKey = z.preprocess(
  (v) => (typeof v === 'string' ? { key: v } : v),
  z
    .strictObject({ key: PublicKeyLine, notBefore: Instant.optional(), notAfter: Instant.optional() })
    .refine((k) => !k.notBefore || !k.notAfter || k.notBefore < k.notAfter, {
      message: 'notBefore must be before notAfter',
      path: ['notAfter'],
    }),
);
export type ApproverKey = z.infer<typeof ApproverKey>;

/** A person who may approve, and the keys their signatures are checked with. */
export const Approver = z.strictObject({
  name: z.string().min(1),
  keys: z
    .array(ApproverKey)
    .min(
      1,
      'add at least one OpenSSH public key (the line in ~/.ssh/id_ed25519.pub): keys: [ssh-ed25519 AAAA… name]',
    ),
});
export type Approver = z.infer<typeof Approver>;

/** `approvers.yaml` beside the policies (or LBMEDIC_APPROVERS_FILE): approvers the policies name. */
export const ApproversFile = z.strictObject({ approvers: z.array(Approver).default([]) });
export type ApproversFile = z.infer<typeof ApproversFile>;

/** `5%` or `0.05`: a fraction of runs, 0–1. */
const Rate = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v) ? Number(v.slice(0, -1)) / 100 : v),
  z
    .number({ message: 'expected a percentage such as 5% (or a fraction such as 0.05)' })
    .min(0, 'must be at least 0%')
    .max(1, 'must be at most 100%'),
);

/**
 * Earned promotion (docs/autonomy.md): a `suggest` policy acts on its own once its last `after`
 * applied runs were all verified HEALTHY (none rolled back or hurting another backend service since)
 * and at most `maxRollbackRate` of its applied runs within `window` were rolled back.
 */
export const Promote = z.strictObject({
  /** Verified runs in a row, since the last rollback or collateral, that earn automatic mode. */
  after: z.number().int().min(1).max(1000),
  /** The most of the policy's applied runs within `window` that may have been rolled back. */
  maxRollbackRate: Rate.default(0.05),
  /** How far back the record counts. */
  window: Duration.prefault('30d'),
});
export type Promote = z.infer<typeof Promote>;

/**
 * How much a policy may do on its own: `observe` diagnoses, plans and notifies, never applies;
 * `suggest` waits for a person's approval; `auto` applies. `manual` is read as `suggest`: the name
 * it had before observe existed, kept so that existing policy folders load unchanged.
 */
export const Mode = z
  .enum(['observe', 'suggest', 'auto', 'manual'], {
    message: 'expected observe (never apply), suggest (a person approves) or auto',
  })
  .transform((m) => (m === 'manual' ? 'suggest' : m));
export type Mode = z.infer<typeof Mode>;

export const Approval = z
  .strictObject({
    mode: Mode.default('suggest'),
    /** Earned automatic mode for a `suggest` policy (docs/autonomy.md). */
    promote: Promote.optional(),
    /**
     * Who may approve: names from the approvers file, or `{ name, keys }` in place. Empty: anyone with a
     * registered key (or, with `authentication: open`, anyone who can signal the workflow).
     */
    approvers: z
      .array(
        z.preprocess(
          (v) => (typeof v === 'string' ? { name: v } : v),
          z.strictObject({ name: z.string().min(1), keys: z.array(ApproverKey).optional() }),
        ),
      )
      .default([]),
    required: z.number().int().min(1).max(10).default(1),
    /**
     * `signed`: each approval is signed with a registered approver's SSH key (docs/approvals.md).
     * `open`: approvals are taken on trust, whoever sends them; every plan says so.
     */
    authentication: z.enum(['signed', 'open']).default('signed'),
    /** How long a signed approval counts after it was made; an older one is refused. */
    approvalTtl: Duration.prefault('30m'),
    /** May the person whose alert or command triggered the remediation approve it? */
    allowSelfApproval: z.boolean().default(false),
    timeout: bounded(undefined, [B.maxApprovalTimeoutSec, 'a plan older than that is stale']).prefault('30m'),
    /** What happens when nobody decides in time. */
    onTimeout: z.enum(['escalate', 'reject']).default('escalate'),
    /** Does a closed incident end the wait for approval (nothing applied)? */
    cancelOnIncidentClosed: z.boolean().default(false),
  })
  .refine((a) => a.approvers.length === 0 || a.required <= a.approvers.length, {
    message: 'required approvals exceed the number of approvers',
    path: ['required'],
  })
  .refine((a) => !a.promote || a.mode === 'suggest', {
    message: 'promote earns automatic mode for a suggest policy: say mode: suggest, or remove promote',
    path: ['promote'],
  });
export type Approval = z.infer<typeof Approval>;

export const Verification = z.strictObject({
  /**
   * How long the backends get to turn HEALTHY after the change. At plan time it is extended to twice
   * the real health check's checkIntervalSec × healthyThreshold when that is longer (core/bounds.ts).
   */
  deadline: bounded(
    [B.minVerificationSec, 'twice the default health check’s 5s × 2 to turn HEALTHY'],
    [B.maxVerificationSec, 'the longest lbmedic waits for HEALTHY'],
  ).prefault('10m'),
  /** Fraction of backends that must be HEALTHY (0.5 ≤ f ≤ 1). */
  healthyFraction: z
    .number()
    .min(B.minHealthyFraction, {
      message: `must be at least ${B.minHealthyFraction}: fewer HEALTHY backends than that is not a fix`,
    })
    .max(1)
    .default(1),
});
export type Verification = z.infer<typeof Verification>;

export const Limits = z.strictObject({
  /** Minimum time between two remediations of one backend service (at least 5 minutes). */
  cooldown: bounded(
    [B.minCooldownSec, 'a fix must be seen to hold before lbmedic acts again'],
    undefined,
  ).prefault('30m'),
  maxPerDay: z.number().int().min(1).max(100).default(3),
  /** Consecutive failed remediations of one backend service after which lbmedic stops and escalates. */
  circuitBreakerFailures: z.number().int().min(1).max(20).default(2),
});
export type Limits = z.infer<typeof Limits>;

/**
 * Values below the bounds, on purpose: only the cooldown (two demos in a row on one backend
 * service), never a rollback, a path, a port or a verification. Every plan shows it (UNSAFE).
 */
export const Unsafe = z.strictObject({
  /** Why, in words every plan repeats. */
  reason: z.string().min(10, { message: 'say why, in at least 10 characters: every plan shows it' }),
  /** Replaces `limits.cooldown`, below its 5m bound. */
  cooldown: Duration,
});
export type Unsafe = z.infer<typeof Unsafe>;

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
    /** A change that does not heal is always undone: `never` is refused. */
    rollback: z
      .enum(['auto', 'never'])
      .refine((r) => r === 'auto', {
        message: 'must be auto: a change that does not heal the backends is always rolled back',
      })
      .default('auto'),
    limits: Limits.prefault({}),
    unsafe: Unsafe.optional(),
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

/**
 * Fleet limits per project (core/fleet.ts): how many remediations run at once and start per window,
 * how many alerts wait for a slot, and when many backend services alerting at once pause automatic
 * apply (the fleet circuit breaker).
 */
export const FleetSettings = z
  .strictObject({
    maxConcurrent: z.number().int().min(1).max(1000).default(10),
    maxNew: z.number().int().min(1).max(10_000).default(20),
    window: Duration.prefault('10m'),
    queue: z.number().int().min(0).max(1000).default(100),
    breaker: z
      .strictObject({
        backendServices: z.number().int().min(2).max(1000).default(10),
        window: Duration.prefault('5m'),
      })
      .prefault({}),
  })
  .transform((f) => ({
    maxConcurrent: f.maxConcurrent,
    maxNew: f.maxNew,
    windowSec: f.window,
    queue: f.queue,
    breaker: { backendServices: f.breaker.backendServices, windowSec: f.breaker.window },
  }));
export type FleetSettings = z.infer<typeof FleetSettings>;

/** `settings.yaml` beside the policies: switches that apply to all of them. */
export const PolicySettings = z.strictObject({
  /** true: every policy behaves as dry-run (an emergency stop for all changes). */
  killSwitch: z.boolean().default(false),
  fleet: FleetSettings.prefault({}),
});
export type PolicySettings = z.infer<typeof PolicySettings>;

export interface PolicySet {
  settings: PolicySettings;
  policies: Policy[];
  /**
   * Every approver with keys: the approvers file(s) and the approvers policies define in place
   * (runtime/policy-loader.ts merges them and checks that manual policies can be approved).
   */
  approvers: Approver[];
}
