/**
 * Root cause 4: the backend service's timeoutSec is below the slow endpoints' latency. Proven by
 * `backend_timeout` in the LB logs, sized by the backend_latencies metric; fixed by raising
 * timeoutSec above the observed latency with a margin, within the policy's cap.
 */
import { z } from 'zod';
import { POLICY_BOUNDS } from '../bounds';
import type { Detection, FindingOf, Proposal } from './cause';
import { defineCause, remedy } from './cause';
import { type Facts, logCount } from './facts';

const ID = 'BACKEND_TIMEOUT';
const TIMEOUT = 'backend_timeout';

export const BackendTimeoutFix = z.object({
  cause: z.literal(ID),
  backendService: z.string(),
  /** A regional backend service's region. */
  region: z.string().optional(),
  timeoutSec: z.number(),
  /** Slowest backend latency the LB measured, ms (bucket upper bound). */
  observedLatencyMs: z.number().optional(),
  /**
   * The LB stops waiting at timeoutSec, so latencies at or above it are cut off: the real latency
   * of the slow requests is at least `observedLatencyMs`, not known to be that.
   */
  latencyCensored: z.boolean().optional(),
});
export type BackendTimeoutFix = z.infer<typeof BackendTimeoutFix>;
type BackendTimeoutFinding = FindingOf<typeof ID, BackendTimeoutFix>;

/** Policy action: new timeout = observed latency × margin (× censoredMargin when the LB cut requests off), capped. */
export const RaiseBackendTimeout = z.strictObject({
  type: z.literal('raiseBackendTimeout'),
  margin: z.number().min(1).max(10).default(1.5),
  censoredMargin: z.number().min(1).max(10).default(2),
  maxTimeoutSec: z
    .number()
    .int()
    .min(1)
    .max(POLICY_BOUNDS.maxBackendTimeoutSec, {
      message: `must be at most ${POLICY_BOUNDS.maxBackendTimeoutSec}: slower requests are for people to fix, not for a longer timeout to hide`,
    })
    .default(300),
});
export type RaiseBackendTimeout = z.infer<typeof RaiseBackendTimeout>;

const fmtMs = (ms: number | undefined) => (ms === undefined ? '?' : `${Math.round(ms)} ms`);

function detect(facts: Facts): Detection<BackendTimeoutFinding> {
  const { backend: bs, logs, evidence } = facts;
  const timeouts = logCount(logs, TIMEOUT);
  if (timeouts === 0) return { findings: [] };
  const latency = evidence.latency.ok ? evidence.latency.value : undefined;
  const observed = latency?.maxMs ?? latency?.p99Ms;
  return {
    findings: [
      {
        cause: ID,
        summary: `${timeouts} requests hit the ${bs.timeoutSec}s backend timeout${
          observed !== undefined ? `; slowest backend latency ${Math.round(observed)} ms` : ''
        }`,
        evidence: [
          `LB logs (${logs?.windowMinutes ?? '?'} min): ${timeouts} × ${TIMEOUT}`,
          `backendServices.get ${bs.name}: timeoutSec ${bs.timeoutSec}`,
          latency
            ? `backend_latencies: p50 ${fmtMs(latency.p50Ms)}, p99 ${fmtMs(latency.p99Ms)}, max ${fmtMs(latency.maxMs)}`
            : 'backend_latencies unavailable: the latency a new timeout must cover is unknown',
        ],
        fix: {
          cause: ID,
          backendService: bs.name,
          ...(bs.region ? { region: bs.region } : {}),
          timeoutSec: bs.timeoutSec,
          ...(observed !== undefined
            ? { observedLatencyMs: observed, latencyCensored: observed >= bs.timeoutSec * 1000 }
            : {}),
        },
      },
    ],
  };
}

function planRaise({ fix }: BackendTimeoutFinding, action: RaiseBackendTimeout): Proposal {
  const observedSec = (fix.observedLatencyMs ?? 0) / 1000;
  const margin = fix.latencyCensored ? Math.max(action.margin, action.censoredMargin) : action.margin;
  const wanted = Math.ceil(Math.max(observedSec, fix.timeoutSec) * margin);
  const next = Math.min(action.maxTimeoutSec, wanted);
  if (next <= fix.timeoutSec) {
    return {
      escalate: `timeoutSec is ${fix.timeoutSec}s and the policy caps it at ${action.maxTimeoutSec}s: the slow endpoints need fixing`,
    };
  }
  // A regional backend service is patched through regionBackendServices, in its region.
  const where = fix.region ? { region: fix.region } : {};
  return {
    steps: [
      {
        id: `backendService/${fix.backendService}`,
        resource: { kind: 'backendService', name: fix.backendService, ...where },
        changes: [{ field: 'timeoutSec', before: String(fix.timeoutSec), after: String(next) }],
        apply: {
          kind: 'patchBackendService',
          backendService: fix.backendService,
          ...where,
          timeoutSec: next,
        },
        inverse: {
          kind: 'patchBackendService',
          backendService: fix.backendService,
          ...where,
          timeoutSec: fix.timeoutSec,
        },
      },
    ],
    ...(next < wanted
      ? { note: `timeoutSec capped at ${action.maxTimeoutSec}s (the latency suggests ${wanted}s)` }
      : {}),
  };
}

export const backendTimeout = defineCause({
  id: ID,
  scenarios: ['backend-timeout'],
  fix: BackendTimeoutFix,
  detect,
  humanFix: (fix) =>
    `raise ${fix.backendService}'s timeoutSec above the slow endpoints' latency, or make them faster`,
  remedies: [remedy(RaiseBackendTimeout, planRaise)],
});
