/**
 * The health watch (docs/watch.md) through its real paths: a Temporal Schedule on a real dev server,
 * the watch tick and the governor on a real worker, real Google clients against the simulator.
 * - One of three VMs fails its health check (the check was moved to /health, which the last VM's build
 *   does not serve): the watch sees 2/3 HEALTHY, the governor starts the remediation with a `watch`
 *   incident, and it heals the backend service while the load balancer still answers 200 (the two
 *   HEALTHY VMs take the traffic). The timeline is printed; the 5xx ratio over the episode is
 *   asserted below the threshold `lbmedic setup alerts` alerts on.
 * - Out of scope, the same break is not read (no getHealth) and starts nothing; in scope with the
 *   project paused, the run it starts waits in PAUSED and changes nothing until `lbmedic resume`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createWatchActivities } from '../../activities/watch';
import { cmdPause, cmdResume } from '../../cli/pause';
import { cmdWatch } from '../../cli/watch';
import { remediationWorkflowId, type RemediationInput, type RemediationStatus } from '../../core/model';
import { scopeOfProjects } from '../../core/scope';
import { loadConfig } from '../../runtime/config';
import { describeWatch, disableWatch, enableWatch } from '../../runtime/watch';
import { RATIO_THRESHOLD } from '../../setup/alert-policies';
import { statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { WatchTickResult } from '../../workflows/watch';
import { shippedPolicies } from '../helpers/approvers';
import { apiRequests, control, eventually, startSim } from '../helpers/sim';
import { startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

/** The shortest interval the watch takes. */
const EVERY_SEC = 5;
const VMS = ['web-ig-3h7c', 'web-ig-9kq2', 'web-ig-x4m8'];

/** Two VMs get the build that also serves /health (nothing changes: the check asks for /healthz). */
async function rollOutHealthEndpoint(stack: Stack): Promise<void> {
  for (const vm of VMS.slice(0, 2))
    await control(stack.sim, 'PATCH', `projects/${stack.sim.project}/instances/${vm}/app`, {
      paths: ['/', '/healthz', '/health'],
    });
}

/** The break, through the Compute API: the health check moves to /health before the last VM serves it. */
async function moveCheckTo(stack: Stack, requestPath: string): Promise<void> {
  const { project, clients } = stack.sim;
  const [op] = await clients.healthChecks.patch({
    project,
    healthCheck: 'web-hc',
    healthCheckResource: { httpHealthCheck: { port: 8080, requestPath } },
  });
  await clients.globalOperations.wait({ project, operation: String(op.latestResponse.name) });
}

async function checkPath(stack: Stack): Promise<string | undefined> {
  const [hc] = await stack.sim.clients.healthChecks.get({
    project: stack.sim.project,
    healthCheck: 'web-hc',
  });
  return hc.httpHealthCheck?.requestPath ?? undefined;
}

async function healthyCount(stack: Stack): Promise<{ healthy: number; total: number }> {
  const { project, clients } = stack.sim;
  const [h] = await clients.backendServices.getHealth({
    project,
    backendService: 'web-bs',
    resourceGroupReferenceResource: {
      group: `https://www.googleapis.com/compute/v1/projects/${project}/zones/us-central1-a/instanceGroups/web-ig`,
    },
  });
  const states = (h.healthStatus ?? []).map((s) => s.healthState);
  return { healthy: states.filter((s) => s === 'HEALTHY').length, total: states.length };
}

/** The first tick that finished after `since` (ms). */
async function tickAfter(project: string, since: number): Promise<WatchTickResult> {
  return eventually(
    `a watch tick of ${project} after ${new Date(since).toISOString()}`,
    async () => {
      const last = (await describeWatch(env.client, project)).last;
      return last && Date.parse(last.at) > since ? last : undefined;
    },
    30_000,
  );
}

function watchOn(stack: Stack) {
  const { taskQueue } = stack;
  return enableWatch(env.client, {
    project: stack.sim.project,
    everySec: EVERY_SEC,
    taskQueue,
    governorTaskQueue: taskQueue,
  });
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);

test('the watch heals a partly unhealthy backend service before the load balancer answers 5xx', async () => {
  const stack = await startStack(env, 'healthy');
  const { project } = stack.sim;
  try {
    await rollOutHealthEndpoint(stack);
    assert.equal(await watchOn(stack), 'created');
    const quiet = await tickAfter(project, Date.now());
    assert.deepEqual(quiet.episodes, {}, 'all HEALTHY: nothing to do');
    assert.deepEqual(quiet.read, ['web-bs']);
    console.log(`reads per tick (healthy, 1 backend service, 1 group): ${quiet.requests}`);

    const broke = Date.now();
    await moveCheckTo(stack, '/health');
    const unhealthy = await eventually('1 of 3 UNHEALTHY', async () => {
      const h = await healthyCount(stack);
      return h.healthy === 2 && h.total === 3 ? Date.now() : undefined;
    });
    const id = remediationWorkflowId(project, 'web-bs');
    const result = await eventually(
      'the watch to start the remediation',
      async () => {
        try {
          return (await env.client.workflow.getHandle(id).result()) as RemediationResult;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      },
      60_000,
    );
    const healthyAt = Date.now();
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.rootCauses, ['HEALTH_CHECK_MISMATCH']);
    assert.equal(await checkPath(stack), '/healthz', 'the check asks for the path every VM serves');
    assert.deepEqual(await healthyCount(stack), { healthy: 3, total: 3 });

    const handle = env.client.workflow.getHandle(id);
    const d = await handle.describe();
    const status = await handle.query(statusQuery);
    assert.equal(status.incidents.length, 1, 'later ticks of the episode added no incident');
    const incident = status.incidents[0]!;
    assert.equal(incident.source, 'watch');
    assert.match(incident.incidentId, /^watch\/health\/global\/web-bs\/\d+$/);
    // The run's input says the watch started it, not Cloud Monitoring.
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = defaultPayloadConverter.fromPayload<RemediationInput>(started!.input!.payloads![0]!);
    assert.equal(input.triggeredBy, 'lbmedic-watch');
    const tick = Number(incident.incidentId.split('/').pop());
    const events = stack.notifications.filter((e) => e.workflowId === id);
    const applied = events.find((e) => e.phase === 'VERIFYING');
    const done = events.find((e) => e.outcome === 'REMEDIATED');
    assert.ok(applied && done);

    // The load balancer's requests over the episode, from the simulator's request log.
    const requests = stack.sim.world
      .logEntries(project)
      .filter(
        (e) => e.httpRequest && Date.parse(e.timestamp) >= broke && Date.parse(e.timestamp) <= healthyAt,
      );
    const fivexx = requests.filter((e) => (e.httpRequest?.status ?? 0) >= 500).length;
    const ratio = fivexx / requests.length;
    console.log(
      [
        `timeline (UTC): break ${iso(broke)}`,
        `1/3 UNHEALTHY ${iso(unhealthy)}`,
        `watch tick ${iso(tick)}`,
        `run start ${iso(d.startTime.getTime())}`,
        `fix applied ${iso(Date.parse(applied.at))}`,
        `HEALTHY ${iso(Date.parse(done.at))}`,
        `break → HEALTHY ${Date.parse(done.at) - broke} ms; LB: ${requests.length} requests, ${fivexx} 5xx (ratio ${ratio.toFixed(4)}, alert threshold ${RATIO_THRESHOLD})`,
      ].join('\n  '),
    );
    assert.ok(requests.length > 0, 'the load balancer served requests during the episode');
    assert.ok(ratio < RATIO_THRESHOLD, `5xx ratio ${ratio} stayed below ${RATIO_THRESHOLD}`);
    assert.ok(
      tick >= broke && d.startTime.getTime() >= tick,
      'the tick saw it after the break, and started the run',
    );

    // Drift: someone moves the check off what lbmedic set, to a path every VM serves (no VM fails).
    // The watch starts a run for it; the run diagnoses from evidence and, finding nothing wrong,
    // changes nothing: drift is a reason to look, never to put lbmedic's value back blindly.
    await moveCheckTo(stack, '/');
    const again = await eventually(
      'a run for the drift',
      async () => {
        const next = await env.client.workflow.getHandle(id).describe();
        return next.runId !== d.runId ? next.runId : undefined;
      },
      30_000,
    );
    const drift = (await env.client.workflow.getHandle(id, again).result()) as RemediationResult;
    const driftStatus = await env.client.workflow.getHandle(id, again).query(statusQuery);
    assert.match(driftStatus.incidents[0]!.incidentId, /^watch\/drift\/global\/web-bs\/healthCheck/);
    assert.equal(drift.outcome, 'NO_FAULT', drift.summary);
    assert.equal(await checkPath(stack), '/', 'nothing put back: the backends are HEALTHY');
    const later = await tickAfter(project, Date.now());
    const episode = Object.values(later.episodes)[0];
    assert.ok(episode?.admitted, 'the drift is still seen, and left to the run it went to: no new run');
    assert.equal((await env.client.workflow.getHandle(id).describe()).runId, again);
    console.log(`reads per tick (1 backend service, 1 group, 1 resource lbmedic set): ${later.requests}`);
  } finally {
    await disableWatch(env.client, project);
    await stack.stop();
  }
});

test('the watch reads nothing out of scope, and a paused project changes nothing until resume', async () => {
  const stack = await startStack(env, 'healthy', {
    scope: (p) => ({ ...scopeOfProjects([p]), backendServices: { include: [], exclude: ['web-*'] } }),
  });
  const { project } = stack.sim;
  const id = remediationWorkflowId(project, 'web-bs');
  const config = loadConfig({ TEMPORAL_ADDRESS: env.address, LBMEDIC_TASK_QUEUE: stack.taskQueue });
  const io = { out: () => undefined, err: (l: string) => console.error(l) };
  try {
    await rollOutHealthEndpoint(stack);
    const said: string[] = [];
    const tell = { out: (l: string) => said.push(l), err: (l: string) => said.push(l) };
    assert.equal(await cmdWatch(['enable', '--project', project, '--every', '5s'], config, tell), 0);
    assert.match(said.join('\n'), /enabled: every 5s, at most 12 Compute reads a tick/);
    await moveCheckTo(stack, '/health');
    await eventually('1 of 3 UNHEALTHY', async () =>
      (await healthyCount(stack)).healthy === 2 ? true : undefined,
    );
    // From here on, every getHealth would be the watch's.
    const seq = (await apiRequests(stack.sim)).at(-1)?.seq ?? 0;
    const second = await tickAfter(project, Date.now());
    assert.deepEqual(second.outOfScope, ['web-bs']);
    assert.deepEqual(second.read, []);
    assert.deepEqual(second.episodes, {});
    const getHealth = (await apiRequests(stack.sim, seq)).filter((r) => r.path.includes('getHealth'));
    assert.deepEqual(getHealth, [], 'an out-of-scope backend service is listed, never read');
    await assert.rejects(env.client.workflow.getHandle(id).describe(), WorkflowNotFoundError);

    assert.equal(
      await cmdPause(['--project', project, '--as', 'oncall', '--reason', 'watch test'], config, io),
      0,
    );
    await stack.restartWorker({ scope: scopeOfProjects([project]) });
    const held = await eventually(
      'the watch-started run to wait in PAUSED',
      async () => {
        try {
          const s: RemediationStatus = await env.client.workflow.getHandle(id).query(statusQuery);
          return s.phase === 'PAUSED' ? s : undefined;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      },
      60_000,
    );
    assert.equal(held.incidents[0]?.source, 'watch');
    assert.equal(await checkPath(stack), '/health', 'paused: nothing changed');

    assert.equal(await cmdResume(['--project', project, '--as', 'oncall'], config, io), 0);
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.equal(await checkPath(stack), '/healthz');

    said.length = 0;
    assert.equal(await cmdWatch(['status', '--project', project], config, tell), 0);
    assert.match(said.join('\n'), /health watch of .*: every 5s, \d+ tick\(s\)/);
    assert.match(said.join('\n'), /last tick .*: \d+ Compute read\(s\) of at most 12/);
    assert.equal(await cmdWatch(['disable', '--project', project], config, tell), 0);
    assert.equal((await describeWatch(env.client, project)).enabled, false);
  } finally {
    await disableWatch(env.client, project);
    await stack.stop();
  }
});

test('a tick reads the global and every region’s backend services within its budget, and goes round', async () => {
  const sim = await startSim('healthy-topologies', { project: `watch-topo-${process.pid}` });
  const scope = {
    ...scopeOfProjects([sim.project]),
    backendServices: { include: [], exclude: ['legacy-*'] },
  };
  const { watchRead } = createWatchActivities({
    clients: sim.clients,
    temporal: env.client,
    policies: shippedPolicies(),
    scope,
  });
  const input = {
    project: sim.project,
    everySec: 5,
    taskQueue: 'unused',
    governorTaskQueue: 'unused',
  };
  try {
    // No region named: the aggregated list finds the regional load balancers by itself.
    const all = await watchRead(input);
    assert.deepEqual(all.outOfScope, ['legacy-bs']);
    assert.equal(all.inScope, 8);
    assert.equal(all.deferred, 0);
    assert.deepEqual(all.episodes, {}, 'every topology HEALTHY (or not health-checked)');
    const regional = all.health.filter((h) => h.region).map((h) => `${h.region}/${h.backendService}`);
    assert.deepEqual(regional.sort(), ['us-central1/orders-bs', 'us-east1/east-bs']);
    // One aggregated list, and one getHealth per health-checked group: serverless and internet NEGs
    // cost none.
    console.log(`reads per tick (healthy-topologies, 8 backend services in scope): ${all.requests}`);
    assert.equal(all.requests, 1 + 6);
    // --regions narrows the regional ones.
    const narrowed = await watchRead({ ...input, regions: ['us-east1'] });
    assert.deepEqual(
      narrowed.health.filter((h) => h.region).map((h) => `${h.region}/${h.backendService}`),
      ['us-east1/east-bs'],
    );

    // A budget as small as a 2 s tick's (5 reads): the round goes on where the last tick stopped.
    const first = await watchRead({ ...input, everySec: 2 });
    const second = await watchRead({ ...input, everySec: 2, previous: first });
    assert.ok(first.deferred > 0 && first.requests <= 5 && second.requests <= 5);
    const seen = new Set([...first.read, ...second.read]);
    assert.equal(seen.size, 8, 'two ticks read every backend service in scope');
  } finally {
    await sim.stop();
  }
});
