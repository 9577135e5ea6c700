/**
 * What the health-check kinds share: where Compute keeps a check's port and path (a sub-object named
 * after its type), and reading a whole check as the `insertHealthCheck` that would create it again.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isLbmedicOwned } from '../../core/ownership';
import { FAILURE_TYPES } from '../../core/model';
import type { HealthCheckDetails, MutationOf } from '../../core/mutation';
import type { GcpClients } from '../gcp-clients';
import { GoogleApiError } from '../google-errors';
import { wireNumber } from './module';

/** `HTTP` → `httpHealthCheck`: where a health check keeps its port and path on the wire. */
export const detailKey = (type: string) =>
  `${type.toLowerCase()}HealthCheck` as
    'httpHealthCheck' | 'httpsHealthCheck' | 'http2HealthCheck' | 'tcpHealthCheck' | 'sslHealthCheck';

/** The full URL a backend service names a global health check by. */
export const healthCheckUrl = (project: string, name: string): string =>
  `https://www.googleapis.com/compute/v1/projects/${project}/global/healthChecks/${name}`;

const DETAIL_FIELDS = [
  'port',
  'portName',
  'portSpecification',
  'requestPath',
  'host',
  'response',
  'proxyHeader',
] as const;

/** The settings a details sub-object holds, without the ones that are unset. */
function detailsOf(raw: Record<string, unknown>): HealthCheckDetails {
  const out: HealthCheckDetails = {};
  for (const f of DETAIL_FIELDS) {
    const v = raw[f];
    if (v === null || v === undefined || v === '') continue;
    if (f === 'port') out.port = wireNumber(v) ?? 0;
    else out[f] = String(v);
  }
  return out;
}

/** Does `current` hold every detail `desired` sets? */
export const detailsHold = (current: HealthCheckDetails, desired: HealthCheckDetails): boolean =>
  DETAIL_FIELDS.every((f) => desired[f] === undefined || current[f] === desired[f]);

/** Health check `name` as the `insertHealthCheck` that would create it again; `null` when it does not exist. */
export async function readWholeHealthCheck(
  clients: Pick<GcpClients, 'healthChecks'>,
  project: string,
  name: string,
): Promise<MutationOf<'insertHealthCheck'> | null> {
  try {
    const [hc] = await clients.healthChecks.get({ project, healthCheck: name });
    const type = String(hc.type ?? 'TCP');
    return {
      kind: 'insertHealthCheck',
      healthCheck: name,
      type,
      checkIntervalSec: wireNumber(hc.checkIntervalSec) ?? 5,
      timeoutSec: wireNumber(hc.timeoutSec) ?? 5,
      healthyThreshold: wireNumber(hc.healthyThreshold) ?? 2,
      unhealthyThreshold: wireNumber(hc.unhealthyThreshold) ?? 2,
      details: detailsOf((hc[detailKey(type)] ?? {}) as Record<string, unknown>),
      description: hc.description ?? '',
    };
  } catch (err) {
    if (err instanceof GoogleApiError && err.status === 404) return null;
    throw err;
  }
}

/** Refuses (non-retryable) to delete a health check lbmedic did not create. */
export function refuseUnlessOwnedCheck(current: { healthCheck: string; description: string } | null): void {
  if (current && !isLbmedicOwned({ name: current.healthCheck, description: current.description })) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.refused,
      nonRetryable: true,
      message: `lbmedic will not delete health check ${current.healthCheck}: it did not create it`,
    });
  }
}
