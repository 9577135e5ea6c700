/**
 * Compute operations: a mutation is validated when it arrives, answered with a PENDING operation, and
 * applied when the operation reaches DONE after a delay (GCP applies changes asynchronously too).
 * A change that fails when applied leaves a DONE operation with `error.errors[]`,
 * `httpErrorStatusCode` and `httpErrorMessage`, as GCP's do.
 *
 * Operations can be addressed by name or by numeric id (the v1 API accepts both; the compute client's
 * wrapper calls the id `name`). `wait` is best effort, like GCP's: it returns when the operation is
 * DONE or after a bounded time, and callers loop until DONE.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, notFound, operationErrorFields, toApiError } from './errors';
import { regionLink, scopeLink, zoneLink } from './urls';

/** Where an operation lives: global (neither), a zone or a region. */
export interface OperationScope {
  zone?: string;
  region?: string;
}

export interface OperationSpec {
  project: string;
  scope: OperationScope;
  /** `patch`, `insert`, `delete`, `setNamedPorts`, … */
  operationType: string;
  targetLink: string;
  targetId: string;
  /** Applies the change at DONE; an ApiError thrown here fails the operation. */
  apply: () => void;
  /** Fail at DONE without applying (an injected asynchronous fault). */
  failWith?: ApiError;
}

export type OperationJson = Record<string, unknown> & { name: string; id: string; status: string };

interface OperationRecord {
  project: string;
  scopeKey: string;
  json: OperationJson;
  timers: NodeJS.Timeout[];
  waiters: Set<() => void>;
}

export interface OperationStoreOptions {
  /** Real milliseconds from creation to DONE, asked per operation (the world's time scale may change). */
  delayMs: () => number;
  /** Longest a `wait` call blocks, in real milliseconds. */
  waitTimeoutMs: number;
  /** Operations kept per project; the oldest finished ones are forgotten first. */
  maxPerProject?: number;
}

function scopeKey(scope: OperationScope): string {
  if (scope.zone) return `zones/${scope.zone}`;
  if (scope.region) return `regions/${scope.region}`;
  return 'global';
}

let counter = 0n;

/** A unique 19-digit id (a uint64 on the wire, so serialised as a string). */
export function newNumericId(): string {
  counter += 1n;
  return (BigInt(Date.now()) * 1_000_000n + (counter % 1_000_000n)).toString();
}

function operationName(): string {
  const hex = (n: number): string => randomBytes(n).toString('hex');
  return `operation-${Date.now()}-${hex(7).slice(0, 13)}-${hex(4)}-${hex(4)}`;
}

export class OperationStore {
  private readonly byProject = new Map<string, Map<string, OperationRecord>>();
  /** `${project}/${requestId}` → operation name. */
  private readonly requestIds = new Map<string, string>();
  private closed = false;

  constructor(private readonly opts: OperationStoreOptions) {}

  /**
   * Record a new operation, schedule it, and return its PENDING JSON. A resource takes one change at
   * a time: while an operation on it is not DONE, another is refused with 400 `resourceNotReady`
   * (what GCP answers concurrent changes of one resource, e.g.
   * https://github.com/GoogleCloudPlatform/gke-autoneg-controller/issues/11).
   */
  start(spec: OperationSpec): OperationJson {
    const busy = [...(this.byProject.get(spec.project)?.values() ?? [])].some(
      (r) => r.json.status !== 'DONE' && r.json['targetLink'] === spec.targetLink,
    );
    if (busy) {
      const path = spec.targetLink.replace(/^https:\/\/[^/]+\/compute\/v1\//, '');
      throw new ApiError(400, `The resource '${path}' is not ready`, 'resourceNotReady');
    }
    const id = newNumericId();
    const name = operationName();
    const now = new Date().toISOString();
    const location = spec.scope.zone ?? spec.scope.region;
    const json: OperationJson = {
      kind: 'compute#operation',
      id,
      name,
      operationType: spec.operationType,
      targetLink: spec.targetLink,
      targetId: spec.targetId,
      status: 'PENDING',
      user: `lbmedic-sim@${spec.project}.iam.gserviceaccount.com`,
      progress: 0,
      insertTime: now,
      startTime: now,
      selfLink: `${scopeLink(spec.project, location)}/operations/${name}`,
    };
    if (spec.scope.zone) json['zone'] = zoneLink(spec.project, spec.scope.zone);
    if (spec.scope.region) json['region'] = regionLink(spec.project, spec.scope.region);

    const record: OperationRecord = {
      project: spec.project,
      scopeKey: scopeKey(spec.scope),
      json,
      timers: [],
      waiters: new Set(),
    };
    this.remember(record);

    const delay = Math.max(0, this.opts.delayMs());
    const running = setTimeout(() => {
      if (record.json.status === 'PENDING') record.json.status = 'RUNNING';
    }, delay / 2);
    const done = setTimeout(() => this.finish(record, spec), delay);
    running.unref();
    done.unref();
    record.timers.push(running, done);
    return { ...json };
  }

  /** The operation's current JSON; 404 when unknown in that scope. */
  get(project: string, scope: OperationScope, operation: string): OperationJson {
    return { ...this.find(project, scope, operation).json };
  }

  /** Resolve when the operation is DONE or after `waitTimeoutMs`, whichever comes first. */
  async wait(project: string, scope: OperationScope, operation: string): Promise<OperationJson> {
    const record = this.find(project, scope, operation);
    if (record.json.status !== 'DONE' && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, this.opts.waitTimeoutMs);
        function finish(): void {
          clearTimeout(timer);
          record.waiters.delete(finish);
          resolve();
        }
        record.waiters.add(finish);
      });
    }
    return { ...record.json };
  }

  /** The operation a mutation with this `requestId` started, as it is now (for idempotent retries). */
  byRequestId(project: string, requestId: string): OperationJson | undefined {
    const name = this.requestIds.get(`${project}/${requestId}`);
    const record = name === undefined ? undefined : this.byProject.get(project)?.get(name);
    return record && { ...record.json };
  }

  rememberRequestId(project: string, requestId: string, op: { name: string }): void {
    this.requestIds.set(`${project}/${requestId}`, op.name);
  }

  /** Operations of a project, newest last (for the control API). */
  list(project: string): OperationJson[] {
    return [...(this.byProject.get(project)?.values() ?? [])].map((r) => ({ ...r.json }));
  }

  /** Stop all timers and release every waiter; pending operations stay as they are. */
  close(): void {
    this.closed = true;
    for (const ops of this.byProject.values()) {
      for (const record of ops.values()) {
        record.timers.forEach(clearTimeout);
        for (const waiter of [...record.waiters]) waiter();
      }
    }
  }

  private finish(record: OperationRecord, spec: OperationSpec): void {
    const json = record.json;
    try {
      if (spec.failWith) throw spec.failWith;
      spec.apply();
    } catch (err) {
      Object.assign(json, operationErrorFields(toApiError(err)));
    }
    json.status = 'DONE';
    json['progress'] = 100;
    json['endTime'] = new Date().toISOString();
    for (const waiter of [...record.waiters]) waiter();
  }

  private find(project: string, scope: OperationScope, operation: string): OperationRecord {
    const ops = this.byProject.get(project);
    const key = scopeKey(scope);
    const record = ops?.get(operation) ?? [...(ops?.values() ?? [])].find((r) => r.json.id === operation);
    if (!record || record.scopeKey !== key) {
      throw notFound(`projects/${project}/${key}/operations/${operation}`);
    }
    return record;
  }

  private remember(record: OperationRecord): void {
    let ops = this.byProject.get(record.project);
    if (!ops) {
      ops = new Map();
      this.byProject.set(record.project, ops);
    }
    ops.set(record.json.name, record);
    const max = this.opts.maxPerProject ?? 1000;
    for (const [name, old] of ops) {
      if (ops.size <= max) break;
      if (old.json.status === 'DONE') ops.delete(name);
    }
  }
}
