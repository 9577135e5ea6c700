/**
 * Fleet limits as pure decisions (core/fleet.ts): what an alert gets (attach, start, queue, refuse),
 * the window of new starts, the queue's order, and the fleet circuit breaker that trips once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  admit,
  breakerCheckAt,
  canStart,
  closeBreakerIfCalm,
  dequeue,
  newFleetState,
  nextWindowSlot,
  noteAlerting,
  release,
  undoStart,
  type FleetSettings,
} from '../../core/fleet';
import type { Incident } from '../../core/model';
import { FleetSettings as FleetSettingsSchema, PolicySettings } from '../../policies/schema';

const F: FleetSettings = {
  maxConcurrent: 2,
  maxNew: 3,
  windowSec: 600,
  queue: 2,
  breaker: { backendServices: 3, windowSec: 300 },
};
const incident = (id: string): Incident => ({
  incidentId: id,
  state: 'open',
  source: 'test',
  receivedAt: 'now',
});

test('admission: attach to a running one, start in a free slot, queue while there is room, then refuse', () => {
  const s = newFleetState();
  const t = 1_000_000;
  assert.equal(admit(s, 'a', incident('1'), t, F), 'start');
  assert.equal(admit(s, 'a', incident('2'), t, F), 'attach', 'a running remediation takes the alert');
  assert.equal(admit(s, 'b', incident('3'), t, F), 'start');
  assert.equal(admit(s, 'c', incident('4'), t, F), 'queue', 'two run at once: the third waits');
  assert.equal(admit(s, 'c', incident('5'), t, F), 'queue', 'a queued backend service is queued once');
  assert.equal(s.queue.length, 1);
  assert.equal(s.queue[0]?.alerts, 2);
  assert.equal(admit(s, 'd', incident('6'), t, F), 'queue');
  assert.equal(admit(s, 'e', incident('7'), t, F), 'refuse', 'the queue is full');
  assert.deepEqual(s.counts, { started: 2, attached: 1, queued: 3, refused: 1 });
});

test('the window: at most maxNew starts per window, however many slots free up', () => {
  const s = newFleetState();
  let t = 0;
  for (const bs of ['a', 'b']) assert.equal(admit(s, bs, incident(bs), t, F), 'start');
  release(s, 'a');
  release(s, 'b');
  assert.equal(admit(s, 'c', incident('c'), (t += 1000), F), 'start');
  release(s, 'c');
  assert.equal(canStart(s, (t += 1000), F), false, 'three started within the window');
  assert.equal(admit(s, 'd', incident('d'), t, F), 'queue');
  assert.equal(nextWindowSlot(s, t, F), 600_000, 'the oldest start leaves the window at 600 s');
  assert.deepEqual(dequeue(s, 599_999, F), []);
  assert.deepEqual(
    dequeue(s, 600_000, F).map((q) => q.backendService),
    ['d'],
  );
  assert.deepEqual(s.running, ['d']);
});

test('dequeue takes the oldest first, as many as there are slots; a failed start gives its slot back', () => {
  const s = newFleetState();
  admit(s, 'a', incident('a'), 0, F);
  admit(s, 'b', incident('b'), 0, F);
  admit(s, 'c', incident('c'), 0, F);
  admit(s, 'd', incident('d'), 0, F);
  release(s, 'a');
  release(s, 'b');
  const wide = { ...F, maxNew: 10 };
  assert.deepEqual(
    dequeue(s, 1, wide).map((q) => q.backendService),
    ['c', 'd'],
  );
  undoStart(s, 'd');
  assert.deepEqual(s.running, ['c']);
  assert.equal(s.starts.length, 3);
  assert.equal(s.counts.started, 3);
});

test('the fleet breaker trips once when enough distinct backend services alert within its window, and closes when calm', () => {
  const s = newFleetState();
  assert.equal(noteAlerting(s, 'a', 0, F), undefined);
  assert.equal(noteAlerting(s, 'a', 1000, F), undefined, 'the same backend service twice is one');
  assert.equal(noteAlerting(s, 'b', 2000, F), undefined);
  const tripped = noteAlerting(s, 'c', 3000, F);
  assert.deepEqual(tripped?.backendServices, ['a', 'b', 'c']);
  assert.equal(noteAlerting(s, 'd', 4000, F), undefined, 'tripped once, not again');
  assert.ok(s.breaker);
  assert.deepEqual(
    s.alerting.map(([bs]) => bs),
    ['b', 'c', 'd'],
    'only the most recent few are kept',
  );
  assert.equal(closeBreakerIfCalm(s, 10_000, F), false, 'still three within the window');
  assert.equal(breakerCheckAt(s, F), 2000 + 300_000, 'b leaves the window first');
  assert.equal(closeBreakerIfCalm(s, 302_000, F), true, 'with b gone, only c and d alerted within it');
  assert.equal(s.breaker, undefined);
});

test('alerts spread over more than the window do not trip the breaker', () => {
  const s = newFleetState();
  assert.equal(noteAlerting(s, 'a', 0, F), undefined);
  assert.equal(noteAlerting(s, 'b', 200_000, F), undefined);
  assert.equal(noteAlerting(s, 'c', 400_000, F), undefined, 'a alerted more than 5 min before c');
});

test('fleet settings: defaults, durations in seconds, and refused values named by path', () => {
  assert.deepEqual(PolicySettings.parse({}).fleet, {
    maxConcurrent: 10,
    maxNew: 20,
    windowSec: 600,
    queue: 100,
    breaker: { backendServices: 10, windowSec: 300 },
  });
  assert.equal(FleetSettingsSchema.parse({ window: '1h', breaker: { window: '2m' } }).breaker.windowSec, 120);
  const bad = PolicySettings.safeParse({
    fleet: { maxConcurrent: 0, breaker: { backendServices: 1 }, extra: 1 },
  });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('fleet.maxConcurrent'), paths.join());
  assert.ok(paths.includes('fleet.breaker.backendServices'), paths.join());
});
