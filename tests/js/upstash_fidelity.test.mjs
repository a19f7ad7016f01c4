// The local Upstash REST endpoint (tests/upstash-rest/server.mjs), checked with the official
// client that the original app uses through @vercel/kv, @upstash/redis: if that client works
// against it, the endpoint speaks the real protocol and the kv-rest store tests that run against
// it mean something. Then the original app and progressd (--store kv-rest:) share one database
// through it, each reading what the other wrote.
//
// Needs redis-server (started here on a free port), the packages of tests/upstash-rest
// (scripts/bootstrap runs `npm ci --prefix tests/upstash-rest`) and, for the last part,
// PROGRESSD_BIN (see server.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer } from './server.mjs';
import { progressData } from './bodies.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENDPOINT_DIR = `${ROOT}tests/upstash-rest`;
const START_TIMEOUT_MS = 10_000;
const TOKEN = 'fidelity-token';
const READ_ONLY_TOKEN = 'fidelity-read-only-token';

// A package installed in tests/upstash-rest, or an error that says how to install it.
async function importFromEndpointDir(name) {
  const require = createRequire(`${ENDPOINT_DIR}/package.json`);
  let path;
  try {
    path = require.resolve(name);
  } catch {
    throw new Error(`${name} is not installed in tests/upstash-rest: run scripts/bootstrap ` +
      '(it runs npm ci --prefix tests/upstash-rest)');
  }
  const module = await import(pathToFileURL(path).href);
  return module.default ?? module;
}

const { Redis } = await importFromEndpointDir('@upstash/redis');
const { createClient } = await importFromEndpointDir('redis');

// progressd's append script, read from its source so that this test cannot drift from it.
function appendLogScript() {
  const source = readFileSync(`${ROOT}src/store/redis_layout.cpp`, 'utf8');
  const match = /append_log_script = R"lua\(([\s\S]*?)\)lua"/.exec(source);
  assert.ok(match, 'append_log_script not found in src/store/redis_layout.cpp');
  return match[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Spawns `command` and resolves to { child, match } once its output matches `ready`.
function startProcess(what, command, args, ready) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const grow = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout.setEncoding('utf8').on('data', grow);
    child.stderr.setEncoding('utf8').on('data', grow);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${what}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

async function stopProcess(started) {
  const child = started?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}


function logEntry(error) {
  return { tool: 'git', error, suggestedFix: 'Run as administrator',
    timestamp: '2026-11-26T12:00:00.000Z', step: 2 };
}

let redisServer;
let endpoint;
let url;
let kv; // the original app's client: what @vercel/kv builds from KV_REST_API_URL and _TOKEN
let direct; // straight to Redis, to see the stored bytes

before(async () => {
  const redisPort = await freePort();
  redisServer = await startProcess('redis-server', 'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept connections/);
  endpoint = await startProcess('the Upstash REST endpoint', process.execPath,
    [`${ENDPOINT_DIR}/server.mjs`, '--redis', `redis://127.0.0.1:${redisPort}`,
      '--token', TOKEN, '--read-only-token', READ_ONLY_TOKEN],
    /listening on (http:\/\/\S+)/);
  url = endpoint.match[1];
  kv = new Redis({ url, token: TOKEN });
  direct = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  await direct.connect();
});

after(async () => {
  await direct?.disconnect();
  await stopProcess(endpoint);
  await stopProcess(redisServer);
});

describe('the local Upstash REST endpoint, as @upstash/redis sees it', () => {
  test('JSON values are stored as JSON text and read back as objects', async () => {
    const progress = { ...progressData('a'), currentAction: 'é € 😀 "quoted" \\ \n' };
    assert.equal(await kv.set('progress:a', progress), 'OK');
    assert.deepEqual(await kv.get('progress:a'), progress);
    assert.equal(await direct.get('progress:a'), JSON.stringify(progress));
    assert.equal(await kv.get('progress:absent'), null);
    assert.deepEqual(await kv.mget('progress:a', 'progress:absent'), [progress, null]);
    // Valid base64 as it is: only a correct Upstash-Encoding answer brings it back unchanged.
    await kv.set('plain', 'abcd');
    assert.equal(await kv.get('plain'), 'abcd');
  });

  test('set with ex gives the key that TTL', async () => {
    await kv.set('progress:t', { a: 1 }, { ex: 3600 });
    const ttl = await kv.ttl('progress:t');
    assert.ok(ttl > 3590 && ttl <= 3600, `ttl ${ttl}`);
  });

  test("eval and evalsha run progressd's append script", async () => {
    const script = appendLogScript();
    const sha = createHash('sha1').update(script).digest('hex');
    const key = 'progress:e:log';
    assert.equal(await kv.eval(script, [key, key + ':meta'], [JSON.stringify({ n: 1 }), '3600', 'fidelity']), 1);
    assert.equal(await kv.evalsha(sha, [key, key + ':meta'], [JSON.stringify({ n: 2 }), '3600', 'fidelity']), 2);
    assert.deepEqual(await kv.get(key), [{ n: 1 }, { n: 2 }]);
    assert.equal(await direct.get(key), '[{"n":1},{"n":2}]');
    assert.equal(await kv.scriptLoad(script), sha);

    await direct.sendCommand(['SCRIPT', 'FLUSH']);
    await assert.rejects(kv.evalsha(sha, [key, key + ':meta'], ['3', '3600', 'fidelity']), /NOSCRIPT/);
    await kv.set('progress:bad:log', { not: 'an array' });
    await assert.rejects(kv.eval(script, ['progress:bad:log', 'progress:bad:log:meta'], ['1', '60', 'bad']),
      /progress log is not a JSON array/);
  });

  test('a pipeline answers in order, and one failed command fails it', async () => {
    const pipeline = kv.pipeline();
    pipeline.set('pipe', 'v');
    pipeline.get('pipe');
    pipeline.incr('counter');
    pipeline.mget('pipe', 'absent');
    assert.deepEqual(await pipeline.exec(), ['OK', 'v', 1, ['v', null]]);

    const failing = kv.pipeline();
    failing.set('pipe', 'v');
    failing.incr('pipe');
    await assert.rejects(failing.exec(), /ERR value is not an integer/);
  });

  test('the read-only token reads and is refused writes; a wrong token gets nothing', async () => {
    const readOnly = new Redis({ url, token: READ_ONLY_TOKEN });
    await kv.set('ro', 'x');
    assert.equal(await readOnly.get('ro'), 'x');
    await assert.rejects(readOnly.set('ro', 'y'), /NOPERM/);
    await assert.rejects(readOnly.eval('return 1', [], []), /NOPERM/);
    assert.equal(await direct.get('ro'), 'x');

    const stranger = new Redis({ url, token: 'wrong', retry: false });
    await assert.rejects(stranger.get('ro'), /Unauthorized/);
  });
});

describe('the original app and progressd --store kv-rest: on one database', () => {
  let server;
  before(async () => {
    process.env.KV_REST_API_URL = url;
    process.env.KV_REST_API_TOKEN = TOKEN;
    process.env.KV_REST_API_READ_ONLY_TOKEN = READ_ONLY_TOKEN;
    server = await startServer({ store: 'kv-rest:' });
  });
  after(async () => {
    await server?.stop();
  });

  const progressPath = (id) => `/api/progress/${encodeURIComponent(id)}`;

  test('progressd serves the progress and the log that the original app wrote', async () => {
    const id = randomUUID();
    const data = progressData(id);
    await kv.set(`progress:${id}`, data, { ex: 3600 });
    // The original appends by rewriting the whole array.
    const log = (await kv.get(`progress:${id}:log`)) ?? [];
    log.push(logEntry('first'));
    await kv.set(`progress:${id}:log`, log, { ex: 3600 });

    const got = await server.fetch(progressPath(id));
    assert.equal(got.status, 200);
    assert.deepEqual(await got.json(), data);
    const gotLog = await server.fetch(`${progressPath(id)}/log`);
    assert.equal(gotLog.status, 200);
    assert.deepEqual(await gotLog.json(), { errors: [logEntry('first')] });

    const posted = await server.fetch(`${progressPath(id)}/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(logEntry('second')),
    });
    assert.equal(posted.status, 200, await posted.clone().text());
    assert.equal((await posted.json()).totalErrors, 2);
    assert.deepEqual(await kv.get(`progress:${id}:log`), [logEntry('first'), logEntry('second')]);
  });

  test('the original app reads the progress that progressd stored', async () => {
    const id = randomUUID();
    const data = progressData(id);
    const posted = await server.fetch(progressPath(id), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    assert.equal(posted.status, 200, await posted.clone().text());
    assert.deepEqual(await kv.get(`progress:${id}`), data);
    const ttl = await kv.ttl(`progress:${id}`);
    assert.ok(ttl > 3590 && ttl <= 3600, `ttl ${ttl}`);
  });
});
