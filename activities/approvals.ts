/**
 * Checking a signed decision (an approval or a rejection): the payload names this remediation, this
 * run and this exact plan, it is within its time, and it carries a valid OpenSSH signature by a key
 * registered to the approver it names and valid now. Run as a local activity from the workflow's
 * handlers, so the verdict is recorded in history (Node's crypto cannot run in the sandbox, and a
 * recorded verdict replays as it was even if these rules change), and offline by `lbmedic history
 * --verify`. What depends on the run's state (already approved, self-approval) the workflow decides.
 */
import {
  PAYLOAD_HEADER,
  parsePayload,
  SIGNATURE_NAMESPACE,
  type DecisionKind,
} from '../core/approval-payload';
import type { ApprovalRequest } from '../core/model';
import type { PlanApproval } from '../core/plan';
import { bytesOf, parsePublicKey } from '../core/ssh-wire';
import { fingerprint, parseArmored, signatureProblem } from './sshsig';

export interface CheckInput {
  request: ApprovalRequest;
  decision: DecisionKind;
  /** What the payload must name. */
  expect: { workflow: string; run: string; plan: string };
  approval: Pick<PlanApproval, 'authentication' | 'signers'> & { ttlSec?: number };
  /** When it is judged (ISO): workflow time in the workflow, the recorded time offline. */
  now: string;
}

/** Why a decision does not count, by kind: the first word of the refusal says which. */
export type RefusalKind =
  | 'unsigned'
  | 'malformed'
  | 'unknown key'
  | 'bad signature'
  | 'wrong approver'
  | 'key not valid'
  | 'wrong decision'
  | 'wrong workflow'
  | 'wrong run'
  | 'wrong plan hash'
  | 'expired';

export type Verdict =
  | {
      ok: true;
      approver: string;
      reason: string;
      /** Signed only: the key's fingerprint, the payload and signature as received, their times. */
      key?: string;
      payload?: string;
      signature?: string;
      issued?: string;
      expires?: string;
    }
  | { ok: false; kind: RefusalKind; refusal: string; approver?: string };

/** Clock skew a signer's machine may have: a payload issued later than this from now is refused. */
const SKEW_MS = 5 * 60_000;

const refuse = (kind: RefusalKind, why: string, approver?: string): Verdict => ({
  ok: false,
  kind,
  refusal: `${kind}: ${why}`,
  ...(approver ? { approver } : {}),
});

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** An open policy: the request is taken on trust, but it must still name the plan it approves. */
function checkOpen(input: CheckInput): Verdict {
  const r = input.request ?? {};
  const signed = str(r.payload) ? parsePayload(r.payload!) : undefined;
  const fields = typeof signed === 'object' ? signed : undefined;
  const approver = fields?.approver ?? str(r.approver);
  const plan = fields?.plan ?? str(r.planHash);
  if (!approver) return refuse('malformed', 'an approval needs an approver');
  if (!plan)
    return refuse('wrong plan hash', `name the plan you approve (planHash ${input.expect.plan})`, approver);
  if (plan !== input.expect.plan)
    return refuse('wrong plan hash', `approved ${plan}, the plan waiting is ${input.expect.plan}`, approver);
  return { ok: true, approver, reason: fields?.reason ?? str(r.reason) ?? '' };
}

/** The verdict on one decision message. */
export function checkDecision(input: CheckInput): Verdict {
  if (input.approval.authentication === 'open') return checkOpen(input);
  const { payload: text, signature: armored } = input.request ?? {};
  if (!str(text) || !str(armored))
    return refuse(
      'unsigned',
      'this plan takes signed approvals only: sign with `lbmedic approve` or `ssh-keygen -Y sign -n lbmedic` (docs/approvals.md)',
      str(input.request?.approver),
    );
  const p = parsePayload(text!);
  // Said plainly: a decision that names no plan could approve any plan.
  if (typeof p === 'string' && text!.startsWith(PAYLOAD_HEADER) && !/^plan: sha256:/m.test(text!))
    return refuse(
      'wrong plan hash',
      `the approval names no plan hash: sign the payload with the line "plan: ${input.expect.plan}" (status → approval.plan; \`lbmedic approve\` fills it in)`,
      str(input.request?.approver),
    );
  if (typeof p === 'string') return refuse('malformed', `the payload: ${p}`);
  let sig;
  try {
    sig = parseArmored(armored!);
  } catch (err) {
    return refuse('malformed', `the signature: ${(err as Error).message}`, p.approver);
  }
  const fp = fingerprint(sig.keyBlob);
  const same = (line: string) => Buffer.from(parsePublicKey(line).blob).equals(sig.keyBlob);
  const owner = input.approval.signers.find((s) => s.keys.some((k) => same(k.key)));
  if (!owner) {
    const who = input.approval.signers.map((s) => s.name).join(', ') || 'none';
    return refuse('unknown key', `${fp} is not a key of this plan's approvers (${who})`, p.approver);
  }
  const problem = signatureProblem(sig, SIGNATURE_NAMESPACE, bytesOf(text!));
  if (problem) return refuse('bad signature', `${problem} (key ${fp} of ${owner.name})`, p.approver);
  if (owner.name !== p.approver)
    return refuse('wrong approver', `key ${fp} is ${owner.name}'s, not ${p.approver}'s`, p.approver);
  const now = Date.parse(input.now);
  const key = owner.keys.find((k) => same(k.key))!;
  if (key.notBefore && now < Date.parse(key.notBefore))
    return refuse('key not valid', `${fp} of ${owner.name} counts from ${key.notBefore}`, p.approver);
  if (key.notAfter && now > Date.parse(key.notAfter))
    return refuse(
      'key not valid',
      `${fp} of ${owner.name} counted until ${key.notAfter} (rotated out)`,
      p.approver,
    );
  const { expect } = input;
  if (p.decision !== input.decision)
    return refuse(
      'wrong decision',
      `the payload decides ${p.decision}, sent as ${input.decision}`,
      p.approver,
    );
  if (p.workflow !== expect.workflow)
    return refuse('wrong workflow', `signed for ${p.workflow}, this is ${expect.workflow}`, p.approver);
  if (p.run !== expect.run)
    return refuse('wrong run', `signed for run ${p.run}, this remediation is run ${expect.run}`, p.approver);
  if (p.plan !== expect.plan)
    return refuse('wrong plan hash', `signed ${p.plan}, the plan waiting is ${expect.plan}`, p.approver);
  if (Date.parse(p.issued) > now + SKEW_MS)
    return refuse('expired', `issued ${p.issued}, in the future (is the signer's clock right?)`, p.approver);
  if (now > Date.parse(p.expires))
    return refuse('expired', `the signature expired at ${p.expires}`, p.approver);
  const ttl = input.approval.ttlSec;
  if (ttl !== undefined && now - Date.parse(p.issued) > ttl * 1000)
    return refuse('expired', `issued ${p.issued}, older than the policy's approvalTtl (${ttl}s)`, p.approver);
  return {
    ok: true,
    approver: p.approver,
    reason: p.reason,
    key: fp,
    payload: text!,
    signature: armored!,
    issued: p.issued,
    expires: p.expires,
  };
}

export function createApprovalActivities() {
  return {
    /** {@link checkDecision} as a local activity of the remediation workflow (its verdict is recorded). */
    async checkDecision(input: CheckInput): Promise<Verdict> {
      return checkDecision(input);
    },
  };
}
