#!/usr/bin/env node
// Traffic generator for bench/soak: setup scripts and their watchers, for hours if need be.
// Every second SESSIONS_PER_S new sessions start; each lives LIFE seconds as a script reports it:
// a POST of the whole state, a PATCH every PATCH_EVERY seconds, now and then a POST log, a
// dashboard GET of the progress and the log after each write, a final PATCH "complete", and then
// nothing: the store forgets it TTL seconds later. A share of the sessions has a live watcher
// (an event stream) from its start until a few seconds after its end. Old sessions are read
// again after their TTL: those must answer 404, and recent ones 200.
//
//   node bench/soak_load.mjs --base http://127.0.0.1:PORT --duration 120 --ttl 60 \
//        [--sessions-per-s 20] [--life 10] [--patch-every 1] [--watch-share 0.1] [--stats FILE]
//
// Node built-ins only. Every STATS_EVERY seconds it rewrites --stats (key=value lines: request
// counts, errors); at the end it prints the same on stdout. An error is any answer other than
// 2xx, except a 404 for a session read after its TTL; an event stream that does not start with
// 200 or that the server ends early; any transport failure. Exits 1 if there was any.
import http from 'node:http';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith('--') || i + 1 >= process.argv.length) die(`bad argument ${k}`);
  args[k.slice(2)] = process.argv[i + 1];
}
const base = new URL(args.base ?? die('--base is required'));
const DURATION_S = Number(args.duration ?? 120);
const TTL_S = Number(args.ttl ?? 60);
const SESSIONS_PER_S = Number(args['sessions-per-s'] ?? 20);
const LIFE_S = Number(args.life ?? 10);
const PATCH_EVERY_S = Number(args['patch-every'] ?? 1);
const WATCH_SHARE = Number(args['watch-share'] ?? 0.1);
const WATCH_AFTER_S = 3; // a watcher stays this long after its session's last write
const STATS_FILE = args.stats ?? '';
const STATS_EVERY_S = 5;
// Reads near the TTL may go either way: the server's clock and ours differ by a request.
const TTL_MARGIN_MS = 2000;
const RUN = `soak-${process.pid}`;

function die(msg) {
  process.stderr.write(`soak_load: ${msg}\n`);
  process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- bookkeeping -----------------------------------------------------------------------------
const counts = new Map(); // "OP STATUS" -> n
let errors = 0;
const errorSamples = [];
const latencies = []; // ms of the requests, reset at each stats write (p99 of the last period)
let worstP99 = 0;
function count(key) {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
function error(msg) {
  errors++;
  if (errorSamples.length < 10) errorSamples.push(msg);
  process.stderr.write(`soak_load: error: ${msg}\n`);
}

// ---- requests --------------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(method, path, body) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {};
    const req = http.request({ host: base.hostname, port: base.port, path, method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve({ status: res.statusCode, body: text });
      });
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end(data);
  });
}
// A write or a read of a live session: anything but 2xx is an error.
async function expectOk(op, method, path, body) {
  const r = await request(method, path, body);
  count(`${op} ${r.status}`);
  if (r.status < 200 || r.status > 299) error(`${op} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
  return r;
}

const TOOLS = ['git', 'node', 'python', 'docker', 'vscode', 'aws-cli'];
function progress(id, step, total) {
  return {
    sessionId: id,
    currentStep: step,
    completedSteps: Array.from({ length: step }, (_, i) => i + 1),
    currentAction: `Installing ${TOOLS[step % TOOLS.length]}`,
    toolStatus: Object.fromEntries(TOOLS.map((t, i) => [t, { status: i < step ? 'success' : 'pending', version: null }])),
    errors: [],
    timestamp: new Date().toISOString(),
    phase: 'phase1',
    complete: false,
    totalSteps: total,
  };
}

// ---- watchers --------------------------------------------------------------------------------
let watchersOpen = 0;
let watchersOpened = 0;
let watcherEvents = 0;
function watch(id, until) {
  watchersOpened++;
  watchersOpen++;
  let leaving = false;
  let expired = false;
  const req = http.get({ host: base.hostname, port: base.port, path: `/api/progress/${id}/events`, agent: false }, (res) => {
    count(`events ${res.statusCode}`);
    if (res.statusCode !== 200) {
      error(`events ${id}: ${res.statusCode}`);
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      for (const m of chunk.matchAll(/^event: (\w+)/gm)) {
        watcherEvents++;
        if (m[1] === 'expired') expired = true;
      }
    });
    res.on('end', () => {
      if (!leaving && !expired) error(`events ${id}: the server ended the stream early`);
    });
  });
  req.on('error', (e) => {
    if (!leaving) error(`events ${id}: ${e.message}`);
  });
  req.on('close', () => watchersOpen--);
  setTimeout(() => {
    leaving = true;
    req.destroy();
  }, Math.max(0, until - performance.now()));
}

// ---- sessions --------------------------------------------------------------------------------
const ended = []; // {id, lastWrite (performance.now())}, in order of their last write
let sessionsStarted = 0;
let sessionsEnded = 0;
let sessionsRunning = 0;

async function runSession(n) {
  sessionsStarted++;
  sessionsRunning++;
  const id = `${RUN}-${n}`;
  const path = `/api/progress/${id}`;
  const steps = Math.max(1, Math.round(LIFE_S / PATCH_EVERY_S));
  const started = performance.now();
  await expectOk('POST', 'POST', path, progress(id, 0, steps));
  if (Math.random() < WATCH_SHARE) watch(id, started + (LIFE_S + WATCH_AFTER_S) * 1000);
  for (let step = 1; step <= steps; step++) {
    await sleep(Math.max(0, started + step * PATCH_EVERY_S * 1000 - performance.now()));
    const patch = {
      currentStep: step,
      currentAction: `Installing ${TOOLS[step % TOOLS.length]}`,
      toolStatus: { [TOOLS[step % TOOLS.length]]: { status: 'installing' } },
      timestamp: new Date().toISOString(),
    };
    if (step === steps) patch.complete = true;
    await expectOk('PATCH', 'PATCH', path, patch);
    if (Math.random() < 0.3) {
      await expectOk('POST-log', 'POST', `${path}/log`, {
        tool: TOOLS[step % TOOLS.length],
        error: `exit code ${step}`,
        suggestedFix: 'Run the installer again as administrator',
        timestamp: new Date().toISOString(),
        step,
      });
    }
    const r = await expectOk('GET', 'GET', path);
    if (r.status === 200 && JSON.parse(r.body).currentStep !== step) error(`GET ${id}: step ${JSON.parse(r.body).currentStep}, expected ${step}`);
    await expectOk('GET-log', 'GET', `${path}/log`);
  }
  ended.push({ id, lastWrite: performance.now() });
  sessionsRunning--;
  sessionsEnded++;
}

// Reads a session whose TTL has passed (404 expected) and one still alive (200 expected).
let expiredChecked = 0;
async function probeOld() {
  const now = performance.now();
  const old = ended.filter((s) => now - s.lastWrite > TTL_S * 1000 + TTL_MARGIN_MS);
  if (old.length > 0) {
    const s = old[Math.floor(Math.random() * old.length)];
    const r = await request('GET', `/api/progress/${s.id}`);
    count(`GET-expired ${r.status}`);
    expiredChecked++;
    if (r.status !== 404) error(`GET ${s.id} ${((now - s.lastWrite) / 1000).toFixed(1)} s after its last write: ${r.status}`);
  }
  const young = ended.filter((s) => now - s.lastWrite < TTL_S * 1000 - TTL_MARGIN_MS);
  if (young.length > 0) {
    const s = young[Math.floor(Math.random() * young.length)];
    const r = await request('GET', `/api/progress/${s.id}`);
    count(`GET-ended ${r.status}`);
    if (r.status !== 200) error(`GET ${s.id} ${((now - s.lastWrite) / 1000).toFixed(1)} s after its last write: ${r.status}`);
  }
  // Forget what can no longer be read either way.
  while (ended.length > 0 && now - ended[0].lastWrite > 3 * TTL_S * 1000) ended.shift();
}

// ---- main ------------------------------------------------------------------------------------
function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * (sorted.length - 1)))] : 0;
}
function stats() {
  const sorted = latencies.splice(0).sort((a, b) => a - b);
  const p99 = pct(sorted, 99);
  worstP99 = Math.max(worstP99, p99);
  let requests = 0;
  for (const [, n] of counts) requests += n;
  const lines = [
    `elapsed_s=${((performance.now() - t0) / 1000).toFixed(0)}`,
    `requests=${requests}`,
    `errors=${errors}`,
    `sessions_started=${sessionsStarted}`,
    `sessions_ended=${sessionsEnded}`,
    `sessions_running=${sessionsRunning}`,
    `watchers_opened=${watchersOpened}`,
    `watchers_open=${watchersOpen}`,
    `watcher_events=${watcherEvents}`,
    `expired_checked=${expiredChecked}`,
    `period_p99_ms=${p99.toFixed(2)}`,
    `worst_period_p99_ms=${worstP99.toFixed(2)}`,
    ...[...counts].sort().map(([k, n]) => `count ${k}=${n}`),
    ...errorSamples.map((e) => `error_sample=${e}`),
  ];
  return lines.join('\n') + '\n';
}

const t0 = performance.now();
let next = 0;
const inFlight = new Set();
const starter = setInterval(() => {
  const due = Math.floor(((performance.now() - t0) / 1000) * SESSIONS_PER_S);
  while (next < due) {
    const p = runSession(next++).catch((e) => error(`session: ${e.message}`));
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  }
}, 20);
const prober = setInterval(() => probeOld().catch((e) => error(`probe: ${e.message}`)), 200);
// Written aside and renamed, so that bench/soak never reads a half-written file.
function writeStats(text) {
  if (!STATS_FILE) return;
  fs.writeFileSync(`${STATS_FILE}.tmp`, text);
  fs.renameSync(`${STATS_FILE}.tmp`, STATS_FILE);
}
const reporter = setInterval(() => writeStats(stats()), STATS_EVERY_S * 1000);

// New sessions start until DURATION minus one life, so that every session started also ends.
await sleep(Math.max(0, DURATION_S - LIFE_S - WATCH_AFTER_S) * 1000);
clearInterval(starter);
await Promise.all([...inFlight]);
await sleep(Math.max(0, t0 + DURATION_S * 1000 - performance.now()));
clearInterval(prober);
clearInterval(reporter);
const final = stats();
writeStats(final);
process.stdout.write(final);
agent.destroy();
process.exit(errors === 0 ? 0 : 1);
