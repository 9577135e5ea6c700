/**
 * A kill switch: `lbmedic pause [--project P]` / `lbmedic resume [--project P]`, as one long-lived
 * workflow per scope (`lbmedic-kill-switch` for all projects, `lbmedic-kill-switch/<project>` for one).
 * Its position lives in Temporal, so it survives worker restarts; its memo (`switch`) is what every
 * remediation reads before it changes anything (activities/fleet.ts `fleetGate`), what `lbmedic
 * status` shows, and what the Temporal UI lists (search attributes LbmedicProject, `*` for the
 * global switch, and LbmedicPhase PAUSED or ACTIVE). Turning it off wakes the runs it held.
 */
import {
  allHandlersFinished,
  condition,
  log,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { failureMessage } from '../core/failure';
import { cut } from '../core/incidents';
import type { SwitchState } from '../core/model';
import { SA } from '../core/search-attributes';
import { setSwitchSignal, switchQuery } from './control-definitions';
import { continueAsNewKeepingRecord, historyFull } from './history-watch';
import { fleetCalls } from './stubs';

export interface KillSwitchInput {
  /** The project; none for the global switch. */
  project?: string;
  /** The position carried over a continue-as-new. */
  state?: SwitchState;
}

/** Changes one run takes before it continues as new (each is a signal and a memo in its history). */
const CHANGES_PER_RUN = 500;

export async function killSwitchWorkflow(input: KillSwitchInput): Promise<void> {
  let state: SwitchState = input.state ?? { paused: false };
  let changes = 0;
  let wake = false;
  const show = () => {
    upsertMemo({ switch: state });
    upsertSearchAttributes([
      { key: SA.project, value: input.project ?? '*' },
      { key: SA.phase, value: state.paused ? 'PAUSED' : 'ACTIVE' },
    ]);
  };
  setHandler(setSwitchSignal, (req) => {
    const by = cut(String(req.by), 128);
    const reason = req.reason === undefined ? undefined : cut(String(req.reason), 512);
    state = {
      paused: req.paused === true,
      by,
      ...(reason ? { reason } : {}),
      at: new Date().toISOString(),
    };
    changes += 1;
    if (!state.paused) wake = true;
    show();
  });
  setHandler(switchQuery, () => state);
  show();
  for (;;) {
    await condition(() => wake || changes >= CHANGES_PER_RUN || historyFull());
    if (!wake) break;
    wake = false;
    try {
      const woken = await fleetCalls.wakePausedRuns(
        input.project === undefined ? {} : { project: input.project },
      );
      log.info('kill switch off: held runs woken', { woken });
    } catch (err) {
      // The held runs read the switch again on their own, only later.
      log.warn('could not wake the held runs', { error: failureMessage(err) });
    }
  }
  await condition(allHandlersFinished);
  await continueAsNewKeepingRecord<typeof killSwitchWorkflow>({ ...input, state });
}
