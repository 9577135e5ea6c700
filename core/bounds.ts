/**
 * The bounds a policy cannot leave (docs/safety.md, "Policy bounds"). The schema refuses values
 * outside them when the policies load (policies/schema.ts, with file:line:col); what the schema
 * cannot know, the health check lbmedic verifies against and the ports the app serves, is checked
 * when a plan is made (core/plan.ts). There is no escape hatch: a value outside these is refused.
 */
import type { HealthCheckFacts, ProbeResult } from './evidence';

/** Google Cloud's health check defaults: a probe every 5 s, HEALTHY after 2 successes in a row. */
export const DEFAULT_HEALTH_CHECK = { checkIntervalSec: 5, healthyThreshold: 2 } as const;

/** The least time a backend needs to turn HEALTHY: checkIntervalSec × healthyThreshold, seconds. */
export function healthCheckFloorSec(
  hc: Pick<HealthCheckFacts, 'checkIntervalSec' | 'healthyThreshold'>,
): number {
  return hc.checkIntervalSec * hc.healthyThreshold;
}

export const POLICY_BOUNDS = {
  /** Between two remediations of one backend service: a fix must be seen to hold first. */
  minCooldownSec: 5 * 60,
  /** Twice the default health check's floor: a window shorter than that rolls good fixes back. */
  minVerificationSec: 2 * healthCheckFloorSec(DEFAULT_HEALTH_CHECK),
  /**
   * The wait for HEALTHY runs in one activity bounded at an hour (workflows/stubs.ts `watch`);
   * half of it leaves room for its retries.
   */
  maxVerificationSec: 30 * 60,
  /** At least half of the backends HEALTHY: less is not a fix. */
  minHealthyFraction: 0.5,
  /** A person gets at most a day to approve (workflows/approval.ts). */
  maxApprovalTimeoutSec: 24 * 3600,
  /**
   * The most `raiseBackendTimeout` may set, seconds: a request slower than 10 minutes is an
   * application problem for people, not a 502 to hide behind a longer timeout.
   */
  maxBackendTimeoutSec: 600,
} as const;

/**
 * The verification window a plan uses: the policy's, extended to twice the floor of the health check
 * the backends are verified against (a slow check needs longer to say HEALTHY); undefined when even
 * the largest window lbmedic verifies for is shorter than that, so the change must not be made.
 */
export function verificationWindowSec(
  policySec: number,
  hc: Pick<HealthCheckFacts, 'checkIntervalSec' | 'healthyThreshold'> | null | undefined,
): { sec: number; note?: string } | undefined {
  if (!hc) return { sec: policySec };
  const needed = 2 * healthCheckFloorSec(hc);
  if (needed <= policySec) return { sec: policySec };
  if (needed > POLICY_BOUNDS.maxVerificationSec) return undefined;
  return {
    sec: needed,
    note: `verification window extended from ${policySec}s to ${needed}s: twice the ${hc.checkIntervalSec}s × ${hc.healthyThreshold} the health check needs to say HEALTHY`,
  };
}

/** Did the in-VPC probe see the app serve (an HTTP 200 on any path) on `port`? */
export function seenServing(probe: readonly ProbeResult[] | undefined, port: number): boolean {
  return (probe ?? []).some((r) => r.port === port && r.status === 200);
}

/** The fixed ports policy actions name (`port: 9090`, not `fromDiagnosis`): the probe tries them too. */
export function policyPorts(actions: readonly object[]): number[] {
  const ports = actions.flatMap((a) => ('port' in a && typeof a.port === 'number' ? [a.port] : []));
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * Why a policy action's fixed port must not be used (the probe did not see the app serve there, or
 * could not run); undefined for an action without a fixed port, or one the app serves. A health
 * check, a named port or a probe rule pointed at a port nothing serves (22, say) fixes nothing and
 * opens or probes what it should not.
 */
export function unservedPortProblem(
  action: object,
  probe: { ok: true; value: readonly ProbeResult[] } | { ok: false; error: string },
): string | undefined {
  if (!('port' in action) || typeof action.port !== 'number') return undefined;
  const port = action.port;
  if (!probe.ok)
    return `the policy's fixed port ${port} could not be checked: the in-VPC probe did not run (${probe.error})`;
  if (seenServing(probe.value, port)) return undefined;
  return `the policy's fixed port ${port} is not where the in-VPC probe saw the app serve (no HTTP 200 there)`;
}
