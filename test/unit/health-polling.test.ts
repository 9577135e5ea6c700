import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthPolling, MIN_POLL_MS } from '../../core/health-polling';

/** The poll times (ms after the change) the schedule produces up to `until`, starting with the poll at 0. */
function polls(hc: { checkIntervalSec: number; healthyThreshold: number }, until: number): number[] {
  const s = healthPolling(hc);
  const out = [0];
  for (let t = 0; ;) {
    t = s.nextPollAt(t);
    if (t > until) return out;
    out.push(t);
  }
}

test('health polling: table of schedules', () => {
  const table: [string, { checkIntervalSec: number; healthyThreshold: number }, number, number[]][] = [
    [
      'GCP default 5 s × 2: nothing before 5 s, every second to 12.5 s, then every 5 s',
      { checkIntervalSec: 5, healthyThreshold: 2 },
      25_000,
      [0, 5000, 6000, 7000, 8000, 9000, 10_000, 11_000, 12_000, 13_000, 18_000, 23_000],
    ],
    [
      'threshold 1: a flip is possible at once, so fast polls start at once',
      { checkIntervalSec: 2, healthyThreshold: 1 },
      4_000,
      [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400, 2600],
    ],
    [
      'a floor shorter than 2 s polls no faster than MIN_POLL_MS',
      { checkIntervalSec: 1, healthyThreshold: 1 },
      1_600,
      [0, 200, 400, 600, 800, 1000, 1200, 1400],
    ],
  ];
  for (const [name, hc, until, expected] of table) {
    assert.deepEqual(polls(hc, until), expected, name);
  }
});

test('health polling: HEALTHY is seen within a quarter of the floor (plus one fast poll) for any flip before 1.25 × floor', () => {
  for (const hc of [
    { checkIntervalSec: 1, healthyThreshold: 2 },
    { checkIntervalSec: 5, healthyThreshold: 2 },
    { checkIntervalSec: 10, healthyThreshold: 3 },
    { checkIntervalSec: 30, healthyThreshold: 10 },
  ]) {
    const s = healthPolling(hc);
    const earliest = (hc.healthyThreshold - 1) * hc.checkIntervalSec * 1000;
    for (let flip = earliest; flip <= s.floorMs; flip += 137) {
      let t = 0;
      while (t < flip) t = s.nextPollAt(t);
      assert.ok(
        t - flip <= Math.max(MIN_POLL_MS, s.floorMs / 10),
        `${JSON.stringify(hc)} flip ${flip} seen ${t}`,
      );
      assert.ok(t <= 1.25 * s.floorMs, `${JSON.stringify(hc)} flip ${flip} seen at ${t} > 1.25 × floor`);
    }
  }
});
