/**
 * The receiver's admissions (receiver/admissions.ts): per project at most one admit update in
 * flight, what arrives meanwhile goes as the next batch (up to its size), answers come back in order,
 * and a failed batch fails only its own alerts. The governor is a stand-in the test releases by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdmitRequest, AdmitResult } from '../../core/fleet';
import { Admissions } from '../../receiver/admissions';

const req = (id: string): AdmitRequest => ({
  incident: { incidentId: id, state: 'open', source: 'test', receivedAt: 'now' },
  backendServices: [id],
  via: 'test',
});
const answer = (r: AdmitRequest): AdmitResult => ({
  via: r.via,
  targets: [
    { backendService: r.incident.incidentId, workflowId: `wf/${r.incident.incidentId}`, result: 'accepted' },
  ],
});

test('one update in flight per project; what arrives meanwhile goes together, in batches of at most maxBatch', async () => {
  const sent: { project: string; ids: string[] }[] = [];
  const releases: (() => void)[] = [];
  const admissions = new Admissions(async (project, reqs) => {
    sent.push({ project, ids: reqs.map((r) => r.incident.incidentId) });
    await new Promise<void>((resolve) => releases.push(resolve));
    return reqs.map(answer);
  }, 3);
  const first = admissions.admit('p', req('a'));
  const later = ['b', 'c', 'd', 'e'].map((id) => admissions.admit('p', req(id)));
  const other = admissions.admit('q', req('z'));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(sent, [
    { project: 'p', ids: ['a'] },
    { project: 'q', ids: ['z'] },
  ]);
  releases.shift()!();
  assert.equal((await first).targets[0]?.workflowId, 'wf/a');
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(sent[2], { project: 'p', ids: ['b', 'c', 'd'] }, 'the next batch, at most 3');
  releases.shift()!();
  releases.shift()!();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(sent[3], { project: 'p', ids: ['e'] });
  releases.shift()!();
  const results = await Promise.all([...later, other]);
  assert.deepEqual(
    results.map((r) => r.targets[0]?.workflowId),
    ['wf/b', 'wf/c', 'wf/d', 'wf/e', 'wf/z'],
  );
});

test('a failed update fails its own batch only; the next alerts are sent again', async () => {
  let fail = true;
  const admissions = new Admissions(async (_project, reqs) => {
    if (fail) {
      fail = false;
      throw new Error('Temporal unavailable');
    }
    return reqs.map(answer);
  });
  await assert.rejects(admissions.admit('p', req('a')), /Temporal unavailable/);
  assert.equal((await admissions.admit('p', req('b'))).targets[0]?.workflowId, 'wf/b');
});
