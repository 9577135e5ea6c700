/**
 * The governor of one project (`lbmedic-governor/<project>`): the one admission point for new
 * remediations, so fleet limits hold however many receivers take alerts at once. The receiver
 * reaches it by update-with-start when an alert names a backend service with no running remediation,
 * or only a URL map (resolved here, by an activity: the receiver holds no Google Cloud credentials).
 *
 * For each backend service (core/fleet.ts decides): attach to a running remediation, start one in a
 * free slot, queue the alert (bounded), or refuse it (`fleet-limited`). Slots come back when the
 * remediations end (seen by describing them), queued alerts start as slots and the window allow,
 * and the fleet circuit breaker trips (one notification) when many backend services alert at once.
 * An entity workflow in the shape of Temporal's safe-message-handlers sample: its state is small and
 * bounded, admissions decide without awaiting in between, and it continues as new (state carried)
 * once its handlers have finished.
 */
import {
  allHandlersFinished,
  condition,
  log,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { failureMessage } from '../core/failure';
import {
  admit,
  breakerCheckAt,
  breakerSummary,
  closeBreakerIfCalm,
  dequeue,
  MAX_ALERTS_PER_ADMISSION,
  MAX_TARGETS_PER_ALERT,
  newFleetState,
  nextWindowSlot,
  noteAlerting,
  release,
  undoStart,
  type AdmitRequest,
  type AdmitResult,
  type Breaker,
  type FleetSettings,
  type FleetState,
  type TargetAdmission,
} from '../core/fleet';
import { boundedIncident } from '../core/incidents';
import { remediationWorkflowId, type Incident } from '../core/model';
import { SA } from '../core/search-attributes';
import { admitUpdate, governorStatusQuery, resetBreakerSignal } from './control-definitions';
import { continueAsNewKeepingRecord, historyFull } from './history-watch';
import { announce, control, fleetCalls } from './stubs';

export interface GovernorInput {
  project: string;
  /** Where the remediations it starts run; default its own task queue. */
  taskQueue?: string;
  /** Carried over a continue-as-new. */
  state?: FleetState;
}

/** Admissions one run takes before it continues as new (the server caps updates per run). */
const ADMISSIONS_PER_RUN = 1000;
/** How often the remediations believed running are checked while slots are taken. */
const RECHECK_MS = { busy: 10_000, idle: 60_000 } as const;
/** How long a URL map's backend services are remembered (an alert storm reads it once). */
const URL_MAP_TTL_MS = 60_000;
/** Who started a remediation from an alert, recorded in its input. */
const TRIGGERED_BY = 'cloud-monitoring';

const DRAINING = 'the governor is continuing as new: retry';

/** The backend services of an alert, or why there are none (for good, or for now). */
type Targets =
  { services: string[]; via: string } | { unmapped: string } | { outOfScope: string } | { retry: string };

/** What became of a delivery to a remediation (activities/fleet.ts `deliverAlerts`). */
type Delivered = 'started' | 'attached' | 'not-running' | 'failed';

/** An alert decided and not yet delivered: start a remediation, attach to one, or pass a closing on. */
interface Pending {
  result: AdmitResult;
  bs: string;
  incident: Incident;
  decision: 'start' | 'attach' | 'closed';
}

export async function governorWorkflow(input: GovernorInput): Promise<void> {
  const g = new Governor(
    input.project,
    input.taskQueue ?? workflowInfo().taskQueue,
    input.state ?? newFleetState(),
  );
  setHandler(admitUpdate, (reqs) => g.admitBatch(reqs), {
    validator: (reqs) => {
      if (g.draining) throw new Error(DRAINING);
      if (!Array.isArray(reqs) || reqs.length === 0 || reqs.length > MAX_ALERTS_PER_ADMISSION)
        throw new Error(`an admission carries 1 to ${MAX_ALERTS_PER_ADMISSION} alerts`);
      for (const req of reqs) {
        if (!req || typeof req.incident !== 'object' || typeof req.via !== 'string')
          throw new Error('each alert needs an incident and how its target was found');
        if (req.backendServices === undefined && typeof req.urlMap !== 'string')
          throw new Error('each alert names backend services or a URL map');
      }
    },
  });
  setHandler(governorStatusQuery, () => ({
    project: g.project,
    state: g.s,
    ...(g.settings ? { settings: g.settings } : {}),
  }));
  setHandler(resetBreakerSignal, ({ by }) => {
    if (!g.s.breaker) return;
    delete g.s.breaker;
    g.s.alerting = [];
    log.info('fleet breaker closed by a person', { by: String(by) });
    g.dirty = true;
  });
  await g.run();
  await condition(allHandlersFinished);
  await continueAsNewKeepingRecord<typeof governorWorkflow>({ ...input, state: g.s });
}

class Governor {
  settings: FleetSettings | undefined;
  draining = false;
  /** The memo and search attributes are written once per activation, after the handlers ran. */
  dirty = true;
  private admissions = 0;
  private lastRecheck = 0;
  private readonly urlMaps = new Map<string, { services: string[]; at: number }>();
  private readonly reading = new Map<
    string,
    Promise<{ services: string[] } | { unmapped: string } | { outOfScope: string }>
  >();

  constructor(
    readonly project: string,
    private readonly taskQueue: string,
    readonly s: FleetState,
  ) {}

  /** The main loop: rechecks slots, starts queued alerts, closes a calm breaker, keeps the memo. */
  async run(): Promise<void> {
    this.settings = await control.fleetSettings();
    for (;;) {
      const f = this.settings;
      const wakeAt = this.nextWake(f);
      await condition(
        () => this.dirty || this.mustContinue(),
        wakeAt === undefined ? undefined : Math.max(1, wakeAt - Date.now()),
      );
      if (this.mustContinue()) {
        this.draining = true;
        this.show(f);
        return;
      }
      const now = Date.now();
      if (this.s.running.length > 0 && now - this.lastRecheck >= this.recheckEvery(f)) await this.recheck();
      if (closeBreakerIfCalm(this.s, Date.now(), f)) log.info('fleet breaker closed: the storm has passed');
      const ready = dequeue(this.s, Date.now(), f);
      if (ready.length > 0) {
        const outcomes = await this.deliver(
          ready.map((q) => ({ backendService: q.backendService, incident: q.incident, start: true })),
        );
        // What Temporal did not take waits at the head of the queue for the next turn.
        const failed = ready.filter((_, k) => outcomes[k] === 'failed');
        for (const q of failed) undoStart(this.s, q.backendService);
        this.s.queue.unshift(...failed);
      }
      this.show(f);
    }
  }

  private mustContinue(): boolean {
    return this.admissions >= ADMISSIONS_PER_RUN || historyFull();
  }

  private recheckEvery(f: FleetSettings): number {
    return this.s.queue.length > 0 || this.s.running.length >= f.maxConcurrent
      ? RECHECK_MS.busy
      : RECHECK_MS.idle;
  }

  /** The next moment something may change without a message: a recheck, the window, the breaker. */
  private nextWake(f: FleetSettings): number | undefined {
    const times = [
      this.s.running.length > 0 ? this.lastRecheck + this.recheckEvery(f) : undefined,
      this.s.queue.length > 0 ? nextWindowSlot(this.s, Date.now(), f) : undefined,
      breakerCheckAt(this.s, f),
    ].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Gives back the slots of remediations that ended. */
  private async recheck(): Promise<void> {
    this.lastRecheck = Date.now();
    const ids = new Map(this.s.running.map((bs) => [remediationWorkflowId(this.project, bs), bs]));
    try {
      const running = new Set(await fleetCalls.stillRunning({ workflowIds: [...ids.keys()] }));
      for (const [id, bs] of ids) if (!running.has(id)) release(this.s, bs);
    } catch (err) {
      log.warn('could not check which remediations still run', { error: failureMessage(err) });
    }
  }

  /**
   * The admit update: URL maps are resolved first, then every alert of the batch is decided in order
   * (decisions and their slots are recorded before anything is awaited), then one activity starts and
   * signals the remediations. An alert for a remediation believed running that has ended meanwhile
   * is decided again.
   */
  async admitBatch(reqs: AdmitRequest[]): Promise<AdmitResult[]> {
    this.admissions += 1;
    await condition(() => this.settings !== undefined);
    const f = this.settings!;
    const found = await Promise.all(reqs.map((req) => this.targets(req)));
    this.dirty = true;
    const now = Date.now();
    const results: AdmitResult[] = [];
    let pending: Pending[] = [];
    reqs.forEach((req, i) => {
      const t = found[i]!;
      const result: AdmitResult = { via: 'services' in t ? t.via : req.via, targets: [] };
      results.push(result);
      if (!('services' in t)) return Object.assign(result, t);
      const incident = boundedIncident(req.incident);
      if (incident.state === 'closed') {
        // A queued alert whose incident closed has nothing left to remediate.
        this.s.queue = this.s.queue.filter(
          (q) => !(t.services.includes(q.backendService) && q.incident.incidentId === incident.incidentId),
        );
        for (const bs of t.services) pending.push({ result, bs, incident, decision: 'closed' });
        return;
      }
      for (const bs of t.services) {
        const tripped = noteAlerting(this.s, bs, now, f);
        if (tripped) void this.announceBreaker(tripped, f);
      }
      for (const bs of t.services) pending.push(...this.decide(result, bs, incident, now, f));
    });
    // An attach that finds nothing running is decided once more: then it starts, waits or is refused.
    for (let pass = 0; pending.length > 0 && pass < 2; pass++) {
      const outcomes = await this.deliver(
        pending.map((p) => ({ backendService: p.bs, incident: p.incident, start: p.decision === 'start' })),
      );
      const again: Pending[] = [];
      pending.forEach((p, k) => again.push(...this.settle(p, outcomes[k] ?? 'failed', f)));
      pending = again;
    }
    for (const p of pending) p.result.retry = `could not hand the alert to the remediation of ${p.bs}`;
    return results;
  }

  /** Decides one backend service's alert; what must still be delivered. */
  private decide(
    result: AdmitResult,
    bs: string,
    incident: Incident,
    now: number,
    f: FleetSettings,
  ): Pending[] {
    const decision = admit(this.s, bs, incident, now, f);
    if (decision === 'queue' || decision === 'refuse') {
      result.targets.push(this.target(bs, decision === 'queue' ? 'queued' : 'fleet-limited'));
      return [];
    }
    return [{ result, bs, incident, decision }];
  }

  /** Records what became of one delivery; what must be delivered again. */
  private settle(p: Pending, outcome: Delivered, f: FleetSettings): Pending[] {
    if (p.decision === 'closed') {
      p.result.targets.push(this.target(p.bs, outcome === 'attached' ? 'signalled' : 'not-running'));
      return [];
    }
    if (outcome === 'failed') {
      if (p.decision === 'start') undoStart(this.s, p.bs);
      p.result.retry = `could not hand the alert to the remediation of ${p.bs}`;
      return [];
    }
    if (p.decision === 'attach' && outcome === 'not-running') {
      // It ended meanwhile: its slot is free again, and this alert is a new admission.
      release(this.s, p.bs);
      return this.decide(p.result, p.bs, p.incident, Date.now(), f);
    }
    p.result.targets.push(this.target(p.bs, 'accepted'));
    return [];
  }

  private target(backendService: string, result: TargetAdmission) {
    return { backendService, workflowId: remediationWorkflowId(this.project, backendService), result };
  }

  /** Starts or signals remediations, one activity for all; each `failed` when Temporal did not take it. */
  private async deliver(
    deliveries: { backendService: string; incident: Incident; start: boolean }[],
  ): Promise<Delivered[]> {
    try {
      return await fleetCalls.deliverAlerts({
        project: this.project,
        taskQueue: this.taskQueue,
        triggeredBy: TRIGGERED_BY,
        deliveries,
      });
    } catch (err) {
      log.warn('could not hand alerts to their remediations', { error: failureMessage(err) });
      return deliveries.map(() => 'failed');
    }
  }

  /** The backend services an admission is about: named, or behind a URL map (read by the worker). */
  private async targets(req: AdmitRequest): Promise<Targets> {
    const cap = (list: string[]) => [...new Set(list.map(String))].slice(0, MAX_TARGETS_PER_ALERT);
    if (req.backendServices) return { services: cap(req.backendServices), via: req.via };
    const urlMap = String(req.urlMap);
    const via = `${req.via} → urlMaps.get ${urlMap}`;
    const known = this.urlMaps.get(urlMap);
    if (known && Date.now() - known.at < URL_MAP_TTL_MS) return { services: known.services, via };
    // One read per URL map however many alerts of a batch name it.
    let reading = this.reading.get(urlMap);
    if (!reading) {
      reading = fleetCalls
        .resolveUrlMap({ project: this.project, urlMap })
        .finally(() => this.reading.delete(urlMap));
      this.reading.set(urlMap, reading);
    }
    try {
      const r = await reading;
      if ('unmapped' in r) return { unmapped: `not remediated: ${r.unmapped}` };
      if ('outOfScope' in r) return { outOfScope: `not remediated: ${r.outOfScope} (via ${via})` };
      const services = cap(r.services);
      this.urlMaps.set(urlMap, { services, at: Date.now() });
      return { services, via };
    } catch (err) {
      return { retry: `URL map ${urlMap} could not be read, retry later: ${failureMessage(err)}` };
    }
  }

  /** The one notification of a tripped breaker (and a log line); never holds up an admission. */
  private async announceBreaker(b: Breaker, f: FleetSettings): Promise<void> {
    const summary = breakerSummary(this.project, b, f);
    log.warn(summary);
    try {
      await announce.notify.executeWithOptions({ summary: 'notify: fleet circuit breaker' }, [
        {
          workflowId: workflowInfo().workflowId,
          project: this.project,
          backendService: '*',
          phase: 'FLEET_BREAKER',
          summary,
          details: `backend services that alerted: ${b.backendServices.join(', ')}`,
          at: new Date().toISOString(),
        },
      ]);
    } catch (err) {
      log.warn('the fleet breaker notification failed', { error: failureMessage(err) });
    }
  }

  /** Memo and search attributes: what `lbmedic status` and the Temporal UI show of the fleet. */
  show(f: FleetSettings): void {
    this.dirty = false;
    const s = this.s;
    upsertMemo({
      running: s.running.slice(0, 50),
      queued: s.queue.slice(0, 20).map((q) => q.backendService),
      queueLength: s.queue.length,
      counts: s.counts,
      breaker: s.breaker ?? null,
      limits: f,
    });
    upsertSearchAttributes([
      { key: SA.project, value: this.project },
      { key: SA.phase, value: s.breaker ? 'FLEET_BREAKER' : 'ADMITTING' },
    ]);
  }
}
