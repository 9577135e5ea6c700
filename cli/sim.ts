/** `lbmedic sim`: the GCP simulator in the foreground, until Ctrl-C. */
import { parseArgs } from 'node:util';
import { startSimulation } from '../runtime/simulation';
import { busyPort, portFlag, UsageError } from './flags';
import { untilSignal } from './signals';

export const SIM_USAGE = `  lbmedic sim [--scenario NAME | --scenario-file FILE] [--port N] [--time-scale X]
      Runs the GCP simulator in the foreground.`;

export async function cmdSim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      'scenario-file': { type: 'string' },
      port: { type: 'string' },
      'time-scale': { type: 'string' },
    },
  });
  if (values.scenario && values['scenario-file'])
    throw new UsageError('give --scenario or --scenario-file, not both');
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0 && timeScale <= 1)) {
    throw new UsageError('--time-scale must be a number in (0, 1]');
  }
  const port = portFlag(values.port, 'port') ?? 8085;
  const sim = await startSimulation({
    ...(values.scenario ? { scenario: values.scenario } : {}),
    ...(values['scenario-file'] ? { scenarioFile: values['scenario-file'] } : {}),
    port,
    ...(timeScale !== undefined ? { timeScale } : {}),
  }).catch(busyPort(port, '--port'));
  console.log(`GCP simulator listening on ${sim.url}`);
  console.log(`  point lbmedic at it: LBMEDIC_GCP_ENDPOINT=${sim.url}`);
  console.log(`  control API: ${sim.url}/_sim/state`);
  console.log(sim.world.summary());
  await untilSignal();
  await sim.stop();
  return 0;
}
