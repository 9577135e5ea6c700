/**
 * A closed remediation's first decision, read back from its Temporal history for a backtest
 * (core/backtest.ts): the evidence is rebuilt by running core/collect.ts over readers that answer with
 * the results the run's read activities recorded (local activity markers, in order, by activity
 * type), and the rest of the `decide` input (the alert labels, the past runs, the policies' record,
 * a person asked for) from the run's input, signals and markers. The recorded `decide` result is
 * what was decided then. Nothing is read from GCP.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { PolicyRecords } from '../core/autonomy';
import { collectEvidence, type EvidenceReaders } from '../core/collect';
import type { Incident, RemediationInput } from '../core/model';
import type { DecideInput, Decision } from './decide';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

interface Marker {
  type: string;
  /** The marker's event id: what the run knew before it. */
  eventId: number;
  result?: unknown;
  failure?: string;
  scheduledAt?: string;
}

const decode = (p: Payload | null | undefined): unknown =>
  p ? defaultPayloadConverter.fromPayload(p) : undefined;

/** The local activity markers of a history, in order, until (and with) the first `decide`. */
function markersUntilDecide(history: History): Marker[] {
  const out: Marker[] = [];
  for (const e of history.events ?? []) {
    const m = e.markerRecordedEventAttributes;
    if (!m || m.markerName !== 'core_local_activity') continue;
    const data = decode(m.details?.data?.payloads?.[0]) as
      { activity_type?: string; original_schedule_time?: { seconds?: number | string } } | undefined;
    const secs = data?.original_schedule_time?.seconds;
    out.push({
      type: String(data?.activity_type),
      eventId: Number(e.eventId),
      ...(m.details?.result?.payloads?.[0] ? { result: decode(m.details.result.payloads[0]) } : {}),
      ...(m.failure ? { failure: m.failure.message ?? 'failed' } : {}),
      ...(secs !== undefined ? { scheduledAt: new Date(Number(secs) * 1000).toISOString() } : {}),
    });
    if (data?.activity_type === 'decide') break;
  }
  return out;
}

/** The alert labels the run knew when it decided: its input's incidents and the alerts signalled before. */
function labelsOf(history: History, decidedAt: number): Record<string, string> {
  const incidents: Incident[] = [];
  for (const e of history.events ?? []) {
    if (e.eventId && Number(e.eventId) > decidedAt) break;
    const started = e.workflowExecutionStartedEventAttributes;
    if (started)
      incidents.push(...((decode(started.input?.payloads?.[0]) as RemediationInput)?.incidents ?? []));
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'alert') incidents.push(decode(signal.input?.payloads?.[0]) as Incident);
  }
  return Object.assign({}, ...incidents.map((i) => i?.labels ?? {})) as Record<string, string>;
}

/** Readers that answer with the recorded results, each activity type's in the order recorded. */
function replayReaders(markers: Marker[]): EvidenceReaders {
  const queues = new Map<string, Marker[]>();
  for (const m of markers) queues.set(m.type, [...(queues.get(m.type) ?? []), m]);
  const answer = (type: string) => async () => {
    const m = queues.get(type)?.shift();
    if (!m) throw new Error(`${type} was not recorded`);
    if (m.failure !== undefined) throw new Error(m.failure);
    return m.result as never;
  };
  const types = [
    'readBackendService',
    'readHealth',
    'readHealthCheck',
    'readFirewallRules',
    'readInstanceGroups',
    'readLbLogs',
    'readBackendLatency',
    'readNegs',
    'probeInstances',
    'readTopology',
  ] as const;
  const readers = Object.fromEntries(types.map((t) => [t, answer(t)])) as unknown as EvidenceReaders;
  // Runs recorded before the firewall policies were read go on without them, as they did then.
  return queues.has('readFirewallPolicies')
    ? { ...readers, readFirewallPolicies: answer('readFirewallPolicies') }
    : readers;
}

/** What a backtest needs of one run: the decide input rebuilt, and the decision recorded then. */
export interface RecordedDecision {
  input: DecideInput;
  decision: Decision;
}

/** The run's first decision, or undefined when it ended before deciding (a duplicate, say). */
export async function recordedDecision(
  history: History,
  target: { project: string; backendService: string },
): Promise<RecordedDecision | undefined> {
  const markers = markersUntilDecide(history);
  const decideMarker = markers.at(-1);
  if (decideMarker?.type !== 'decide' || decideMarker.result === undefined) return undefined;
  const decision = decideMarker.result as Decision;
  const now = decideMarker.scheduledAt ?? new Date().toISOString();
  const evidence = await collectEvidence(replayReaders(markers.slice(0, -1)), target, {
    windowMinutes: 10,
    now,
  });
  const past = markers.find((m) => m.type === 'pastRemediations')?.result as
    { remediations?: DecideInput['past'] } | undefined;
  const records = markers.find((m) => m.type === 'policyRecords')?.result as PolicyRecords | undefined;
  // A person was asked for before deciding (an earlier run, the fleet breaker): the plan said why.
  const asked = decision.plan.notes.find((n) => n.startsWith('approval is manual: '));
  return {
    input: {
      evidence,
      labels: labelsOf(history, decideMarker.eventId),
      past: past?.remediations ?? [],
      now,
      applied: [],
      ...(records ? { records } : {}),
      ...(asked ? { needsPerson: asked.slice('approval is manual: '.length) } : {}),
    },
    decision,
  };
}
