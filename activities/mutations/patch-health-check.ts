/**
 * Patching a health check's port, request path or port specification (root cause 1, and the port-moved
 * fix). Compute keeps them in a sub-object named after the check's type (`httpHealthCheck`, …), and a
 * patch replaces that sub-object whole, so the fields the mutation leaves alone are sent back as read.
 */
import type { MutationOf } from '../../core/mutation';
import type { GcpClients } from '../gcp-clients';
import { detailKey } from './health-check';
import type { MutationModule } from './module';

type PatchHealthCheck = MutationOf<'patchHealthCheck'>;

/** The health check `m` names, global or regional. */
const getHealthCheck = (clients: GcpClients, project: string, m: PatchHealthCheck) =>
  m.region
    ? clients.regionHealthChecks.get({ project, region: m.region, healthCheck: m.healthCheck })
    : clients.healthChecks.get({ project, healthCheck: m.healthCheck });

/** Set `port`, `requestPath` and `portSpecification` on a health check, each only when given. */
export const patchHealthCheck: MutationModule<'patchHealthCheck'> = {
  describe: (m) => `healthCheck ${m.region ? `${m.region}/` : ''}${m.healthCheck}`,

  async read(clients, project, m): Promise<PatchHealthCheck> {
    const [hc] = await getHealthCheck(clients, project, m);
    const d = (hc[detailKey(m.type)] ?? {}) as {
      port?: number | null;
      requestPath?: string | null;
      portSpecification?: unknown;
    };
    return {
      kind: 'patchHealthCheck',
      healthCheck: m.healthCheck,
      ...(m.region ? { region: m.region } : {}),
      type: m.type,
      ...(d.port != null ? { port: d.port } : {}),
      ...(d.requestPath != null ? { requestPath: d.requestPath } : {}),
      ...(d.portSpecification != null ? { portSpecification: String(d.portSpecification) } : {}),
    };
  },

  holds: (current, desired) =>
    current?.kind === 'patchHealthCheck' &&
    (desired.port === undefined || current.port === desired.port) &&
    (desired.requestPath === undefined || current.requestPath === desired.requestPath) &&
    (desired.portSpecification === undefined || current.portSpecification === desired.portSpecification),

  async send(clients, project, m, requestId) {
    const [hc] = await getHealthCheck(clients, project, m);
    const key = detailKey(m.type);
    const details = {
      ...(hc[key] ?? {}),
      ...(m.port !== undefined ? { port: m.port } : {}),
      ...(m.requestPath !== undefined ? { requestPath: m.requestPath } : {}),
      ...(m.portSpecification !== undefined ? { portSpecification: m.portSpecification } : {}),
    };
    const patch = { healthCheck: m.healthCheck, requestId, healthCheckResource: { [key]: details } };
    return m.region
      ? clients.regionHealthChecks.patch({ project, region: m.region, ...patch })
      : clients.healthChecks.patch({ project, ...patch });
  },

  inverse: (current) => current,
};
