/**
 * Where a project's simulated telemetry lives: log entries in Cloud Logging's REST JSON shape, kept in
 * bounded ring buffers (request logs are many, health-check transition logs few, so they have their
 * own buffer and a burst of requests does not push the transitions out).
 *
 * Request logs cover as much time as the metrics do (TELEMETRY_MINUTES_KEPT): the newest entries are
 * all kept; an entry pushed out of the ring joins a uniform sample of at most ARCHIVED_PER_MINUTE
 * entries per backend service and minute. At the default time scale traffic arrives 50 times faster
 * than its scenario rate, so keeping everything for hours is not possible; a sample keeps the mix of
 * statuses and statusDetails of every minute the metrics still show (as GCP's own logs are sampled by
 * `logConfig.sampleRate`).
 */

/** A LogEntry as `entries.list` returns it (gcp-facts §9). */
export type LogEntryJson = {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  receiveTimestamp: string;
  severity: 'DEFAULT' | 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
  insertId: string;
  httpRequest?: HttpRequestJson;
  jsonPayload?: Record<string, unknown>;
  labels?: Record<string, string>;
};

export type NewLogEntry = Omit<LogEntryJson, 'insertId'>;

export type HttpRequestJson = {
  requestMethod: string;
  requestUrl: string;
  /** int64 as a string. */
  requestSize?: string;
  status: number;
  responseSize?: string;
  userAgent?: string;
  remoteIp: string;
  serverIp?: string;
  /** A Duration string such as "0.025s". */
  latency: string;
};

/** A fixed-capacity FIFO that overwrites its oldest item. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds an item; returns the oldest one when it had to make room. */
  push(item: T): T | undefined {
    const end = (this.start + this.count) % this.capacity;
    const evicted = this.count === this.capacity ? this.items[end] : undefined;
    this.items[end] = item;
    if (this.count < this.capacity) this.count += 1;
    else this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) {
      const item = this.items[(this.start + i) % this.capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}

export const REQUEST_LOG_CAPACITY = 20_000;
const OTHER_LOG_CAPACITY = 2_000;
/** Minutes of logs and metrics kept per project (6 hours). */
export const TELEMETRY_MINUTES_KEPT = 360;
/** Request log entries kept per backend service and minute once they leave the ring. */
export const ARCHIVED_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

/** A uniform sample (reservoir) of one backend service's request entries of one minute. */
interface Bucket {
  minute: number;
  seen: number;
  entries: LogEntryJson[];
}

/** One project's log entries. */
export class LogStore {
  private readonly requests: RingBuffer<LogEntryJson>;
  private readonly others = new RingBuffer<LogEntryJson>(OTHER_LOG_CAPACITY);
  private readonly archive = new Map<string, Bucket>();
  private archived = 0;
  private sequence = 0;
  private readonly prefix = Math.floor(Math.random() * 36 ** 4).toString(36);

  constructor(requestCapacity = REQUEST_LOG_CAPACITY) {
    this.requests = new RingBuffer(requestCapacity);
  }

  get size(): number {
    return this.requests.size + this.others.size + this.archived;
  }

  /** A request log entry; the store gives it a unique insertId. */
  addRequest(entry: NewLogEntry): void {
    const evicted = this.requests.push(this.withId(entry));
    if (evicted !== undefined) this.keepSample(evicted);
  }

  private keepSample(entry: LogEntryJson): void {
    const time = Date.parse(entry.timestamp);
    const minute = time - (time % MINUTE_MS);
    const key = `${minute}|${entry.resource.type}|${entry.resource.labels['backend_service_name'] ?? ''}`;
    let bucket = this.archive.get(key);
    if (bucket === undefined) {
      bucket = { minute, seen: 0, entries: [] };
      this.archive.set(key, bucket);
      this.forgetBefore(minute - TELEMETRY_MINUTES_KEPT * MINUTE_MS);
    }
    bucket.seen += 1;
    if (bucket.entries.length < ARCHIVED_PER_MINUTE) {
      bucket.entries.push(entry);
      this.archived += 1;
      return;
    }
    // Reservoir sampling: every entry of the minute is kept with the same chance.
    const slot = Math.floor(Math.random() * bucket.seen);
    if (slot < ARCHIVED_PER_MINUTE) bucket.entries[slot] = entry;
  }

  private forgetBefore(oldest: number): void {
    for (const [key, bucket] of this.archive) {
      if (bucket.minute >= oldest) continue;
      this.archived -= bucket.entries.length;
      this.archive.delete(key);
    }
  }

  /** Any other entry (health-check transitions, …). */
  add(entry: NewLogEntry): void {
    this.others.push(this.withId(entry));
  }

  /** Cloud Logging's insertIds are short opaque strings, unique per log. */
  private withId(entry: NewLogEntry): LogEntryJson {
    this.sequence += 1;
    return { ...entry, insertId: `${this.prefix}${this.sequence.toString(36).padStart(8, '0')}` };
  }

  /** Every entry, oldest first (both buffers are in time order; this merges them). */
  entries(): LogEntryJson[] {
    const sampled = [...this.archive.values()]
      .flatMap((b) => b.entries)
      .sort((x, y) => x.timestamp.localeCompare(y.timestamp));
    const a = [...sampled, ...this.requests.toArray()];
    const b = this.others.toArray();
    const out: LogEntryJson[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const left = a[i];
      const right = b[j];
      if (right === undefined || (left !== undefined && left.timestamp <= right.timestamp)) {
        if (left !== undefined) out.push(left);
        i += 1;
      } else {
        out.push(right);
        j += 1;
      }
    }
    return out;
  }
}

/** `0.025s`: a protobuf Duration in JSON. */
export function durationString(ms: number): string {
  const seconds = (Math.max(0, ms) / 1000).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return `${seconds}s`;
}
