/**
 * A plan as a human reads it: each resource, its fields before → after, what else it reaches, and
 * what happens next.
 */
import { impactText } from './impact';
import type { Plan } from './plan';

const duration = (sec: number) =>
  sec % 86_400 === 0
    ? `${sec / 86_400}d`
    : sec % 3600 === 0
      ? `${sec / 3600}h`
      : sec % 60 === 0
        ? `${sec / 60}m`
        : `${sec}s`;

/** How approvals are authenticated; an open policy says so in every plan. */
function signatures(a: Plan['approval']): string {
  if (a.authentication === 'open')
    return 'OPEN: approvals are not signed; anyone who can signal the workflow can approve as anyone (authentication: open)';
  return `required: SSH-signed by a registered key, bound to this plan's hash, counting for ${duration(a.ttlSec)}`;
}

/** The mode and why; observe says what it means. */
function modeLine(a: NonNullable<Plan['autonomy']>): string {
  return a.mode === 'observe' ? `${a.why} (diagnose, plan and notify; nothing is applied)` : a.why;
}

/** A plan as people read it: steps, escalations, notes, then mode, approval, verification, limits. */
export function renderPlan(plan: Plan): string {
  const out: string[] = [`Plan for ${plan.project}/${plan.backendService} (diagnosis: ${plan.verdict})`];
  // Before anything else: a policy set a value below the safety bounds on purpose.
  for (const u of plan.unsafe ?? []) out.push(`  UNSAFE: ${u}`);
  if (plan.steps.length === 0 && plan.escalations.length === 0) {
    out.push('  nothing to change');
  }
  for (const s of plan.steps) {
    const sign = s.apply.kind === 'insertFirewall' || s.apply.kind === 'insertHealthCheck' ? '+' : '~';
    const scope = s.resource.zone || s.resource.region;
    const where = scope ? `${scope}/${s.resource.name}` : s.resource.name;
    out.push(`  ${sign} ${s.resource.kind} ${where}   (${s.cause}, policy ${s.policy})`);
    for (const c of s.changes) out.push(`      ${c.field}: ${c.before} → ${c.after}`);
    // Runs recorded before impact existed have steps without it.
    if (s.impact) out.push(`      also affects: ${impactText(s.impact)}`);
  }
  for (const e of plan.escalations) {
    out.push(`  ! escalate ${e.cause}${e.policy ? ` (policy ${e.policy})` : ''}: ${e.summary}`);
    out.push(`      fix by hand: ${e.humanFix}`);
  }
  for (const n of plan.notes) out.push(`  note: ${n}`);
  if (plan.steps.length > 0) {
    const a = plan.approval;
    const who = a.approvers.length
      ? a.approvers.join(', ')
      : a.authentication === 'open'
        ? 'anyone'
        : `any registered approver (${a.signers.map((x) => x.name).join(', ') || 'none'})`;
    out.push('');
    // Plans recorded before modes existed have none: their approval line says all.
    if (plan.autonomy) out.push(`  mode:         ${modeLine(plan.autonomy)}`);
    out.push(
      `  approval:     ${
        a.mode === 'auto'
          ? 'automatic'
          : `manual, ${a.required} of ${who}${
              a.allowSelfApproval ? '' : ' (not the trigger)'
            }, within ${duration(a.timeoutSec)}, then ${a.onTimeout}`
      }`,
      ...(a.mode === 'manual' ? [`  signatures:   ${signatures(a)}`] : []),
      `  verification: ${Math.round(plan.verification.healthyFraction * 100)}% HEALTHY within ${duration(
        plan.verification.deadlineSec,
      )}`,
      `  rollback:     ${plan.rollback === 'auto' ? 'automatic, from the snapshot, if the backends do not recover' : 'never'}`,
      `  limits:       cooldown ${duration(plan.limits.cooldownSec)}, at most ${plan.limits.maxPerDay}/day, circuit breaker after ${plan.limits.circuitBreakerFailures} failures`,
    );
  }
  out.push(`  dry-run:      ${plan.dryRun ? `yes — ${plan.dryRunReasons.join('; ')}` : 'no'}`);
  return out.join('\n');
}
