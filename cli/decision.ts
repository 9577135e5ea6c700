/**
 * What `lbmedic approve` and `lbmedic reject` send: the decision payload filled in from the workflow's
 * status query (its run, the plan hash waiting, the policy's approvalTtl), signed with the approver's
 * key, after the person has seen the plan they sign. Or, for a policy that says
 * `authentication: open`, the unsigned request it takes on trust.
 */
import { readFileSync } from 'node:fs';
import { formatPayload, shortHash, type DecisionKind } from '../core/approval-payload';
import type { ApprovalRequest, RemediationStatus } from '../core/model';
import type { PlanApproval } from '../core/plan';
import { UsageError } from './flags';
import { isRecord, type Output } from './output';
import { agentKey, fileKey, type ChosenKey } from './sign';

/** The flags approve and reject share. */
export const DECISION_OPTIONS = {
  as: { type: 'string' },
  reason: { type: 'string' },
  key: { type: 'string' },
  yes: { type: 'boolean' },
  'print-payload': { type: 'boolean' },
  payload: { type: 'string' },
  signature: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export interface DecisionFlags {
  as?: string | undefined;
  reason?: string | undefined;
  key?: string | undefined;
  yes?: boolean | undefined;
  'print-payload'?: boolean | undefined;
  payload?: string | undefined;
  signature?: string | undefined;
}

/** The approval a run waits for, as its status query reports it. */
export interface Pending {
  run: string;
  plan: string;
  rendered: string;
  rules: PlanApproval;
}

/** The pending approval from a status, or undefined when nothing waits. */
export function pendingOf(status: RemediationStatus): Pending | undefined {
  const a = status.approval;
  if (status.phase !== 'AWAITING_APPROVAL' || !isRecord(a) || typeof a.plan !== 'string') return undefined;
  return a as unknown as Pending;
}

/** What to send, or the payload to print (`--print-payload`), or nothing when the person said no. */
export type Prepared = { send: ApprovalRequest; approver: string } | { print: string } | { declined: true };

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(err as Error).message}`);
  }
}

/** The key to sign with: --key, else the agent's key registered for this plan. */
async function chooseKey(flags: DecisionFlags, rules: PlanApproval): Promise<ChosenKey> {
  if (flags.key) return fileKey(flags.key, rules.signers);
  const socket = process.env.SSH_AUTH_SOCK;
  if (!socket)
    throw new UsageError(
      'this plan takes signed approvals: give --key FILE (your OpenSSH private key) or run ssh-agent with your key added (SSH_AUTH_SOCK)',
    );
  return agentKey(socket, rules.signers, flags.as);
}

/** Shows what is signed and asks, unless --yes. */
async function confirmed(io: Output, flags: DecisionFlags, lines: string[]): Promise<boolean> {
  for (const l of lines) io.out(l);
  if (flags.yes) return true;
  if (!io.ask) throw new UsageError('add --yes to sign without being asked (stdin is not a terminal)');
  return /^y(es)?$/i.test((await io.ask('Sign and send? [y/N] ')).trim());
}

/** Builds the request for `decision` on the plan that waits. */
export async function prepareDecision(
  io: Output,
  workflowId: string,
  decision: DecisionKind,
  pending: Pending,
  flags: DecisionFlags,
): Promise<Prepared> {
  const { rules } = pending;
  if (flags.payload || flags.signature) {
    if (!flags.payload || !flags.signature)
      throw new UsageError(
        '--payload and --signature go together (a payload signed with ssh-keygen -Y sign)',
      );
    return {
      send: {
        payload: readFlagFile('payload', flags.payload),
        signature: readFlagFile('signature', flags.signature),
      },
      approver: '(from the payload)',
    };
  }
  const reason = flags.reason ?? '';
  if (rules.authentication === 'open') {
    const approver = flags.as ?? process.env.USER;
    if (!approver) throw new UsageError('say who you are with --as NAME ($USER is not set)');
    return { send: { approver, planHash: pending.plan, ...(reason ? { reason } : {}) }, approver };
  }
  const key = flags['print-payload'] ? undefined : await chooseKey(flags, rules);
  const approver = flags.as ?? key?.owner ?? process.env.USER;
  if (!approver) throw new UsageError('say who you are with --as NAME ($USER is not set)');
  const issued = new Date();
  const payload = formatPayload({
    workflow: workflowId,
    run: pending.run,
    plan: pending.plan,
    decision,
    approver,
    reason,
    issued: issued.toISOString(),
    expires: new Date(issued.getTime() + rules.ttlSec * 1000).toISOString(),
  });
  if (!key) return { print: payload };
  const ok = await confirmed(io, flags, [
    pending.rendered,
    '',
    `${decision === 'approve' ? 'Approving' : 'Rejecting'} plan ${shortHash(pending.plan)}… as ${approver}, signing with ${key.fingerprint}:`,
    ...payload
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  ]);
  if (!ok) return { declined: true };
  return { send: { payload, signature: await key.sign(payload) }, approver };
}
