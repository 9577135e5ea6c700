/**
 * lbmedic's configuration: parsed once from the environment with zod, failing fast with messages
 * that say what to set. Defaults work locally (embedded Temporal dev server + the GCP simulator).
 */
import { z } from 'zod';
import { PROJECT_ID, RESOURCE_NAME } from '../core/alert-targets';
import { DEFAULT_MAX_ALERT_AGE_SEC, MAX_ALERT_AGE_LIMIT_SEC } from '../core/freshness';
import { scopeOfProjects, type Scope } from '../core/scope';
import { WATCH_INTERVAL_FLOOR_SEC } from '../core/watch';
import { Duration } from '../policies/schema';

const port = z.coerce.number().int().min(0).max(65535);
// The message never repeats the value: webhook URLs are secrets.
const notifyUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/**
 * Local activities (the diagnosis reads, the probes, the snapshot) running at once in one worker.
 * The SDK's default is 100: with 100 remediations diagnosing together on 2 cores, that many
 * in-flight reads starved the process (in-VPC probes timed out, verifications ran out of time) and
 * held ~100 responses in memory at once. 20 finished the same 100 remediations as fast, all of them.
 */
export const DEFAULT_MAX_CONCURRENT_READS = 20;

/** `a, b,c` → `['a', 'b', 'c']`, each checked by `item`. */
function commaList(item: z.ZodString, example: string) {
  return z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    )
    .pipe(z.array(item).min(1, { message: `must list at least one, separated by commas, e.g. ${example}` }));
}
/** A project id, or a glob of them (`acme-prod-*`); never every project. */
const projectId = z
  .string()
  .refine((p) => PROJECT_ID.test(p) || (/^[a-z0-9.:*?-]+$/.test(p) && /[*?]/.test(p)), {
    message: 'is not a project id (such as my-project-123) or a glob of them (such as acme-prod-*)',
  })
  .refine((p) => /[^*?]/.test(p), {
    message: 'must name projects: a scope of every project is no scope',
  });
const serviceGlob = z
  .string()
  .regex(/^[a-z0-9*?-]+$/, { message: 'must be a backend service name or a glob of a-z, 0-9, -, * and ?' });
const networkName = z.string().regex(RESOURCE_NAME, { message: 'is not a network name (such as default)' });
/** A comma-separated list of project ids: LBMEDIC_SCOPE, and `lbmedic up --scope`. */
export const ScopeProjects = commaList(projectId, 'my-project,other-project');
const maxAlertAge = Duration.pipe(
  z
    .number()
    .positive({ message: 'must be longer than 0s' })
    .max(MAX_ALERT_AGE_LIMIT_SEC, {
      message: `must be at most ${MAX_ALERT_AGE_LIMIT_SEC / 3600}h, so a replayed incident is still remembered and never acts twice (docs/safety.md)`,
    }),
);

/**
 * The health watch's interval (`90s`, `1m`): at least the floor, because getHealth changes at most
 * once per health check interval (docs/watch.md). LBMEDIC_WATCH_EVERY and `lbmedic watch --every`.
 */
export const WatchEvery = z.string().pipe(
  Duration.pipe(
    z.number().min(WATCH_INTERVAL_FLOOR_SEC, {
      message: `must be at least ${WATCH_INTERVAL_FLOOR_SEC}s: getHealth changes at most once per health check interval (5s by default), so reading it more often only spends Compute read quota (docs/watch.md)`,
    }),
  ),
);

export const Config = z
  .object({
    /** Simulator base URL (http://127.0.0.1:PORT). Unset: real Google Cloud with Application Default Credentials. */
    gcpEndpoint: z
      .url({ message: 'LBMEDIC_GCP_ENDPOINT must be a URL such as http://127.0.0.1:8085' })
      .optional(),
    /** Default project when a command does not name one. */
    project: z.string().min(1).optional(),
    /** The projects lbmedic may act on (comma-separated); required against Google Cloud. */
    scope: ScopeProjects.optional(),
    /** Backend services (names or globs) in scope; every one in the scope's projects when unset. */
    scopeBackendServices: commaList(serviceGlob, 'web-*,api-bs').optional(),
    /** Backend services (names or globs) out of scope, even when included. */
    scopeExcludeBackendServices: commaList(serviceGlob, 'payments-*').optional(),
    /** VPC networks the backends must be on; any when unset. */
    scopeNetworks: commaList(networkName, 'default,prod-vpc').optional(),
    /** An open incident that started longer ago than this starts nothing (`stale`), seconds. */
    maxAlertAge: z.string().pipe(maxAlertAge).default(DEFAULT_MAX_ALERT_AGE_SEC),
    temporalAddress: z.string().min(1).default('127.0.0.1:7233'),
    temporalNamespace: z.string().min(1).default('default'),
    /** Temporal Cloud API key (implies TLS). */
    temporalApiKey: z.string().min(1).optional(),
    /** TLS without a client certificate (system roots, or TEMPORAL_TLS_CA). */
    temporalTls: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((v) => v === 'true')
      .optional(),
    /** mTLS: client certificate and key files (both or neither). */
    temporalTlsCert: z.string().min(1).optional(),
    temporalTlsKey: z.string().min(1).optional(),
    /** A CA bundle for the server's certificate. */
    temporalTlsCa: z.string().min(1).optional(),
    taskQueue: z.string().min(1).default('lbmedic'),
    /**
     * Where the control workflows run (the per-project governors that admit new remediations, the
     * kill switches); default the task queue. A queue of their own keeps admissions quick while the
     * workers are busy remediating: `lbmedic worker` then serves both.
     */
    governorTaskQueue: z.string().min(1).optional(),
    /** Per-request timeout for Google API calls, ms. */
    gcpTimeoutMs: z.coerce.number().int().positive().default(20_000),
    /** The local address the in-VPC probe binds to (against the simulator: its worker's loopback address). */
    probeLocalAddress: z.ipv4({ message: 'LBMEDIC_PROBE_LOCAL_ADDRESS must be an IPv4 address' }).optional(),
    /** The worker's address in the VPC, recorded with each probe and judged by the firewall. */
    probeSource: z
      .ipv4({ message: 'LBMEDIC_PROBE_SOURCE must be an IPv4 address such as 10.128.0.2' })
      .optional(),
    /** Reads (local activities) one worker runs at once; see DEFAULT_MAX_CONCURRENT_READS. */
    maxConcurrentReads: z.coerce.number().int().min(1).max(1000).default(DEFAULT_MAX_CONCURRENT_READS),
    temporalUiPort: port.default(8233),
    /** Notifications: a generic JSON webhook (each transition POSTed as JSON). Secret: only its host is logged. */
    notifyWebhookUrl: notifyUrl.optional(),
    /** Notifications: a Slack incoming webhook URL. A credential: only its host is ever logged. */
    notifySlackWebhookUrl: notifyUrl.optional(),
    /** Bound on each notification request, ms. */
    notifyTimeoutMs: z.coerce.number().int().min(100).max(30_000).default(5_000),
    /** Folder of remediation policies; the shipped defaults when unset. */
    policyDir: z.string().min(1).optional(),
    /** An approvers file (docs/approvals.md) besides the policy folder's own approvers.yaml. */
    approversFile: z.string().min(1).optional(),
    /** The alert receiver's interface; loopback unless exposed on purpose. */
    receiverHost: z.string().min(1).default('127.0.0.1'),
    receiverPort: port.default(8787),
    /** The `?token=` the webhook URL carries (webhook_tokenauth channels, Pub/Sub push endpoints). */
    receiverToken: z
      .string()
      .min(16, { message: 'must be at least 16 characters, e.g. the output of `openssl rand -hex 24`' })
      .optional(),
    /** `user:password` for webhook_basicauth channels. */
    receiverBasicAuth: z
      .string()
      .regex(/^[^:]+:.{12,}$/, { message: 'must be user:password with a password of at least 12 characters' })
      .transform((s) => {
        const colon = s.indexOf(':');
        return { username: s.slice(0, colon), password: s.slice(colon + 1) };
      })
      .optional(),
    /** Largest request body the receiver reads, bytes. */
    receiverMaxBodyBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(256 * 1024),
    /** How long the receiver waits for Temporal before answering 503, ms. */
    receiverTemporalTimeoutMs: z.coerce.number().int().positive().default(10_000),
    /** The health watch (docs/watch.md): the worker enables it at start-up for every project of the scope. */
    watchEvery: WatchEvery.optional(),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.temporalTlsCert) !== Boolean(c.temporalTlsKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['temporalTlsCert'],
        message: 'set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY together (mTLS)',
      });
    }
  });
export type Config = z.infer<typeof Config>;

const ENV_NAMES: Record<keyof Config, string> = {
  gcpEndpoint: 'LBMEDIC_GCP_ENDPOINT',
  project: 'LBMEDIC_PROJECT',
  scope: 'LBMEDIC_SCOPE',
  scopeBackendServices: 'LBMEDIC_SCOPE_BACKEND_SERVICES',
  scopeExcludeBackendServices: 'LBMEDIC_SCOPE_EXCLUDE_BACKEND_SERVICES',
  scopeNetworks: 'LBMEDIC_SCOPE_NETWORKS',
  maxAlertAge: 'LBMEDIC_MAX_ALERT_AGE',
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalNamespace: 'TEMPORAL_NAMESPACE',
  temporalApiKey: 'TEMPORAL_API_KEY',
  temporalTls: 'TEMPORAL_TLS',
  temporalTlsCert: 'TEMPORAL_TLS_CERT',
  temporalTlsKey: 'TEMPORAL_TLS_KEY',
  temporalTlsCa: 'TEMPORAL_TLS_CA',
  taskQueue: 'LBMEDIC_TASK_QUEUE',
  governorTaskQueue: 'LBMEDIC_GOVERNOR_TASK_QUEUE',
  gcpTimeoutMs: 'LBMEDIC_GCP_TIMEOUT_MS',
  probeLocalAddress: 'LBMEDIC_PROBE_LOCAL_ADDRESS',
  probeSource: 'LBMEDIC_PROBE_SOURCE',
  maxConcurrentReads: 'LBMEDIC_MAX_CONCURRENT_READS',
  temporalUiPort: 'LBMEDIC_TEMPORAL_UI_PORT',
  notifyWebhookUrl: 'LBMEDIC_NOTIFY_WEBHOOK_URL',
  notifySlackWebhookUrl: 'LBMEDIC_NOTIFY_SLACK_WEBHOOK_URL',
  notifyTimeoutMs: 'LBMEDIC_NOTIFY_TIMEOUT_MS',
  policyDir: 'LBMEDIC_POLICY_DIR',
  approversFile: 'LBMEDIC_APPROVERS_FILE',
  receiverHost: 'LBMEDIC_RECEIVER_HOST',
  receiverPort: 'LBMEDIC_RECEIVER_PORT',
  receiverToken: 'LBMEDIC_RECEIVER_TOKEN',
  receiverBasicAuth: 'LBMEDIC_RECEIVER_BASIC_AUTH',
  receiverMaxBodyBytes: 'LBMEDIC_RECEIVER_MAX_BODY_BYTES',
  receiverTemporalTimeoutMs: 'LBMEDIC_RECEIVER_TEMPORAL_TIMEOUT_MS',
  watchEvery: 'LBMEDIC_WATCH_EVERY',
};

/** Reads the config from `env`; throws one error listing every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(ENV_NAMES)
      .map(([key, name]) => [key, env[name] === '' ? undefined : env[name]])
      .filter(([, v]) => v !== undefined),
  );
  const parsed = Config.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = String(i.path[0]) as keyof Config;
    return `  ${ENV_NAMES[key] ?? key}: ${i.message}`;
  });
  throw new Error(`invalid lbmedic configuration:\n${lines.join('\n')}`);
}

/** Where the governors and kill switches run: LBMEDIC_GOVERNOR_TASK_QUEUE, else the task queue. */
export function controlTaskQueue(config: Config): string {
  return config.governorTaskQueue ?? config.taskQueue;
}

/**
 * The scope the worker, the receiver and `lbmedic up` act in (docs/safety.md, "Scope"): the projects
 * of LBMEDIC_SCOPE, or else `defaultProjects` (`up --simulate`: the scenario's project), or else,
 * against the simulator only, LBMEDIC_PROJECT. Against Google Cloud a scope must be set: without one
 * this throws, saying what to set, and the process does not start.
 */
export function scopeFrom(config: Config, defaultProjects?: string[]): Scope {
  const projects =
    config.scope ??
    defaultProjects ??
    (config.gcpEndpoint !== undefined && config.project ? [config.project] : undefined);
  if (!projects) {
    throw new Error(
      config.gcpEndpoint === undefined
        ? 'no scope: against Google Cloud, set LBMEDIC_SCOPE to the projects lbmedic may act on (comma-separated, e.g. LBMEDIC_SCOPE=my-project); optionally narrow it with LBMEDIC_SCOPE_BACKEND_SERVICES, LBMEDIC_SCOPE_EXCLUDE_BACKEND_SERVICES and LBMEDIC_SCOPE_NETWORKS (docs/safety.md)'
        : 'no scope: set LBMEDIC_SCOPE (or LBMEDIC_PROJECT) to the simulated projects lbmedic may act on',
    );
  }
  const base = scopeOfProjects(projects);
  return {
    ...base,
    backendServices: {
      include: config.scopeBackendServices ?? [],
      exclude: config.scopeExcludeBackendServices ?? [],
    },
    networks: config.scopeNetworks ?? [],
  };
}
