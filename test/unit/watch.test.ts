/**
 * The health watch's pure decisions (core/watch.ts): the interval's floor, the quota budget of a tick
 * and the round of reads it spreads, the threshold a backend service is held to, and the episodes that
 * give repeated ticks one incident id and end when the backend service recovers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideWatch,
  readBudgetPerTick,
  servicesThisTick,
  watchIncident,
  watchIntervalProblem,
  watchThreshold,
  WATCH_READS_PER_MINUTE,
  type DriftReading,
  type Episodes,
  type HealthReading,
} from '../../core/watch';
import { GOVERNOR_ADMIT_UPDATE } from '../../activities/watch';
import { Policy } from '../../policies/schema';
import { loadConfig } from '../../runtime/config';
import { admitUpdate } from '../../workflows/control-definitions';
import { shippedPolicies } from '../helpers/approvers';
import { runLbmedic } from '../helpers/lbmedic';

test('watch interval: at least 5s, said with why', () => {
  const rows: [number, boolean][] = [
    [0, false],
    [4, false],
    [5, true],
    [15, true],
    [Number.NaN, false],
  ];
  for (const [sec, ok] of rows) {
    const problem = watchIntervalProblem(sec);
    assert.equal(problem === undefined, ok, `${sec}s`);
    if (problem)
      assert.match(problem, /at least 5s: getHealth changes at most once per health check interval/);
  }
});

test('read budget: a tenth of the 1500/min Compute read quota, spread over the ticks of a minute', () => {
  assert.equal(WATCH_READS_PER_MINUTE, 150);
  const rows: [number, number][] = [
    [5, 12],
    [15, 37],
    [60, 150],
    [1, 2],
  ];
  for (const [sec, budget] of rows) assert.equal(readBudgetPerTick(sec), budget, `${sec}s`);
});

test('services this tick: as many as the budget allows after the lists, then round from where it stopped', () => {
  const s = (name: string, groups: number) => ({ backendService: name, groups });
  const all = [s('a', 1), s('b', 2), s('c', 1), s('d', 3)];
  const rows = [
    { budget: 100, listed: 1, cursor: 0, read: ['a', 'b', 'c', 'd'], next: 0 },
    { budget: 5, listed: 1, cursor: 0, read: ['a', 'b', 'c'], next: 3 },
    { budget: 5, listed: 1, cursor: 3, read: ['d', 'a'], next: 1 },
    { budget: 1, listed: 1, cursor: 0, read: [], next: 0 },
  ];
  for (const r of rows) {
    const t = servicesThisTick(all, r.budget, r.listed, r.cursor);
    assert.deepEqual(
      t.read.map((x) => x.backendService),
      r.read,
      JSON.stringify(r),
    );
    assert.equal(t.nextCursor, r.next, JSON.stringify(r));
    assert.equal(t.skipped, all.length - r.read.length);
  }
  assert.deepEqual(servicesThisTick([], 10, 1, 0), { read: [], skipped: 0, nextCursor: 0 });
});

test('threshold: the lowest healthyFraction of the policies that would govern a fix, escalations aside', () => {
  const shipped = shippedPolicies();
  const t = watchThreshold(shipped, { project: 'p', backendService: 'web-bs' });
  assert.equal(t.fraction, 1, 'every shipped policy wants all backends HEALTHY');
  assert.ok(t.policies.includes('health-check-mismatch'));
  assert.ok(!t.policies.includes('keepalive-too-short'), 'an escalating policy changes nothing: not counted');
  const lenient = Policy.parse({
    name: 'web-lenient',
    priority: 10,
    match: { causes: ['FIREWALL_BLOCKS_PROBES'], backendServices: ['web-*'] },
    action: { type: 'allowProbesInFirewall' },
    verification: { healthyFraction: 0.6 },
  });
  const set = { ...shipped, policies: [...shipped.policies, lenient] };
  assert.deepEqual(watchThreshold(set, { project: 'p', backendService: 'web-bs' }).fraction, 0.6);
  assert.equal(watchThreshold(set, { project: 'p', backendService: 'api-bs' }).fraction, 1, 'not matched');
  assert.deepEqual(watchThreshold({ ...shipped, policies: [] }, { project: 'p', backendService: 'x' }), {
    fraction: 1,
    policies: [],
  });
});

const h = (healthy: number | undefined, total: number, threshold = 1): HealthReading => ({
  backendService: 'web-bs',
  ...(healthy === undefined ? { error: 'unavailable' } : { healthy, total }),
  threshold,
});
const T0 = '2026-11-30T10:00:00.000Z';
const T1 = '2026-11-30T10:00:15.000Z';

test('decide: below the threshold opens an episode; the next tick keeps its incident id', () => {
  const rows: { name: string; health: HealthReading[]; admit: number }[] = [
    { name: 'all HEALTHY', health: [h(3, 3)], admit: 0 },
    { name: '1 of 3 unhealthy, threshold 100%', health: [h(2, 3)], admit: 1 },
    { name: '1 of 3 unhealthy, threshold 60%', health: [h(2, 3, 0.6)], admit: 0 },
    { name: '2 of 3 unhealthy, threshold 60%', health: [h(1, 3, 0.6)], admit: 1 },
    { name: 'no health-checked backends', health: [h(0, 0)], admit: 0 },
    { name: 'getHealth unreadable: nothing concluded', health: [h(undefined, 0)], admit: 0 },
  ];
  for (const r of rows) {
    const d = decideWatch({ now: T0, health: r.health, drift: [], previous: {} });
    assert.equal(d.admit.length, r.admit, r.name);
    assert.equal(Object.keys(d.episodes).length, r.admit, r.name);
  }
  const first = decideWatch({ now: T0, health: [h(2, 3)], drift: [], previous: {} });
  const key = 'health global/web-bs';
  assert.deepEqual(first.admit, [key]);
  const e = first.episodes[key]!;
  assert.equal(e.incidentId, `watch/health/global/web-bs/${Date.parse(T0)}`);
  assert.equal(e.summary, 'watch: 2/3 HEALTHY, below 100%');
  // Not yet taken by the governor: handed over again, under the same id.
  const again = decideWatch({ now: T1, health: [h(1, 3)], drift: [], previous: first.episodes });
  assert.deepEqual(again.admit, [key]);
  assert.equal(again.episodes[key]?.incidentId, e.incidentId);
  assert.equal(again.episodes[key]?.summary, 'watch: 1/3 HEALTHY, below 100%');
  // Taken: later ticks leave it to the run it went to.
  const taken: Episodes = { [key]: { ...e, admitted: true } };
  const later = decideWatch({ now: T1, health: [h(2, 3)], drift: [], previous: taken });
  assert.deepEqual(later.admit, []);
  assert.equal(later.episodes[key]?.incidentId, e.incidentId);
  // An unreadable tick keeps the episode; a recovered one ends it; the next problem is a new episode.
  assert.deepEqual(
    decideWatch({ now: T1, health: [h(undefined, 0)], drift: [], previous: taken }).episodes,
    taken,
  );
  assert.deepEqual(decideWatch({ now: T1, health: [h(3, 3)], drift: [], previous: taken }).episodes, {});
  const next = decideWatch({ now: T1, health: [h(2, 3)], drift: [], previous: {} });
  assert.notEqual(next.episodes[key]?.incidentId, e.incidentId);
});

test('decide: a resource no longer as lbmedic set it is an episode of its own; one that holds is not', () => {
  const d = (holds: boolean): DriftReading => ({
    backendService: 'web-bs',
    region: 'us-central1',
    step: 'healthCheck/web-hc',
    resource: 'health check web-hc',
    workflowId: 'lbmedic/p/web-bs',
    runId: 'r1',
    holds,
  });
  assert.deepEqual(decideWatch({ now: T0, health: [], drift: [d(true)], previous: {} }).admit, []);
  const out = decideWatch({ now: T0, health: [h(3, 3)], drift: [d(false)], previous: {} });
  const key = 'drift us-central1/web-bs healthCheck/web-hc';
  assert.deepEqual(out.admit, [key]);
  assert.equal(out.episodes[key]?.region, 'us-central1');
  assert.match(out.episodes[key]!.summary, /health check web-hc is no longer as lbmedic set it/);
  const incident = watchIncident(out.episodes[key]!, T1);
  assert.equal(incident.source, 'watch');
  assert.equal(incident.region, 'us-central1');
  assert.equal(incident.startedAt, Date.parse(T0) / 1000);
  assert.equal(incident.state, 'open');
});

test('LBMEDIC_WATCH_EVERY: a duration of at least 5s, refused with why', () => {
  assert.equal(loadConfig({}).watchEvery, undefined);
  assert.equal(loadConfig({ LBMEDIC_WATCH_EVERY: '15s' }).watchEvery, 15);
  assert.equal(loadConfig({ LBMEDIC_WATCH_EVERY: '1m' }).watchEvery, 60);
  assert.throws(
    () => loadConfig({ LBMEDIC_WATCH_EVERY: '2s' }),
    /LBMEDIC_WATCH_EVERY: must be at least 5s: getHealth changes at most once per health check interval/,
  );
  assert.throws(
    () => loadConfig({ LBMEDIC_WATCH_EVERY: 'often' }),
    /LBMEDIC_WATCH_EVERY: expected a duration/,
  );
});

test('the watch asks the governor by the name of its admit update', () => {
  assert.equal(GOVERNOR_ADMIT_UPDATE, admitUpdate.name);
});

test('lbmedic watch: a too short interval and a missing verb are usage errors, before Temporal is asked', async () => {
  const short = await runLbmedic(['watch', 'enable', '--project', 'p', '--every', '2s']);
  assert.equal(short.code, 2, short.stderr);
  assert.match(short.stderr, /--every 2s: must be at least 5s/);
  const none = await runLbmedic(['watch', '--project', 'p']);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /say enable, disable or status/);
});
