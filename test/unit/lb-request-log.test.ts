/**
 * The LB request log is read in one place: the evidence (readLbLogs) and the verification
 * (countLbResponses) send the same filter and page the same way, against a fake Cloud Logging.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEvidenceActivities } from '../../activities/evidence';
import type { GcpClients } from '../../activities/gcp-clients';
import { lbRequestLogFilter } from '../../activities/lb-request-log';
import { createVerifyActivities } from '../../activities/verify';

interface EntriesRequest {
  resourceNames: string[];
  filter: string;
  orderBy: string;
  pageSize: number;
  autoPaginate: boolean;
  pageToken?: string;
}

/** Cloud Logging holding `count` entries (every third a 502 failed_to_pick_backend, else a 200). */
function fakeLogging(count: number) {
  const requests: EntriesRequest[] = [];
  const entries = Array.from({ length: count }, (_, i) =>
    i % 3 === 0
      ? { metadata: { httpRequest: { status: 502 } }, data: { statusDetails: 'failed_to_pick_backend' } }
      : { metadata: { httpRequest: { status: 200 } }, data: { statusDetails: 'response_sent_by_backend' } },
  );
  const logging = {
    getEntries(req: EntriesRequest) {
      requests.push(req);
      const from = Number(req.pageToken ?? 0);
      const to = Math.min(entries.length, from + req.pageSize);
      const page = entries.slice(from, to);
      return Promise.resolve([page, req, to < entries.length ? { nextPageToken: String(to) } : {}]);
    },
  };
  return { clients: { logging } as unknown as GcpClients, requests };
}

test('lbRequestLogFilter: the backend service LB entries since a moment', () => {
  assert.equal(
    lbRequestLogFilter('web-bs', '2026-01-01T00:00:00.000Z'),
    'resource.type="http_load_balancer" AND resource.labels.backend_service_name="web-bs" AND timestamp>="2026-01-01T00:00:00.000Z"',
  );
});

test('countLbResponses pages up to its limit, newest first, and counts the 5xx', async () => {
  const { clients, requests } = fakeLogging(2_500);
  const since = '2026-01-01T00:00:00.000Z';
  const counts = await createVerifyActivities(clients, { limit: 1_500 }).countLbResponses({
    project: 'p',
    backendService: 'web-bs',
    since,
  });
  assert.deepEqual(counts, {
    total: 1_500,
    errors: 500,
    errorDetails: { failed_to_pick_backend: 500 },
  });
  assert.deepEqual(
    requests.map((r) => [r.pageSize, r.pageToken]),
    [
      [1_000, undefined],
      [500, '1000'],
    ],
  );
  for (const r of requests) {
    assert.deepEqual(r.resourceNames, ['projects/p']);
    assert.equal(r.filter, lbRequestLogFilter('web-bs', since));
    assert.equal(r.orderBy, 'timestamp desc');
    assert.equal(r.autoPaginate, false);
  }
});

test("lbRequestLogFilter: a regional load balancer's entries by backend_target_name and region", () => {
  assert.equal(
    lbRequestLogFilter('orders-bs', '2026-01-01T00:00:00.000Z', 'us-central1'),
    'resource.type=("http_external_regional_lb_rule" OR "internal_http_lb_rule") AND resource.labels.backend_target_name="orders-bs" AND resource.labels.region="us-central1" AND timestamp>="2026-01-01T00:00:00.000Z"',
  );
});

test('countLbResponses with minResponses reads again until enough responses are logged, or the wait ends', async () => {
  // Logging that has 3 entries at first and 30 from the second read on (traffic since HEALTHY arriving).
  let reads = 0;
  const logging = {
    getEntries(req: EntriesRequest) {
      reads += 1;
      const n = Math.min(reads === 1 ? 3 : 30, req.pageSize);
      const page = Array.from({ length: n }, () => ({
        metadata: { httpRequest: { status: 502 } },
        data: { statusDetails: 'failed_to_connect_to_backend' },
      }));
      return Promise.resolve([page, req, {}]);
    },
  };
  const verify = createVerifyActivities({ logging } as unknown as GcpClients);
  const input = { project: 'p', backendService: 'web-bs', since: '2026-01-01T00:00:00.000Z' };
  const counts = await verify.countLbResponses({ ...input, minResponses: 20, waitMs: 30_000 });
  assert.deepEqual(counts, { total: 30, errors: 30, errorDetails: { failed_to_connect_to_backend: 30 } });
  assert.equal(reads, 2);
  reads = 0;
  assert.equal(
    (await verify.countLbResponses({ ...input, minResponses: 20, waitMs: 0 })).total,
    3,
    'no wait: one read',
  );
});

test('readLbLogs reads the same entries the same way and counts them by statusDetails and status', async () => {
  const { clients, requests } = fakeLogging(1_200);
  const before = Date.now();
  const facts = await createEvidenceActivities(clients, { logLimit: 2_000 }).readLbLogs({
    project: 'p',
    backendService: 'web-bs',
    windowMinutes: 10,
  });
  const { since: read, ...counted } = facts;
  assert.deepEqual(counted, {
    windowMinutes: 10,
    total: 1_200,
    limit: 2_000,
    byStatusDetails: { failed_to_pick_backend: 400, response_sent_by_backend: 800 },
    byStatus: { '502': 400, '200': 800 },
  });
  assert.deepEqual(
    requests.map((r) => [r.pageSize, r.pageToken]),
    [
      [1_000, undefined],
      [1_000, '1000'],
    ],
  );
  const since = /timestamp>="([^"]+)"$/.exec(requests[0]!.filter)?.[1] ?? '';
  assert.equal(requests[0]!.filter, lbRequestLogFilter('web-bs', since));
  const windowStart = Date.parse(since);
  assert.ok(windowStart >= before - 10 * 60_000 && windowStart <= Date.now() - 10 * 60_000);
  assert.equal(read, since, 'the facts say from when they were read');
});

test('readLbLogs reads from `since` when it is later than the window, never earlier', async () => {
  const later = new Date(Date.now() - 60_000).toISOString();
  const { clients, requests } = fakeLogging(10);
  const facts = await createEvidenceActivities(clients).readLbLogs({
    project: 'p',
    backendService: 'web-bs',
    windowMinutes: 10,
    since: later,
  });
  assert.equal(facts.since, later);
  assert.equal(requests[0]!.filter, lbRequestLogFilter('web-bs', later));
  const { clients: c2, requests: r2 } = fakeLogging(10);
  const before = Date.now();
  const old = await createEvidenceActivities(c2).readLbLogs({
    project: 'p',
    backendService: 'web-bs',
    windowMinutes: 10,
    since: '2020-01-01T00:00:00.000Z',
  });
  assert.ok(Date.parse(old.since ?? '') >= before - 10 * 60_000, 'an older since does not widen the window');
  assert.equal(r2[0]!.filter, lbRequestLogFilter('web-bs', old.since ?? ''));
});
