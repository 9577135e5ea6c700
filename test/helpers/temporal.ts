/**
 * Temporal servers for tests: the real dev server (the official CLI) and the time-skipping server,
 * both from the pinned binaries in .tools/ (scripts/install-tools.sh). Falls back to the SDK's own
 * download only when no binary is found, and says so.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../core/search-attributes';
import { setupTemporalSearchAttributes } from '../../runtime/search-attributes';
import { findTemporalCli, findTemporalTestServer } from '../../runtime/temporal-binaries';
import { installRuntime } from '../../runtime/worker';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  installRuntime();
  runtimeInstalled = true;
}

function executable(path: string | undefined, what: string) {
  if (path) return { type: 'existing-path' as const, path };
  console.warn(`no ${what} binary found (run npm run tools); falling back to the SDK's download`);
  return { type: 'cached-download' as const };
}

/**
 * A fresh real Temporal dev server with lbmedic's search attributes registered. `port` fixes the
 * frontend port (default: a free one), e.g. to bring a server back where a client expects it;
 * `dynamicConfig` sets server settings (e.g. a lower history count at which Temporal suggests
 * continue-as-new, so a test reaches it with a thousand events instead of forty thousand).
 */
export async function startDevServer(
  opts: { port?: number; dynamicConfig?: Record<string, string | number> } = {},
): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(findTemporalCli(), 'temporal CLI'),
      ip: '127.0.0.1',
      ...(opts.port === undefined ? {} : { port: opts.port }),
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs: [
        '--log-level',
        'error',
        ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => [
          '--dynamic-config-value',
          `${k}=${v}`,
        ]),
      ],
    },
  });
}

/**
 * The time-skipping test server, for long durable timers (approval timeouts), with lbmedic's search
 * attributes registered the way `lbmedic setup temporal` registers them on a real cluster.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(findTemporalTestServer(), 'temporal-test-server') },
  });
  await setupTemporalSearchAttributes(env.connection, 'default');
  return env;
}
