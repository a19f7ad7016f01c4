#!/usr/bin/env node
// Slowloris client for bench/slowloris: holds CONNS connections to progressd, each sending the
// start of a request one byte per second (the bytes of all connections spread evenly over each
// second) and never finishing its headers. When the server closes one, it records how long after
// that connection's first byte it happened, and opens a new one in its place, so the pressure
// stays at CONNS for the whole run.
//
//   node bench/slowloris_load.mjs --base http://127.0.0.1:PORT --conns 2000 --duration 40
//        [--interval-ms 1000] [--control FILE]
//
// Node built-ins only. Runs until --duration seconds pass or the --control file appears; then
// prints `key=value` lines on stdout (bench/slowloris reads them). Progress goes to stderr; the
// line "ready" once every connection has sent its first byte.
import net from 'node:net';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith('--') || i + 1 >= process.argv.length) die(`bad argument ${k}`);
  args[k.slice(2)] = process.argv[i + 1];
}
const base = new URL(args.base ?? die('--base is required'));
const CONNS = Number(args.conns ?? 2000);
const DURATION_S = Number(args.duration ?? 40);
const INTERVAL_MS = Number(args['interval-ms'] ?? 1000);
const CONTROL = args.control ?? '';
const TICK_MS = 10;
// What each connection sends, one byte at a time: a request whose headers never end.
const REQUEST = 'GET /api/progress/bench-main HTTP/1.1\r\nHost: slowloris\r\nX-Slow: ' + 'a'.repeat(100000);

function die(msg) {
  process.stderr.write(`slowloris_load: ${msg}\n`);
  process.exit(1);
}

const closeDelays = []; // ms from a connection's first byte to the server's close
let opened = 0;
let connectErrors = 0;
let resets = 0; // closes seen as ECONNRESET rather than an orderly FIN
let answered = 0; // connections that got any bytes back (the server should send none)
let bytesSent = 0;
let stopping = false;
const live = new Set();

class Slow {
  constructor(slot) {
    this.slot = slot;
    this.sent = 0;
    this.firstByteAt = 0;
    this.done = false;
    this.sock = net.connect({ host: base.hostname, port: Number(base.port) });
    this.sock.setNoDelay(true);
    opened++;
    live.add(this);
    this.sock.on('data', () => answered++);
    this.sock.on('error', (e) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resets++;
      else if (this.sent === 0) connectErrors++;
    });
    this.sock.on('close', () => this.onClose());
  }
  // Sends the next byte; called once per interval, when the slot's bucket comes up.
  step(now) {
    if (this.done || this.sock.connecting) return;
    if (this.sent === 0) this.firstByteAt = now;
    this.sock.write(REQUEST[this.sent % REQUEST.length]);
    this.sent++;
    bytesSent++;
  }
  onClose() {
    if (this.done) return;
    this.done = true;
    live.delete(this);
    if (stopping) return;
    if (this.firstByteAt > 0) closeDelays.push(performance.now() - this.firstByteAt);
    slots[this.slot] = new Slow(this.slot); // keep the pressure up
  }
}

// Connections are opened gradually (a burst of thousands of SYNs would overflow the backlog).
// Slot i sends at offset i/CONNS of each interval: the slots are kept in one bucket per tick, so
// a tick touches only the connections due in it and the client stays cheap next to wrk.
const slots = new Array(CONNS).fill(null);
const TICKS = Math.max(1, Math.round(INTERVAL_MS / TICK_MS));
const bucketOf = (i) => Math.floor((i * TICKS) / CONNS);
const started = performance.now();
let opening = 0; // slots opened so far
let tickNo = 0;
let reportedReady = false;
const cpuStart = process.cpuUsage();

function tick() {
  const now = performance.now();
  const elapsed = now - started;
  const toOpen = Math.min(CONNS, Math.floor(elapsed / 2)); // 500 connections a second
  for (; opening < toOpen; opening++) slots[opening] = new Slow(opening);
  const bucket = tickNo++ % TICKS;
  // The slots of this bucket: a contiguous range, as bucketOf is monotonic.
  const first = Math.ceil((bucket * CONNS) / TICKS);
  const last = Math.min(opening, Math.ceil(((bucket + 1) * CONNS) / TICKS));
  for (let i = first; i < last; i++) {
    if (bucketOf(i) === bucket) slots[i].step(now);
  }
  if (!reportedReady && opening === CONNS && slots.every((s) => s.sent > 0 || s.done)) {
    reportedReady = true;
    process.stderr.write('ready\n');
  }
  if (elapsed > DURATION_S * 1000 || (CONTROL && fs.existsSync(CONTROL))) finish();
}
const timer = setInterval(tick, TICK_MS);

function pct(sorted, p) {
  if (sorted.length === 0) return 'n/a';
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * (sorted.length - 1)))].toFixed(0);
}

function finish() {
  stopping = true;
  clearInterval(timer);
  const open = [...live].filter((s) => !s.done);
  const oldest = open.reduce((m, s) => Math.max(m, s.firstByteAt ? performance.now() - s.firstByteAt : 0), 0);
  for (const s of open) s.sock.destroy();
  const d = closeDelays.slice().sort((a, b) => a - b);
  const out = {
    conns: CONNS,
    opened,
    closed_by_server: d.length,
    close_min_ms: pct(d, 0),
    close_p50_ms: pct(d, 50),
    close_p99_ms: pct(d, 99),
    close_max_ms: pct(d, 100),
    resets,
    answered,
    connect_errors: connectErrors,
    bytes_sent: bytesSent,
    open_at_end: open.length,
    oldest_open_ms: oldest.toFixed(0),
    client_cpu_pct: (() => {
      const u = process.cpuUsage(cpuStart);
      return ((100 * (u.user + u.system)) / 1000 / (performance.now() - started)).toFixed(1);
    })(),
  };
  for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}=${v}\n`);
  process.exit(0);
}
