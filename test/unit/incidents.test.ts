/**
 * What a run keeps of its incidents (core/incidents.ts) and how approval only tightens
 * (core/approval-floor.ts): long ids cut the same way every time and stay distinct, strings and
 * labels are bounded without losing the manual-approval label, the first incidents are kept and the
 * rest counted, and a run that needs a person gets a plan that waits for one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePerson } from '../../core/approval-floor';
import {
  asksForPerson,
  attachIncident,
  boundedIncident,
  boundedIncidentId,
  fingerprint,
  INCIDENT_BOUNDS,
  NO_OVERFLOW,
} from '../../core/incidents';
import { MANUAL_APPROVAL_LABEL, type Incident } from '../../core/model';
import type { Plan } from '../../core/plan';

const incident = (incidentId: string, over: Partial<Incident> = {}): Incident => ({
  incidentId,
  state: 'open',
  source: 'test',
  receivedAt: '2026-11-30T00:00:00Z',
  ...over,
});

test('incident ids: short ones unchanged; long ones cut to the bound, stable, and distinct when only their ends differ', () => {
  assert.equal(boundedIncidentId('0.nq1j3y4w2k8p'), '0.nq1j3y4w2k8p');
  const a = `${'x'.repeat(240 * 1024)}a`;
  const b = `${'x'.repeat(240 * 1024)}b`;
  assert.equal(boundedIncidentId(a).length, INCIDENT_BOUNDS.idChars);
  assert.equal(boundedIncidentId(a), boundedIncidentId(a));
  assert.notEqual(boundedIncidentId(a), boundedIncidentId(b));
  assert.match(boundedIncidentId(a), /^x+…#[0-9a-f]{16}$/);
  assert.equal(fingerprint(''), '811c9dc52b13d5a1');
});

test('a bounded incident: every string cut, at most 64 labels, and the manual-approval label always kept', () => {
  const labels = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(300)]));
  labels[MANUAL_APPROVAL_LABEL] = 'manual';
  const raw = incident('i', {
    summary: 's'.repeat(10_000),
    url: 'u'.repeat(10_000),
    policyName: 'p'.repeat(600),
    labels,
  });
  const b = boundedIncident(raw);
  assert.equal(b.summary?.length, INCIDENT_BOUNDS.textChars);
  assert.equal(b.url?.length, INCIDENT_BOUNDS.textChars);
  assert.equal(b.policyName?.length, INCIDENT_BOUNDS.textChars);
  assert.equal(Object.keys(b.labels ?? {}).length, INCIDENT_BOUNDS.labels);
  assert.ok(Object.values(b.labels ?? {}).every((v) => v.length <= INCIDENT_BOUNDS.labelChars));
  assert.equal(asksForPerson(b), true, 'the label that asks for a person is never the one cut off');
  assert.ok(JSON.stringify(b).length < 20 * 1024);
});

test('the first incidents are kept with their closing; the rest only counted', () => {
  const kept = new Map<string, Incident>();
  const overflow = { ...NO_OVERFLOW };
  for (let i = 0; i < INCIDENT_BOUNDS.kept; i++)
    assert.equal(attachIncident(kept, overflow, incident(`i${i}`)), 'kept');
  assert.equal(attachIncident(kept, overflow, incident('i0')), 'repeat');
  assert.equal(
    attachIncident(kept, overflow, incident('i0', { state: 'closed' })),
    'kept',
    'a kept incident closing',
  );
  assert.equal(attachIncident(kept, overflow, incident('late')), 'counted');
  assert.equal(attachIncident(kept, overflow, incident('late', { state: 'closed' })), 'counted');
  assert.equal(kept.size, INCIDENT_BOUNDS.kept + 1);
  assert.deepEqual(overflow, { deliveries: 2, open: 1, closed: 1 });
});

const autoPlan = {
  approval: {
    mode: 'auto',
    approvers: [],
    required: 1,
    allowSelfApproval: true,
    timeoutSec: 86_400,
    onTimeout: 'escalate',
    cancelOnIncidentClosed: false,
  },
  notes: [],
} as unknown as Plan;

test('approval only tightens: a run that needs a person gets a manual plan, and says why', () => {
  assert.equal(requirePerson(autoPlan, undefined), autoPlan);
  const tightened = requirePerson(autoPlan, 'the fleet circuit breaker tripped');
  assert.equal(tightened.approval.mode, 'manual');
  assert.equal(tightened.approval.timeoutSec, 1800);
  assert.deepEqual(tightened.notes, ['approval is manual: the fleet circuit breaker tripped']);
  const manual = {
    ...autoPlan,
    approval: { ...autoPlan.approval, mode: 'manual', approvers: ['alice'] },
  } as Plan;
  assert.equal(requirePerson(manual, 'anything'), manual, 'a manual plan keeps its own rules');
});

test('an incident keeps the region of a regional load balancer’s alert, when it is a region name', () => {
  const base: Incident = { incidentId: 'i', state: 'open', source: 'test', receivedAt: 'now' };
  assert.equal(boundedIncident({ ...base, region: 'us-central1' }).region, 'us-central1');
  assert.equal(boundedIncident({ ...base, region: 'US Central/../1' }).region, undefined);
  assert.equal(boundedIncident({ ...base, region: 'x'.repeat(5000) }).region, undefined);
  assert.equal('region' in boundedIncident(base), false);
});
