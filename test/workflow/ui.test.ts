/**
 * The Temporal Web UI shows what lbmedic did: a real dev server with its UI, a real remediation of the
 * port-moved scenario, then headless Chromium (Debian's, driven by playwright-core) finds the run by
 * lbmedic's search attributes and reads them on the workflow's page. Saves a screenshot to
 * .artifacts/ui-remediation.png. Needs Chromium: `apt-get install chromium` (.ci/run installs it) or
 * LBMEDIC_CHROMIUM=/path/to/chromium.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ALL_SEARCH_ATTRIBUTES } from '../../core/search-attributes';
import { findTemporalCli, PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { installRuntime } from '../../runtime/worker';
import type { RemediationResult } from '../../workflows/remediation';
import { startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/scenarios';

const CHROMIUM = process.env.LBMEDIC_CHROMIUM || '/usr/bin/chromium';
/** Flags that keep Chromium off the network (this machine has none) and out of first-run work. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(PROJECT_ROOT, '.artifacts');
const SCREENSHOT = join(ARTIFACTS, 'ui-remediation.png');
/** Bound on each wait for the single-page app to render something. */
const UI_TIMEOUT_MS = 15_000;

function requireChromium(): string {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return CHROMIUM;
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install -y --no-install-recommends chromium; ` +
        `.ci/run does) or point LBMEDIC_CHROMIUM at a Chromium binary`,
    );
  }
}

let env: TestWorkflowEnvironment | undefined;
let stack: Stack | undefined;
let browser: BrowserContext | undefined;
let profileDir: string | undefined;
let uiPort = 0;

before(async () => {
  installRuntime();
  const temporal = findTemporalCli();
  if (!temporal) throw new Error('no temporal CLI found: run npm run tools (the UI test needs its Web UI)');
  uiPort = await freePort();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error'],
    },
  });
});

after(async () => {
  try {
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await stack?.stop();
  } finally {
    await env?.teardown();
  }
});

/** Waits until the visibility store answers `query` with the workflow, so the UI's first load sees it. */
async function waitForVisibility(query: string, workflowId: string) {
  const deadline = Date.now() + UI_TIMEOUT_MS;
  for (;;) {
    for await (const w of env!.client.workflow.list({ query })) if (w.workflowId === workflowId) return;
    if (Date.now() > deadline) assert.fail(`visibility never listed ${workflowId} for ${query}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test(
  'the Temporal Web UI finds the remediation by its search attributes and shows them',
  { timeout: 60_000 },
  async () => {
    const executablePath = requireChromium();
    stack = await startStack(env!, 'port-moved');
    const workflowId = await stack.alert('web-bs');
    const result = (await env!.client.workflow.getHandle(workflowId).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    const project = stack.sim.project;

    const query = `LbmedicOutcome="REMEDIATED" AND LbmedicProject="${project}" AND LbmedicBackendService="web-bs"`;
    await waitForVisibility(query, workflowId);

    profileDir = mkdtempSync(join(tmpdir(), 'lbmedic-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
      timeout: UI_TIMEOUT_MS,
    });
    browser.setDefaultTimeout(UI_TIMEOUT_MS);
    const page: Page = await browser.newPage();
    mkdirSync(ARTIFACTS, { recursive: true });
    try {
      // 1. The workflow list, filtered by lbmedic's search attributes, lists the run.
      const base = `http://127.0.0.1:${uiPort}/namespaces/default`;
      await page.goto(`${base}/workflows?query=${encodeURIComponent(query)}`);
      const row = page.getByRole('link', { name: workflowId, exact: true });
      await row.first().waitFor();

      // 2. Its page: the id as the heading, then the Search Attributes tab.
      await row.first().click();
      await page.getByRole('heading', { name: workflowId }).waitFor();
      await page.getByText('Search Attributes', { exact: true }).first().click();
      await page.waitForURL(/\/search-attributes$/);
      await page.getByText('"LbmedicOutcome": "REMEDIATED"').waitFor();

      const shown = await page.locator('main').innerText();
      for (const [name, value] of [
        ['LbmedicOutcome', 'REMEDIATED'],
        ['LbmedicPhase', 'DONE'],
        ['LbmedicProject', project],
        ['LbmedicBackendService', 'web-bs'],
      ]) {
        assert.ok(shown.includes(`"${name}": "${value}"`), `the UI shows ${name} = ${value}:\n${shown}`);
      }
      // Keyword lists render as JSON arrays under their name.
      for (const name of ['LbmedicRootCause', 'LbmedicAction'])
        assert.ok(shown.includes(`"${name}": [`), name);
      for (const cause of result.rootCauses)
        assert.ok(shown.includes(`"${cause}"`), `root cause ${cause} shown`);
      for (const action of ['patchHealthCheck', 'setNamedPorts', 'insertFirewall'])
        assert.ok(shown.includes(`"${action}"`), `action ${action} shown`);

      await page.screenshot({ path: SCREENSHOT });
    } catch (err) {
      // What the browser saw, for whoever reads the failure.
      await page.screenshot({ path: join(ARTIFACTS, 'ui-remediation-failure.png') }).catch(() => undefined);
      throw err;
    }
  },
);
