/**
 * Root cause 5: the backend closes idle connections before the load balancer does. Proven by
 * `backend_connection_closed_before_data_sent_to_client` in the LB logs. Nothing on Google Cloud's
 * side fixes it: the app's keepalive is a human change, so this cause has no remedy but escalation.
 */
import { z } from 'zod';
import type { Detection, FindingOf } from './cause';
import { defineCause } from './cause';
import { type Facts, logCount } from './facts';

const ID = 'KEEPALIVE_TOO_SHORT';
const CLOSED_EARLY = 'backend_connection_closed_before_data_sent_to_client';

/** GFE's fixed backend keepalive for external ALBs (gcp-facts §10). */
export const GFE_KEEPALIVE_SEC = 600;

export const KeepaliveFix = z.object({
  cause: z.literal(ID),
  requiredKeepaliveSec: z.number(),
});
export type KeepaliveFix = z.infer<typeof KeepaliveFix>;
type KeepaliveFinding = FindingOf<typeof ID, KeepaliveFix>;

function detect({ logs }: Facts): Detection<KeepaliveFinding> {
  const closed = logCount(logs, CLOSED_EARLY);
  if (closed === 0) return { findings: [] };
  return {
    findings: [
      {
        cause: ID,
        summary: `${closed} requests failed because the backend closed the connection first`,
        evidence: [
          `LB logs (${logs?.windowMinutes ?? '?'} min): ${closed} × ${CLOSED_EARLY}`,
          `the GFE keeps backend connections open ${GFE_KEEPALIVE_SEC}s; the app's keepalive must be longer`,
        ],
        fix: { cause: ID, requiredKeepaliveSec: GFE_KEEPALIVE_SEC + 20 },
      },
    ],
  };
}

export const keepaliveTooShort = defineCause({
  id: ID,
  scenarios: ['keepalive-mismatch'],
  fix: KeepaliveFix,
  detect,
  humanFix: (fix) =>
    `raise the backend server's HTTP keepalive (idle) timeout above 600 s, e.g. ${fix.requiredKeepaliveSec} s`,
  remedies: [],
});
