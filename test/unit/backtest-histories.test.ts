/**
 * Backtests over the recorded histories of test/replay/histories (real runs, recorded with the
 * shipped policies): the evidence rebuilt from each run's markers gives today's `decide` the same
 * decision (cause, plan hash, mode), and a policy folder that changes a mode is reported as such.
 * No server: the histories are the files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decide } from '../../activities/decide';
import { recordedDecision } from '../../activities/recorded-decisions';
import { diffDecisions, viewOf } from '../../core/backtest';
import type { RemediationInput } from '../../core/model';
import { scopeOfProjects } from '../../core/scope';
import { loadPolicies } from '../../runtime/policy-loader';
import { FIXTURE_APPROVERS, shippedPolicies } from '../helpers/approvers';
import { policyDir, removeDir } from '../helpers/stack';
import { historyFromJson } from '../replay/history-json';

const HISTORIES = fileURLToPath(new URL('../replay/histories/', import.meta.url));

function histories() {
  return readdirSync(HISTORIES)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const history = historyFromJson(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const input = JSON.parse(
        Buffer.from(started!.input!.payloads![0]!.data!).toString(),
      ) as RemediationInput;
      return { file, history, target: { project: input.project, backendService: input.backendService } };
    });
}

test('the recorded histories backtest to the same decisions with the shipped policies', async () => {
  const policies = shippedPolicies();
  const runs = histories();
  assert.equal(runs.length, 4);
  for (const { file, history, target } of runs) {
    const recorded = await recordedDecision(history, target);
    assert.ok(recorded, `${file}: a decision is recorded`);
    assert.equal(recorded.input.evidence.backend.ok, true, file);
    const now = decide(policies, recorded.input, scopeOfProjects([target.project]));
    assert.deepEqual(diffDecisions(viewOf(recorded.decision), viewOf(now)), {}, file);
  }
});

test('a folder that makes the timeout policy observe: the timeout runs would have been observed', async () => {
  const dir = policyDir({ 'backend-timeout.yaml': [['mode: suggest', 'mode: observe']] });
  try {
    const policies = loadPolicies(dir, { approverFiles: [FIXTURE_APPROVERS] });
    const diffs = [];
    for (const { file, history, target } of histories()) {
      const recorded = (await recordedDecision(history, target))!;
      const now = decide(policies, recorded.input, scopeOfProjects([target.project]));
      diffs.push([file, diffDecisions(viewOf(recorded.decision), viewOf(now))]);
    }
    assert.deepEqual(diffs.sort(), [
      ['backend-timeout-approved.json', { mode: { then: 'suggest', now: 'observe' } }],
      ['backend-timeout-awaiting-approval.json', { mode: { then: 'suggest', now: 'observe' } }],
      ['firewall-missing-rolled-back.json', {}],
      ['port-moved-remediated.json', {}],
    ]);
  } finally {
    removeDir(dir);
  }
});
