// Replays the Zod oracle fixtures (tests/model/zod_cases.json, made by tests/zod-oracle) over
// HTTP against the real progressd: what the original app accepted must be stored and served back
// byte-for-byte as Zod output it, and what it rejected must come back as the same issues.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { progressdBinary, startServer } from './server.mjs';

progressdBinary(); // fail the whole file at once, with a clear message, when there is no binary

const fixtures = JSON.parse(readFileSync(new URL('../model/zod_cases.json', import.meta.url), 'utf8'));

async function post(server, path, input) {
  const res = await server.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(input, 'utf8'),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

async function getText(server, path) {
  const res = await server.fetch(path);
  return { status: res.status, text: await res.text() };
}

// The one documented difference (README, "Differences from the Next.js API"): JSON.parse accepts
// an unpaired surrogate escape such as "\ud800" and the original stored it; progressd stores
// only valid Unicode, so these bodies get 400 "Invalid JSON" instead.
function isLoneSurrogateCase(fixture) {
  return fixture.name.includes('lone surrogate');
}

function loneSurrogateProblem(res) {
  if (res.status === 400 && res.body?.error === 'Invalid JSON') return undefined;
  return `    expected the documented 400 Invalid JSON, got ${res.status}: ${res.text}`;
}

// Runs every case and returns a description of each one progressd got wrong.
async function replay(schema, runCase) {
  const mismatches = [];
  let ran = 0;
  for (const fixture of fixtures.filter((f) => f.schema === schema)) {
    const problem = await runCase(fixture);
    if (problem === 'skip') continue;
    ran += 1;
    if (problem) mismatches.push(`- ${fixture.name}\n    input:    ${fixture.input}\n${problem}`);
  }
  return { ran, mismatches };
}

// The first few mismatches in full, so one failure does not flood the report.
function summary(mismatches, ran, schema) {
  const shown = mismatches.slice(0, 10).join('\n');
  const more = mismatches.length > 10 ? `\n... and ${mismatches.length - 10} more` : '';
  return `${mismatches.length} of ${ran} ${schema} cases differ from Zod:\n${shown}${more}`;
}

function issuesProblem(fixture, res) {
  if (res.status !== 400) return `    expected 400, got ${res.status}: ${res.text}`;
  const got = Array.isArray(res.body?.details) ? JSON.stringify(res.body.details) : res.text;
  if (got !== fixture.issues) return `    expected: ${fixture.issues}\n    got:      ${got}`;
  return undefined;
}

for (const store of ['memory:', 'sqlite']) {
  describe(`Zod oracle over HTTP, --store ${store === 'sqlite' ? 'sqlite:<tmp>/p.db' : store}`, () => {
    let server;

    before(async () => {
      server = await startServer({ store });
    });

    after(async () => {
      await server?.stop();
    });

    test('progress cases: accepted bodies are served back as Zod output, rejected ones give Zod issues', async () => {
      const { ran, mismatches } = await replay('progress', async (fixture) => {
        const value = JSON.parse(fixture.input);
        // Post to the body's own sessionId when it is an ordinary id, so that only validation can
        // reject it; a valid document whose sessionId cannot be a path segment is skipped.
        const ownId = typeof value?.sessionId === 'string' && /^[A-Za-z0-9-]+$/.test(value.sessionId);
        if (fixture.success && !ownId) return 'skip';
        const id = ownId ? value.sessionId : randomUUID();
        const path = `/api/progress/${id}`;
        const res = await post(server, path, fixture.input);
        if (isLoneSurrogateCase(fixture)) return loneSurrogateProblem(res);
        if (!fixture.success) return issuesProblem(fixture, res);
        if (res.status !== 200) return `    expected 200, got ${res.status}: ${res.text}`;
        const got = await getText(server, path);
        if (got.status !== 200 || got.text !== fixture.output) {
          return `    expected: ${fixture.output}\n    got (${got.status}): ${got.text}`;
        }
        return undefined;
      });
      assert.ok(ran >= 100, `only ${ran} progress cases ran`);
      assert.equal(mismatches.length, 0, summary(mismatches, ran, 'progress'));
    });

    test('log_entry cases: accepted entries are served back as Zod output, rejected ones give Zod issues', async () => {
      const { ran, mismatches } = await replay('log_entry', async (fixture) => {
        const path = `/api/progress/${randomUUID()}/log`;
        const res = await post(server, path, fixture.input);
        if (isLoneSurrogateCase(fixture)) return loneSurrogateProblem(res);
        if (!fixture.success) return issuesProblem(fixture, res);
        if (res.status !== 200) return `    expected 200, got ${res.status}: ${res.text}`;
        const got = await getText(server, path);
        const expected = `{"errors":[${fixture.output}]}`;
        if (got.status !== 200 || got.text !== expected) {
          return `    expected: ${expected}\n    got (${got.status}): ${got.text}`;
        }
        return undefined;
      });
      assert.ok(ran >= 30, `only ${ran} log_entry cases ran`);
      assert.equal(mismatches.length, 0, summary(mismatches, ran, 'log_entry'));
    });
  });
}
