/**
 * Builds the real Google Cloud clients, for real GCP or for the simulator, in one place.
 *
 * Every client speaks REST (`fallback: true`) so behaviour is the same against GCP and the simulator.
 * In REST mode the libraries neither retry nor honour per-call timeouts, so this factory:
 *  - sets the request timeout on the auth client's transporter, and
 *  - wraps each client so idempotent methods (reads, `getHealth`, `listInstances`, operation `wait`)
 *    are retried with exponential backoff on retryable errors; mutations are never retried here
 *    (an insert or patch retried blindly could apply twice — callers re-read state instead).
 * All errors leave the wrappers as {@link GoogleApiError}.
 */
import { Logging } from '@google-cloud/logging';
// Each generated client is imported from its own module, not from the packages' index: the
// index of @google-cloud/compute also loads v1beta, v1small and the 30 MB static protos.js (and
// @google-cloud/monitoring its 4 MB one), ~60 MB of heap in every process that never uses them.
// The classes are the very ones the index re-exports (these paths are pinned with the versions).
// The Compute ones are required only once the trimmed protos are in place (computeClientClasses).
import type { BackendServicesClient } from '@google-cloud/compute/build/src/v1/backend_services_client.js';
import type { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client.js';
import type { GlobalNetworkEndpointGroupsClient } from '@google-cloud/compute/build/src/v1/global_network_endpoint_groups_client.js';
import type { NetworksClient } from '@google-cloud/compute/build/src/v1/networks_client.js';
import type { RegionBackendServicesClient } from '@google-cloud/compute/build/src/v1/region_backend_services_client.js';
import type { RegionHealthChecksClient } from '@google-cloud/compute/build/src/v1/region_health_checks_client.js';
import type { RegionInstanceGroupsClient } from '@google-cloud/compute/build/src/v1/region_instance_groups_client.js';
import type { RegionUrlMapsClient } from '@google-cloud/compute/build/src/v1/region_url_maps_client.js';
import type { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client.js';
import type { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import type { HealthChecksClient } from '@google-cloud/compute/build/src/v1/health_checks_client.js';
import type { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import type { InstanceGroupsClient } from '@google-cloud/compute/build/src/v1/instance_groups_client.js';
import type { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import type { NetworkEndpointGroupsClient } from '@google-cloud/compute/build/src/v1/network_endpoint_groups_client.js';
import type { RegionNetworkEndpointGroupsClient } from '@google-cloud/compute/build/src/v1/region_network_endpoint_groups_client.js';
import type { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import type { UrlMapsClient } from '@google-cloud/compute/build/src/v1/url_maps_client.js';
import type { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { AlertPolicyServiceClient } from '@google-cloud/monitoring/build/src/v3/alert_policy_service_client.js';
import { MetricServiceClient } from '@google-cloud/monitoring/build/src/v3/metric_service_client.js';
import { NotificationChannelServiceClient } from '@google-cloud/monitoring/build/src/v3/notification_channel_service_client.js';
import { GoogleAuth, PassThroughClient } from 'google-auth-library';
import { createRequire } from 'node:module';
import { useTrimmedComputeProtos } from './compute-protos';
import { toGoogleApiError } from './google-errors';

export interface GcpClientOptions {
  /** Simulator base URL such as `http://127.0.0.1:8085`; unset means real GCP with ADC. */
  endpoint?: string;
  /** Default project for clients that need one (Logging). */
  projectId: string;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** Attempts for idempotent calls, including the first. */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles each attempt, with jitter. */
  initialBackoffMs?: number;
}

export const DEFAULT_CLIENT_OPTIONS = { timeoutMs: 20_000, maxAttempts: 5, initialBackoffMs: 250 } as const;

/** Methods that read or are safe to repeat. Everything else is treated as a mutation. */
const IDEMPOTENT_METHODS = new Set([
  'get',
  'list',
  'getHealth',
  'listInstances',
  'aggregatedList',
  'wait',
  'getEntries',
  'listTimeSeries',
  'listAlertPolicies',
  'getAlertPolicy',
  'listNotificationChannels',
  'getNotificationChannel',
  'getEffectiveFirewalls',
]);

type RetryPolicy = Required<Pick<GcpClientOptions, 'maxAttempts' | 'initialBackoffMs'>>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, retrying retryable Google errors with exponential backoff and jitter. */
export async function withRetries<T>(
  operation: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const mapped = toGoogleApiError(err, operation);
      if (!mapped.retryable || attempt >= policy.maxAttempts) throw mapped;
      const base = policy.initialBackoffMs * 2 ** (attempt - 1);
      await sleep(base / 2 + Math.random() * base);
    }
  }
}

/**
 * A paged list (`listAsync`, `aggregatedListAsync`): the first page is retried like any read (nothing
 * was handed out yet, so a dropped keep-alive connection or a 503 costs nothing); a later page's
 * failure is mapped, not retried, as its caller already holds part of the list.
 */
async function* pagedWithRetries<T>(
  open: () => AsyncIterable<T>,
  operation: string,
  policy: RetryPolicy,
): AsyncGenerator<T> {
  let iterator: AsyncIterator<T> | undefined;
  const first = await withRetries(
    operation,
    async () => {
      iterator = open()[Symbol.asyncIterator]();
      return await iterator.next();
    },
    policy,
  );
  if (first.done) return;
  yield first.value;
  try {
    for (let r = await iterator!.next(); !r.done; r = await iterator!.next()) yield r.value;
  } catch (err) {
    throw toGoogleApiError(err, operation);
  }
}

/** Wraps a client so every promise-returning method maps its errors, and idempotent ones retry. */
function guard<T extends object>(client: T, name: string, policy: RetryPolicy): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      // Only the public API methods are wrapped: internals (`_log`, a callable logger, …) pass through.
      if (
        typeof prop !== 'string' ||
        typeof value !== 'function' ||
        prop.startsWith('_') ||
        prop.endsWith('Stream')
      ) {
        return value;
      }
      const method = value as (...args: unknown[]) => unknown;
      if (prop.endsWith('Async')) {
        return (...args: unknown[]) =>
          pagedWithRetries(
            () => method.apply(target, args) as AsyncIterable<unknown>,
            `${name}.${prop}`,
            policy,
          );
      }
      return (...args: unknown[]) => {
        const operation = `${name}.${prop}`;
        const call = async () => await (method.apply(target, args) as Promise<unknown>);
        if (IDEMPOTENT_METHODS.has(prop)) return withRetries(operation, call, policy);
        return call().catch((err: unknown) => {
          throw toGoogleApiError(err, operation);
        });
      };
    },
  });
}

export type GcpClients = ReturnType<typeof createGcpClients>;

/**
 * The options every generated client accepts (google-gax `ClientOptions`). google-gax pins its own
 * google-auth-library, so the auth objects are the same at run time but distinct types: cast once here.
 */
type ClientOptions = NonNullable<ConstructorParameters<typeof BackendServicesClient>[0]>;

const require = createRequire(import.meta.url);

/** The Compute client classes lbmedic uses, each in its module named in snake_case. */
interface ComputeClientClasses {
  BackendServicesClient: typeof BackendServicesClient;
  FirewallsClient: typeof FirewallsClient;
  GlobalOperationsClient: typeof GlobalOperationsClient;
  HealthChecksClient: typeof HealthChecksClient;
  InstanceGroupManagersClient: typeof InstanceGroupManagersClient;
  InstanceGroupsClient: typeof InstanceGroupsClient;
  InstancesClient: typeof InstancesClient;
  NetworkEndpointGroupsClient: typeof NetworkEndpointGroupsClient;
  RegionNetworkEndpointGroupsClient: typeof RegionNetworkEndpointGroupsClient;
  RegionOperationsClient: typeof RegionOperationsClient;
  UrlMapsClient: typeof UrlMapsClient;
  ZoneOperationsClient: typeof ZoneOperationsClient;
  GlobalNetworkEndpointGroupsClient: typeof GlobalNetworkEndpointGroupsClient;
  NetworksClient: typeof NetworksClient;
  RegionBackendServicesClient: typeof RegionBackendServicesClient;
  RegionHealthChecksClient: typeof RegionHealthChecksClient;
  RegionInstanceGroupsClient: typeof RegionInstanceGroupsClient;
  RegionUrlMapsClient: typeof RegionUrlMapsClient;
  SubnetworksClient: typeof SubnetworksClient;
}
const COMPUTE_CLIENTS = [
  'BackendServicesClient',
  'FirewallsClient',
  'GlobalOperationsClient',
  'HealthChecksClient',
  'InstanceGroupManagersClient',
  'InstanceGroupsClient',
  'InstancesClient',
  'NetworkEndpointGroupsClient',
  'RegionNetworkEndpointGroupsClient',
  'RegionOperationsClient',
  'UrlMapsClient',
  'ZoneOperationsClient',
  'GlobalNetworkEndpointGroupsClient',
  'NetworksClient',
  'RegionBackendServicesClient',
  'RegionHealthChecksClient',
  'RegionInstanceGroupsClient',
  'RegionUrlMapsClient',
  'SubnetworksClient',
] as const satisfies readonly (keyof ComputeClientClasses)[];

/** The Compute services lbmedic calls; their clients' protos are all it loads (compute-protos.ts). */
export const COMPUTE_SERVICES = COMPUTE_CLIENTS.map((name) => name.replace(/Client$/, ''));

/**
 * The Compute client classes, required only once the trimmed protos are in Node's module cache (a
 * static import would load them first: esbuild puts the bundle's package imports at its top).
 */
function computeClientClasses(): ComputeClientClasses {
  useTrimmedComputeProtos(COMPUTE_SERVICES);
  const classes = COMPUTE_CLIENTS.map((name) => {
    const file = name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    const module = require(`@google-cloud/compute/build/src/v1/${file}.js`) as Record<string, unknown>;
    return [name, module[name]];
  });
  return Object.fromEntries(classes) as ComputeClientClasses;
}

/** Creates every client lbmedic uses. Call `close()` when done so sockets do not keep the process alive. */
export function createGcpClients(opts: GcpClientOptions) {
  const {
    BackendServicesClient,
    FirewallsClient,
    GlobalOperationsClient,
    HealthChecksClient,
    InstanceGroupManagersClient,
    InstanceGroupsClient,
    InstancesClient,
    NetworkEndpointGroupsClient,
    RegionNetworkEndpointGroupsClient,
    RegionOperationsClient,
    UrlMapsClient,
    ZoneOperationsClient,
    GlobalNetworkEndpointGroupsClient,
    NetworksClient,
    RegionBackendServicesClient,
    RegionHealthChecksClient,
    RegionInstanceGroupsClient,
    RegionUrlMapsClient,
    SubnetworksClient,
  } = computeClientClasses();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CLIENT_OPTIONS.timeoutMs;
  const policy: RetryPolicy = {
    maxAttempts: opts.maxAttempts ?? DEFAULT_CLIENT_OPTIONS.maxAttempts,
    initialBackoffMs: opts.initialBackoffMs ?? DEFAULT_CLIENT_OPTIONS.initialBackoffMs,
  };
  const transporterOptions = { timeout: timeoutMs };
  let base: ClientOptions;
  if (opts.endpoint) {
    const url = new URL(opts.endpoint);
    base = {
      apiEndpoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol.replace(':', ''),
      fallback: true,
      // No credential lookup: without an authClient the library probes the metadata server.
      authClient: new PassThroughClient({ transporterOptions }) as unknown as ClientOptions['authClient'],
      projectId: opts.projectId,
    };
  } else {
    base = {
      fallback: true,
      auth: new GoogleAuth({
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        clientOptions: { transporterOptions },
      }) as unknown as ClientOptions['auth'],
      projectId: opts.projectId,
    };
  }
  const clients = {
    backendServices: guard(new BackendServicesClient(base), 'backendServices', policy),
    healthChecks: guard(new HealthChecksClient(base), 'healthChecks', policy),
    urlMaps: guard(new UrlMapsClient(base), 'urlMaps', policy),
    firewalls: guard(new FirewallsClient(base), 'firewalls', policy),
    instanceGroups: guard(new InstanceGroupsClient(base), 'instanceGroups', policy),
    instanceGroupManagers: guard(new InstanceGroupManagersClient(base), 'instanceGroupManagers', policy),
    instances: guard(new InstancesClient(base), 'instances', policy),
    networkEndpointGroups: guard(new NetworkEndpointGroupsClient(base), 'networkEndpointGroups', policy),
    regionNetworkEndpointGroups: guard(
      new RegionNetworkEndpointGroupsClient(base),
      'regionNetworkEndpointGroups',
      policy,
    ),
    globalNetworkEndpointGroups: guard(
      new GlobalNetworkEndpointGroupsClient(base),
      'globalNetworkEndpointGroups',
      policy,
    ),
    networks: guard(new NetworksClient(base), 'networks', policy),
    regionBackendServices: guard(new RegionBackendServicesClient(base), 'regionBackendServices', policy),
    regionHealthChecks: guard(new RegionHealthChecksClient(base), 'regionHealthChecks', policy),
    regionInstanceGroups: guard(new RegionInstanceGroupsClient(base), 'regionInstanceGroups', policy),
    regionUrlMaps: guard(new RegionUrlMapsClient(base), 'regionUrlMaps', policy),
    subnetworks: guard(new SubnetworksClient(base), 'subnetworks', policy),
    globalOperations: guard(new GlobalOperationsClient(base), 'globalOperations', policy),
    zoneOperations: guard(new ZoneOperationsClient(base), 'zoneOperations', policy),
    regionOperations: guard(new RegionOperationsClient(base), 'regionOperations', policy),
    logging: guard(new Logging(base as ConstructorParameters<typeof Logging>[0]), 'logging', policy),
    metrics: guard(new MetricServiceClient(base), 'metrics', policy),
    alertPolicies: guard(new AlertPolicyServiceClient(base), 'alertPolicies', policy),
    notificationChannels: guard(new NotificationChannelServiceClient(base), 'notificationChannels', policy),
  };
  return {
    ...clients,
    retryPolicy: policy,
    async close(): Promise<void> {
      const closable = Object.values(clients) as { close?: () => Promise<void> }[];
      await Promise.allSettled(closable.map(async (c) => c.close?.()));
    },
  };
}
