/**
 * The `lbmedic` command. Each subcommand is a composition root: it parses its flags, reads the
 * config, builds the real clients and runs. `main` returns the process exit code.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createBackendHealthActivities, type BackendHealth } from '../activities/backend-health';
import { createEvidenceActivities, withDeadline } from '../activities/evidence';
import { createGcpClients } from '../activities/gcp-clients';
import { createUrlMapResolver } from '../activities/url-maps';
import { classify } from '../core/classify';
import { collectEvidence } from '../core/collect';
import { buildPlan } from '../core/plan';
import { renderPlan } from '../core/plan-render';
import { renderDiagnosis } from '../core/report';
import { loadConfig, type Config } from '../runtime/config';
import { startDevServer, type DevServer } from '../runtime/dev-server';
import { startSimulation, type Simulation } from '../runtime/simulation';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../runtime/policy-loader';
import { startReceiver } from '../receiver/server';
import { temporalConnectionOptions } from '../runtime/connection';
import { createWorker, installRuntime } from '../runtime/worker';
import { cmdReceiver, RECEIVER_USAGE } from './receiver';
import { cmdSetup, SETUP_USAGE } from './setup';
import { cmdApprove, cmdHistory, cmdReject, cmdStatus, REMEDIATION_USAGE } from './remediation';
import { cmdDemo, DEFAULT_UP_STATE_FILE, DEMO_USAGE, removeUpState, webhookUrl, writeUpState } from './demo';

const USAGE = `lbmedic — heals Google Cloud load balancers whose backends are unhealthy

Usage:
  lbmedic up [--simulate [SCENARIO]] [--sim-port N] [--temporal-port N] [--ui-port N]
             [--receiver-port N] [--temporal-db FILE] [--state FILE] [--once]
      Embedded Temporal dev server (UI on 8233) + worker + alert receiver; with --simulate (the default when no
      GCP project is configured) also the GCP simulator. Inspects every backend service once,
      then runs until Ctrl-C (--once: stop after the inspection). While it runs, --state (default
      .temporal/up.json) says where everything is, for \`lbmedic demo\`.
${DEMO_USAGE}
  lbmedic worker
      Runs the worker against TEMPORAL_ADDRESS (for containers and production).
  lbmedic sim [--scenario NAME | --scenario-file FILE] [--port N] [--time-scale X]
      Runs the GCP simulator in the foreground.
  lbmedic diagnose --project P --backend-service BS [--window MIN] [--probe-ports 8080,9090] [--json]
      Collects the evidence (logs, getHealth, health check, firewall, named ports, latency, NEGs,
      an in-VPC probe) and names the root cause(s), like the field guide's diagnostic workflow.
  lbmedic plan --project P --backend-service BS [--policies DIR] [--json]
      Diagnoses, selects the policies and prints the plan (before → after, rollback). Changes nothing.
  lbmedic policies validate [DIR]
      Validates a policy folder (default: the shipped policies/, or LBMEDIC_POLICY_DIR).
  lbmedic inspect --project P --backend-service BS [--json]
      Prints getHealth for a backend service (uses LBMEDIC_GCP_ENDPOINT or real GCP).
${RECEIVER_USAGE}
${SETUP_USAGE}
${REMEDIATION_USAGE}

Environment: LBMEDIC_GCP_ENDPOINT, LBMEDIC_PROJECT, LBMEDIC_POLICY_DIR, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
LBMEDIC_TASK_QUEUE, LBMEDIC_GCP_TIMEOUT_MS, LBMEDIC_TEMPORAL_UI_PORT, LBMEDIC_RECEIVER_* (see README).`;

class UsageError extends Error {}

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} must be a port number, got "${value}"`);
  return n;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function formatHealth(h: BackendHealth): string {
  const lines = [`${h.project}/${h.backendService}: ${h.healthy}/${h.total} HEALTHY`];
  for (const g of h.groups) {
    lines.push(`  ${g.group.replace(/^.*\/projects\/[^/]+\//, '')}`);
    for (const i of g.instances) {
      lines.push(
        `    ${i.healthState.padEnd(9)} ${i.instance.split('/').pop() ?? ''} ${i.ipAddress}:${i.port ?? '-'}`,
      );
    }
  }
  return lines.join('\n');
}

async function cmdSim(args: string[]): Promise<number> {
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
  const sim = await startSimulation({
    ...(values.scenario ? { scenario: values.scenario } : {}),
    ...(values['scenario-file'] ? { scenarioFile: values['scenario-file'] } : {}),
    port: intFlag(values.port, 'port') ?? 8085,
    ...(timeScale !== undefined ? { timeScale } : {}),
  });
  console.log(`GCP simulator listening on ${sim.url}`);
  console.log(`  point lbmedic at it: LBMEDIC_GCP_ENDPOINT=${sim.url}`);
  console.log(`  control API: ${sim.url}/_sim/state`);
  console.log(sim.world.summary());
  await untilSignal();
  await sim.stop();
  return 0;
}

async function cmdInspect(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      'backend-service': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const project = values.project ?? config.project;
  const backendService = values['backend-service'];
  if (!project || !backendService) throw new UsageError('inspect needs --project and --backend-service');
  const clients = createGcpClients({
    ...(config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
    projectId: project,
    timeoutMs: config.gcpTimeoutMs,
  });
  try {
    const health = await createBackendHealthActivities(clients).getBackendHealth({ project, backendService });
    console.log(values.json ? JSON.stringify(health, null, 2) : formatHealth(health));
    return 0;
  } finally {
    await clients.close();
  }
}

async function cmdWorker(config: Config): Promise<number> {
  const project = config.project;
  if (!project)
    throw new UsageError('the worker needs LBMEDIC_PROJECT (the default project for Google clients)');
  // Refuse to start on invalid policies, before touching Temporal.
  const policies = loadPolicies(config.policyDir);
  const clients = createGcpClients({
    ...(config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
    projectId: project,
    timeoutMs: config.gcpTimeoutMs,
  });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const clientConnection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const worker = await createWorker({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      clients,
      policies,
      temporal: new Client({ connection: clientConnection, namespace: config.temporalNamespace }),
      ...probeRanges(config),
      notify: notifyOptions(config),
      maxConcurrentReads: config.maxConcurrentReads,
    });
    console.log(
      `lbmedic worker on ${config.temporalAddress}, namespace ${config.temporalNamespace}, task queue ${config.taskQueue}`,
    );
    // The SDK's worker shuts down gracefully on SIGINT/SIGTERM.
    await worker.run();
    return 0;
  } finally {
    await clientConnection.close();
    await connection.close();
    await clients.close();
  }
}

/** Notification sinks from the config (the log line is always written). */
function notifyOptions(config: Config) {
  return {
    ...(config.notifyWebhookUrl ? { webhookUrl: config.notifyWebhookUrl } : {}),
    ...(config.notifySlackWebhookUrl ? { slackWebhookUrl: config.notifySlackWebhookUrl } : {}),
    timeoutMs: config.notifyTimeoutMs,
  };
}

/** Against the simulator, instances live on loopback: never let the in-VPC probe leave it. */
function probeRanges(config: Pick<Config, 'gcpEndpoint'>): { probeAllowedRanges?: string[] } {
  return config.gcpEndpoint ? { probeAllowedRanges: ['127.0.0.0/8'] } : {};
}

const DIAGNOSE_OPTIONS = {
  project: { type: 'string' },
  'backend-service': { type: 'string' },
  window: { type: 'string', default: '10' },
  'probe-ports': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Collects evidence and classifies it, outside Temporal (diagnose and plan). */
async function diagnoseFromFlags(
  values: {
    project?: string;
    'backend-service'?: string;
    window: string;
    'probe-ports'?: string;
  },
  config: Config,
  command: string,
) {
  const project = values.project ?? config.project;
  const backendService = values['backend-service'];
  if (!project || !backendService) throw new UsageError(`${command} needs --project and --backend-service`);
  const windowMinutes = Number(values.window);
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > 1440) {
    throw new UsageError('--window must be whole minutes between 1 and 1440');
  }
  const probePorts = (values['probe-ports'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => intFlag(p.trim(), 'probe-ports') ?? 0);
  const clients = createGcpClients({
    ...(config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
    projectId: project,
    timeoutMs: config.gcpTimeoutMs,
  });
  try {
    const readers = createEvidenceActivities(clients, probeRanges(config));
    const evidence = await collectEvidence(
      withDeadline(readers, config.gcpTimeoutMs * 3),
      { project, backendService },
      { windowMinutes, probePorts, now: new Date().toISOString() },
    );
    return { evidence, diagnosis: classify(evidence) };
  } finally {
    await clients.close();
  }
}

const verdictExitCode = (verdict: string) =>
  verdict === 'NO_FAULT' ? 0 : verdict === 'FAULTS_FOUND' ? 3 : 4;

async function cmdDiagnose(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: DIAGNOSE_OPTIONS });
  const { evidence, diagnosis } = await diagnoseFromFlags(values, config, 'diagnose');
  console.log(
    values.json ? JSON.stringify({ evidence, diagnosis }, null, 2) : renderDiagnosis(evidence, diagnosis),
  );
  return verdictExitCode(diagnosis.verdict);
}

async function cmdPlan(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { ...DIAGNOSE_OPTIONS, policies: { type: 'string' } } });
  // Policies first: a broken policy folder should not cost a diagnosis.
  const policies = loadPolicies(values.policies ?? config.policyDir);
  const { evidence, diagnosis } = await diagnoseFromFlags(values, config, 'plan');
  const plan = buildPlan(evidence, diagnosis, policies);
  if (values.json) console.log(JSON.stringify({ diagnosis, plan }, null, 2));
  else {
    console.log(
      `Diagnosis: ${diagnosis.verdict}${diagnosis.findings.map((f) => `\n  ✗ ${f.cause}: ${f.summary}`).join('')}`,
    );
    for (const u of diagnosis.unavailable) console.log(`  could not see ${u.source}: ${u.error}`);
    console.log(`\n${renderPlan(plan)}\n\nNothing was changed (lbmedic plan only reads).`);
  }
  return verdictExitCode(diagnosis.verdict);
}

async function cmdPolicies(args: string[], config: Config): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'validate') throw new UsageError('usage: lbmedic policies validate [DIR]');
  const dir = rest[0] ?? config.policyDir ?? DEFAULT_POLICY_DIR;
  const set = loadPolicies(dir);
  console.log(
    `${dir}: ${set.policies.length} valid polic${set.policies.length === 1 ? 'y' : 'ies'}${set.settings.killSwitch ? ' (kill switch ON: everything is dry-run)' : ''}`,
  );
  for (const p of set.policies) {
    console.log(
      `  ${p.name.padEnd(28)} ${p.match.causes.join(',').padEnd(24)} ${p.action.type.padEnd(22)} ${p.approval.mode}${p.dryRun ? ' dry-run' : ''}`,
    );
  }
  return 0;
}

async function cmdUp(args: string[], config: Config): Promise<number> {
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
      state: { type: 'string' },
      once: { type: 'boolean' },
    },
  });
  const simulate = values.simulate === true || !config.project;
  const policies = loadPolicies(config.policyDir);
  const embeddedTemporal = !process.env.TEMPORAL_ADDRESS;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error('stop failed:', e));
  };
  try {
    let sim: Simulation | undefined;
    if (simulate) {
      sim = await startSimulation({
        scenario: values.scenario ?? 'port-moved',
        port: intFlag(values['sim-port'], 'sim-port') ?? 0,
      });
      stops.push(() => sim!.stop());
    }
    let address = config.temporalAddress;
    let dev: DevServer | undefined;
    if (embeddedTemporal) {
      dev = await startDevServer({
        port: intFlag(values['temporal-port'], 'temporal-port') ?? 7233,
        uiPort: intFlag(values['ui-port'], 'ui-port') ?? config.temporalUiPort,
        ...(values['temporal-db'] ? { dbFile: values['temporal-db'] } : {}),
      });
      stops.push(() => dev!.stop());
      address = dev.address;
    }
    const project = sim ? [...sim.world.projects.keys()][0] : config.project;
    if (!project) throw new UsageError('no project: set LBMEDIC_PROJECT or use --simulate');
    const clients = createGcpClients({
      ...(sim ? { endpoint: sim.url } : config.gcpEndpoint ? { endpoint: config.gcpEndpoint } : {}),
      projectId: project,
      timeoutMs: config.gcpTimeoutMs,
    });
    stops.push(() => clients.close());
    // The embedded dev server is plain; an external cluster gets the configured TLS / API key.
    const target = dev ? { address } : temporalConnectionOptions(config, address);
    const nativeConnection = await NativeConnection.connect(target);
    stops.push(() => nativeConnection.close());
    const connection = await Connection.connect(target);
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporalNamespace });
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      clients,
      policies,
      temporal: client,
      ...probeRanges(sim ? { gcpEndpoint: sim.url } : config),
      notify: notifyOptions(config),
      maxConcurrentReads: config.maxConcurrentReads,
    });
    const running = worker.run();
    stops.push(async () => {
      // The SDK already starts a shutdown on SIGINT/SIGTERM; only ask once.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    // The alert receiver. Locally a token is made up when none is configured, and printed.
    const token =
      config.receiverToken ?? (config.receiverBasicAuth ? undefined : randomBytes(18).toString('hex'));
    const receiver = await startReceiver({
      client,
      taskQueue: config.taskQueue,
      temporalTimeoutMs: config.receiverTemporalTimeoutMs,
      resolveUrlMap: createUrlMapResolver(clients),
      credentials: {
        ...(token ? { token } : {}),
        ...(config.receiverBasicAuth ? { basic: config.receiverBasicAuth } : {}),
      },
      host: config.receiverHost,
      port: intFlag(values['receiver-port'], 'receiver-port') ?? config.receiverPort,
      maxBodyBytes: config.receiverMaxBodyBytes,
      log: () => undefined,
    });
    stops.push(() => receiver.close());
    console.log('lbmedic is up:');
    console.log(
      `  Temporal     ${address} (namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`,
    );
    if (dev) console.log(`  Temporal UI  ${dev.uiUrl}`);
    console.log(
      `  Receiver     ${receiver.url}/alerts${token && !config.receiverToken ? `?token=${token}` : '  (token/basic auth from the config)'}`,
    );
    if (sim) console.log(`  GCP          simulator at ${sim.url} (LBMEDIC_GCP_ENDPOINT=${sim.url})`);
    else
      console.log(`  GCP          ${config.gcpEndpoint ?? 'Google Cloud (Application Default Credentials)'}`);

    const services = sim ? [...(sim.world.projects.get(project)?.backendServices.keys() ?? [])] : [];
    for (const backendService of services) {
      const health = await client.workflow.execute('inspectBackendWorkflow', {
        taskQueue: config.taskQueue,
        workflowId: `inspect-${project}-${backendService}-${Date.now()}`,
        args: [{ project, backendService }],
      });
      console.log(formatHealth(health as BackendHealth));
    }
    if (!values.once) {
      // Where everything runs, for `lbmedic demo`; removed first when up stops.
      const stateFile = values.state ?? DEFAULT_UP_STATE_FILE;
      writeUpState(stateFile, {
        temporalAddress: address,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        uiUrl: dev?.uiUrl ?? null,
        simulatorUrl: sim?.url ?? null,
        receiverUrl: webhookUrl(receiver.url, token, config.receiverBasicAuth),
        project,
        pid: process.pid,
      });
      stops.push(async () => removeUpState(stateFile));
      console.log('Press Ctrl-C to stop.');
      await untilSignal();
    }
    return 0;
  } finally {
    await stopAll();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'sim':
        return await cmdSim(rest);
      case 'up':
        installRuntime();
        return await cmdUp(rest, loadConfig());
      case 'worker':
        installRuntime();
        return await cmdWorker(loadConfig());
      case 'diagnose':
        return await cmdDiagnose(rest, loadConfig());
      case 'plan':
        return await cmdPlan(rest, loadConfig());
      case 'policies':
        return await cmdPolicies(rest, loadConfig());
      case 'inspect':
        return await cmdInspect(rest, loadConfig());
      case 'receiver':
        return await cmdReceiver(rest, loadConfig());
      case 'setup':
        return await cmdSetup(rest, loadConfig());
      case 'status':
        return await cmdStatus(rest, loadConfig());
      case 'approve':
        return await cmdApprove(rest, loadConfig());
      case 'reject':
        return await cmdReject(rest, loadConfig());
      case 'history':
        return await cmdHistory(rest, loadConfig());
      case 'demo':
        return await cmdDemo(rest, loadConfig());
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      console.error(`lbmedic: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`lbmedic: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
