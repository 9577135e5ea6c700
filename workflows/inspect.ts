/**
 * InspectBackendWorkflow: reads a backend service's health through an activity and records it as
 * search attributes. The smallest complete path through lbmedic (alert-free), used as the smoke
 * test of the Temporal + simulator + real-client chain and by `lbmedic inspect`.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SA } from '../core/search-attributes';

const { getBackendHealth } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/** `region` names a regional backend service. */
export async function inspectBackendWorkflow(input: {
  project: string;
  backendService: string;
  region?: string;
}) {
  upsertSearchAttributes([
    { key: SA.project, value: input.project },
    { key: SA.backendService, value: input.backendService },
    { key: SA.phase, value: 'INSPECTING' },
  ]);
  const health = await getBackendHealth(input);
  upsertSearchAttributes([{ key: SA.phase, value: 'DONE' }]);
  return health;
}
