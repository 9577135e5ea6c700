/**
 * The `lbmedic` command: the usage text and the dispatch. Each command has a file of its own and is
 * a composition root: it parses its flags, reads the config, builds the real clients and runs.
 * `--help` and `-h` are answered here, for every command, before its flags are parsed.
 * `main` returns the process exit code.
 */
import { loadConfig } from '../runtime/config';
import { installRuntime } from '../runtime/worker';
import { APPROVE_USAGE, cmdApprove, cmdReject, REJECT_USAGE } from './approve';
import { BACKTEST_USAGE, cmdBacktest } from './backtest';
import { cmdDemo, DEMO_USAGE } from './demo';
import { cmdDiagnose, cmdPlan, DIAGNOSE_USAGE, PLAN_USAGE } from './diagnose';
import { isUsageError, UsageError, wantsHelp } from './flags';
import { cmdHistory, HISTORY_USAGE } from './history';
import { cmdInspect, INSPECT_USAGE } from './inspect';
import { cmdPause, cmdResume, PAUSE_USAGE, RESUME_USAGE } from './pause';
import { cmdPolicies, POLICIES_USAGE, POLICIES_VALIDATE_USAGE, POLICY_STATS_USAGE } from './policies';
import { cmdReceiver, RECEIVER_USAGE } from './receiver';
import { cmdSetup, SETUP_ALERTS_USAGE, SETUP_TEMPORAL_USAGE, SETUP_USAGE } from './setup';
import { cmdSim, SIM_USAGE } from './sim';
import { cmdStatus, STATUS_USAGE } from './status';
import { cmdUp, UP_USAGE } from './up';
import { cmdWatch, WATCH_USAGE } from './watch';
import { cmdWorker, WORKER_USAGE } from './worker';

interface Command {
  /** Its lines in the usage text, also printed by `lbmedic <command> --help`. */
  usage: string;
  /** The usage of each subcommand, for `lbmedic setup alerts --help`. */
  subcommands?: Record<string, string>;
  run(args: string[]): Promise<number> | number;
}

/** In the order of the usage text. */
const COMMANDS: Record<string, Command> = {
  up: {
    usage: UP_USAGE,
    run: (args) => {
      installRuntime();
      return cmdUp(args, loadConfig());
    },
  },
  demo: { usage: DEMO_USAGE, run: (args) => cmdDemo(args, loadConfig()) },
  worker: {
    usage: WORKER_USAGE,
    run: () => {
      installRuntime();
      return cmdWorker(loadConfig());
    },
  },
  sim: { usage: SIM_USAGE, run: cmdSim },
  diagnose: { usage: DIAGNOSE_USAGE, run: (args) => cmdDiagnose(args, loadConfig()) },
  plan: { usage: PLAN_USAGE, run: (args) => cmdPlan(args, loadConfig()) },
  policies: {
    usage: POLICIES_USAGE,
    subcommands: { validate: POLICIES_VALIDATE_USAGE, stats: POLICY_STATS_USAGE },
    run: (args) => cmdPolicies(args, loadConfig()),
  },
  inspect: { usage: INSPECT_USAGE, run: (args) => cmdInspect(args, loadConfig()) },
  receiver: { usage: RECEIVER_USAGE, run: (args) => cmdReceiver(args, loadConfig()) },
  setup: {
    usage: SETUP_USAGE,
    subcommands: { alerts: SETUP_ALERTS_USAGE, temporal: SETUP_TEMPORAL_USAGE },
    run: (args) => cmdSetup(args, loadConfig()),
  },
  status: { usage: STATUS_USAGE, run: (args) => cmdStatus(args, loadConfig()) },
  approve: { usage: APPROVE_USAGE, run: (args) => cmdApprove(args, loadConfig()) },
  reject: { usage: REJECT_USAGE, run: (args) => cmdReject(args, loadConfig()) },
  pause: { usage: PAUSE_USAGE, run: (args) => cmdPause(args, loadConfig()) },
  resume: { usage: RESUME_USAGE, run: (args) => cmdResume(args, loadConfig()) },
  history: { usage: HISTORY_USAGE, run: (args) => cmdHistory(args, loadConfig()) },
  watch: { usage: WATCH_USAGE, run: (args) => cmdWatch(args, loadConfig()) },
  backtest: { usage: BACKTEST_USAGE, run: (args) => cmdBacktest(args, loadConfig()) },
};

const USAGE = `lbmedic — heals Google Cloud load balancers whose backends are unhealthy

Usage:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n')}

Help on one command: lbmedic <command> --help (or lbmedic help <command>).

Environment: LBMEDIC_GCP_ENDPOINT, LBMEDIC_PROJECT, LBMEDIC_POLICY_DIR, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
LBMEDIC_TASK_QUEUE, LBMEDIC_GCP_TIMEOUT_MS, LBMEDIC_TEMPORAL_UI_PORT, LBMEDIC_RECEIVER_* (see docs/production.md).`;

const commandNamed = (name: string): Command | undefined =>
  Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;

/** The command's usage, or its subcommand's when `args` names one. */
function usageOf(command: Command, args: readonly string[]): string {
  const sub = args[0] === undefined ? undefined : command.subcommands?.[args[0]];
  return `Usage:\n${sub ?? command.usage}`;
}

/** `lbmedic help [COMMAND [SUBCOMMAND]]`, `lbmedic --help`, `lbmedic -h`. */
function help(topic: string[]): number {
  const [name, ...rest] = topic;
  if (name === undefined) {
    console.log(USAGE);
    return 0;
  }
  const command = commandNamed(name);
  if (!command) throw new UsageError(`no command "${name}" to help with`);
  console.log(usageOf(command, rest));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.log(USAGE);
    return 2;
  }
  const command = commandNamed(name);
  try {
    if (name === 'help' || name === '--help' || name === '-h') return help(rest);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (wantsHelp(rest)) {
      console.log(usageOf(command, rest));
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    if (isUsageError(err)) {
      console.error(
        `lbmedic${command ? ` ${name}` : ''}: ${err.message}\n\n${command ? usageOf(command, rest) : USAGE}`,
      );
      return 2;
    }
    console.error(`lbmedic: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
