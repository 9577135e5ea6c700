/**
 * Records the histories that test/replay/replay.test.ts replays:
 *
 *   node --import tsx test/replay/record.ts [NAME…]
 *
 * Runs four real remediations end to end (a fresh Temporal dev server, the GCP simulator, the real
 * Google clients, a worker with the real workflows) and writes each one's event history to
 * `test/replay/histories/<name>.json`, in the JSON form the Temporal CLI and UI export. One of them is
 * written while it is parked waiting for an approval, then terminated. Re-record only on purpose: after
 * a change to the workflow that is meant to break replay of older runs (docs/versioning.md), and only
 * the histories it breaks: name them (e.g. `backend-timeout-approved`) to record those alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { format, resolveConfig } from 'prettier';
import { approveUpdate, statusQuery } from '../../workflows/definitions';
import { type Outcome } from '../../core/model';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen } from '../helpers/approvers';
import { control, eventually } from '../helpers/sim';
import { policyDir, removeDir, SHORT_DEADLINE, startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';
import { historyToJson } from './history-json';

const HISTORIES = fileURLToPath(new URL('histories/', import.meta.url));

interface Recording {
  /** The file name under histories/ (without `.json`). */
  name: string;
  scenario: string;
  /** The outcome, or AWAITING_APPROVAL: the history is written while the run waits, then it is terminated. */
  expected: Outcome | 'AWAITING_APPROVAL';
  policies?: string;
  /** Runs while the workflow is under way (approve it, break the apps). */
  during?: (env: TestWorkflowEnvironment, stack: Stack, workflowId: string) => Promise<void>;
  /** Runs before the alert. */
  before?: (stack: Stack) => Promise<void>;
}

async function record(env: TestWorkflowEnvironment, r: Recording): Promise<void> {
  const stack = await startStack(env, r.scenario, r.policies ? { policies: r.policies } : {});
  try {
    await r.before?.(stack);
    const id = await stack.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    await r.during?.(env, stack, id);
    let outcome: string;
    if (r.expected === 'AWAITING_APPROVAL') {
      await parked(handle);
      outcome = 'parked in AWAITING_APPROVAL';
    } else {
      const result = (await handle.result()) as RemediationResult;
      if (result.outcome !== r.expected) {
        throw new Error(`${r.name}: expected ${r.expected}, got ${result.outcome}: ${result.summary}`);
      }
      outcome = result.outcome;
    }
    const history = await handle.fetchHistory();
    if (r.expected === 'AWAITING_APPROVAL') await handle.terminate('recorded while parked for approval');
    const file = join(HISTORIES, `${r.name}.json`);
    const text = await format(JSON.stringify(historyToJson(history)), {
      ...(await resolveConfig(file)),
      parser: 'json',
    });
    writeFileSync(file, text);
    console.log(`${file}: ${outcome}, ${history.events?.length ?? 0} events, ${text.length} bytes`);
  } finally {
    await stack.stop();
  }
}

async function awaitingApproval(env: TestWorkflowEnvironment, id: string): Promise<PendingApproval> {
  const handle = env.client.workflow.getHandle(id);
  return eventually(
    'AWAITING_APPROVAL',
    async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return s?.phase === 'AWAITING_APPROVAL' ? (s.approval as PendingApproval) : undefined;
    },
    60_000,
  );
}

/**
 * Waits until a run waiting for approval has nothing more to write: its notification delivered and its
 * last workflow task completed, so the history ends where any parked run's would.
 */
async function parked(handle: WorkflowHandle): Promise<void> {
  await eventually(
    'a parked run with a quiet history',
    async () => {
      const { raw } = await handle.describe();
      const last = (await handle.fetchHistory()).events?.at(-1);
      const quiet = (raw.pendingActivities?.length ?? 0) === 0 && last?.workflowTaskCompletedEventAttributes;
      return quiet ? true : undefined;
    },
    60_000,
  );
}

// alice approves with a key of her own, registered beside the policies.
const alice = sshKeygen('alice@example.com');
const approvers = policyDir(
  { 'backend-timeout.yaml': [['  required: 1\n', '  required: 1\n  approvers: [alice@example.com]\n']] },
  { 'approvers.yaml': approversYaml([{ name: alice.name, keys: [alice.publicKey] }]) },
);
const shortDeadline = policyDir(SHORT_DEADLINE);

const recordings: Recording[] = [
  { name: 'port-moved-remediated', scenario: 'port-moved', expected: 'REMEDIATED' },
  {
    name: 'backend-timeout-approved',
    scenario: 'backend-timeout',
    expected: 'REMEDIATED',
    policies: approvers,
    async during(env, _stack, id) {
      const pending = await awaitingApproval(env, id);
      const signed = await signedRequest(alice, {
        workflow: id,
        run: pending.run,
        plan: pending.plan,
        reason: 'recorded for the replay tests',
      });
      await env.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [signed] });
    },
  },
  {
    name: 'backend-timeout-awaiting-approval',
    scenario: 'backend-timeout',
    expected: 'AWAITING_APPROVAL',
    policies: approvers,
    during: async (env, _stack, id) => void (await awaitingApproval(env, id)),
  },
  {
    name: 'firewall-missing-rolled-back',
    scenario: 'firewall-missing',
    expected: 'ROLLED_BACK',
    policies: shortDeadline,
    async before({ sim }) {
      for (const name of sim.world.projects.get(sim.project)?.instances.keys() ?? []) {
        await control(sim, 'PATCH', `projects/${sim.project}/instances/${name}/app`, { status: 500 });
      }
    },
  },
];

mkdirSync(HISTORIES, { recursive: true });
const env = await startDevServer();
try {
  const wanted = process.argv.slice(2);
  for (const r of recordings) if (wanted.length === 0 || wanted.includes(r.name)) await record(env, r);
} finally {
  await env.teardown();
  removeDir(approvers);
  removeDir(shortDeadline);
}
