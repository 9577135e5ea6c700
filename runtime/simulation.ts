/**
 * Starts the GCP simulator (a World plus its HTTP server) for `lbmedic sim` and `lbmedic up --simulate`.
 */
import { loadScenario } from '../simulator/scenario';
import { startSimulatorServer, type SimulatorServer } from '../simulator/server';
import { World } from '../simulator/world';

export interface SimulationOptions {
  /** A shipped scenario name, or a path to a scenario file. */
  scenario?: string;
  scenarioFile?: string;
  port?: number;
  timeScale?: number;
  /** Serve the scenario under this project id instead of its own (isolates parallel runs). */
  project?: string;
}

export interface Simulation {
  url: string;
  world: World;
  stop(): Promise<void>;
}

export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const loaded = loadScenario(opts.scenarioFile ?? opts.scenario ?? 'healthy');
  const scenario = opts.project ? { ...loaded, project: opts.project } : loaded;
  const world = new World(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale });
  let server: SimulatorServer;
  try {
    await world.load(scenario);
    await world.start();
    server = await startSimulatorServer({ world, port: opts.port ?? 0 });
  } catch (err) {
    // The World's instance apps already listen (e.g. the server's port was busy): stop them, or
    // they keep the process alive.
    await world.stop();
    throw err;
  }
  return {
    url: server.url,
    world,
    async stop() {
      await server.close();
      await world.stop();
    },
  };
}
