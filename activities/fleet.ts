/**
 * What the governor and the kill switches do outside their workflows, through the Temporal client:
 * start or signal a remediation, see which are still running, read the kill switches and the fleet
 * breaker before a change, and wake the runs a kill switch held. Also the fleet settings the worker
 * validated at start-up.
 */
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Breaker, FleetSettings } from '../core/fleet';
import {
  governorWorkflowId,
  killSwitchWorkflowId,
  REMEDIATION_SIGNALS,
  REMEDIATION_WORKFLOW,
  remediationWorkflowId,
  type Incident,
  type RemediationInput,
  type SwitchState,
} from '../core/model';
import { SA } from '../core/search-attributes';
import { WATCH_SOURCE, WATCH_TRIGGER } from '../core/watch';
import type { PolicySet } from '../policies/schema';

/** What stands between a planned change and applying it, besides the run's own approval. */
export interface FleetGate {
  /** A kill switch that is on: the global one, or the project's. */
  paused?: SwitchState & { scope: string };
  /** The project's fleet circuit breaker, when tripped. */
  breaker?: Breaker;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A workflow's memo, or undefined when there is no such workflow. */
async function memoOf(temporal: Client, workflowId: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).memo ?? {};
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

function switchOf(memo: Record<string, unknown> | undefined): SwitchState | undefined {
  const s = memo?.switch as SwitchState | undefined;
  return s?.paused === true ? s : undefined;
}

export function createFleetActivities(temporal: Client, policies: PolicySet) {
  return {
    /** The fleet limits of the worker's settings.yaml (validated at start-up). */
    async fleetSettings(): Promise<FleetSettings> {
      return policies.settings.fleet;
    },

    /**
     * Hands incidents to backend services' remediations, all at once (one activity per admission
     * batch): `start` starts one when none runs (a signal-with-start, which attaches when one does),
     * otherwise only a running one is signalled. Each says what became of it; `failed` when Temporal
     * did not take it.
     */
    async deliverAlerts(input: {
      project: string;
      taskQueue: string;
      triggeredBy: string;
      deliveries: { backendService: string; incident: Incident; start: boolean }[];
    }): Promise<('started' | 'attached' | 'not-running' | 'failed')[]> {
      return Promise.all(
        input.deliveries.map(async ({ backendService, incident, start }) => {
          const workflowId = remediationWorkflowId(input.project, backendService);
          try {
            if (!start) {
              await temporal.workflow.getHandle(workflowId).signal(REMEDIATION_SIGNALS.alert, incident);
              return 'attached' as const;
            }
            const args: RemediationInput = {
              project: input.project,
              backendService,
              ...(incident.region ? { region: incident.region } : {}),
              incidents: [incident],
              // The record says who started it: the watch's incidents are not Cloud Monitoring's.
              triggeredBy: incident.source === WATCH_SOURCE ? WATCH_TRIGGER : input.triggeredBy,
            };
            await temporal.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
              workflowId,
              taskQueue: input.taskQueue,
              args: [args],
              signal: REMEDIATION_SIGNALS.alert,
              signalArgs: [incident],
            });
            return 'started' as const;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return 'not-running' as const;
            log.warn('could not hand an alert to its remediation', { workflowId, error: String(err) });
            return 'failed' as const;
          }
        }),
      );
    },

    /** The workflow ids among `workflowIds` whose execution is still running. */
    async stillRunning(input: { workflowIds: string[] }): Promise<string[]> {
      const running = await Promise.all(
        input.workflowIds.map(async (id) => {
          try {
            const d = await temporal.workflow.getHandle(id).describe();
            return d.status.name === 'RUNNING' ? id : undefined;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return undefined;
            throw err;
          }
        }),
      );
      return running.filter((id): id is string => id !== undefined);
    },

    /**
     * The kill switches (global, then the project's) and the project's fleet breaker, read from the
     * memos of their workflows: the state `lbmedic status` and the Temporal UI show.
     */
    async fleetGate(input: { project: string }): Promise<FleetGate> {
      const [global, project, governor] = await Promise.all([
        memoOf(temporal, killSwitchWorkflowId()),
        memoOf(temporal, killSwitchWorkflowId(input.project)),
        memoOf(temporal, governorWorkflowId(input.project)),
      ]);
      const paused = switchOf(global)
        ? { ...switchOf(global)!, scope: 'global' }
        : switchOf(project)
          ? { ...switchOf(project)!, scope: `project ${input.project}` }
          : undefined;
      const breaker = governor?.breaker as Breaker | undefined;
      return { ...(paused ? { paused } : {}), ...(breaker?.since ? { breaker } : {}) };
    },

    /**
     * Signals every remediation a kill switch holds (phase PAUSED) to read the switches again, so a
     * resume takes effect at once; runs that visibility does not list yet see it at their next check.
     */
    async wakePausedRuns(input: { project?: string }): Promise<number> {
      const terms = [
        `WorkflowType = '${REMEDIATION_WORKFLOW}'`,
        `ExecutionStatus = 'Running'`,
        `${SA.phase.name} = 'PAUSED'`,
        ...(input.project === undefined ? [] : [`${SA.project.name} = ${quote(input.project)}`]),
      ];
      let woken = 0;
      for await (const wf of temporal.workflow.list({ query: terms.join(' AND ') })) {
        try {
          await temporal.workflow.getHandle(wf.workflowId).signal(REMEDIATION_SIGNALS.recheck);
          woken += 1;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return woken;
    },
  };
}
