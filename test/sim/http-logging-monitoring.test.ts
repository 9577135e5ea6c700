import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logging } from '@google-cloud/logging';
import monitoring from '@google-cloud/monitoring';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

const REQUEST_COUNT = 'loadbalancing.googleapis.com/https/request_count';

let sim: Sim;

before(async () => {
  // port-moved: every backend is unhealthy, so the LB logs failed_to_pick_backend 502s.
  sim = await startSim('port-moved');
});

after(async () => {
  await sim.close();
});

function interval(minutes: number) {
  const now = Math.floor(Date.now() / 1000) + 1;
  return { startTime: { seconds: now - minutes * 60 }, endTime: { seconds: now } };
}

test('logging getEntries: a statusDetails filter, newest first, decoded by the real client', async () => {
  const logging = new Logging(sim.clientOptions as ConstructorParameters<typeof Logging>[0]);
  const filter = 'resource.type="http_load_balancer" AND jsonPayload.statusDetails="failed_to_pick_backend"';
  const [entries, nextRequest] = await logging.getEntries({
    filter,
    orderBy: 'timestamp desc',
    pageSize: 10,
    autoPaginate: false,
  });
  assert.equal(entries.length, 10);
  const times = entries.map((e) => new Date(String(e.metadata.timestamp)).getTime());
  assert.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
    'newest first',
  );
  for (const entry of entries) {
    assert.equal(entry.metadata.resource?.type, 'http_load_balancer');
    assert.equal(entry.metadata.resource?.labels?.['backend_service_name'], 'web-bs');
    assert.equal((entry.data as { statusDetails?: string }).statusDetails, 'failed_to_pick_backend');
    assert.equal(entry.metadata.httpRequest?.status, 502);
    // The client asks for enum-encoding=int; a severity sent as its name still decodes.
    assert.equal(entry.metadata.severity, 'ERROR');
  }

  // The next page continues strictly after the last entry.
  const token = (nextRequest as { pageToken?: string } | null)?.pageToken;
  assert.ok(token, 'a next page token');
  const [page2] = await logging.getEntries({
    filter,
    orderBy: 'timestamp desc',
    pageSize: 10,
    pageToken: token,
    autoPaginate: false,
  });
  assert.equal(page2.length, 10);
  const firstIds = new Set(entries.map((e) => e.metadata.insertId));
  assert.ok(page2.every((e) => !firstIds.has(e.metadata.insertId)));
  assert.ok(
    new Date(String(page2[0]?.metadata.timestamp)) <= new Date(String(entries.at(-1)?.metadata.timestamp)),
  );

  const [none] = await logging.getEntries({
    filter: 'jsonPayload.statusDetails="backend_timeout"',
    pageSize: 10,
    autoPaginate: false,
  });
  assert.equal(none.length, 0);
});

test('logging: an unparsable filter is a 400 that names the position', async () => {
  const logging = new Logging(sim.clientOptions as ConstructorParameters<typeof Logging>[0]);
  await assert.rejects(
    logging.getEntries({ filter: 'resource.type="x" AND (', autoPaginate: false }),
    (err: unknown) => {
      assert.equal((err as { code?: unknown }).code, 400);
      assert.match(String((err as Error).message), /INVALID_ARGUMENT/);
      assert.match(String((err as Error).message), /column \d+/);
      return true;
    },
  );
});

test('monitoring listTimeSeries: filter by metric and labels, points inside the interval, newest first', async () => {
  const metrics = new monitoring.MetricServiceClient(sim.clientOptions);
  const [series] = await metrics.listTimeSeries({
    name: `projects/${sim.project}`,
    filter: `metric.type="${REQUEST_COUNT}" AND metric.labels.response_code_class=500 AND resource.labels.backend_target_name="web-bs"`,
    interval: interval(10),
    view: 'FULL',
  });
  assert.ok(series.length > 0);
  for (const s of series) {
    assert.equal(s.metric?.type, REQUEST_COUNT);
    assert.equal(s.metric?.labels?.['response_code_class'], '500');
    assert.equal(s.resource?.type, 'https_lb_rule');
    assert.equal(s.metricKind, 'DELTA');
    assert.equal(s.valueType, 'INT64');
    const ends = (s.points ?? []).map((p) => Number(p.interval?.endTime?.seconds));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => b - a),
    );
    assert.ok(Number(s.points?.[0]?.value?.int64Value) > 0);
  }

  const [headers] = await metrics.listTimeSeries({
    name: `projects/${sim.project}`,
    filter: `metric.type="${REQUEST_COUNT}"`,
    interval: interval(10),
    view: 'HEADERS',
  });
  assert.ok(headers.length > 0);
  assert.ok(headers.every((s) => (s.points ?? []).length === 0));

  await assert.rejects(
    metrics.listTimeSeries({
      name: `projects/${sim.project}`,
      filter: 'resource.type="https_lb_rule"',
      interval: interval(10),
    }),
    (err: unknown) => (err as { code?: unknown }).code === 400,
  );
});

test('monitoring aggregation: ALIGN_SUM + REDUCE_SUM by backend keeps the total', async () => {
  const metrics = new monitoring.MetricServiceClient(sim.clientOptions);
  const name = `projects/${sim.project}`;
  // A window that ends two minutes ago: live traffic keeps adding to the current minute, and both
  // queries must see the same points.
  const end = Math.floor(Date.now() / 60_000) * 60 - 120;
  const window = { startTime: { seconds: end - 8 * 60 }, endTime: { seconds: end } };
  const filter = `metric.type="${REQUEST_COUNT}" AND resource.label.backend_target_name="web-bs"`;
  const [raw] = await metrics.listTimeSeries({ name, filter, interval: window });
  const rawTotal = raw
    .flatMap((s) => s.points ?? [])
    .reduce((n, p) => n + Number(p.value?.int64Value ?? 0), 0);
  assert.ok(rawTotal > 0, 'the backfilled minutes hold requests');

  const [summed] = await metrics.listTimeSeries({
    name,
    filter,
    interval: window,
    aggregation: {
      alignmentPeriod: { seconds: 480 },
      perSeriesAligner: 'ALIGN_SUM',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['resource.labels.backend_target_name'],
    },
  });
  assert.equal(summed.length, 1);
  assert.deepEqual(summed[0]?.resource?.labels, { backend_target_name: 'web-bs' });
  const total = (summed[0]?.points ?? []).reduce((n, p) => n + Number(p.value?.int64Value ?? 0), 0);
  assert.equal(total, rawTotal);
});

test('notification channels and alert policies: create, find by filter, get, delete', async () => {
  const channels = new monitoring.NotificationChannelServiceClient(sim.clientOptions);
  const policies = new monitoring.AlertPolicyServiceClient(sim.clientOptions);
  const name = `projects/${sim.project}`;

  const [channel] = await channels.createNotificationChannel({
    name,
    notificationChannel: {
      type: 'webhook_tokenauth',
      displayName: 'lbmedic receiver',
      labels: { url: 'http://127.0.0.1:9999/alerts?token=t' },
      userLabels: { managed_by: 'lbmedic' },
    },
  });
  assert.match(String(channel.name), /^projects\/demo-project\/notificationChannels\/\d+$/);
  assert.ok(channel.creationRecord?.mutateTime);
  const [found] = await channels.listNotificationChannels({ name, filter: 'type="webhook_tokenauth"' });
  assert.deepEqual(
    found.map((c) => c.name),
    [channel.name],
  );

  const policy = {
    displayName: 'LB 502: no healthy backend',
    combiner: 'OR' as const,
    userLabels: { managed_by: 'lbmedic' },
    documentation: { content: 'lbmedic heals this', mimeType: 'text/markdown' },
    notificationChannels: [channel.name ?? ''],
    alertStrategy: { notificationRateLimit: { period: { seconds: 300 } } },
    conditions: [
      {
        displayName: 'failed_to_pick_backend',
        conditionMatchedLog: {
          filter: 'resource.type="http_load_balancer" AND jsonPayload.statusDetails="failed_to_pick_backend"',
          labelExtractors: { backend: 'EXTRACT(resource.labels.backend_service_name)' },
        },
      },
    ],
  };
  const [created] = await policies.createAlertPolicy({ name, alertPolicy: policy });
  assert.match(String(created.name), /^projects\/demo-project\/alertPolicies\/\d+$/);
  assert.equal(created.combiner, 'OR');
  assert.equal(created.documentation?.content, 'lbmedic heals this');
  assert.deepEqual(created.userLabels, { managed_by: 'lbmedic' });
  assert.ok(created.creationRecord?.mutateTime);

  const [mine] = await policies.listAlertPolicies({ name, filter: 'user_labels.managed_by="lbmedic"' });
  assert.deepEqual(
    mine.map((p) => p.name),
    [created.name],
  );
  const [others] = await policies.listAlertPolicies({
    name,
    filter: 'user_labels.managed_by="someone-else"',
  });
  assert.equal(others.length, 0);
  const [got] = await policies.getAlertPolicy({ name: created.name ?? '' });
  assert.equal(got.displayName, policy.displayName);

  // A log-match policy needs a notification rate limit.
  await assert.rejects(
    policies.createAlertPolicy({ name, alertPolicy: { ...policy, alertStrategy: {} } }),
    (err: unknown) => (err as { code?: unknown }).code === 400,
  );
  // A channel in use is only deleted with force.
  await assert.rejects(
    channels.deleteNotificationChannel({ name: channel.name ?? '' }),
    (err: unknown) => (err as { code?: unknown }).code === 400,
  );

  await policies.deleteAlertPolicy({ name: created.name ?? '' });
  await channels.deleteNotificationChannel({ name: channel.name ?? '' });
  const [left] = await policies.listAlertPolicies({ name });
  assert.equal(left.length, 0);
  await assert.rejects(
    policies.getAlertPolicy({ name: created.name ?? '' }),
    (err: unknown) => (err as { code?: unknown }).code === 404,
  );
});
