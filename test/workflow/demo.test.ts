/**
 * `lbmedic demo`: the README's second command. End to end, the real `lbmedic up` (embedded Temporal dev
 * server, simulator, worker, receiver) and the real `lbmedic demo` / `lbmedic approve` processes; plus
 * the pure rendering and the alert it posts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertTarget } from '../../core/alert-targets';
import { parseWebhookBody, toIncident } from '../../core/alerts';
import { demoAlert, newIncidentId } from '../../cli/demo-alert';
import {
  NOTHING_SHOWN,
  phaseDurations,
  progressLines,
  summaryLines,
  type DemoView,
} from '../../cli/demo-render';
import { readUpState, webhookUrl } from '../../cli/up-state';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import type { RemediationStatus } from '../../core/model';
import { policyDir } from '../helpers/stack';
import { upFlags } from '../helpers/lbmedic-process';

/** A child process whose output (stdout and stderr) is collected and can be waited on. */
interface Proc {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', ...args], { cwd: PROJECT_ROOT, env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Resolves with `check()`'s first truthy answer; rejects after `ms` (or when `gone` resolves first). */
async function waitFor<T>(what: string, ms: number, check: () => T | undefined, gone?: Proc): Promise<T> {
  const deadline = Date.now() + ms;
  let ended = false;
  void gone?.exited.then(() => (ended = true));
  for (;;) {
    const value = check();
    if (value) return value;
    if (ended) throw new Error(`${what}: the process exited first:\n${gone?.output() ?? ''}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${gone?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function exitCode(p: Proc, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  const code = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  if (code === 'timeout') throw new Error(`no exit within ${ms} ms:\n${p.output()}`);
  return code;
}

test('lbmedic up + lbmedic demo: port-moved is alerted on and heals on its own, --manual waits for lbmedic approve', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-demo-'));
  // Both demos remediate demo-project/web-bs: without a shorter cooldown the second is BLOCKED_BY_LIMITS.
  // Below the 5m bound only through `unsafe:`, which every plan then shows.
  const policies = policyDir({
    'health-check-mismatch.yaml': [
      [
        'rollback: auto',
        'rollback: auto\nunsafe:\n  reason: two demos in a row on one backend\n  cooldown: 0s',
      ],
    ],
  });
  const flags = await upFlags(dir);
  const { stateFile, temporalPort, uiPort } = flags;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LBMEDIC_PROJECT: '',
    TEMPORAL_ADDRESS: '',
    LBMEDIC_RECEIVER_TOKEN: '',
    LBMEDIC_RECEIVER_BASIC_AUTH: '',
    LBMEDIC_POLICY_DIR: policies,
  };
  const procs: Proc[] = [];
  const start = (args: string[], e = env) => {
    const p = run(args, e);
    procs.push(p);
    return p;
  };
  try {
    // Before `up`: the demo says what to do.
    const early = start(['demo', '--state', stateFile]);
    assert.equal(await exitCode(early, 30_000), 1);
    assert.match(early.output(), /lbmedic up is not running: start it with `npm start` in another terminal/);

    const up = start(['up', ...flags.args]);
    await waitFor('the state file', 90_000, () => existsSync(stateFile) || undefined, up);
    const state = readUpState(stateFile);
    assert.equal(state.temporalAddress, `127.0.0.1:${temporalPort}`);
    assert.equal(state.uiUrl, `http://127.0.0.1:${uiPort}`);
    assert.equal(state.project, 'demo-project');
    assert.match(state.receiverUrl, /^http:\/\/127\.0\.0\.1:\d+\/alerts\?token=[0-9a-f]{36}$/);
    assert.match(state.simulatorUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);

    // 1. port-moved: the simulated Cloud Monitoring alerts (nothing posted by the demo); automatic approval.
    const demo = start(['demo', 'port-moved', '--state', stateFile]);
    assert.equal(await exitCode(demo, 180_000), 0, demo.output());
    const out = demo.output();
    for (const expected of [
      /Alert opened: Cloud Monitoring incident 0\.[0-9a-z]{12} \(lbmedic: (failed_to_pick_backend|load balancer 5xx ratio)\) on demo-project\/web-bs, \S+ after the break → accepted/,
      /\+\d+\.\ds {2}DIAGNOSING {9}round 1: collecting evidence/,
      /✗ HEALTH_CHECK_MISMATCH: health check web-hc probes :8080\/healthz but the app answers 200 on :9090\/healthz/,
      /✗ NAMED_PORT_MISMATCH: named port http is 8080 but the app serves 9090/,
      /✗ FIREWALL_BLOCKS_PROBES: /,
      /httpHealthCheck\.port: 8080 → 9090/,
      /namedPorts: http:8080 → http:9090/,
      /\+ firewall lbmedic-allow-health-checks-default-9090-[0-9a-f]{8} .*\n.*INGRESS ALLOW tcp:9090/,
      / SNAPSHOT /,
      / APPLYING /,
      / VERIFYING /,
      /✓ HEALTHY: 3\/3/,
      /Outcome: REMEDIATED: /,
      /Time per phase\n {2}PHASE +TOOK\n {2}STARTING/,
      new RegExp(
        `Temporal UI: http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/lbmedic%2Fdemo-project%2Fweb-bs/[0-9a-f-]{36}/history`,
      ),
      /Incident 0\.[0-9a-z]{12} \(lbmedic: .*\) closed: (the condition is no longer met|autoClose: no data for 1800s)/,
      /Stages\n {2}STAGE +AT +SINCE THE BREAK\n {2}break +\d\d:\d\d:\d\d +0\.0s\n {2}alert opened +\d\d:\d\d:\d\d +\S+\n {2}fix applied +\d\d:\d\d:\d\d +\S+\n {2}HEALTHY +\d\d:\d\d:\d\d +\S+\n {2}incident closed +\d\d:\d\d:\d\d +\S+/,
    ])
      assert.match(out, expected);
    assert.doesNotMatch(out, /Alert posted/, 'the demo posts nothing on the hands-off path');
    // Phases in order, each once.
    const phases = [...out.matchAll(/^ +\+\S+ {2}([A-Z_]+) /gm)].map((m) => m[1]);
    assert.deepEqual(phases, ['DIAGNOSING', 'SNAPSHOT', 'APPLYING', 'VERIFYING', 'DONE'], out);

    // 2. hc-wrong-port with --manual: the label on the alert policies; the demo waits until someone
    // approves from another terminal.
    const manual = start(['demo', 'hc-wrong-port', '--manual', '--state', stateFile]);
    const approveLine = await waitFor(
      'the approval prompt',
      120_000,
      () => /TEMPORAL_ADDRESS=(\S+) npx lbmedic approve (\S+) --key (\S+)/.exec(manual.output()) ?? undefined,
      manual,
    );
    assert.equal(approveLine[1], state.temporalAddress);
    assert.equal(approveLine[2], 'lbmedic/demo-project/web-bs');
    // The demo approver's key, made by up and kept with the server's state, registered for the worker.
    assert.equal(approveLine[3], join(dir, 'approver', 'id_ed25519'));
    assert.equal(state.approverKey, approveLine[3]);
    assert.match(
      readFileSync(state.approversFile!, 'utf8'),
      /name: \S+@lbmedic-demo\n {4}keys:\n {6}- ssh-ed25519 /,
    );
    assert.match(up.output(), /Approver {5}\S+@lbmedic-demo \(demo key /);
    assert.match(manual.output(), /Alert opened: Cloud Monitoring incident 0\.[0-9a-z]{12} .* → accepted/);
    assert.match(manual.output(), /httpHealthCheck\.port: 8081 → 8080/);
    assert.match(
      manual.output(),
      /UNSAFE: policy health-check-mismatch sets the cooldown to 0s, past its 300s bound: two demos in a row/,
    );
    assert.match(manual.output(), /AWAITING_APPROVAL +waiting for 1 approval\(s\)/);
    const approve = start(['approve', approveLine[2]!, '--key', approveLine[3]!, '--yes'], {
      ...env,
      TEMPORAL_ADDRESS: state.temporalAddress,
    });
    assert.equal(await exitCode(approve, 60_000), 0, approve.output());
    // It shows the plan it signs, then the signed approval counts.
    assert.match(approve.output(), /httpHealthCheck\.port: 8081 → 8080/);
    const signer =
      /Approving plan sha256:[0-9a-f]{12}… as (\S+@lbmedic-demo), signing with (SHA256:\S+):/.exec(
        approve.output(),
      );
    assert.ok(signer, approve.output());
    assert.match(
      approve.output(),
      /approved by \S+@lbmedic-demo with SHA256:\S+: 1\/1 approval, phase APPROVED/,
    );
    assert.equal(await exitCode(manual, 180_000), 0, manual.output());
    assert.ok(manual.output().includes(`approved by ${signer[1]} with ${signer[2]} (1/1)`), manual.output());
    assert.match(manual.output(), /✓ HEALTHY: 3\/3/);
    assert.ok(
      manual
        .output()
        .includes(
          `Outcome: REMEDIATED: healthCheck/web-hc changed; backends HEALTHY; approved by ${signer[1]}`,
        ),
      manual.output(),
    );
    assert.match(manual.output(), / {2}AWAITING_APPROVAL +\d/);

    // Ctrl-C: up stops cleanly and takes its state file with it; the receiver's log stays.
    up.child.kill('SIGINT');
    assert.equal(await exitCode(up, 60_000), 0, up.output());
    assert.equal(existsSync(stateFile), false);
    assert.match(up.output(), /Scope {8}projects demo-project; backend services all; networks any/);
    const receiverLog = readFileSync(join(dir, 'receiver.log'), 'utf8');
    const token = new URL(state.receiverUrl).searchParams.get('token') ?? '';
    assert.ok(
      receiverLog.split('\n').filter((l) => l.includes('"outcome":"accepted"')).length >= 2,
      'the simulated Cloud Monitoring notified the receiver for both demos',
    );
    assert.ok(!receiverLog.includes(token), 'never the token');
    const late = start(['demo', '--state', stateFile]);
    assert.equal(await exitCode(late, 30_000), 1);
    assert.match(late.output(), /lbmedic up is not running/);
  } finally {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
    rmSync(policies, { recursive: true, force: true });
  }
});

test('the demo alert is a Cloud Monitoring notification the receiver maps to the backend service', () => {
  const incidentId = newIncidentId();
  assert.match(incidentId, /^0\.[0-9a-z]{12}$/);
  const base = {
    project: 'demo-project',
    backendService: 'web-bs',
    urlMap: 'web-bs-map',
    incidentId,
    startedAt: 1764031020,
    scenario: 'port-moved',
  };
  for (const manual of [false, true]) {
    const parsed = parseWebhookBody(demoAlert({ ...base, manual }));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(parsed.test, false);
    const incident = toIncident(parsed.notification.incident, 'webhook', '2026-11-24T00:00:00Z');
    assert.equal(incident.incidentId, incidentId);
    assert.equal(incident.state, 'open');
    assert.equal(incident.labels?.lbmedic_approval, manual ? 'manual' : undefined);
    assert.deepEqual(alertTarget(parsed.notification.incident), {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: (alertTarget(parsed.notification.incident) as { via: string }).via,
    });
  }
});

test('webhookUrl carries the token, or else basic auth', () => {
  assert.equal(
    webhookUrl('http://127.0.0.1:8787', 'abc', undefined),
    'http://127.0.0.1:8787/alerts?token=abc',
  );
  assert.equal(
    webhookUrl('http://127.0.0.1:8787', undefined, { username: 'mon', password: 'p@ss:word/123' }),
    'http://mon:p%40ss%3Aword%2F123@127.0.0.1:8787/alerts',
  );
});

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const VIEW: DemoView = {
  workflowId: 'lbmedic/demo-project/web-bs',
  startedAtMs: T0,
  approveCommand: 'npx lbmedic approve lbmedic/demo-project/web-bs --as <you>',
  rejectCommand: 'npx lbmedic reject lbmedic/demo-project/web-bs --as <you> --reason "<why>"',
};

function status(over: Partial<RemediationStatus>): RemediationStatus {
  return {
    workflowId: VIEW.workflowId,
    project: 'demo-project',
    backendService: 'web-bs',
    phase: 'STARTING',
    incidents: [],
    timeline: [],
    ...over,
  };
}

test('progressLines: phases once each with the elapsed time, diagnosis and plan after the diagnosis note, the prompt', () => {
  const diagnosing = status({
    phase: 'DIAGNOSING',
    timeline: [{ at: at(400), phase: 'DIAGNOSING', note: 'round 1: collecting evidence' }],
  });
  const first = progressLines(diagnosing, NOTHING_SHOWN, VIEW);
  assert.deepEqual(first.lines, ['   +0.4s  DIAGNOSING         round 1: collecting evidence']);
  // Nothing new: nothing printed.
  assert.deepEqual(progressLines(diagnosing, first.shown, VIEW).lines, []);

  const waiting = status({
    phase: 'AWAITING_APPROVAL',
    approvalDeadline: '2026-11-24T10:30:02.000Z',
    diagnosis: {
      verdict: 'FAULTS_FOUND',
      findings: [{ cause: 'HEALTH_CHECK_MISMATCH', summary: 'probes :8081, the app answers on :8080' }],
    },
    plan: {
      rendered:
        'Plan for demo-project/web-bs\n  ~ healthCheck web-hc\n      httpHealthCheck.port: 8081 → 8080',
    },
    timeline: [
      { at: at(400), phase: 'DIAGNOSING', note: 'round 1: collecting evidence' },
      { at: at(1_700), phase: 'DIAGNOSING', note: 'diagnosis: FAULTS_FOUND HEALTH_CHECK_MISMATCH' },
      {
        at: at(1_800),
        phase: 'AWAITING_APPROVAL',
        note: 'waiting for 1 approval(s) until 2026-11-24T10:30:02.000Z',
      },
    ],
  });
  const second = progressLines(waiting, first.shown, VIEW);
  assert.deepEqual(second.lines, [
    '   +1.7s                     diagnosis: FAULTS_FOUND HEALTH_CHECK_MISMATCH',
    '',
    'Diagnosis: FAULTS_FOUND',
    '  ✗ HEALTH_CHECK_MISMATCH: probes :8081, the app answers on :8080',
    '',
    'Plan for demo-project/web-bs',
    '  ~ healthCheck web-hc',
    '      httpHealthCheck.port: 8081 → 8080',
    '',
    '   +1.8s  AWAITING_APPROVAL  waiting for 1 approval(s) until 2026-11-24T10:30:02.000Z',
    '',
    '  ▶ The plan waits for a person (until 2026-11-24T10:30:02.000Z). From another terminal:',
    '      npx lbmedic approve lbmedic/demo-project/web-bs --as <you>',
    '    or reject it:',
    '      npx lbmedic reject lbmedic/demo-project/web-bs --as <you> --reason "<why>"',
    '',
  ]);

  const done = status({
    ...waiting,
    phase: 'DONE',
    outcome: 'REMEDIATED',
    timeline: [
      ...(waiting.timeline as unknown[]),
      { at: at(65_000), phase: 'AWAITING_APPROVAL', note: 'approved by alice (1/1)' },
      { at: at(65_100), phase: 'SNAPSHOT', note: 'reading 1 resource(s) before changing them' },
      { at: at(65_300), phase: 'APPLYING', note: 'applying 1 change(s)' },
      { at: at(65_500), phase: 'APPLYING', note: 'applied healthCheck/web-hc' },
      { at: at(65_600), phase: 'VERIFYING', note: 'waiting for 100% HEALTHY' },
      { at: at(71_000), phase: 'VERIFYING', note: 'HEALTHY: 3/3' },
      { at: at(71_200), phase: 'DONE', note: 'REMEDIATED: healthCheck/web-hc changed; backends HEALTHY' },
    ],
  });
  const third = progressLines(done, second.shown, VIEW);
  assert.deepEqual(third.lines, [
    '  +1m05s                     approved by alice (1/1)',
    '  +1m05s  SNAPSHOT           reading 1 resource(s) before changing them',
    '  +1m05s  APPLYING           applying 1 change(s)',
    '  +1m05s                     applied healthCheck/web-hc',
    '  +1m05s  VERIFYING          waiting for 100% HEALTHY',
    '  +1m11s                     ✓ HEALTHY: 3/3',
    '  +1m11s  DONE               REMEDIATED: healthCheck/web-hc changed; backends HEALTHY',
  ]);

  assert.deepEqual(phaseDurations(done, T0), [
    { phase: 'STARTING', ms: 400 },
    { phase: 'DIAGNOSING', ms: 1_400 },
    { phase: 'AWAITING_APPROVAL', ms: 63_300 },
    { phase: 'SNAPSHOT', ms: 200 },
    { phase: 'APPLYING', ms: 300 },
    { phase: 'VERIFYING', ms: 5_600 },
  ]);
  const summary = summaryLines(done, {
    workflowId: VIEW.workflowId,
    runId: 'f0e1d2c3-0000-4000-8000-000000000001',
    startedAtMs: T0,
    namespace: 'default',
    uiUrl: 'http://127.0.0.1:8233',
  });
  assert.deepEqual(summary, [
    '',
    'Outcome: REMEDIATED: healthCheck/web-hc changed; backends HEALTHY',
    '',
    'Time per phase',
    '  PHASE                TOOK',
    '  STARTING             0.4s',
    '  DIAGNOSING           1.4s',
    '  AWAITING_APPROVAL   1m03s',
    '  SNAPSHOT             0.2s',
    '  APPLYING             0.3s',
    '  VERIFYING            5.6s',
    '  total               1m11s',
    '',
    'Temporal UI: http://127.0.0.1:8233/namespaces/default/workflows/lbmedic%2Fdemo-project%2Fweb-bs/f0e1d2c3-0000-4000-8000-000000000001/history',
  ]);
});

test('summaryLines: a run blocked by the cooldown says so and how to run the demo again', () => {
  const blocked = status({
    phase: 'DONE',
    outcome: 'BLOCKED_BY_LIMITS',
    timeline: [
      { at: at(300), phase: 'DIAGNOSING', note: 'round 1: collecting evidence' },
      {
        at: at(1_500),
        phase: 'DONE',
        note: 'BLOCKED_BY_LIMITS: cooldown: the last remediation (REMEDIATED, lbmedic/demo-project/web-bs) closed 6s ago; the policy asks for 1800s',
      },
    ],
  });
  const text = summaryLines(blocked, {
    workflowId: VIEW.workflowId,
    startedAtMs: T0,
    namespace: 'default',
    uiUrl: null,
  }).join('\n');
  assert.match(text, /Outcome: BLOCKED_BY_LIMITS: cooldown: the last remediation .* closed 6s ago/);
  assert.match(text, /this run changed nothing/);
  assert.match(text, /--temporal-db/);
  assert.match(text, /wait until the cooldown has passed/);
  assert.match(text, /Workflow: lbmedic\/demo-project\/web-bs \(no Temporal UI URL known\)/);
});
