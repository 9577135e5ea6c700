/**
 * `lbmedic setup alerts` against the simulator through the real Monitoring clients: the channel and
 * the two policies are created once, however often it runs; drift is put back; resources that are
 * not lbmedic's are never touched.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { protos } from '@google-cloud/monitoring';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { desiredAlertResources } from '../../setup/alert-policies';
import { renderDryRun, setupAlerts, type SetupAction } from '../../setup/alerts';
import { apiRequests, eventually, startSim, type SimHarness } from '../helpers/sim';

type Policy = protos.google.monitoring.v3.IAlertPolicy;

const TOKEN = 'setup-token-0123456789abcdef';
const WEBHOOK = `https://lbmedic.example.com/alerts?token=${TOKEN}`;
const RUNBOOK = 'https://git.example.com/lbmedic/README.md#alert-intake';

let sim: SimHarness;
before(async () => {
  sim = await startSim('healthy');
});
after(async () => {
  await sim?.stop();
});

async function state(s: SimHarness = sim) {
  const parent = `projects/${s.project}`;
  const [[channels], [policies]] = await Promise.all([
    s.clients.notificationChannels.listNotificationChannels({ name: parent }),
    s.clients.alertPolicies.listAlertPolicies({ name: parent }),
  ]);
  const ours = (l: Record<string, string> | null | undefined) => l?.managed_by === 'lbmedic';
  return {
    channels,
    policies,
    ourChannels: channels.filter((c) => ours(c.userLabels)),
    ourPolicies: policies.filter((p) => ours(p.userLabels)),
  };
}

const summary = (actions: SetupAction[]) => actions.map((a) => `${a.action} ${a.kind} ${a.displayName}`);
const role = (p: Policy) => p.userLabels?.lbmedic_role;

test('dry run: the resources, secrets masked, without calling Google Cloud', () => {
  const text = renderDryRun(
    'demo-project',
    desiredAlertResources({ project: 'demo-project', webhookUrl: WEBHOOK, runbookUrl: RUNBOOK }),
  );
  assert.ok(!text.includes(TOKEN), 'the token is masked');
  const out = JSON.parse(text) as {
    notificationChannel: { type: string; labels: { url: string } };
    alertPolicies: Policy[];
  };
  assert.equal(out.notificationChannel.type, 'webhook_tokenauth');
  assert.equal(out.notificationChannel.labels.url, 'https://lbmedic.example.com/alerts?token=****');
  assert.deepEqual(out.alertPolicies.map(role), ['lb-5xx-ratio', 'failed-to-pick-backend']);
  const basic = renderDryRun(
    'demo-project',
    desiredAlertResources({
      project: 'demo-project',
      webhookUrl: 'https://monitoring:s3cret-passw0rd@lbmedic.example.com/alerts',
    }),
  );
  assert.ok(!basic.includes('s3cret-passw0rd'));
  assert.match(basic, /"type": "webhook_basicauth"/);
  assert.match(basic, /"url": "https:\/\/lbmedic\.example\.com\/alerts"/);
});

test('first run: one webhook channel and two policies that notify it; foreign resources untouched', async () => {
  const parent = `projects/${sim.project}`;
  const [theirChannel] = await sim.clients.notificationChannels.createNotificationChannel({
    name: parent,
    notificationChannel: {
      type: 'email',
      displayName: 'on-call',
      labels: { email_address: 'oncall@example.com' },
    },
  });
  const [theirPolicy] = await sim.clients.alertPolicies.createAlertPolicy({
    name: parent,
    alertPolicy: {
      displayName: 'their CPU policy',
      combiner: 'OR',
      conditions: [
        {
          displayName: 'cpu',
          conditionThreshold: {
            filter:
              'resource.type = "gce_instance" AND metric.type = "compute.googleapis.com/instance/cpu/utilization"',
            comparison: 'COMPARISON_GT',
            thresholdValue: 0.9,
            duration: { seconds: 60 },
          },
        },
      ],
      notificationChannels: [theirChannel.name ?? ''],
    },
  });

  const actions = await setupAlerts(sim.clients, {
    project: sim.project,
    webhookUrl: WEBHOOK,
    runbookUrl: RUNBOOK,
  });
  assert.deepEqual(summary(actions), [
    'created notificationChannel lbmedic alert receiver',
    'created alertPolicy lbmedic: load balancer 5xx ratio',
    'created alertPolicy lbmedic: failed_to_pick_backend',
  ]);
  const s = await state();
  assert.equal(s.ourChannels.length, 1);
  const [channel] = s.ourChannels;
  assert.equal(channel?.type, 'webhook_tokenauth');
  assert.equal(channel?.labels?.url, WEBHOOK);
  assert.deepEqual(channel?.userLabels, { managed_by: 'lbmedic', lbmedic_role: 'webhook' });

  const ratio = s.ourPolicies.find((p) => role(p) === 'lb-5xx-ratio');
  const logs = s.ourPolicies.find((p) => role(p) === 'failed-to-pick-backend');
  assert.ok(ratio && logs);
  for (const p of [ratio, logs]) {
    assert.deepEqual(p.notificationChannels, [channel?.name]);
    assert.equal(p.documentation?.mimeType, 'text/markdown');
    assert.ok(p.documentation?.content?.includes(RUNBOOK), 'the documentation links the runbook');
    assert.deepEqual(
      p.documentation?.links?.map((l) => l.url),
      [RUNBOOK],
    );
    assert.match(p.userLabels?.lbmedic_spec ?? '', /^[0-9a-f]{16}$/);
  }
  const threshold = ratio.conditions?.[0]?.conditionThreshold;
  assert.equal(
    threshold?.filter,
    'resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/request_count" AND metric.labels.response_code_class = 500',
  );
  assert.equal(
    threshold?.denominatorFilter,
    'resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/request_count"',
  );
  assert.equal(threshold?.thresholdValue, 0.05);
  // Grouped by region too: a regional load balancer's incident must say where its backend service is.
  for (const label of ['resource.labels.backend_target_name', 'resource.labels.region'])
    assert.ok(threshold?.aggregations?.[0]?.groupByFields?.includes(label), label);
  const regional = ratio.conditions?.slice(1).map((c) => c.conditionThreshold?.filter ?? '');
  assert.equal(regional?.length, 2);
  assert.match(
    regional?.[0] ?? '',
    /^resource.type = "http_external_regional_lb_rule" .*https\/external\/regional\/request_count/,
  );
  assert.match(
    regional?.[1] ?? '',
    /^resource.type = "internal_http_lb_rule" .*https\/internal\/request_count/,
  );
  const matched = logs.conditions?.[0]?.conditionMatchedLog;
  assert.equal(
    matched?.filter,
    '(resource.type="http_load_balancer" OR resource.type="http_external_regional_lb_rule" OR resource.type="internal_http_lb_rule") AND jsonPayload.statusDetails="failed_to_pick_backend"',
  );
  assert.deepEqual(matched?.labelExtractors, {
    backend_service_name: 'EXTRACT(resource.labels.backend_service_name)',
    backend_target_name: 'EXTRACT(resource.labels.backend_target_name)',
    region: 'EXTRACT(resource.labels.region)',
    url_map_name: 'EXTRACT(resource.labels.url_map_name)',
    project_id: 'EXTRACT(resource.labels.project_id)',
  });
  assert.equal(String(logs.alertStrategy?.notificationRateLimit?.period?.seconds), '300');

  // Not lbmedic's: exactly as they were.
  assert.deepEqual(s.channels.find((c) => c.name === theirChannel.name)?.labels, {
    email_address: 'oncall@example.com',
  });
  const theirs = s.policies.find((p) => p.name === theirPolicy.name);
  assert.deepEqual(theirs?.notificationChannels, [theirChannel.name]);
  assert.equal(theirs?.userLabels?.managed_by, undefined);
});

test('running it again (three times) creates nothing and changes nothing: only reads', async () => {
  const since = (await apiRequests(sim)).at(-1)?.seq ?? 0;
  const before = await state();
  for (let i = 0; i < 3; i++) {
    const actions = await setupAlerts(sim.clients, {
      project: sim.project,
      webhookUrl: WEBHOOK,
      runbookUrl: RUNBOOK,
    });
    assert.deepEqual(
      actions.map((a) => a.action),
      ['unchanged', 'unchanged', 'unchanged'],
    );
  }
  const after = await state();
  assert.equal(after.channels.length, before.channels.length);
  assert.equal(after.policies.length, before.policies.length);
  const writes = (await apiRequests(sim, since)).filter((r) => r.method !== 'GET');
  assert.deepEqual(writes, [], 'no create, patch or delete');
});

test('a hand edit of a policy is drift: the next run puts the spec back', async () => {
  const ratio = (await state()).ourPolicies.find((p) => role(p) === 'lb-5xx-ratio');
  assert.ok(ratio?.conditions?.[0]?.conditionThreshold);
  ratio.conditions[0].conditionThreshold.thresholdValue = 0.5;
  await sim.clients.alertPolicies.updateAlertPolicy({ alertPolicy: ratio });

  const actions = await setupAlerts(sim.clients, {
    project: sim.project,
    webhookUrl: WEBHOOK,
    runbookUrl: RUNBOOK,
  });
  assert.deepEqual(summary(actions), [
    'unchanged notificationChannel lbmedic alert receiver',
    'updated alertPolicy lbmedic: load balancer 5xx ratio',
    'unchanged alertPolicy lbmedic: failed_to_pick_backend',
  ]);
  const restored = (await state()).ourPolicies.find((p) => role(p) === 'lb-5xx-ratio');
  assert.equal(restored?.name, ratio.name, 'updated in place');
  assert.equal(restored?.conditions?.[0]?.conditionThreshold?.thresholdValue, 0.05);
});

test('a new token updates the channel in place; the policies stay', async () => {
  const url = 'https://lbmedic.example.com/alerts?token=rotated-token-9876543210';
  const before = await state();
  const actions = await setupAlerts(sim.clients, {
    project: sim.project,
    webhookUrl: url,
    runbookUrl: RUNBOOK,
  });
  assert.deepEqual(
    actions.map((a) => a.action),
    ['updated', 'unchanged', 'unchanged'],
  );
  const after = await state();
  assert.equal(after.ourChannels.length, 1);
  assert.equal(after.ourChannels[0]?.name, before.ourChannels[0]?.name);
  assert.equal(after.ourChannels[0]?.labels?.url, url);
});

test('switching to basic auth replaces the channel, re-points the policies and deletes the old one', async () => {
  const old = (await state()).ourChannels[0];
  const actions = await setupAlerts(sim.clients, {
    project: sim.project,
    webhookUrl: 'https://monitoring:correct%20horse%20battery@lbmedic.example.com/alerts',
    runbookUrl: RUNBOOK,
  });
  assert.deepEqual(
    actions.map((a) => `${a.action} ${a.kind}`),
    [
      'created notificationChannel',
      'updated alertPolicy',
      'updated alertPolicy',
      'deleted notificationChannel',
    ],
  );
  const s = await state();
  assert.equal(s.ourChannels.length, 1);
  const [channel] = s.ourChannels;
  assert.notEqual(channel?.name, old?.name);
  assert.equal(channel?.type, 'webhook_basicauth');
  assert.equal(channel?.labels?.url, 'https://lbmedic.example.com/alerts');
  assert.equal(channel?.labels?.username, 'monitoring');
  assert.notEqual(channel?.labels?.password, 'correct horse battery', 'write-only: obfuscated on read');
  for (const p of s.ourPolicies) assert.deepEqual(p.notificationChannels, [channel?.name]);
});

/** Runs `lbmedic` against a simulator; resolves with its exit code and output. */
function lbmedic(args: string[], simUrl: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/lbmedic.mjs', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LBMEDIC_GCP_ENDPOINT: simUrl, LBMEDIC_PROJECT: '' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('the command: --dry-run calls nothing; then created once, unchanged the second time', async () => {
  const own = await startSim('healthy');
  try {
    const args = ['setup', 'alerts', '--project', own.project, '--webhook-url', WEBHOOK];
    const dry = await lbmedic([...args, '--dry-run'], own.url);
    assert.equal(dry.code, 0, dry.out);
    assert.ok(!dry.out.includes(TOKEN));
    assert.deepEqual(
      (await apiRequests(own)).filter((r) => r.path.startsWith('/v3/')),
      [],
      'no Monitoring call',
    );
    assert.equal((await state(own)).ourPolicies.length, 0);

    const first = await lbmedic(args, own.url);
    assert.equal(first.code, 0, first.out);
    assert.equal(first.out.match(/^created /gm)?.length, 3, first.out);
    assert.ok(!first.out.includes(TOKEN), 'the token is not printed');
    const second = await lbmedic(args, own.url);
    assert.equal(second.code, 0, second.out);
    assert.equal(second.out.match(/^unchanged /gm)?.length, 3, second.out);
    const s = await state(own);
    assert.equal(s.ourChannels.length, 1);
    assert.equal(s.ourPolicies.length, 2);

    const missing = await lbmedic(['setup', 'alerts', '--project', own.project], own.url);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /setup alerts needs --project and --webhook-url/);
  } finally {
    await own.stop();
  }
});

test('the log-match policy’s filter finds a regional load balancer’s failed_to_pick_backend, with what its extractors read', async () => {
  const regional = await startSim('ilb-wrong-path');
  try {
    const [policy] = desiredAlertResources({
      project: regional.project,
      webhookUrl: WEBHOOK,
    }).policies.filter((p) => p.conditions?.[0]?.conditionMatchedLog);
    const filter = policy?.conditions?.[0]?.conditionMatchedLog?.filter ?? '';
    const entry = await eventually('a failed_to_pick_backend entry of the internal ALB', async () => {
      const [entries] = await regional.clients.logging.getEntries({
        resourceNames: [`projects/${regional.project}`],
        filter,
        pageSize: 1,
        autoPaginate: false,
      });
      return entries[0];
    });
    assert.equal(entry.metadata.resource?.type, 'internal_http_lb_rule');
    // What the label extractors read: the receiver routes by backend_target_name and region.
    assert.equal(entry.metadata.resource?.labels?.['backend_target_name'], 'orders-bs');
    assert.equal(entry.metadata.resource?.labels?.['region'], 'us-central1');
  } finally {
    await regional.stop();
  }
});
