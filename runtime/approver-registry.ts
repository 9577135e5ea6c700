/**
 * The approvers lbmedic knows, checked across files: the approvers files and the approvers policies
 * define in place make one registry (each name once, each key to one person), and every manual policy
 * must be approvable with it. Nothing is open by default: a manual policy whose approvers have no keys
 * is refused unless it says `authentication: open`.
 */
import { parsePublicKey, toBase64 } from '../core/ssh-wire';
import type { Approver, ApproversFile, Policy } from '../policies/schema';

/** A problem and where it is (runtime/policy-loader.ts's PolicyIssue). */
interface PolicyIssue {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/** A parsed file with a way to point at a path in it (file, line, column). */
export interface Located<T> {
  value: T;
  locate: (path: PropertyKey[]) => PolicyIssue;
}

const HOW =
  'list the approver with an OpenSSH public key in approvers.yaml beside the policies (docs/approvals.md), or say approval.authentication: open to take approvals on trust';

/** Merges and checks the registry; problems go to `issues` with where they are. */
export function checkApprovals(
  policies: Located<Policy>[],
  files: Located<ApproversFile>[],
  issues: PolicyIssue[],
): Approver[] {
  const byName = new Map<string, Approver>();
  const keyOwner = new Map<string, string>();
  const add = (a: Approver, at: PolicyIssue) => {
    if (byName.has(a.name)) {
      issues.push({ ...at, message: `approver ${a.name} is defined twice; define each approver once` });
      return;
    }
    for (const k of a.keys) {
      const blob = toBase64(parsePublicKey(k.key).blob);
      const owner = keyOwner.get(blob);
      if (owner && owner !== a.name) {
        issues.push({
          ...at,
          message: `approver ${a.name} has a key that is already ${owner}'s: one key is one person`,
        });
        return;
      }
      keyOwner.set(blob, a.name);
    }
    byName.set(a.name, a);
  };
  for (const f of files) {
    for (const [i, a] of f.value.approvers.entries()) add(a, f.locate(['approvers', i, 'name']));
  }
  for (const p of policies) {
    for (const [i, a] of p.value.approval.approvers.entries()) {
      if (a.keys) add({ name: a.name, keys: a.keys }, p.locate(['approval', 'approvers', i]));
    }
  }
  for (const p of policies) {
    const { approval } = p.value;
    if (approval.mode !== 'suggest' || approval.authentication === 'open') continue;
    if (approval.approvers.length === 0 && byName.size === 0) {
      issues.push({
        ...p.locate(['approval', 'mode']),
        message: `a manual policy needs approvers with keys, and none is registered: ${HOW}`,
      });
    }
    for (const [i, a] of approval.approvers.entries()) {
      if (!byName.has(a.name))
        issues.push({
          ...p.locate(['approval', 'approvers', i]),
          message: `approver ${a.name} has no key: ${HOW}`,
        });
    }
  }
  return [...byName.values()];
}
