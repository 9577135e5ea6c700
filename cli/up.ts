/**
 * `lbmedic up`: everything on one machine. The embedded Temporal dev server, the worker, the alert
 * receiver and (with --simulate) the GCP simulator; inspects every backend service once, then runs
 * until Ctrl-C, saying where everything runs in the up state file for `lbmedic demo`. Whatever was
 * started is stopped again, in reverse order, when it ends or when a later part fails to start.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { BackendHealth } from '../activities/backend-health';
import { createGcpClients, type GcpClients } from '../activities/gcp-clients';
import type { PolicySet } from '../policies/schema';
import { startReceiver, type Receiver } from '../receiver/server';
import { describeScope, type Scope } from '../core/scope';
import { controlTaskQueue, scopeFrom, ScopeProjects, type Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { startDevServer, type DevServer } from '../runtime/dev-server';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { startSimulation, type Simulation } from '../runtime/simulation';
import { watchFromConfig } from '../runtime/watch';
import { createWorker } from '../runtime/worker';
import { gcpClientsFor, notifyOptions, probeOptions } from './clients';
import { ensureDemoApprover, type DemoApprover } from './demo-approver';
import { busyPort, portFlag, UsageError } from './flags';
import { formatHealth } from './inspect';
import { untilSignal } from './signals';
import { PROJECT_ROOT } from '../runtime/temporal-binaries';
import { watchSimulatedAlerts } from './up-alerts';
import { DEFAULT_UP_STATE_FILE, removeUpState, webhookUrl, writeUpState } from './up-state';

export const UP_USAGE = `  lbmedic up [--simulate [SCENARIO]] [--scope P1,P2] [--sim-port N] [--temporal-port N] [--ui-port N]
             [--receiver-port N] [--temporal-db FILE] [--state FILE] [--once]
      Embedded Temporal dev server (UI on 8233) + worker + alert receiver; with --simulate (the default when no
      GCP project is configured) also the GCP simulator (scenario healthy unless named), whose simulated
      Cloud Monitoring gets lbmedic's alert policies (setup alerts) pointed at the receiver: break the
      load balancer and the alert, the fix and the closed incident follow on their own, each said on
      the console. Inspects every backend service once, then runs until Ctrl-C (--once: stop after the
      inspection). While it runs, --state (default
      .temporal/up.json) says where everything is, for \`lbmedic demo\`; the receiver's log goes to
      receiver.log beside it. --scope (else LBMEDIC_SCOPE; with --simulate, the scenario's project) is
      what lbmedic may act on: required against Google Cloud.`;

function parseUpFlags(args: string[]) {
  // `--simulate [SCENARIO]`: an optional value, which parseArgs cannot express; rewrite it as --scenario.
  const at = args.indexOf('--simulate');
  const next = at >= 0 ? args[at + 1] : undefined;
  if (next !== undefined && !next.startsWith('-'))
    args = [...args.slice(0, at + 1), '--scenario', ...args.slice(at + 1)];
  const { values } = parseArgs({
    args,
    options: {
      simulate: { type: 'boolean' },
      scenario: { type: 'string' },
      'sim-port': { type: 'string' },
      'temporal-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'temporal-db': { type: 'string' },
      'receiver-port': { type: 'string' },
      scope: { type: 'string' },
      state: { type: 'string' },
      once: { type: 'boolean' },
    },
  });
  return {
    ...values,
    simPort: portFlag(values['sim-port'], 'sim-port'),
    temporalPort: portFlag(values['temporal-port'], 'temporal-port'),
    uiPort: portFlag(values['ui-port'], 'ui-port'),
    receiverPort: portFlag(values['receiver-port'], 'receiver-port'),
    scopeProjects: scopeFlag(values.scope),
  };
}

/** `--scope P1,P2`: the projects, checked like LBMEDIC_SCOPE. */
function scopeFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const parsed = ScopeProjects.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(`--scope ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return parsed.data;
}

type UpFlags = ReturnType<typeof parseUpFlags>;

/** What `up` has started, stopped newest first. */
class Started {
  private readonly stops: (() => Promise<void>)[] = [];

  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.reverse()) {
      await stop().catch((e: unknown) => console.error('stop failed:', e));
    }
  }
}

/** The GCP simulator on --sim-port (any free port by default), with the scenario loaded. */
async function startSimulator(flags: UpFlags, started: Started): Promise<Simulation> {
  const port = flags.simPort ?? 0;
  const sim = await startSimulation({ scenario: flags.scenario ?? 'healthy', port }).catch(
    busyPort(port, '--sim-port'),
  );
  started.add(() => sim.stop());
  return sim;
}

/** Temporal: the embedded dev server, or TEMPORAL_ADDRESS when it is set. */
async function startTemporal(
  flags: UpFlags,
  config: Config,
  started: Started,
): Promise<{ address: string; dev?: DevServer }> {
  if (process.env.TEMPORAL_ADDRESS) return { address: config.temporalAddress };
  const dev = await startDevServer({
    port: flags.temporalPort ?? 7233,
    uiPort: flags.uiPort ?? config.temporalUiPort,
    ...(flags['temporal-db'] ? { dbFile: flags['temporal-db'] } : {}),
  });
  started.add(() => dev.stop());
  return { address: dev.address, dev };
}

/** The worker, running; returns the Temporal client it shares with the receiver and the inspection. */
async function startWorker(
  config: Config,
  parts: {
    address: string;
    dev?: DevServer;
    sim?: Simulation;
    clients: GcpClients;
    policies: PolicySet;
    scope: Scope;
  },
  started: Started,
): Promise<Client> {
  const { address, dev, sim, clients, policies, scope } = parts;
  // The embedded dev server is plain; an external cluster gets the configured TLS / API key.
  const target = dev ? { address } : temporalConnectionOptions(config, address);
  const nativeConnection = await NativeConnection.connect(target);
  started.add(() => nativeConnection.close());
  const connection = await Connection.connect(target);
  started.add(() => connection.close());
  const client = new Client({ connection, namespace: config.temporalNamespace });
  // As `lbmedic worker`: the control workflows (governors, kill switches, the watch) on a queue of
  // their own when LBMEDIC_GOVERNOR_TASK_QUEUE is set.
  for (const taskQueue of new Set([config.taskQueue, controlTaskQueue(config)])) {
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      taskQueue,
      clients,
      policies,
      scope,
      temporal: client,
      ...probeOptions(sim ? { gcpEndpoint: sim.url } : config),
      notify: notifyOptions(config),
      maxConcurrentReads: config.maxConcurrentReads,
    });
    const running = worker.run();
    started.add(async () => {
      // The SDK already starts a shutdown on SIGINT/SIGTERM; only ask once.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
  }
  return client;
}

/**
 * The alert receiver, with the Temporal client only: like `lbmedic receiver`, it gets no Google Cloud
 * client or credentials (the worker resolves URL maps). Locally a token is made up when none is
 * configured, and printed. Its log (one line per request, failed authentications summed up, never a
 * secret) is appended to `logFile`.
 */
async function startAlertReceiver(
  config: Config,
  flags: UpFlags,
  parts: { client: Client; scope: Scope; logFile: string },
  started: Started,
): Promise<{ receiver: Receiver; token?: string }> {
  mkdirSync(dirname(parts.logFile), { recursive: true });
  const logStream = createWriteStream(parts.logFile, { flags: 'a', mode: 0o600 });
  // A log that cannot be written is said, not a crash of everything `up` runs.
  logStream.on('error', (err) => console.error(`receiver log ${parts.logFile}: ${err.message}`));
  started.add(() => new Promise<void>((resolve) => logStream.end(resolve)));
  const token =
    config.receiverToken ?? (config.receiverBasicAuth ? undefined : randomBytes(18).toString('hex'));
  const port = flags.receiverPort ?? config.receiverPort;
  const receiver = await startReceiver({
    client: parts.client,
    taskQueue: config.taskQueue,
    governorTaskQueue: controlTaskQueue(config),
    temporalTimeoutMs: config.receiverTemporalTimeoutMs,
    scope: parts.scope,
    maxAlertAgeSec: config.maxAlertAge,
    credentials: {
      ...(token ? { token } : {}),
      ...(config.receiverBasicAuth ? { basic: config.receiverBasicAuth } : {}),
    },
    host: config.receiverHost,
    port,
    maxBodyBytes: config.receiverMaxBodyBytes,
    log: (entry) => logStream.write(`${JSON.stringify(entry)}\n`),
  }).catch(busyPort(port, '--receiver-port'));
  started.add(() => receiver.close());
  return { receiver, ...(token ? { token } : {}) };
}

function printWhere(
  config: Config,
  parts: {
    address: string;
    dev?: DevServer;
    receiverUrl: string;
    receiverLog: string;
    token?: string;
    sim?: Simulation;
    scope: Scope;
    approver?: DemoApprover;
  },
): void {
  const { address, dev, receiverUrl, token, sim, approver } = parts;
  console.log('lbmedic is up:');
  console.log(
    `  Temporal     ${address} (namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`,
  );
  if (dev) console.log(`  Temporal UI  ${dev.uiUrl}`);
  console.log(
    `  Receiver     ${receiverUrl}/alerts${token && !config.receiverToken ? `?token=${token}` : '  (token/basic auth from the config)'}`,
  );
  const near = relative(process.cwd(), parts.receiverLog);
  console.log(`  Receiver log ${near && !near.startsWith('..') ? near : parts.receiverLog}`);
  if (sim) console.log(`  GCP          simulator at ${sim.url} (LBMEDIC_GCP_ENDPOINT=${sim.url})`);
  else
    console.log(`  GCP          ${config.gcpEndpoint ?? 'Google Cloud (Application Default Credentials)'}`);
  console.log(`  Scope        ${describeScope(parts.scope)}`);
  if (approver)
    console.log(
      `  Approver     ${approver.name} (demo key ${approver.keyFile}, registered in ${approver.approversFile})`,
    );
}

/** getHealth of every simulated backend service, through the worker (a first end-to-end check). */
async function inspectAll(client: Client, config: Config, sim: Simulation, project: string): Promise<void> {
  for (const { name: backendService, region } of sim.world.projects.get(project)?.backendServices.values() ??
    []) {
    const health = await client.workflow.execute('inspectBackendWorkflow', {
      taskQueue: config.taskQueue,
      workflowId: `inspect-${project}-${backendService}-${Date.now()}`,
      args: [{ project, backendService, ...(region ? { region } : {}) }],
    });
    console.log(formatHealth(health as BackendHealth));
  }
}

export async function cmdUp(args: string[], config: Config): Promise<number> {
  const flags = parseUpFlags(args);
  const simulate = flags.simulate === true || !config.project;
  // --scope over LBMEDIC_SCOPE; against Google Cloud one of them is required, checked before anything starts.
  const scoped = flags.scopeProjects ? { ...config, scope: flags.scopeProjects } : config;
  const cloudScope = simulate ? undefined : scopeFrom(scoped);
  // On the simulator the person running up is the demo approver, with a key kept beside the server's state.
  const stateDir = flags['temporal-db'] ? dirname(flags['temporal-db']) : join(PROJECT_ROOT, '.temporal');
  const approver = simulate ? ensureDemoApprover(join(stateDir, 'approver')) : undefined;
  const policies = loadConfiguredPolicies(config, {
    extraApprovers: approver ? [approver.approversFile] : [],
  });
  const started = new Started();
  try {
    const sim = simulate ? await startSimulator(flags, started) : undefined;
    const { address, dev } = await startTemporal(flags, config, started);
    const project = sim ? [...sim.world.projects.keys()][0] : config.project;
    if (!project) throw new UsageError('no project: set LBMEDIC_PROJECT or use --simulate');
    const scope = cloudScope ?? scopeFrom(scoped, sim ? [...sim.world.projects.keys()] : undefined);
    const stateFile = flags.state ?? DEFAULT_UP_STATE_FILE;
    const receiverLog = join(dirname(stateFile), 'receiver.log');
    const clients = sim
      ? createGcpClients({ endpoint: sim.url, projectId: project, timeoutMs: config.gcpTimeoutMs })
      : gcpClientsFor(config, project);
    started.add(() => clients.close());
    const where = { address, ...(dev ? { dev } : {}), ...(sim ? { sim } : {}) };
    const client = await startWorker(config, { ...where, clients, policies, scope }, started);
    const { receiver, token } = await startAlertReceiver(
      config,
      flags,
      { client, scope, logFile: receiverLog },
      started,
    );
    printWhere(config, {
      ...where,
      receiverUrl: receiver.url,
      receiverLog,
      scope,
      ...(token ? { token } : {}),
      ...(approver ? { approver } : {}),
    });
    if (sim) {
      // Simulated Cloud Monitoring notifies this receiver, as `setup alerts` makes the real one do.
      const watch = await watchSimulatedAlerts({
        sim,
        clients,
        project,
        webhookUrl: webhookUrl(receiver.url, token, config.receiverBasicAuth),
        client,
        namespace: config.temporalNamespace,
        uiUrl: dev?.uiUrl,
      });
      started.add(async () => watch.stop());
      console.log(`  Alerts       simulated Cloud Monitoring → the receiver: ${watch.policies.join('; ')}`);
      await inspectAll(client, config, sim, project);
    }
    // The health watch, when LBMEDIC_WATCH_EVERY asks for it (docs/watch.md), as `lbmedic worker` does.
    for (const line of await watchFromConfig(client, {
      everySec: config.watchEvery,
      projects: scope.projects,
      taskQueue: config.taskQueue,
      governorTaskQueue: controlTaskQueue(config),
    }))
      console.log(`  Watch        ${line}`);
    if (!flags.once) {
      // Where everything runs, for `lbmedic demo`; removed first when up stops.
      writeUpState(stateFile, {
        temporalAddress: address,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        uiUrl: dev?.uiUrl ?? null,
        simulatorUrl: sim?.url ?? null,
        receiverUrl: webhookUrl(receiver.url, token, config.receiverBasicAuth),
        project,
        approverKey: approver?.keyFile ?? null,
        approversFile: approver?.approversFile ?? null,
        pid: process.pid,
      });
      started.add(async () => removeUpState(stateFile));
      console.log('Press Ctrl-C to stop.');
      await untilSignal();
    }
    return 0;
  } finally {
    await started.stopAll();
  }
}
