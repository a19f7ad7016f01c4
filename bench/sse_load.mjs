#!/usr/bin/env node
// Load generator for bench/sse: opens WATCHERS Server-Sent Events streams on progressd, spread
// over sessions, POSTs one progress update per second per session and measures, at every
// watcher, the time from just before the POST is written to the arrival of that version's
// `progress` event. Also reads the server's RSS before and after connecting the (idle) watchers
// and how busy the server and client CPUs were while the updates ran.
//
//   node bench/sse_load.mjs --base http://127.0.0.1:PORT --pid SERVER_PID --watchers 1000 \
//        [--per-session 100] [--duration 20] [--server-cpu 0] [--client-cpu 1]
//
// Node built-ins only (node:net for the streams: one raw socket per watcher, events parsed
// here). Prints `key=value` lines on stdout (bench/sse reads them); progress and errors go to
// stderr. Exits 1 if any watcher missed, repeated or reordered an update, any stream failed, or
// any POST did not answer 200: the counts must be exact.
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';

// ---- arguments -------------------------------------------------------------------------------
const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith('--') || i + 1 >= process.argv.length) die(`bad argument ${k}`);
  args[k.slice(2)] = process.argv[i + 1];
}
const base = new URL(args.base ?? die('--base is required'));
const serverPid = Number(args.pid ?? die('--pid is required'));
const WATCHERS = Number(args.watchers ?? 1000);
const PER_SESSION = Number(args['per-session'] ?? 100);
const DURATION = Number(args.duration ?? 20); // seconds of POSTs = POSTs per session
const SERVER_CPU = Number(args['server-cpu'] ?? 0);
const CLIENT_CPU = Number(args['client-cpu'] ?? 1);
const CONNECT_CONCURRENCY = Number(args['connect-concurrency'] ?? 200);
const LOOP_RESOLUTION_MS = 10;
const SESSIONS = Math.ceil(WATCHERS / PER_SESSION);
const PREFIX = `sse-${process.pid}-`;

function die(msg) {
  process.stderr.write(`sse_load: ${msg}\n`);
  process.exit(1);
}
function log(msg) {
  process.stderr.write(`    ${msg}\n`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- /proc readings --------------------------------------------------------------------------
function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) die(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}
// Same formula as bench/lib.sh cpu_snapshot: busy = user+nice+system+irq+softirq+steal.
function cpuSnapshot() {
  const out = {};
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const f = line.split(/\s+/);
    if (f[0] === `cpu${SERVER_CPU}` || f[0] === `cpu${CLIENT_CPU}`) {
      const n = f.slice(1).map(Number);
      const busy = n[0] + n[1] + n[2] + n[5] + n[6] + n[7];
      out[f[0]] = { busy, total: busy + n[3] + n[4] };
    }
  }
  return out;
}
function cpuBusyPct(a, b, cpu) {
  const k = `cpu${cpu}`;
  const dt = b[k].total - a[k].total;
  return dt > 0 ? (100 * (b[k].busy - a[k].busy)) / dt : 0;
}
function procTicks(pid) {
  // Fields after the ")" of the command name: utime is field 14, stime 15 (1-based).
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

// ---- POSTs -----------------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const sessionId = (s) => `${PREFIX}${s}`;
function body(s, step) {
  return JSON.stringify({
    sessionId: sessionId(s),
    currentStep: step,
    completedSteps: [],
    currentAction: `bench update ${step}`,
    toolStatus: { git: { status: 'success', version: '2.43.0' }, node: { status: 'installing' } },
    errors: [],
    timestamp: new Date().toISOString(),
    phase: 'phase1',
    complete: false,
  });
}
let postFailures = 0;
const postRtts = []; // ms from just before the POST is written to the end of its answer
const postErrors = [];
// post(s, step, onSent): resolves when answered; onSent runs just before the bytes are written.
function post(s, step, onSent) {
  return new Promise((resolve) => {
    const data = body(s, step);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: `/api/progress/${sessionId(s)}`,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            postFailures++;
            if (postErrors.length < 3) postErrors.push(`POST ${sessionId(s)}: ${res.statusCode} ${text.slice(0, 200)}`);
          }
          resolve();
        });
      },
    );
    req.on('error', (e) => {
      postFailures++;
      if (postErrors.length < 3) postErrors.push(`POST ${sessionId(s)}: ${e.message}`);
      resolve();
    });
    onSent?.();
    const t = performance.now();
    req.on('close', () => postRtts.push(performance.now() - t));
    req.end(data);
  });
}

// ---- watchers --------------------------------------------------------------------------------
// sendTime[s][version]: when the POST that produced that version of session s was written.
const sendTime = Array.from({ length: SESSIONS }, () => new Float64Array(DURATION + 2));
const latencies = new Float64Array(WATCHERS * DURATION);
let nLat = 0;
// firstLat[s][version]: latency of the first watcher of session s to get that version, i.e. the
// server's own delay before the fan-out order and the client's reading order add to it.
const firstLat = Array.from({ length: SESSIONS }, () => new Float64Array(DURATION + 2).fill(NaN));
let streamFailures = 0;
const streamErrors = [];
let measuring = false; // set once all watchers are connected; any close after that is a failure
function streamFail(w, msg) {
  streamFailures++;
  if (streamErrors.length < 5) streamErrors.push(`watcher ${w.i} (${sessionId(w.s)}): ${msg}`);
}

class Watcher {
  constructor(i, s) {
    this.i = i;
    this.s = s;
    this.buf = '';
    this.headersDone = false;
    this.lastVersion = 0; // version of the last progress event
    this.updates = 0; // progress events after the initial one
    this.bad = 0; // out-of-order / repeated / unexpected events
    this.closed = false;
  }
  open() {
    return new Promise((resolve) => {
      this.ready = resolve;
      const sock = net.connect({ host: base.hostname, port: Number(base.port) });
      this.sock = sock;
      sock.setNoDelay(true);
      sock.setEncoding('utf8');
      sock.on('connect', () => {
        sock.write(
          `GET /api/progress/${sessionId(this.s)}/events HTTP/1.1\r\nHost: ${base.host}\r\n` +
            `Accept: text/event-stream\r\n\r\n`,
        );
      });
      sock.on('data', (chunk) => this.onData(chunk, performance.now()));
      sock.on('error', (e) => {
        if (!this.closed) streamFail(this, `socket error ${e.code ?? e.message}`);
        this.closed = true;
        this.ready?.(false);
      });
      sock.on('close', () => {
        if (!this.closed && !shuttingDown) streamFail(this, 'stream closed by the server');
        this.closed = true;
        this.ready?.(false);
      });
    });
  }
  onData(chunk, now) {
    this.buf += chunk;
    if (!this.headersDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.slice(0, end);
      if (!head.startsWith('HTTP/1.1 200')) {
        streamFail(this, `answered ${head.split('\r\n')[0]}`);
        this.closed = true;
        this.sock.destroy();
        this.ready?.(false);
        return;
      }
      if (/^transfer-encoding:\s*chunked/im.test(head)) die('chunked event streams are not supported by this client');
      this.headersDone = true;
      this.buf = this.buf.slice(end + 4);
    }
    let sep;
    while ((sep = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, sep);
      this.buf = this.buf.slice(sep + 2);
      this.onEvent(block, now);
    }
  }
  onEvent(block, now) {
    let event = 'message';
    let id = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      // data lines are not parsed: the id carries the version; comments (heartbeats) and
      // `retry:` are ignored.
    }
    if (event === 'message') return; // a block of comments or retry only
    if (event !== 'progress') {
      this.bad++;
      streamFail(this, `unexpected event ${event}`);
      return;
    }
    const version = Number.parseInt(id, 10);
    if (this.lastVersion === 0) {
      // The initial state (version 1, stored before the watcher connected).
      this.lastVersion = version;
      if (version !== 1) {
        this.bad++;
        streamFail(this, `initial version ${version}, expected 1`);
      }
      this.ready?.(true);
      this.ready = null;
      return;
    }
    if (version !== this.lastVersion + 1) {
      this.bad++;
      streamFail(this, `version ${version} after ${this.lastVersion}`);
    }
    this.lastVersion = version;
    this.updates++;
    const sent = sendTime[this.s][version];
    if (!measuring || !sent) {
      this.bad++;
      streamFail(this, `event for version ${version} with no matching POST`);
      return;
    }
    const l = now - sent;
    latencies[nLat++] = l;
    const f = firstLat[this.s];
    if (!(f[version] <= l)) f[version] = l; // NaN or larger
  }
}

let shuttingDown = false;

// ---- run -------------------------------------------------------------------------------------
async function main() {
  log(`seeding ${SESSIONS} sessions`);
  for (let s = 0; s < SESSIONS; s += 16) {
    const batch = [];
    for (let j = s; j < Math.min(SESSIONS, s + 16); j++) batch.push(post(j, 1));
    await Promise.all(batch);
  }
  if (postFailures) die(`seeding failed: ${postErrors.join('; ')}`);
  await sleep(500);
  const rss0 = rssKiB(serverPid);

  log(`connecting ${WATCHERS} watchers (${PER_SESSION} per session)`);
  const t0 = performance.now();
  const watchers = [];
  for (let i = 0; i < WATCHERS; i++) watchers.push(new Watcher(i, i % SESSIONS));
  let next = 0;
  let okCount = 0;
  async function lane() {
    while (next < WATCHERS) {
      const w = watchers[next++];
      if (await w.open()) okCount++;
    }
  }
  const connectTimeout = setTimeout(() => die(`watchers not connected after 120 s (${okCount}/${WATCHERS})`), 120_000);
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, WATCHERS) }, lane));
  clearTimeout(connectTimeout);
  const connectMs = performance.now() - t0;
  if (okCount !== WATCHERS) die(`only ${okCount}/${WATCHERS} watchers connected: ${streamErrors.join('; ')}`);
  log(`connected in ${(connectMs / 1000).toFixed(1)} s; idle 2 s before reading RSS`);
  measuring = true;
  await sleep(2000);
  const rssN = rssKiB(serverPid);

  // One POST per second per session, sessions spread evenly over each second.
  log(`posting: ${SESSIONS} sessions × 1 POST/s for ${DURATION} s`);
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  const cpu0 = cpuSnapshot();
  const srv0 = procTicks(serverPid);
  const cli0 = process.cpuUsage();
  const start = performance.now() + 100;
  const pending = [];
  const inFlight = new Uint8Array(SESSIONS);
  let lateSends = 0;
  for (let k = 0; k < DURATION; k++) {
    for (let s = 0; s < SESSIONS; s++) {
      const due = start + k * 1000 + (s * 1000) / SESSIONS;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      else if (wait < -5) lateSends++;
      const version = k + 2;
      if (inFlight[s]) die(`POST for ${sessionId(s)} still unanswered after 1 s`);
      inFlight[s] = 1;
      pending.push(
        post(s, version, () => {
          sendTime[s][version] = performance.now();
        }).then(() => {
          inFlight[s] = 0;
        }),
      );
    }
  }
  await Promise.all(pending);
  // Let the last events arrive (each watcher must have DURATION updates).
  const drainStart = performance.now();
  while (performance.now() - drainStart < 5000 && watchers.some((w) => w.updates < DURATION && !w.closed)) await sleep(20);
  const cpu1 = cpuSnapshot();
  const srv1 = procTicks(serverPid);
  const cli1 = process.cpuUsage(cli0);
  const elapsedS = (performance.now() - start) / 1000;
  loopDelay.disable();

  // ---- verify and report ---------------------------------------------------------------------
  const expected = WATCHERS * DURATION;
  let received = 0;
  let short = 0;
  for (const w of watchers) {
    received += w.updates;
    if (w.updates !== DURATION || w.bad) short++;
  }
  const lat = latencies.subarray(0, nLat).sort();
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : NaN);
  const clkTck = 100; // USER_HZ
  const first = Float64Array.from(firstLat.flatMap((a) => Array.from(a.subarray(2)))).filter((x) => !Number.isNaN(x)).sort();
  const fpct = (p) => (first.length ? first[Math.min(first.length - 1, Math.ceil((p / 100) * first.length) - 1)] : NaN);
  const rtt = Float64Array.from(postRtts.slice(SESSIONS)).sort(); // without the seeding POSTs
  const rpct = (p) => (rtt.length ? rtt[Math.min(rtt.length - 1, Math.ceil((p / 100) * rtt.length) - 1)] : NaN);
  // The histogram holds the interval between 10 ms timer ticks; the delay is what exceeds 10 ms.
  const lagMs = (ns) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS).toFixed(2);
  const out = {
    watchers: WATCHERS,
    sessions: SESSIONS,
    per_session: PER_SESSION,
    posts: SESSIONS * DURATION,
    expected,
    received,
    watchers_wrong: short,
    post_failures: postFailures,
    stream_failures: streamFailures,
    late_sends: lateSends,
    p50_ms: pct(50).toFixed(3),
    p99_ms: pct(99).toFixed(3),
    max_ms: lat.length ? lat[lat.length - 1].toFixed(3) : 'NaN',
    rss0_kib: rss0,
    rssN_kib: rssN,
    rss_per_watcher_kib: ((rssN - rss0) / WATCHERS).toFixed(2),
    connect_s: (connectMs / 1000).toFixed(2),
    cpu_server_pct: cpuBusyPct(cpu0, cpu1, SERVER_CPU).toFixed(0),
    cpu_client_pct: cpuBusyPct(cpu0, cpu1, CLIENT_CPU).toFixed(0),
    server_proc_pct: ((100 * (srv1 - srv0)) / clkTck / elapsedS).toFixed(0),
    client_proc_pct: ((100 * (cli1.user + cli1.system)) / 1e6 / elapsedS).toFixed(0),
    post_p50_ms: rpct(50).toFixed(3),
    post_p99_ms: rpct(99).toFixed(3),
    first_p50_ms: fpct(50).toFixed(3),
    first_p99_ms: fpct(99).toFixed(3),
    loop_delay_p99_ms: lagMs(loopDelay.percentile(99)),
    loop_delay_max_ms: lagMs(loopDelay.max),
  };
  for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}=${v}\n`);
  for (const e of [...postErrors, ...streamErrors]) process.stdout.write(`error=${e}\n`);

  shuttingDown = true;
  for (const w of watchers) w.sock.destroy();
  agent.destroy();
  const ok = received === expected && short === 0 && postFailures === 0 && streamFailures === 0;
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => die(e.stack ?? String(e)));
