/**
 * Injected faults: make the next matching API call(s) fail with a Google error, answer slowly, or
 * (mode `operation`) succeed synchronously but leave a DONE operation that carries the error, the way
 * a Compute mutation can fail after it was accepted. Managed through `/_sim/faults`.
 */
import { z } from 'zod';
import { invalid } from './errors';

export type FaultService = 'compute' | 'logging' | 'monitoring';

export const FaultSpec = z.strictObject({
  /** The HTTP status to answer; without it the fault only delays (needs `delayMs`). */
  status: z.union([z.literal(429), z.literal(503), z.literal(403), z.literal(500)]).optional(),
  match: z
    .strictObject({
      service: z.enum(['compute', 'logging', 'monitoring']).optional(),
      method: z
        .string()
        .transform((m) => m.toUpperCase())
        .pipe(z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']))
        .optional(),
      /** A regular expression tested against the request path (without the query string). */
      path: z
        .string()
        .refine((p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        }, 'must be a valid regular expression')
        .optional(),
    })
    .optional(),
  /** How many times the fault fires (default 1); 0 means until cleared. */
  count: z.number().int().min(0).default(1),
  /** Answer this many real milliseconds late (before the error, or before the normal answer). */
  delayMs: z.number().int().min(0).max(120_000).optional(),
  /**
   * `request` (default): the HTTP call fails. `operation`: a Compute mutation is accepted and its
   * operation ends DONE with this error instead of applying the change.
   */
  mode: z.enum(['request', 'operation']).default('request'),
});
export type FaultSpec = z.input<typeof FaultSpec>;

export interface Fault extends z.output<typeof FaultSpec> {
  id: string;
  /** Times it has fired so far. */
  fired: number;
}

export interface FaultRequest {
  service: FaultService;
  method: string;
  path: string;
}

export class FaultStore {
  private faults: Fault[] = [];
  private nextId = 1;

  /** Validate and add a fault; throws a 400 ApiError on a bad spec. */
  add(spec: unknown): Fault {
    const parsed = FaultSpec.safeParse(spec);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ');
      throw invalid(`Invalid fault: ${detail}`);
    }
    if (parsed.data.status === undefined && parsed.data.delayMs === undefined) {
      throw invalid('Invalid fault: give a status, a delayMs, or both.');
    }
    if (parsed.data.mode === 'operation' && parsed.data.status === undefined) {
      throw invalid('Invalid fault: an operation fault needs a status.');
    }
    const fault: Fault = { ...parsed.data, id: `fault-${this.nextId++}`, fired: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Remove every fault; returns how many there were. */
  clear(): number {
    const n = this.faults.length;
    this.faults = [];
    return n;
  }

  /** The first armed fault of that mode matching the request, counted as fired. */
  take(req: FaultRequest, mode: 'request' | 'operation'): Fault | undefined {
    const fault = this.faults.find((f) => f.mode === mode && matches(f, req));
    if (!fault) return undefined;
    fault.fired += 1;
    if (fault.count !== 0 && fault.fired >= fault.count) {
      this.faults = this.faults.filter((f) => f !== fault);
    }
    return { ...fault };
  }
}

function matches(fault: Fault, req: FaultRequest): boolean {
  const m = fault.match;
  if (!m) return true;
  if (m.service !== undefined && m.service !== req.service) return false;
  if (m.method !== undefined && m.method !== req.method.toUpperCase()) return false;
  if (m.path !== undefined && !new RegExp(m.path).test(req.path)) return false;
  return true;
}
