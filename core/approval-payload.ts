/**
 * The payload an approver signs: a few `key: value` lines naming the remediation, its run, the exact
 * plan (its hash), the decision, who decides, why, and when the signature was made and stops counting.
 * Plain text so a person can read what they sign and write it without lbmedic (docs/approvals.md);
 * parsed strictly (every line, in this order, once) so one text means one thing.
 *
 * ```text
 * lbmedic-decision-v1
 * workflow: lbmedic/demo-project/web-bs
 * run: 0193f0c2-…
 * plan: sha256:5c1f…
 * decision: approve
 * approver: alice@example.com
 * reason: plan checked
 * issued: 2026-11-30T07:11:35.000Z
 * expires: 2026-11-30T07:41:35.000Z
 * ```
 */

/** The OpenSSH signature namespace (`ssh-keygen -Y sign -n lbmedic`): signatures for other uses do not count. */
export const SIGNATURE_NAMESPACE = 'lbmedic';

export const PAYLOAD_HEADER = 'lbmedic-decision-v1';

export type DecisionKind = 'approve' | 'reject';

export interface DecisionPayload {
  workflow: string;
  run: string;
  /** `sha256:` and the plan's hash in hex (activities/plan-hash.ts). */
  plan: string;
  decision: DecisionKind;
  approver: string;
  reason: string;
  /** ISO 8601, UTC. */
  issued: string;
  expires: string;
}

const FIELDS = ['workflow', 'run', 'plan', 'decision', 'approver', 'reason', 'issued', 'expires'] as const;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
export const PLAN_HASH = /^sha256:[0-9a-f]{64}$/;

/** The canonical text of a payload (what lbmedic signs). */
export function formatPayload(p: DecisionPayload): string {
  for (const f of FIELDS) {
    if (/[\r\n]/.test(p[f])) throw new Error(`${f} must be one line`);
  }
  const lines = FIELDS.map((f) => (p[f] === '' ? `${f}:` : `${f}: ${p[f]}`));
  return `${PAYLOAD_HEADER}\n${lines.join('\n')}\n`;
}

/** Reads a payload; a string says why it is not one. */
export function parsePayload(text: string): DecisionPayload | string {
  if (typeof text !== 'string') return 'the payload is not text';
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== PAYLOAD_HEADER) return `the payload must start with the line ${PAYLOAD_HEADER}`;
  if (lines.length !== FIELDS.length + 1)
    return `the payload has ${lines.length - 1} fields; expected ${FIELDS.join(', ')}, one per line`;
  const out: Record<string, string> = {};
  for (const [i, f] of FIELDS.entries()) {
    const line = lines[i + 1]!;
    const m = /^([a-z]+):(?: (.*))?$/.exec(line);
    if (!m || m[1] !== f) return `line ${i + 2} must be "${f}: …", got "${line.slice(0, 60)}"`;
    out[f] = m[2] ?? '';
  }
  const p = out as unknown as DecisionPayload;
  if (p.decision !== 'approve' && p.decision !== 'reject')
    return `decision must be approve or reject, got "${p.decision}"`;
  if (!PLAN_HASH.test(p.plan)) return `plan must be sha256: and 64 hex digits, got "${p.plan}"`;
  for (const f of ['workflow', 'run', 'approver'] as const) if (!p[f]) return `${f} is empty`;
  for (const f of ['issued', 'expires'] as const) {
    if (!ISO.test(p[f]) || Number.isNaN(Date.parse(p[f])))
      return `${f} must be a UTC time such as 2026-11-30T07:11:35Z, got "${p[f]}"`;
  }
  if (Date.parse(p.expires) <= Date.parse(p.issued)) return 'expires must be after issued';
  return p;
}

/** A plan hash as people compare it at a glance: `sha256:5c1f2a9b…`. */
export const shortHash = (hash: string) => hash.slice(0, 'sha256:'.length + 12);
