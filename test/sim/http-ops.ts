/**
 * Waiting for a Compute operation through the real clients, whatever its scope (global, zonal or
 * regional), and reading request logs newer than a moment.
 */
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import type { protos } from '@google-cloud/compute';
import { Logging } from '@google-cloud/logging';
import type { Sim } from './http-harness';

type Operation = protos.google.cloud.compute.v1.IOperation;

/** Waits for the operation a mutation returned (`[LROperation]`) until DONE; fails on an error. */
export async function untilDone(sim: Sim, result: unknown): Promise<Operation> {
  let op = (result as [{ latestResponse: Operation }])[0].latestResponse;
  const operation = op.name ?? '';
  const project = sim.project;
  for (let i = 0; op.status !== 'DONE'; i++) {
    assert.ok(i < 50, 'operation never finished');
    const zone = op.zone?.split('/').pop();
    const region = op.region?.split('/').pop();
    if (zone)
      [op] = await new compute.ZoneOperationsClient(sim.clientOptions).wait({ project, zone, operation });
    else if (region)
      [op] = await new compute.RegionOperationsClient(sim.clientOptions).wait({ project, region, operation });
    else [op] = await new compute.GlobalOperationsClient(sim.clientOptions).wait({ project, operation });
  }
  assert.equal(op.error, undefined, JSON.stringify(op.error));
  return op;
}

export interface RequestLine {
  status: number;
  statusDetails: string;
  resourceType: string;
  labels: Record<string, string>;
  logName: string;
}

/** Request log entries matching `filter`, newest first, as status + statusDetails. */
export async function requestLines(sim: Sim, filter: string, pageSize = 50): Promise<RequestLine[]> {
  const logging = new Logging(sim.clientOptions as ConstructorParameters<typeof Logging>[0]);
  const [entries] = await logging.getEntries({
    filter,
    orderBy: 'timestamp desc',
    pageSize,
    autoPaginate: false,
  });
  return entries.map((e) => ({
    status: Number(e.metadata.httpRequest?.status ?? 0),
    statusDetails: String((e.data as { statusDetails?: string }).statusDetails),
    resourceType: String(e.metadata.resource?.type),
    labels: (e.metadata.resource?.labels ?? {}) as Record<string, string>,
    logName: String(e.metadata.logName),
  }));
}

/** The harness's poll, for the files that take their helpers from here. */
export { eventually } from '../helpers/sim';

/** The distinct `status statusDetails` of request lines. */
export function signatures(lines: RequestLine[]): string[] {
  return [...new Set(lines.map((l) => `${l.status} ${l.statusDetails}`))].sort();
}
