/**
 * The `decide` local activity (activities/decide.ts): the decisions the workflow records, made with the
 * worker's policies from the evidence, the alert labels, the past runs and the steps already applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDecideActivities, type DecideInput } from '../../activities/decide';
import { MANUAL_APPROVAL_LABEL } from '../../core/model';
import { scopeFactsOf, scopeOfProjects, type Scope } from '../../core/scope';
import { shippedPolicies } from '../helpers/approvers';
import { broken, evidence } from '../helpers/evidence-fixture';

const { decide } = createDecideActivities(shippedPolicies(), scopeOfProjects(['p']));
const NOW = '2026-11-24T12:00:00.000Z';
const portMoved: DecideInput = {
  evidence: evidence(broken({ appPort: 9090 })),
  labels: {},
  past: [],
  now: NOW,
  applied: [],
};

test('a first round: diagnosis, plan, its rendering and the limits verdict; no extended unit', async () => {
  const d = await decide(portMoved);
  assert.equal(d.diagnosis.verdict, 'FAULTS_FOUND');
  assert.deepEqual(d.diagnosis.findings.map((f) => f.cause).sort(), [
    'FIREWALL_BLOCKS_PROBES',
    'HEALTH_CHECK_MISMATCH',
    'NAMED_PORT_MISMATCH',
  ]);
  assert.deepEqual(
    d.plan.steps.map((s) => s.id.replace(/-[0-9a-f]{8}$/, '')),
    ['healthCheck/web-hc', 'instanceGroup/z1/web-ig', 'firewall/lbmedic-allow-health-checks-default-9090'],
  );
  assert.deepEqual(d.newSteps, d.plan.steps);
  assert.match(d.rendered, /^Plan for p\/web-bs \(diagnosis: FAULTS_FOUND\)/);
  assert.match(d.rendered, /port: 8080 → 9090/);
  assert.equal(d.extended, undefined);
  assert.deepEqual(d.limits, { allowed: true });
  assert.equal(d.plan.approval.mode, 'auto');
});

test('the alert labels reach policy selection: a manual label asks for a person', async () => {
  const d = await decide({ ...portMoved, labels: { [MANUAL_APPROVAL_LABEL]: 'manual' } });
  assert.equal(d.plan.approval.mode, 'manual');
});

test('limits are judged at the time the workflow gives, against the past runs', async () => {
  const closedAt = new Date(Date.parse(NOW) - 10 * 60_000).toISOString();
  const past = [{ workflowId: 'earlier', runId: 'r1', closedAt, outcome: 'REMEDIATED' }];
  const d = await decide({ ...portMoved, past });
  assert.equal(d.limits.allowed, false);
  assert.match(d.limits.allowed ? '' : d.limits.reason, /^cooldown: .* closed 600s ago/);
  const later = await decide({
    ...portMoved,
    past,
    now: new Date(Date.parse(NOW) + 86_400_000).toISOString(),
  });
  assert.deepEqual(later.limits, { allowed: true });
});

test('a later round extends the unit: applied steps first, then only what is new', async () => {
  const first = await decide(portMoved);
  const [applied, ...rest] = first.plan.steps;
  assert.ok(applied);
  const d = await decide({ ...portMoved, applied: [applied] });
  assert.deepEqual(
    d.newSteps.map((s) => s.id),
    rest.map((s) => s.id),
  );
  assert.ok(d.extended);
  assert.deepEqual(
    d.extended.plan.steps.map((s) => s.id),
    [applied.id, ...rest.map((s) => s.id)],
  );
  assert.equal(d.extended.plan.approval, d.plan.approval);
  assert.match(d.extended.rendered, /healthCheck web-hc/);
});

test('outside the worker’s scope: no steps whatever the policies say, and why', async () => {
  const acts = (scope: Scope) => createDecideActivities(shippedPolicies(), scope);
  const other = await acts(scopeOfProjects(['shop-prod'])).decide(portMoved);
  assert.match(other.outOfScope ?? '', /^project p is not in lbmedic's scope \(projects shop-prod\)$/);
  assert.deepEqual(other.plan.steps, []);
  assert.deepEqual(other.newSteps, []);
  assert.equal(other.diagnosis.verdict, 'FAULTS_FOUND', 'the diagnosis is still what the evidence proves');
  const wrongNetwork = { ...scopeOfProjects(['p']), networks: ['prod-vpc'] };
  assert.match((await acts(wrongNetwork).decide(portMoved)).outOfScope ?? '', /network default is not/);
  const excluded = { ...scopeOfProjects(['p']), backendServices: { include: [], exclude: ['web-*'] } };
  assert.match((await acts(excluded).decide(portMoved)).outOfScope ?? '', /excluded/);
  const inside = await acts(scopeOfProjects(['p'])).decide(portMoved);
  assert.equal(inside.outOfScope, undefined);
  assert.equal(inside.plan.steps.length, 3);
  assert.equal(
    await acts(wrongNetwork).scopeProblem(scopeFactsOf(portMoved.evidence)),
    (await acts(wrongNetwork).decide(portMoved)).outOfScope,
  );
});
