/**
 * The simulator for tests: a World loaded with a scenario, its HTTP server on an ephemeral loopback
 * port, and real Google clients pointed at it. `stop()` tears everything down so the process exits.
 */
import { createEvidenceActivities } from '../../activities/evidence';
import { createGcpClients, type GcpClients, type GcpClientOptions } from '../../activities/gcp-clients';
import { classify, type Diagnosis } from '../../core/classify';
import { collectEvidence } from '../../core/collect';
import type { Evidence } from '../../core/evidence';
import { startSimulation, type Simulation } from '../../runtime/simulation';

export interface SimHarness extends Simulation {
  clients: GcpClients;
  project: string;
}

export async function startSim(
  scenario: string,
  opts: { timeScale?: number; clients?: Partial<GcpClientOptions>; project?: string } = {},
): Promise<SimHarness> {
  const sim = await startSimulation({
    scenario,
    timeScale: opts.timeScale ?? 0.01,
    ...(opts.project ? { project: opts.project } : {}),
  });
  const project = [...sim.world.projects.keys()][0] ?? 'demo-project';
  const clients = createGcpClients({
    endpoint: sim.url,
    projectId: project,
    timeoutMs: 5_000,
    ...opts.clients,
  });
  return {
    ...sim,
    clients,
    project,
    async stop() {
      await clients.close();
      await sim.stop();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Calls the simulator's control API (`/_sim/...`) and returns its JSON. */
export async function control<T = unknown>(
  sim: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sim.url}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** API requests the simulator received since `since` (its request log). */
export async function apiRequests(sim: { url: string }, since = 0) {
  const { requests } = await control<{
    requests: { seq: number; method: string; path: string; status: number }[];
  }>(sim, 'GET', `requests?since=${since}`);
  return requests;
}

/** The project's simulated worker: its VPC address and the loopback address that stands for it. */
export async function simWorker(sim: SimHarness): Promise<{ ipAddress: string; loopbackAddress: string }> {
  const { worker } = await control<{ worker: { ipAddress: string; loopbackAddress: string } }>(
    sim,
    'GET',
    `projects/${sim.project}/worker`,
  );
  return worker;
}

/**
 * Evidence through the real clients and its diagnosis. The in-VPC probe stays on loopback and
 * speaks from the simulated worker's address, so the firewall judges it as on GCP.
 */
export async function diagnose(
  sim: SimHarness,
  backendService: string,
  region?: string,
): Promise<{ evidence: Evidence; diagnosis: Diagnosis }> {
  const worker = await simWorker(sim);
  const readers = createEvidenceActivities(sim.clients, {
    probeAllowedRanges: ['127.0.0.0/8'],
    probeTimeoutMs: 1_000,
    probeLocalAddress: worker.loopbackAddress,
    probeSource: worker.ipAddress,
  });
  const evidence = await collectEvidence(
    readers,
    { project: sim.project, backendService, ...(region ? { region } : {}) },
    { windowMinutes: 10, now: new Date().toISOString() },
  );
  return { evidence, diagnosis: classify(evidence) };
}
