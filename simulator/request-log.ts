/** A bounded log of the API requests the simulator answered (control API calls excluded). */
import type { ApiService } from './errors';

export interface LoggedRequest {
  /** Increases by one per request; `GET /_sim/requests?since=N` returns those after N. */
  seq: number;
  time: string;
  service: ApiService | 'unknown';
  method: string;
  path: string;
  query: string;
  status: number;
  /** Set when an injected fault answered the request. */
  faultId?: string;
}

export class RequestLog {
  private items: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity = 2000) {}

  add(entry: Omit<LoggedRequest, 'seq' | 'time'>): void {
    this.seq += 1;
    this.items.push({ seq: this.seq, time: new Date().toISOString(), ...entry });
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  list(since = 0): LoggedRequest[] {
    return this.items.filter((r) => r.seq > since);
  }

  clear(): void {
    this.items = [];
  }
}
