/**
 * The simulator's own control API under `/_sim/` (JSON in, JSON out; never faulted, never logged):
 *
 * - `GET /_sim/healthz` → `{ok: true}`
 * - `GET /_sim/state` → the World's snapshot; `GET /_sim/summary` → `{summary}` (plain text)
 * - `GET /_sim/scenarios` → `{scenarios: [names]}`
 * - `POST /_sim/scenario` `{name}` or `{yaml}` (+ `replace`, default true) → loads a scenario's
 *   project, replacing a loaded project of the same id → `{project, summary}`. The replaced project's
 *   notification channels and alert policies stay: they are Cloud Monitoring's, not the scenario's.
 * - `GET /_sim/incidents[?project=P]` → `{timeScale, delays, incidents}`: the incidents simulated
 *   Cloud Monitoring opened and closed (alerting.ts), oldest first, with their notifications; `delays`
 *   in simulated seconds
 * - `DELETE /_sim/projects/:project` → unloads a project
 * - `PATCH /_sim/projects/:project/instances/:name/app` `{port?, paths?, status?, latencyMs?,
 *   slowPaths?, keepaliveSec?, running?, body?}` → changes the app and restarts it → `{instance, app}`
 * - `POST /_sim/faults` (see faults.ts) → the fault; `GET /_sim/faults` → `{faults}`;
 *   `DELETE /_sim/faults` → `{cleared}`
 * - `GET /_sim/requests[?since=N]` → `{requests: [{seq, time, service, method, path, query, status}]}`;
 *   `DELETE /_sim/requests` clears the log
 * - `GET /_sim/operations/:project` → `{operations}` (the Compute operations of a project)
 * - `GET /_sim/routes` → `{routes: [{service, method, template}]}`: every Google API route served
 *   (the conformance test checks each against Google's discovery documents)
 * - `GET /_sim/projects/:project/worker` → lbmedic's worker in the VPC (worker.ts) and its recently
 *   dropped connections; `PATCH` `{ipAddress?, network?, tags?, serviceAccounts?}` changes who it is
 */
import { z } from 'zod';
import { ApiError, invalid, notFound } from './errors';
import type { RequestLog } from './request-log';
import type { Route, RouteContext } from './router';
import { bodyObject, param } from './router';
import type { Scenario } from './scenario';
import { ScenarioError, loadScenarioFile, parseScenario, scenarioNames, scenarioPath } from './scenario';
import { parseIPv4 } from './ip';
import { networkLink } from './urls';
import { workerDrops } from './worker';

const AppPatch = z.strictObject({
  port: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['HTTP', 'HTTPS', 'HTTP2']).optional(),
  paths: z.array(z.string().startsWith('/')).optional(),
  status: z.number().int().min(100).max(599).optional(),
  latencyMs: z.number().min(0).optional(),
  slowPaths: z.record(z.string().startsWith('/'), z.number().min(0)).optional(),
  keepaliveSec: z.number().int().min(1).optional(),
  running: z.boolean().optional(),
  body: z.string().optional(),
});

const WorkerPatch = z.strictObject({
  ipAddress: z
    .string()
    .refine((text) => parseIPv4(text) !== undefined, 'must be an IPv4 address such as 10.128.0.2')
    .optional(),
  network: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a network name')
    .optional(),
  tags: z.array(z.string()).optional(),
  serviceAccounts: z.array(z.string()).optional(),
});

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

function scenarioFromBody(body: Record<string, unknown>): Scenario {
  const { name, yaml } = body;
  try {
    if (typeof yaml === 'string') return parseScenario(yaml, 'request body');
    if (typeof name === 'string') {
      const names = scenarioNames();
      if (!names.includes(name)) {
        throw new ApiError(
          404,
          `No scenario named "${name}"; shipped scenarios: ${names.join(', ')}.`,
          'notFound',
        );
      }
      return loadScenarioFile(scenarioPath(name));
    }
  } catch (err) {
    if (err instanceof ScenarioError) throw invalid(err.message);
    throw err;
  }
  throw invalid('Give the scenario as {"name": "<shipped scenario>"} or {"yaml": "<scenario text>"}.');
}

async function loadScenarioRoute(ctx: RouteContext): Promise<unknown> {
  const body = bodyObject(ctx);
  const scenario = scenarioFromBody(body);
  const replace = body['replace'] ?? true;
  const replaced = ctx.world.projects.get(scenario.project);
  if (replaced) {
    if (replace !== true) {
      throw new ApiError(
        409,
        `Project ${scenario.project} is already loaded (send "replace": true).`,
        'alreadyExists',
      );
    }
    await ctx.world.unload(scenario.project);
  }
  const project = await ctx.world.load(scenario);
  if (replaced) {
    for (const [id, channel] of replaced.notificationChannels) project.notificationChannels.set(id, channel);
    for (const [id, policy] of replaced.alertPolicies) project.alertPolicies.set(id, policy);
  }
  return { project: project.projectId, summary: ctx.world.summary() };
}

function listIncidents(ctx: RouteContext): unknown {
  const project = ctx.query.get('project') ?? undefined;
  const { samplePeriodMs, ingestionMs, retryDelaysMs } = ctx.world.alerting.delays;
  const seconds = (ms: number) => ms / 1000;
  return {
    timeScale: ctx.world.timeScale,
    delays: {
      samplePeriodSec: seconds(samplePeriodMs),
      ingestionSec: Object.fromEntries(Object.entries(ingestionMs).map(([k, v]) => [k, seconds(v)])),
      retryDelaysSec: retryDelaysMs.map(seconds),
    },
    incidents: ctx.world.alerting.list(project),
  };
}

async function patchApp(ctx: RouteContext): Promise<unknown> {
  const projectId = param(ctx, 'project');
  const name = param(ctx, 'name');
  const instance = ctx.world.projects.get(projectId)?.instances.get(name);
  if (!instance) throw notFound(`projects/${projectId}/instances/${name}`);
  const parsed = AppPatch.safeParse(bodyObject(ctx));
  if (!parsed.success) throw invalid(`Invalid app change: ${zodMessage(parsed.error)}`);
  const change = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  instance.app = { ...instance.app, ...change };
  await ctx.world.instanceChanged(projectId, name);
  return { instance: name, app: instance.app };
}

function workerOf(ctx: RouteContext) {
  const projectId = param(ctx, 'project');
  const project = ctx.world.projects.get(projectId);
  if (!project) throw notFound(`projects/${projectId}`);
  return project;
}

function patchWorker(ctx: RouteContext): unknown {
  const project = workerOf(ctx);
  const parsed = WorkerPatch.safeParse(bodyObject(ctx));
  if (!parsed.success) throw invalid(`Invalid worker change: ${zodMessage(parsed.error)}`);
  const { network, ...rest } = parsed.data;
  const change = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  Object.assign(project.worker, change);
  if (network !== undefined) project.worker.network = networkLink(project.projectId, network);
  return { worker: project.worker, dropped: workerDrops(project) };
}

/** A Google API route the server serves, as `GET /_sim/routes` lists it. */
export interface ServedRoute {
  service: string;
  method: string;
  template: string;
}

/** The control routes; `served` are the Google API routes the server also serves. */
export function controlRoutes(requests: RequestLog, served: readonly ServedRoute[]): Route[] {
  return [
    { method: 'GET', template: '/_sim/healthz', handler: () => ({ ok: true }) },
    { method: 'GET', template: '/_sim/state', handler: (ctx) => ctx.world.snapshot() },
    { method: 'GET', template: '/_sim/summary', handler: (ctx) => ({ summary: ctx.world.summary() }) },
    { method: 'GET', template: '/_sim/scenarios', handler: () => ({ scenarios: scenarioNames() }) },
    { method: 'GET', template: '/_sim/incidents', handler: listIncidents },
    { method: 'POST', template: '/_sim/scenario', handler: loadScenarioRoute },
    {
      method: 'DELETE',
      template: '/_sim/projects/:project',
      handler: async (ctx) => {
        const projectId = param(ctx, 'project');
        if (!ctx.world.projects.has(projectId)) throw notFound(`projects/${projectId}`);
        await ctx.world.unload(projectId);
        return { unloaded: projectId };
      },
    },
    { method: 'PATCH', template: '/_sim/projects/:project/instances/:name/app', handler: patchApp },
    {
      method: 'GET',
      template: '/_sim/projects/:project/worker',
      handler: (ctx) => {
        const project = workerOf(ctx);
        return { worker: project.worker, dropped: workerDrops(project) };
      },
    },
    { method: 'PATCH', template: '/_sim/projects/:project/worker', handler: patchWorker },
    { method: 'POST', template: '/_sim/faults', handler: (ctx) => ctx.faults.add(ctx.body) },
    { method: 'GET', template: '/_sim/faults', handler: (ctx) => ({ faults: ctx.faults.list() }) },
    { method: 'DELETE', template: '/_sim/faults', handler: (ctx) => ({ cleared: ctx.faults.clear() }) },
    {
      method: 'GET',
      template: '/_sim/requests',
      handler: (ctx) => {
        const since = Number(ctx.query.get('since') ?? 0);
        if (!Number.isInteger(since) || since < 0) throw invalid('since must be a non-negative integer.');
        return { requests: requests.list(since) };
      },
    },
    {
      method: 'DELETE',
      template: '/_sim/requests',
      handler: () => {
        requests.clear();
        return { cleared: true };
      },
    },
    {
      method: 'GET',
      template: '/_sim/operations/:project',
      handler: (ctx) => ({ operations: ctx.ops.list(param(ctx, 'project')) }),
    },
    { method: 'GET', template: '/_sim/routes', handler: () => ({ routes: served }) },
  ];
}
