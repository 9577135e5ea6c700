/**
 * What a root-cause module is: the contract every `core/causes/<cause>.ts` fulfils and the registry
 * (`./index.ts`) relies on. A cause detects itself in the shared facts, says what a person should
 * change, and lists the policy actions that can remedy it, each with its zod schema and its planner.
 *
 * Findings cross Temporal history as plain JSON, so the planner reads a finding's fix back through
 * its cause's schema (and a policy's action through the remedy's schema) instead of trusting a cast.
 */
import { z } from 'zod';
import type { Evidence } from '../evidence';
import type { Mutation } from '../mutation';
import type { Facts } from './facts';

/** A finding of some cause: what the planner and the later detectors are handed. */
export interface AnyFinding {
  cause: string;
  summary: string;
  /** Facts that prove it, as a person would check them. */
  evidence: string[];
  fix: unknown;
}

/** A finding of cause `C`, carrying the facts its fix needs. */
export interface FindingOf<C extends string, Fix> extends AnyFinding {
  cause: C;
  fix: Fix;
}

/** What a detector found, and what it noticed that proves nothing (a source it could not read). */
export interface Detection<F> {
  findings: F[];
  notes?: string[];
}

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/** One change as a cause proposes it; the planner adds the cause and the governing policy. */
export interface ProposedStep {
  /** Deterministic id: resource kind and name. */
  id: string;
  resource: {
    kind: 'healthCheck' | 'firewall' | 'instanceGroup' | 'backendService';
    name: string;
    zone?: string;
    /** A regional resource's region. */
    region?: string;
  };
  changes: FieldChange[];
  apply: Mutation;
  /** Restores the state read at planning time. */
  inverse: Mutation;
}

/** A remedy's answer for one finding: changes, or why none can be made, and what it noticed. */
export interface Proposal {
  steps?: ProposedStep[];
  /** Why nothing can be changed: the finding is escalated with these words after its human fix. */
  escalate?: string;
  /** Something that changes nothing (a value already right, a cap reached). */
  note?: string;
}

/** What a planner may read besides the finding and the action: the current state of the resources. */
export interface PlanContext {
  evidence: Evidence;
}

/** A policy action's schema: a strict object whose `type` literal is the name policies use. */
export type ActionSchema = z.ZodObject<{ type: z.ZodLiteral<string> }, z.core.$strict>;

/** A policy action that can remedy a cause, with the planner that turns a finding into changes. */
export interface Remedy<F, S extends ActionSchema = ActionSchema> {
  action: S;
  /** Plans `finding` if `action` parses as this remedy's action; undefined when it is another one. */
  plan(finding: F, action: unknown, ctx: PlanContext): Proposal | undefined;
}

/** Pairs an action schema with its planner, which then receives the action parsed and typed. */
export function remedy<F, S extends ActionSchema>(
  action: S,
  plan: (finding: F, action: z.output<S>, ctx: PlanContext) => Proposal,
): Remedy<F, S> {
  return {
    action,
    plan: (finding, raw, ctx) => {
      const parsed = action.safeParse(raw);
      return parsed.success ? plan(finding, parsed.data, ctx) : undefined;
    },
  };
}

/** What a cause module writes. */
export interface CauseDefinition<
  Id extends string,
  Fix extends { cause: Id },
  R extends Remedy<FindingOf<Id, Fix>>,
> {
  id: Id;
  /** Scenario files in simulator/scenarios/ (without `.yaml`) that show this cause. */
  scenarios: readonly string[];
  /** The facts a fix needs, as a finding records them. */
  fix: z.ZodType<Fix>;
  /**
   * Looks for the cause. `before` holds the findings of the causes evaluated earlier (registry
   * order), for a cause whose check depends on how those will be fixed.
   */
  detect(facts: Facts, before: readonly AnyFinding[]): Detection<FindingOf<Id, Fix>>;
  /** What a person should change, in words. */
  humanFix(fix: Fix): string;
  /** Policy actions that change something for this cause; any cause may also be escalated. */
  remedies: readonly R[];
}

/** A registered cause: its definition, plus entry points that take findings of any cause. */
export interface Cause<
  Id extends string,
  Fix extends { cause: Id },
  R extends Remedy<FindingOf<Id, Fix>>,
> extends CauseDefinition<Id, Fix, R> {
  /** The remedies' action types, as policies name them. */
  actionTypes: string[];
  /** This cause's fix among `findings`, if one of them is this cause's. */
  fixIn(findings: readonly AnyFinding[]): Fix | undefined;
  /** The human fix for `finding`; empty when it is not a well-formed finding of this cause. */
  humanFixFor(finding: AnyFinding): string;
  /**
   * Plans `finding` with a policy's action; undefined when the action is none of this cause's
   * remedies. A finding whose fix is not this cause's (a history from another version) is escalated.
   */
  planFinding(finding: AnyFinding, action: unknown, ctx: PlanContext): Proposal | undefined;
}

/** Builds a cause from its definition. */
export function defineCause<
  Id extends string,
  Fix extends { cause: Id },
  // A cause without remedies (escalation only) adds no action to the policy schema.
  R extends Remedy<FindingOf<Id, Fix>> = never,
>(def: CauseDefinition<Id, Fix, R>): Cause<Id, Fix, R> {
  const own = (f: AnyFinding): FindingOf<Id, Fix> | undefined => {
    if (f.cause !== def.id) return undefined;
    const fix = def.fix.safeParse(f.fix);
    return fix.success ? { ...f, cause: def.id, fix: fix.data } : undefined;
  };
  return {
    ...def,
    actionTypes: def.remedies.flatMap((r) => [...r.action.shape.type.values]),
    fixIn: (findings) => findings.map(own).find((f) => f !== undefined)?.fix,
    humanFixFor: (finding) => {
      const f = own(finding);
      return f ? def.humanFix(f.fix) : '';
    },
    planFinding: (finding, action, ctx) => {
      const f = own(finding);
      if (!f) return { escalate: `the finding does not carry the facts a ${def.id} fix needs` };
      for (const r of def.remedies) {
        const proposal = r.plan(f, action, ctx);
        if (proposal) return proposal;
      }
      return undefined;
    },
  };
}

/** A policy parameter that takes the value the diagnosis proved (the port the app serves). */
export const FromDiagnosis = z.literal('fromDiagnosis');
export const Port = z.number().int().min(1).max(65535);

/**
 * An HTTP request path as a health check sends it: absolute and already normalised (no `.` or `..`
 * segments, no `//`, no backslash, no spaces or control characters), with an optional query. What a
 * URL parser would rewrite (`/../../etc/passwd` → `/etc/passwd`) is refused rather than guessed.
 */
export const RequestPath = z
  .string()
  .max(1024, { message: 'must be at most 1024 characters' })
  .refine((p) => isNormalPath(p), {
    message: 'must be an absolute, normalised path such as /healthz (no . or .. segments, //, \\ or spaces)',
  });

function isNormalPath(p: string): boolean {
  if (!p.startsWith('/') || p.startsWith('//') || /[\\\s#\x00-\x1f\x7f]/.test(p)) return false;
  const path = p.split('?')[0] ?? '';
  if (path.includes('//')) return false;
  // %2e is a dot to a URL parser: `/%2e%2e/` is `/../`.
  const segments = path.split('/').map((s) => s.replace(/%2e/gi, '.'));
  return !segments.some((s) => s === '.' || s === '..');
}

/** The policy's value, or the diagnosed one where the policy says `fromDiagnosis`. */
export function fromDiagnosis<T>(fromPolicy: 'fromDiagnosis' | T, diagnosed: T | undefined): T | undefined {
  return fromPolicy === 'fromDiagnosis' ? diagnosed : fromPolicy;
}
