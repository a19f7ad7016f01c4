// The dashboard and the start page in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against the real binary (started as the JS client tests start it).
//
// Run: PROGRESSD_BIN=build/release/progressd node --test tests/browser/
// Screenshots go to PROGRESSD_ARTIFACTS (ctest sets build/…/tests/browser), else the temp dir.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer } from '../js/server.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.PROGRESSD_ARTIFACTS ?? join(tmpdir(), 'progressd-browser-tests');
const SHOWN_WITHIN_MS = 1000; // the promise: every update visible within a second
const XSS_TOOL = '<img src=x onerror=alert(1)>';

let server;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  // Playwright gives every launch a fresh temporary profile (user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A page that records what must never happen: dialogs (an injected alert), uncaught errors,
// and console errors (where Chromium reports CSP violations and failed loads).
async function openPage(path, { viewport = { width: 1280, height: 900 }, srv = server } = {}) {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.baseUrl });
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${srv.baseUrl}${path}`);
  return { page, context, problems };
}

async function send(method, path, body, srv = server) {
  const response = await srv.fetch(path, { method, body: JSON.stringify(body) });
  assert.equal(response.status, 200, `${method} ${path}: ${await response.text()}`);
}

function progress(id, fields) {
  return {
    sessionId: id, currentStep: 1, completedSteps: [], currentAction: '', toolStatus: {},
    errors: [], timestamp: new Date().toISOString(), phase: 'phase1', complete: false, ...fields,
  };
}

// Waits (at most `timeout` ms) until the page's text at `selector` is `expected`.
async function showsText(page, selector, expected, timeout = SHOWN_WITHIN_MS) {
  try {
    await page.waitForFunction(
      ([s, e]) => document.querySelector(s)?.textContent === e, [selector, expected], { timeout });
  } catch {
    const actual = await page.locator(selector).first().textContent().catch(() => '(absent)');
    assert.fail(`${selector} did not show ${JSON.stringify(expected)} within ${timeout} ms ` +
      `(shows ${JSON.stringify(actual)})`);
  }
}

const toolCard = (page, name) =>
  page.locator('#tools .tool').filter({ has: page.getByText(name, { exact: true }) });

async function screenshot(t, page, name) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  t.diagnostic(`screenshot: ${path}`);
}

test('the dashboard follows a session live, from waiting to finished with errors', async (t) => {
  const id = `live-${Date.now()}`;
  const { page, context, problems } = await openPage(`/live/${id}`);

  await page.locator('#waiting').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#connection[data-mode="live"]').waitFor({ timeout: 5000 });
  await screenshot(t, page, 'dashboard-waiting.png');

  await send('POST', `/api/progress/${id}`, progress(id, {
    currentAction: 'Installing Git', toolStatus: { git: { status: 'installing', version: null } },
  }));
  await showsText(page, '#action', 'Installing Git');
  await showsText(page, '#tools .tool:first-child .tool-status', 'Installing');
  assert.equal(await page.locator('#waiting').isVisible(), false);

  await send('POST', `/api/progress/${id}`, progress(id, {
    currentStep: 2, completedSteps: [1], totalSteps: 4, currentAction: 'Installing Node.js',
    toolStatus: {
      git: { status: 'success', version: '2.43.0' },
      node: { status: 'installing' },
      [XSS_TOOL]: { status: 'error', error: '<b>not bold</b>' },
      docker: { status: 'skipped' },
    },
    errors: [{ tool: 'node', error: 'npm exited with code 1', suggestedFix: 'npm cache clean --force' }],
  }));
  await showsText(page, '#action', 'Installing Node.js');
  await showsText(page, '#step', 'Step 2 of 4');
  await showsText(page, '#count-total', '4');
  assert.equal(await toolCard(page, 'git').locator('.tool-version').textContent(), 'v2.43.0');
  assert.equal(await page.locator('#count-success').textContent(), '1');
  assert.equal(await page.locator('#count-error').textContent(), '1');
  assert.equal(await page.locator('#count-skipped').textContent(), '1');
  // The first tool stays first: cards keep the order in which the tools first appeared.
  assert.equal(await page.locator('#tools .tool:first-child .tool-name').textContent(), 'git');
  await screenshot(t, page, 'dashboard-in-progress.png');

  // Markup in the data is text: the tool's name shows as typed, no element is made of it.
  const hostile = toolCard(page, XSS_TOOL);
  assert.equal(await hostile.count(), 1);
  assert.equal(await hostile.locator('.tool-error').textContent(), '<b>not bold</b>');
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('#tools b').count(), 0);

  // The error shows its fix, and the copy button puts the fix on the clipboard.
  const error = page.locator('#errors .error-item');
  await error.waitFor({ timeout: SHOWN_WITHIN_MS });
  assert.equal(await error.locator('.fix-text').textContent(), 'npm cache clean --force');
  await error.locator('button.copy').click();
  await page.locator('#errors button.copy[data-copied="yes"]').waitFor({ timeout: 2000 });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'npm cache clean --force');

  await send('POST', `/api/progress/${id}/log`, {
    tool: 'node', error: 'npm exited with code 1', suggestedFix: 'npm cache clean --force',
    timestamp: new Date().toISOString(), step: 2,
  });
  await page.locator('#log .error-item').waitFor({ timeout: SHOWN_WITHIN_MS });

  await send('PATCH', `/api/progress/${id}`, {
    currentStep: 4, completedSteps: [1, 2, 3, 4], currentAction: 'Done', complete: true,
  });
  await page.locator('#banner[data-result="errors"]').waitFor({ timeout: SHOWN_WITHIN_MS });
  assert.match(await page.locator('#banner').textContent(), /finished with errors/);
  await showsText(page, '#percent', '100%');
  await screenshot(t, page, 'dashboard-desktop.png');

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(t, page, 'dashboard-phone.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
  assert.equal(overflow, false, 'the page scrolls sideways on a phone');

  assert.deepEqual(problems, []);
  await context.close();
});

test('a session with history shows its state and log once, and a clean finish', async (t) => {
  const id = `history-${Date.now()}`;
  await send('PATCH', `/api/progress/${id}`, {
    currentStep: 2, completedSteps: [1], totalSteps: 4, currentAction: 'Installing Python',
    toolStatus: { python: { status: 'installing' } },
  });
  for (const step of [1, 2]) {
    await send('POST', `/api/progress/${id}/log`, {
      tool: 'python', error: `attempt ${step} failed`, suggestedFix: 'Retry',
      timestamp: new Date().toISOString(), step,
    });
  }
  const { page, context, problems } = await openPage(`/live/${id}`);
  await showsText(page, '#step', 'Step 2 of 4', 5000);
  await showsText(page, '#percent', '25%');
  // Both the stream and GET …/log deliver the log; each entry shows once.
  await page.waitForFunction(() => document.querySelectorAll('#log .error-item').length === 2);
  await page.waitForTimeout(500);
  assert.equal(await page.locator('#log .error-item').count(), 2);

  await send('POST', `/api/progress/${id}/log`, {
    tool: 'python', error: 'attempt 3 failed', suggestedFix: 'Retry', timestamp: new Date().toISOString(), step: 2,
  });
  await page.waitForFunction(() => document.querySelectorAll('#log .error-item').length === 3,
    null, { timeout: SHOWN_WITHIN_MS });
  assert.equal(await page.locator('#log .error-item:last-child .error-text').textContent(), 'attempt 3 failed');

  await send('PATCH', `/api/progress/${id}`, {
    currentStep: 4, completedSteps: [1, 2, 3, 4], currentAction: 'All done', complete: true,
    toolStatus: { python: { status: 'success', version: '3.12.1' } },
  });
  await page.locator('#banner[data-result="success"]').waitFor({ timeout: SHOWN_WITHIN_MS });
  assert.match(await page.locator('#banner').textContent(), /Setup complete/);
  assert.notEqual(await page.locator('#elapsed').textContent(), '–');
  assert.match(await page.locator('#expires').textContent(), /min/);

  // The share button copies this page's address.
  await page.locator('#share').click();
  await page.locator('#share[data-copied="yes"]').waitFor({ timeout: 2000 });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), page.url());
  await screenshot(t, page, 'dashboard-complete.png');
  assert.deepEqual(problems, []);
  await context.close();
});

test('without a working event stream the page polls with If-None-Match and keeps the token', async () => {
  const id = `poll-${Date.now()}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route('**/events*', (route) => route.abort());
  const polls = [];
  page.on('request', (request) => {
    if (request.url().includes(`/api/progress/${id}?`)) polls.push(request);
  });
  await page.goto(`${server.baseUrl}/live/${id}?token=t%201`);
  await page.locator('#connection[data-mode="polling"]').waitFor({ timeout: 20000 });
  await page.locator('#waiting').waitFor({ state: 'visible' });

  await send('POST', `/api/progress/${id}`, progress(id, { currentAction: 'Polled into view' }));
  await showsText(page, '#action', 'Polled into view', 2 * 2000 + 1000);
  const seen = polls.length;
  await page.waitForTimeout(4500); // two more polls of an unchanged session
  assert.ok(polls.length >= seen + 2, `polls went on: ${seen} then ${polls.length}`);
  const last = polls.at(-1);
  assert.ok(last.url().endsWith('?token=t%201'), last.url());
  assert.ok((await last.allHeaders())['if-none-match'], 'a poll without If-None-Match');
  assert.equal((await last.response()).status(), 304);
  await context.close();
});

test('the page says when the session expires', async () => {
  const shortLived = await startServer({ ttl: 2 });
  try {
    const id = `expiring-${Date.now()}`;
    await send('POST', `/api/progress/${id}`, progress(id, { currentAction: 'About to expire' }),
      shortLived);
    const { page, context, problems } = await openPage(`/live/${id}`, { srv: shortLived });
    await showsText(page, '#action', 'About to expire', 5000);
    await page.locator('#expired').waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await page.locator('#connection').getAttribute('data-mode'), 'ended');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await shortLived.stop();
  }
});

test('the start page offers snippets for this server, and they work', async (t) => {
  const { page, context, problems } = await openPage('/');
  const snippets = page.locator('#snippets pre');
  assert.equal(await snippets.count(), 3);
  const texts = await snippets.allTextContents();
  for (const text of texts) assert.ok(text.includes(`${server.baseUrl}/api/progress/`), text);
  await screenshot(t, page, 'start-desktop.png');

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(t, page, 'start-phone.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
  assert.equal(overflow, false, 'the start page scrolls sideways on a phone');

  // The snippets, run as they are, report to this server: curl starts, bash finishes.
  const id = await page.locator('#new-id').textContent();
  const run = (script) => promisify(execFile)('bash', ['-euc', script], { timeout: 20000 });
  await run(texts[0]);
  let stored = await (await server.fetch(`/api/progress/${id}`)).json();
  assert.equal(stored.currentAction, 'Installing Git');
  await run(texts[1]);
  stored = await (await server.fetch(`/api/progress/${id}`)).json();
  assert.equal(stored.complete, true);
  assert.equal(stored.toolStatus.git.status, 'success');
  assert.equal(stored.toolStatus.node.status, 'success');

  // A bad id is explained; a good one opens its dashboard.
  await page.fill('#session-input', 'a/b');
  await page.press('#session-input', 'Enter');
  assert.match(await page.locator('#problem').textContent(), /cannot contain "\/"/);
  assert.equal(new URL(page.url()).pathname, '/');
  await page.fill('#session-input', ' my session ');
  await page.press('#session-input', 'Enter');
  await page.waitForURL('**/live/my%20session');
  await showsText(page, '#session-id', 'my session', 5000);
  assert.deepEqual(problems, []);
  await context.close();
});
