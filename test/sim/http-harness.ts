/**
 * A World with a shipped scenario behind the simulator's HTTP server, and the options with which the
 * real `@google-cloud/*` clients talk to it in REST mode.
 */
import { PassThroughClient } from 'google-auth-library';
import type compute from '@google-cloud/compute';
import { loadScenario } from '../../simulator/scenario';
import type { SimulatorServer, SimulatorServerOptions } from '../../simulator/server';
import { startSimulatorServer } from '../../simulator/server';
import { World } from '../../simulator/world';

export type ClientOptions = NonNullable<ConstructorParameters<typeof compute.BackendServicesClient>[0]>;

export interface Sim {
  world: World;
  server: SimulatorServer;
  project: string;
  /** Options for every Google client: REST, no credentials, the simulator's address. */
  clientOptions: ClientOptions;
  /** JSON over fetch, for the control API and raw REST checks. */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startSim(
  scenario = 'healthy',
  serverOptions: Omit<SimulatorServerOptions, 'world'> = {},
): Promise<Sim> {
  const world = new World({ timeScale: 0.02, seed: 7 });
  const loaded = await world.load(loadScenario(scenario));
  await world.start();
  let server: SimulatorServer;
  try {
    server = await startSimulatorServer({ world, ...serverOptions });
  } catch (err) {
    await world.stop();
    throw err;
  }
  const clientOptions = {
    apiEndpoint: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    fallback: true,
    authClient: new PassThroughClient() as unknown as ClientOptions['authClient'],
    projectId: loaded.projectId,
  } satisfies ClientOptions;
  return {
    world,
    server,
    project: loaded.projectId,
    clientOptions,
    async call(method, path, body) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async close() {
      await server.close();
      await world.stop();
    },
  };
}
