/**
 * The fleet's word on a run, read from Temporal before the run plans and before it changes anything
 * (activities/fleet.ts `fleetGate`):
 * - the fleet circuit breaker of the project: a run that plans while it is tripped needs a person;
 * - the kill switches (`lbmedic pause`, global or the project's): a run about to change something
 *   waits in phase PAUSED until both are off, then goes on. Waiting long, it continues as new.
 */
import { condition } from '@temporalio/workflow';
import type { FleetGate } from '../activities/fleet';
import { failureMessage } from '../core/failure';
import { continueFrom, shouldContinueAsNew, type ResumePoint } from './continuation';
import type { RunRecord } from './record';
import { control } from './stubs';

/** A held run reads the switches again after this, doubling up to {@link LAST_RECHECK_MS}. */
const FIRST_RECHECK_MS = 5_000;
const LAST_RECHECK_MS = 5 * 60_000;

async function readGate(rec: RunRecord): Promise<FleetGate | string> {
  try {
    return await control.fleetGate({ project: rec.s.input.project });
  } catch (err) {
    return failureMessage(err);
  }
}

/** A tripped fleet breaker makes the run need a person (before it plans, so the plan says so). */
export async function heedFleetBreaker(rec: RunRecord): Promise<void> {
  const gate = await readGate(rec);
  if (typeof gate === 'string') {
    rec.note(`the fleet circuit breaker could not be read: ${gate}`);
    return;
  }
  if (!gate.breaker) return;
  const { since, backendServices } = gate.breaker;
  rec.requirePerson(
    `the fleet circuit breaker of ${rec.s.input.project} tripped at ${since} (${backendServices.length} backend services alerted at once: a provider or global incident is suspected)`,
  );
}

/** Why the run must not change anything now, or undefined when it may. */
function holdReason(gate: FleetGate | string): string | undefined {
  if (typeof gate === 'string') return `the kill switches could not be read (${gate})`;
  const p = gate.paused;
  if (!p) return undefined;
  return `the ${p.scope} kill switch is on (paused by ${p.by ?? 'someone'} at ${p.at ?? '?'}${p.reason ? `: ${p.reason}` : ''})`;
}

/**
 * Returns once no kill switch holds the run. While one does, the run waits in phase PAUSED (its
 * approval, if any, kept), reading the switches again when woken by a resume or after a backoff.
 */
export async function holdWhilePaused(rec: RunRecord, point: ResumePoint): Promise<void> {
  let why = holdReason(await readGate(rec));
  if (!why) return;
  if (rec.s.phase !== 'PAUSED') {
    rec.setPhase('PAUSED', `${why}: nothing is applied until \`lbmedic resume\``);
  } else {
    rec.note(`continued as new: still held (${why})`);
  }
  let waitMs = FIRST_RECHECK_MS;
  while (why) {
    rec.s.recheck = false;
    const woken = await condition(() => rec.s.recheck || shouldContinueAsNew(rec), waitMs);
    if (woken && !rec.s.recheck) await continueFrom(rec, 'gate', point);
    waitMs = Math.min(waitMs * 2, LAST_RECHECK_MS);
    const before: string = why;
    why = holdReason(await readGate(rec));
    if (why && why !== before) rec.note(`still held: ${why}`);
  }
  rec.note('no kill switch holds the run any more: going on');
}
