/**
 * A diagnosis round: collect the evidence (reads are local activities; the order is core/collect.ts),
 * then decide in the recorded `decide` local activity (activities/decide.ts) what it proves and what
 * may change. Decisions never run in the sandbox, so changing them never breaks replay
 * (docs/versioning.md).
 */
import { isCancellation, patched } from '@temporalio/workflow';
import type { Decision } from '../activities/decide';
import type { PastRemediation } from '../core/limits';
import { collectEvidence, type EvidenceReaders } from '../core/collect';
import type { Evidence } from '../core/evidence';
import { failureMessage } from '../core/failure';
import { logsSince } from '../core/freshness';
import type { RunRecord } from './record';
import { decisions, probe, reads } from './stubs';

const readers: EvidenceReaders = {
  readBackendService: reads.readBackendService,
  readHealth: reads.readHealth,
  readHealthCheck: reads.readHealthCheck,
  readFirewallRules: reads.readFirewallRules,
  readInstanceGroups: reads.readInstanceGroups,
  readLbLogs: reads.readLbLogs,
  readBackendLatency: reads.readBackendLatency,
  readNegs: reads.readNegs,
  probeInstances: probe.probeInstances,
  readTopology: reads.readTopology,
};

/**
 * Collects the evidence and decides on it; the diagnosis joins the record. `past` are the closed runs
 * the limits are judged on.
 */
export async function diagnose(
  rec: RunRecord,
  round: number,
  past: PastRemediation[],
): Promise<{ evidence: Evidence; decision: Decision }> {
  rec.setPhase('DIAGNOSING', `round ${round}: collecting evidence`);
  const { project, backendService, region } = rec.s.input;
  const now = () => new Date().toISOString();
  const windowMinutes = 10;
  // Nothing from before lbmedic's last change or the incidents' start (docs/safety.md).
  const logsFrom = logsSince({
    now: now(),
    windowMinutes,
    incidents: rec.s.incidents.values(),
    past,
    changedAt: rec.s.changedAt,
  });
  // Runs recorded before the firewall policies were read go on without them (docs/versioning.md).
  const withPolicies = patched('effective-firewalls')
    ? { ...readers, readFirewallPolicies: reads.readFirewallPolicies }
    : readers;
  const evidence = await collectEvidence(
    withPolicies,
    { project, backendService, ...(region ? { region } : {}) },
    { windowMinutes, logsSince: logsFrom, now: now() },
  );
  // The policies' record, for earned promotion (docs/autonomy.md): read and recorded before deciding.
  // Runs recorded before promotion existed go on without it (docs/versioning.md).
  const records = patched('policy-records') ? await reads.policyRecords() : undefined;
  let decision: Decision;
  try {
    decision = await decisions.decide({
      ...(records ? { records } : {}),
      evidence,
      labels: rec.labels(),
      past,
      now: now(),
      applied: rec.s.applied.map((a) => a.step),
      ...(rec.s.needsPerson ? { needsPerson: rec.s.needsPerson } : {}),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Deciding does no I/O: when it fails, the code is wrong. A plain error fails the workflow task
    // (nothing of it is recorded), so a fixed worker decides again; after a change the run rolls back
    // instead (rules.ts `onFailure`).
    throw new Error(`deciding failed: ${failureMessage(err)}`);
  }
  rec.diagnosed(decision.diagnosis);
  return { evidence, decision };
}
