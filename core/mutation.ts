/**
 * The changes lbmedic can make, as data: one shape per kind of Compute call. Plans carry them (a step's
 * `apply` and `inverse`), history records them, and activities/mutations/<kind>.ts knows how to read,
 * compare, send and invert each. The union is the one list of kinds; the activities' dispatch table is
 * typed by it, so a kind without a module does not compile.
 */
import type { FirewallPermission } from './firewall';

export interface NamedPort {
  name: string;
  port: number;
}

/** A health check's protocol-specific settings, as Compute keeps them in `<type>HealthCheck`. */
export interface HealthCheckDetails {
  port?: number;
  portName?: string;
  portSpecification?: string;
  requestPath?: string;
  host?: string;
  response?: string;
  proxyHeader?: string;
}

/** One Compute call. Inverse mutations use the same shapes. */
export type Mutation =
  | {
      kind: 'patchHealthCheck';
      healthCheck: string;
      /** A regional health check's region (regionHealthChecks.patch); global when absent. */
      region?: string;
      type: string;
      port?: number;
      requestPath?: string;
      portSpecification?: string;
    }
  | { kind: 'patchFirewall'; firewall: string; allowed: FirewallPermission[] }
  | {
      kind: 'insertFirewall';
      firewall: string;
      network: string;
      priority: number;
      sourceRanges: string[];
      targetTags: string[];
      /** Set instead of `targetTags` when the instances are picked by service account. */
      targetServiceAccounts?: string[];
      allowed: FirewallPermission[];
      description: string;
    }
  | { kind: 'deleteFirewall'; firewall: string }
  | {
      /** A whole new health check (lbmedic's dedicated copy of a shared one). */
      kind: 'insertHealthCheck';
      healthCheck: string;
      type: string;
      checkIntervalSec: number;
      timeoutSec: number;
      healthyThreshold: number;
      unhealthyThreshold: number;
      details: HealthCheckDetails;
      description: string;
    }
  | { kind: 'deleteHealthCheck'; healthCheck: string }
  /** Points a backend service at another health check (by name). */
  | { kind: 'setBackendServiceHealthCheck'; backendService: string; healthCheck: string }
  | {
      kind: 'setNamedPorts';
      instanceGroup: string;
      /** The zonal group's zone; '' for a regional group. */
      zone: string;
      /** A regional group's region (regionInstanceGroups.setNamedPorts). */
      region?: string;
      namedPorts: NamedPort[];
    }
  | {
      kind: 'patchBackendService';
      backendService: string;
      /** A regional backend service's region (regionBackendServices.patch); global when absent. */
      region?: string;
      timeoutSec: number;
    };

export type MutationKind = Mutation['kind'];
/** The mutation of one kind. */
export type MutationOf<K extends MutationKind> = Extract<Mutation, { kind: K }>;
