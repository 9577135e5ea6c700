/**
 * `lbmedic pause` and `lbmedic resume`: the kill switch a person reaches in seconds. The switch is a
 * workflow (workflows/kill-switch.ts), set by a signal-with-start, so the request is kept by Temporal
 * at once, even with no worker running; the command then asks the switch (a query, answered after
 * the signal) so it can say when a worker has taken it up. Every remediation reads the switches
 * before it changes anything; resume wakes the runs they held and, for one project, also closes its
 * fleet circuit breaker.
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  governorWorkflowId,
  KILL_SWITCH_WORKFLOW,
  killSwitchWorkflowId,
  type SwitchRequest,
  type SwitchState,
} from '../core/model';
import { controlTaskQueue, type Config } from '../runtime/config';
import { resetBreakerSignal, setSwitchSignal, switchQuery } from '../workflows/control-definitions';
import { UsageError } from './flags';
import { consoleOutput, type Output } from './output';
import { EXIT, run, timeoutFlag, withClient } from './remediation-client';

export const PAUSE_USAGE = `  lbmedic pause [--project P] [--reason TEXT] [--as NAME] [--timeout SEC]
      The kill switch, for every project or one: from now on nothing is applied (runs diagnose and
      plan, then wait in phase PAUSED). Kept in Temporal: it survives worker restarts.`;

export const RESUME_USAGE = `  lbmedic resume [--project P] [--as NAME] [--timeout SEC]
      Turns that kill switch off again and wakes the runs it held; with --project, also closes the
      project's fleet circuit breaker.`;

const OPTIONS = {
  project: { type: 'string' },
  reason: { type: 'string' },
  as: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** Who is asking: --as, else $USER. */
function requester(as: string | undefined): string {
  const by = as ?? process.env.USER;
  if (!by) throw new UsageError('say who you are with --as NAME ($USER is not set)');
  return by;
}

/** `lbmedic pause`. */
export function cmdPause(args: string[], config: Config, io: Output = consoleOutput()): Promise<number> {
  return run('pause', PAUSE_USAGE, io, () => setSwitch(args, config, io, true));
}

/** `lbmedic resume`. */
export function cmdResume(args: string[], config: Config, io: Output = consoleOutput()): Promise<number> {
  return run('resume', RESUME_USAGE, io, () => setSwitch(args, config, io, false));
}

async function setSwitch(args: string[], config: Config, io: Output, paused: boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!paused && values.reason !== undefined) throw new UsageError('--reason goes with pause');
  const project = values.project;
  const request: SwitchRequest = {
    paused,
    by: requester(values.as),
    ...(values.reason ? { reason: values.reason } : {}),
  };
  const timeoutMs = timeoutFlag(values.timeout);
  const scope = project === undefined ? 'every project' : `project ${project}`;
  return withClient(config, async (client) => {
    const started = Date.now();
    const workflowId = killSwitchWorkflowId(project);
    await client.withDeadline(started + timeoutMs, () =>
      client.workflow.signalWithStart(KILL_SWITCH_WORKFLOW, {
        workflowId,
        taskQueue: controlTaskQueue(config),
        args: [project === undefined ? {} : { project }],
        signal: setSwitchSignal,
        signalArgs: [request],
      }),
    );
    if (!paused && project !== undefined)
      await closeBreaker(client, project, request.by, started + timeoutMs);
    const confirmed = await confirm(client, workflowId, paused, started + timeoutMs);
    const took = Date.now() - started;
    if (!confirmed) {
      io.err(
        `the kill switch of ${scope} is recorded as ${paused ? 'PAUSED' : 'ACTIVE'} in Temporal (${workflowId}), ` +
          `but no worker confirmed it within ${timeoutMs / 1000}s: it takes effect once an lbmedic worker runs on task queue ${controlTaskQueue(config)}`,
      );
      return EXIT.failed;
    }
    io.out(
      paused
        ? `kill switch ON for ${scope} (by ${confirmed.by}${confirmed.reason ? `: ${confirmed.reason}` : ''}): nothing is applied until \`lbmedic resume${project ? ` --project ${project}` : ''}\`; confirmed in ${took} ms`
        : `kill switch OFF for ${scope} (by ${confirmed.by}); held runs go on; confirmed in ${took} ms`,
    );
    return EXIT.ok;
  });
}

/** A person resuming a project also closes its fleet breaker; no governor means none is open. */
async function closeBreaker(client: Client, project: string, by: string, deadline: number): Promise<void> {
  try {
    await client.withDeadline(deadline, () =>
      client.workflow.getHandle(governorWorkflowId(project)).signal(resetBreakerSignal, { by }),
    );
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** The switch as its workflow reports it once a worker has taken up the signal; undefined if none did. */
async function confirm(
  client: Client,
  workflowId: string,
  paused: boolean,
  deadline: number,
): Promise<SwitchState | undefined> {
  while (Date.now() < deadline) {
    try {
      const state = await client.withDeadline(deadline, () =>
        client.workflow.getHandle(workflowId).query(switchQuery),
      );
      if (state.paused === paused) return state;
    } catch {
      // No worker has answered yet (or the query timed out): ask again until the deadline.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
