// End-to-end tests of the real progressd binary, driven the way its two clients drive it: the
// setup script (PowerShell) POSTs progress and error-log entries, the dashboard polls them with
// GET. Runs against every store. Needs PROGRESSD_BIN; see server.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { progressdBinary, startServer } from './server.mjs';
import { progressData } from './bodies.mjs';

progressdBinary(); // fail the whole file at once, with a clear message, when there is no binary

const SCHEMA_KEYS = ['sessionId', 'currentStep', 'completedSteps', 'currentAction', 'toolStatus',
  'errors', 'timestamp', 'phase', 'complete'];


function logEntry(overrides = {}) {
  return {
    tool: 'git',
    error: 'winget exited with code 1',
    suggestedFix: 'Run the script as administrator',
    timestamp: '2026-11-26T12:00:00.000Z',
    step: 2,
    ...overrides,
  };
}

// One HTTP exchange. `json` is sent as JSON text; `body` (string or bytes) is sent as is.
async function call(server, method, path, { json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await server.fetch(path, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

const progressPath = (id) => `/api/progress/${encodeURIComponent(id)}`;
const logPath = (id) => `${progressPath(id)}/log`;

function assertJsonCors(res, what) {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content-type`);
  assert.equal(res.headers.get('access-control-allow-origin'), '*', `${what}: access-control-allow-origin`);
}

for (const store of ['memory:', 'sqlite']) {
  describe(`progressd --store ${store === 'sqlite' ? 'sqlite:<tmp>/p.db' : store}`, () => {
    let server;

    before(async () => {
      server = await startServer({ store });
    });

    after(async () => {
      await server?.stop();
    });

    test('script posts full progress, dashboard reads it back without unknown keys', async () => {
      const id = randomUUID();
      const sent = progressData(id);
      const posted = await call(server, 'POST', progressPath(id), { json: { ...sent, scriptVersion: '1.4.2' } });
      assert.equal(posted.status, 200, posted.text);
      assert.deepEqual(posted.body, { success: true, sessionId: id });
      assertJsonCors(posted, 'POST');

      const got = await call(server, 'GET', progressPath(id));
      assert.equal(got.status, 200, got.text);
      assertJsonCors(got, 'GET');
      assert.deepEqual(got.body, sent);
      assert.equal('scriptVersion' in got.body, false, 'unknown key must be dropped');
      assert.deepEqual(Object.keys(got.body), SCHEMA_KEYS, 'keys come back in schema order');
    });

    test('step updates: the dashboard always sees the latest, null versions round-trip', async () => {
      const id = randomUUID();
      const updates = [
        progressData(id, { currentStep: 1, completedSteps: [], currentAction: 'Checking prerequisites' }),
        progressData(id, { currentStep: 2, completedSteps: [1], currentAction: 'Installing Git' }),
        progressData(id, {
          currentStep: 3,
          completedSteps: [1, 2],
          currentAction: 'Installing Node.js',
          toolStatus: { git: { status: 'success', version: null }, node: { status: 'installing', version: null } },
        }),
        progressData(id, {
          currentStep: 4,
          completedSteps: [1, 2, 3],
          currentAction: 'Done',
          toolStatus: {
            git: { status: 'success', version: null },
            node: { status: 'error', version: null, error: 'exit code 1603' },
          },
          errors: [{ tool: 'node', error: 'exit code 1603', suggestedFix: 'Reboot and retry' }],
          phase: 'phase2',
          complete: true,
        }),
      ];
      for (const update of updates) {
        const posted = await call(server, 'POST', progressPath(id), { json: update });
        assert.equal(posted.status, 200, posted.text);
        const got = await call(server, 'GET', progressPath(id));
        assert.equal(got.status, 200, got.text);
        assert.deepEqual(got.body, update, `after step ${update.currentStep}`);
      }
      const final = (await call(server, 'GET', progressPath(id))).body;
      assert.equal(final.currentStep, 4);
      assert.equal(final.toolStatus.git.version, null);
      assert.ok('version' in final.toolStatus.git, 'version: null is kept, not dropped');
      assert.equal(final.toolStatus.node.error, 'exit code 1603');
    });

    test('error log: appends count up, read back in order, unknown session has none', async () => {
      const id = randomUUID();
      assert.equal((await call(server, 'POST', progressPath(id), { json: progressData(id) })).status, 200);
      const entries = [
        logEntry({ tool: 'git', error: 'first', step: 1 }),
        logEntry({ tool: 'node', error: 'second', step: 2 }),
        logEntry({ tool: 'python', error: 'third', step: 3 }),
      ];
      for (const [index, entry] of entries.entries()) {
        const posted = await call(server, 'POST', logPath(id), { json: entry });
        assert.equal(posted.status, 200, posted.text);
        assertJsonCors(posted, 'POST log');
        assert.equal(posted.body.totalErrors, index + 1);
      }
      const got = await call(server, 'GET', logPath(id));
      assert.equal(got.status, 200, got.text);
      assertJsonCors(got, 'GET log');
      assert.deepEqual(got.body, { errors: entries });

      const unknown = await call(server, 'GET', logPath(randomUUID()));
      assert.equal(unknown.status, 200, unknown.text);
      assert.deepEqual(unknown.body, { errors: [] });
    });

    test('unknown session: 404 Session not found', async () => {
      const got = await call(server, 'GET', progressPath(randomUUID()));
      assert.equal(got.status, 404, got.text);
      assert.deepEqual(got.body, { error: 'Session not found' });
      assertJsonCors(got, 'GET unknown');
    });

    test('bad requests: invalid data, non-JSON body, session id mismatch', async () => {
      const id = randomUUID();
      const invalid = await call(server, 'POST', progressPath(id), {
        json: progressData(id, { currentStep: 'two', phase: 'phase3' }),
      });
      assert.equal(invalid.status, 400, invalid.text);
      assertJsonCors(invalid, 'POST invalid');
      assert.equal(invalid.body.error, 'Invalid progress data');
      assert.ok(Array.isArray(invalid.body.details), 'details is an array');
      assert.ok(invalid.body.details.length >= 2, invalid.text);
      for (const issue of invalid.body.details) {
        assert.equal(typeof issue.code, 'string', JSON.stringify(issue));
        assert.ok(Array.isArray(issue.path), JSON.stringify(issue));
        assert.equal(typeof issue.message, 'string', JSON.stringify(issue));
      }
      assert.deepEqual(invalid.body.details.map((issue) => issue.path), [['currentStep'], ['phase']]);

      const notJson = await call(server, 'POST', progressPath(id), {
        body: '{"sessionId": "' + id + '", "currentStep": ',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(notJson.status, 400, notJson.text);
      assert.equal(notJson.body?.error, 'Invalid JSON', notJson.text);

      const otherId = randomUUID();
      const mismatch = await call(server, 'POST', progressPath(id), { json: progressData(otherId) });
      assert.equal(mismatch.status, 400, mismatch.text);
      assert.deepEqual(mismatch.body, { error: 'Session ID mismatch' });

      for (const rejectedId of [id, otherId]) {
        const got = await call(server, 'GET', progressPath(rejectedId));
        assert.equal(got.status, 404, `nothing was stored for ${rejectedId}: ${got.text}`);
      }
    });

    test('CORS preflight from the dashboard', async () => {
      const id = randomUUID();
      for (const path of [progressPath(id), logPath(id)]) {
        const res = await call(server, 'OPTIONS', path, {
          headers: {
            origin: 'http://localhost:5173',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assert.deepEqual(res.body, {}, `${path}: body`);
        assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
        assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, PATCH, DELETE, OPTIONS', path);
        assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type, Authorization, X-Write-Key, X-Request-Id, Last-Event-ID', path);
      }
    });

    test('PowerShell 5.1 client: Latin-1 body without charset reads back as UTF-8 text', async () => {
      const id = randomUUID();
      const sent = progressData(id, {
        currentAction: 'Installation échouée',
        toolStatus: { git: { status: 'error', version: null, error: 'Opération échouée' } },
        errors: [{ tool: 'git', error: 'échouée', suggestedFix: 'Réessayer après redémarrage' }],
      });
      const bytes = Buffer.from(JSON.stringify(sent), 'latin1');
      assert.ok(bytes.includes(0xe9) && !bytes.includes(0xc3), 'the body really is Latin-1, not UTF-8');
      const posted = await call(server, 'POST', progressPath(id), {
        body: bytes,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(posted.status, 200, posted.text);
      const got = await call(server, 'GET', progressPath(id));
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.currentAction, 'Installation échouée');
      assert.deepEqual(got.body, sent);

      const entry = logEntry({ error: 'échouée', suggestedFix: 'Réessayer' });
      const logged = await call(server, 'POST', logPath(id), {
        body: Buffer.from(JSON.stringify(entry), 'latin1'),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(logged.status, 200, logged.text);
      assert.deepEqual((await call(server, 'GET', logPath(id))).body, { errors: [entry] });
    });

    test('50 concurrent log appends are all counted exactly once', async () => {
      const id = randomUUID();
      assert.equal((await call(server, 'POST', progressPath(id), { json: progressData(id) })).status, 200);
      const count = 50;
      const entries = Array.from({ length: count }, (_, i) => logEntry({ error: `failure ${i}`, step: i }));
      const results = await Promise.all(entries.map((entry) => call(server, 'POST', logPath(id), { json: entry })));
      for (const res of results) assert.equal(res.status, 200, res.text);
      const totals = results.map((res) => res.body.totalErrors).sort((a, b) => a - b);
      assert.deepEqual(totals, Array.from({ length: count }, (_, i) => i + 1));

      const got = await call(server, 'GET', logPath(id));
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.errors.length, count);
      const stored = got.body.errors.map((e) => e.error).sort();
      assert.deepEqual(stored, entries.map((e) => e.error).sort(), 'every entry stored once');
    });
  });
}
