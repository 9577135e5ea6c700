/**
 * The messages of lbmedic's control workflows, declared once so the receiver, the CLI and tests
 * import them without the workflow bodies: the per-project governor (workflows/governor.ts) and the
 * kill switches (workflows/kill-switch.ts).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AdmitRequest, AdmitResult, FleetState, FleetSettings } from '../core/fleet';
import type { SwitchRequest, SwitchState } from '../core/model';

/**
 * Alerts for the project, a batch from one receiver (the server allows few updates in flight per
 * workflow): each started, attached, queued or refused, answered in the same order.
 */
export const admitUpdate = defineUpdate<AdmitResult[], [AdmitRequest[]]>('admit');
/** A person closes the fleet circuit breaker (`lbmedic resume --project P`). */
export const resetBreakerSignal = defineSignal<[{ by: string }]>('resetBreaker');

/** A governor's state: what runs, what waits, the breaker, and the settings it applies. */
export interface GovernorStatus {
  project: string;
  state: FleetState;
  settings?: FleetSettings;
}
export const governorStatusQuery = defineQuery<GovernorStatus>('governorStatus');

/** Sets a kill switch (`lbmedic pause` / `lbmedic resume`). */
export const setSwitchSignal = defineSignal<[SwitchRequest]>('setSwitch');
export const switchQuery = defineQuery<SwitchState>('switch');
