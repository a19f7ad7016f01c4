// The live dashboard of one session, served at /live/{sessionId}.
//
// Data comes from the event stream /api/progress/{id}/events; when the stream fails three times
// in a row, from GET polls with If-None-Match every 2 s (and the stream is tried again every
// 30 s). A ?token= in the page URL is passed on to every API call. Text from the data always
// goes into the page through textContent, never as HTML.
import { copyButton, el, wireCopy } from './common.js';

const TTL_MS = 60 * 60 * 1000; // the server's default --ttl: data expires 1 h after a write
const POLL_MS = 2000;
const FAILURES_BEFORE_POLLING = 3;
const STREAM_RETRY_MS = 30000;

const STATUS = {
  pending: { icon: '○', label: 'Pending' },
  installing: { icon: '◐', label: 'Installing' },
  success: { icon: '✓', label: 'Installed' },
  error: { icon: '✕', label: 'Failed' },
  skipped: { icon: '➝', label: 'Skipped' },
};
const MODES = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling every 2 s',
  offline: 'Server unreachable, retrying…',
  ended: 'Stopped',
};

const $ = (id) => document.getElementById(id);
const sessionId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const token = new URLSearchParams(location.search).get('token');
const api = (suffix = '') =>
  `/api/progress/${encodeURIComponent(sessionId)}${suffix}` +
  (token ? `?token=${encodeURIComponent(token)}` : '');

const state = {
  progress: null, // the latest ProgressData
  progressJson: '', // its text, to tell a change from a repeat
  errorsJson: '',
  log: [], // error log entries by position (the stream's ids tell the position)
  logItems: [], // their <li>, by the same position
  firstSeen: null, // ms: when the page first saw data, or the earliest timestamp in it
  lastWrite: null, // ms: the latest write we know of
  phase: 'loading', // loading | waiting | active | expired
};
const cards = new Map(); // tool name → its card, in the order the tools first appeared

//------------------------------------------------------------------------------
// Small helpers

function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

// Takes note of a timestamp seen in the data (clamped to now: a script's clock may run ahead).
function noteTime(timestamp) {
  const now = Date.now();
  const parsed = Date.parse(timestamp);
  const at = Number.isNaN(parsed) ? now : Math.min(parsed, now);
  state.firstSeen = Math.min(state.firstSeen ?? now, at);
  if (!Number.isNaN(parsed)) state.lastWrite = Math.max(state.lastWrite ?? at, at);
}

//------------------------------------------------------------------------------
// Rendering

function setPhase(phase) {
  state.phase = phase;
  $('waiting').hidden = phase !== 'waiting';
  $('expired').hidden = phase !== 'expired';
  document.body.dataset.phase = phase;
  if (phase === 'waiting') {
    $('step').textContent = 'Waiting for the first update';
    $('action').textContent = 'Waiting for the script to start…';
  }
  if (phase === 'expired') stopWatching();
}

function setMode(mode) {
  const pill = $('connection');
  pill.dataset.mode = mode;
  pill.textContent = MODES[mode];
}

function stepInfo(p) {
  const completed = Array.isArray(p.completedSteps) ? p.completedSteps : [];
  const done = new Set(completed).size;
  const given = Number.isFinite(p.totalSteps) && p.totalSteps > 0;
  const total = given ? p.totalSteps : Math.max(1, p.currentStep, done, ...completed);
  const fraction = p.complete ? 1 : Math.min(1, done / total);
  return { done, total, given, percent: Math.round(fraction * 100) };
}

function renderOverview(p) {
  const { done, total, given, percent } = stepInfo(p);
  $('step').textContent = p.complete
    ? 'Finished'
    : p.currentStep > 0 ? `Step ${p.currentStep} of ${total}` : 'Starting';
  $('percent').textContent = `${percent}%`;
  $('bar').setAttribute('aria-valuenow', String(percent));
  $('bar-fill').style.width = `${percent}%`; // CSSOM, which the CSP allows (unlike style="")
  $('steps-done').textContent =
    `${done} of ${total} steps done` + (given ? '' : ' (total not reported, estimated)');
  $('action').textContent = p.currentAction || '–';
  $('phase').textContent = p.phase === 'phase2' ? 'Phase 2' : 'Phase 1';
  document.title = `${p.complete ? 'Done' : `${percent}%`} · ${sessionId} · progressd`;
}

function renderBanner(p, failed) {
  const banner = $('banner');
  banner.hidden = !p.complete;
  if (!p.complete) return;
  banner.dataset.result = failed > 0 ? 'errors' : 'success';
  banner.replaceChildren(
    el('strong', null, failed > 0 ? 'Setup finished with errors' : 'Setup complete'),
    el('span', null, failed > 0
      ? ` ${failed} ${failed === 1 ? 'problem needs' : 'problems need'} attention; see the fixes below.`
      : ' Every step finished without errors.'),
  );
}

function toolCard(name) {
  const card = el('li', 'tool');
  const icon = el('span', 'tool-icon');
  icon.setAttribute('aria-hidden', 'true');
  const body = el('div', 'tool-body');
  const label = el('span', 'tool-name', name);
  label.title = name; // a long name is cut short with an ellipsis
  body.append(label, el('span', 'tool-status'),
    el('span', 'tool-version'), el('span', 'tool-error'));
  card.append(icon, body);
  return card;
}

function renderTools(toolStatus) {
  const counts = { success: 0, installing: 0, error: 0, skipped: 0 };
  const names = Object.keys(toolStatus);
  for (const [name, card] of cards) {
    if (!(name in toolStatus)) {
      card.remove();
      cards.delete(name);
    }
  }
  for (const name of names) {
    const tool = toolStatus[name] ?? {};
    const status = STATUS[tool.status] ? tool.status : 'pending';
    if (status in counts) counts[status] += 1;
    let card = cards.get(name);
    if (!card) {
      card = toolCard(name);
      cards.set(name, card);
      $('tools').append(card);
    }
    card.dataset.status = status;
    card.querySelector('.tool-icon').textContent = STATUS[status].icon;
    card.querySelector('.tool-status').textContent = STATUS[status].label;
    card.querySelector('.tool-version').textContent = tool.version ? `v${tool.version}` : '';
    const error = card.querySelector('.tool-error');
    error.textContent = tool.error ?? '';
    error.title = tool.error ?? '';
  }
  $('tools-empty').hidden = names.length > 0;
  $('count-total').textContent = String(names.length);
  for (const [status, count] of Object.entries(counts)) {
    $(`count-${status}`).textContent = String(count);
  }
  return counts.error;
}

// One error with its suggested fix and a button that copies the fix.
function errorItem(entry, detail) {
  const item = el('li', 'error-item');
  const head = el('div', 'error-head');
  head.append(el('strong', 'error-tool', entry.tool || 'unknown tool'));
  if (detail) head.append(el('span', 'muted', detail));
  item.append(head, el('p', 'error-text', entry.error));
  if (entry.suggestedFix) {
    const fix = el('div', 'fix');
    fix.append(el('span', 'label', 'Suggested fix'), el('code', 'fix-text', entry.suggestedFix),
      copyButton('Copy fix', () => entry.suggestedFix));
    item.append(fix);
  }
  return item;
}

function renderErrors(errors) {
  const json = JSON.stringify(errors);
  if (json === state.errorsJson) return; // keep the items (and their copy buttons) as they are
  state.errorsJson = json;
  $('errors').replaceChildren(...errors.map((entry) => errorItem(entry)));
  $('errors-empty').hidden = errors.length > 0;
}

function renderTimes() {
  const now = Date.now();
  const finished = state.progress?.complete && state.lastWrite;
  $('elapsed-label').textContent = finished ? 'Took' : 'Running for';
  $('elapsed').textContent = state.firstSeen === null
    ? '–'
    : formatDuration((finished ? state.lastWrite : now) - state.firstSeen);
  if (state.phase === 'expired') {
    $('expires').textContent = 'expired';
  } else if (state.lastWrite !== null) {
    const left = state.lastWrite + TTL_MS - now;
    $('expires').textContent = left > 0 ? `≈ ${formatDuration(left)}` : 'any moment';
  }
}

//------------------------------------------------------------------------------
// Data

function applyProgress(progress) {
  const json = JSON.stringify(progress);
  // A change that arrives while we watch is a write that just happened.
  const fresh = (state.progress !== null && json !== state.progressJson) ||
    state.phase === 'waiting';
  state.progress = progress;
  state.progressJson = json;
  noteTime(progress.timestamp);
  if (fresh) state.lastWrite = Date.now();
  if (state.phase !== 'active') setPhase('active');
  renderOverview(progress);
  const failedTools = renderTools(progress.toolStatus ?? {});
  const errors = Array.isArray(progress.errors) ? progress.errors : [];
  renderErrors(errors);
  renderBanner(progress, Math.max(failedTools, errors.length));
  renderTimes();
}

// Adds error log entry number `position` (0-based), unless the page has it already: the stream
// and the GET of the log may both deliver it.
function applyLogEntry(position, entry) {
  if (state.log[position]) return;
  state.log[position] = entry;
  noteTime(entry.timestamp);
  const when = new Date(Date.parse(entry.timestamp) || Date.now()).toLocaleTimeString();
  const item = errorItem(entry, `step ${entry.step} · ${when}`);
  state.logItems[position] = item;
  const next = state.logItems.findIndex((other, i) => other && i > position);
  $('log').insertBefore(item, next === -1 ? null : state.logItems[next]);
  $('log-empty').hidden = true;
  renderTimes();
}

// An event id is "<progress version>-<log entries>": a log event's entry is number entries - 1.
function logPosition(eventId) {
  const entries = Number.parseInt(eventId.split('-')[1], 10);
  return Number.isInteger(entries) && entries > 0 ? entries - 1 : state.log.length;
}

//------------------------------------------------------------------------------
// Connection: the event stream, or polling when it keeps failing

let source = null;
let failures = 0;
let pollTimer = null;
let streamRetryTimer = null;
const etags = {};

function watchStream() {
  const stream = new EventSource(api('/events'));
  source = stream;
  stream.addEventListener('open', () => {
    failures = 0;
    stopPolling();
    setMode('live');
  });
  stream.addEventListener('error', () => {
    if (stream !== source) return;
    failures += 1;
    // CLOSED: refused (e.g. 503), EventSource will not retry by itself.
    if (pollTimer || stream.readyState === EventSource.CLOSED ||
        failures >= FAILURES_BEFORE_POLLING) {
      stream.close();
      source = null;
      startPolling();
    } else {
      setMode('reconnecting');
    }
  });
  stream.addEventListener('progress', (e) => applyProgress(JSON.parse(e.data)));
  stream.addEventListener('log', (e) => applyLogEntry(logPosition(e.lastEventId), JSON.parse(e.data)));
  stream.addEventListener('waiting', () => setPhase(state.progress ? 'expired' : 'waiting'));
  stream.addEventListener('expired', () => setPhase('expired'));
  stream.addEventListener('closing', () => setMode('reconnecting'));
}

// GET `url` with the ETag of the last answer; resolves to {status, body} (no body on a 304).
async function conditionalGet(url) {
  const headers = etags[url] ? { 'If-None-Match': etags[url] } : {};
  const response = await fetch(url, { headers, cache: 'no-store' });
  if (response.status !== 200) return { status: response.status };
  etags[url] = response.headers.get('ETag') ?? undefined;
  return { status: 200, body: await response.json() };
}

async function fetchLog() {
  const log = await conditionalGet(api('/log'));
  (log.body?.errors ?? []).forEach((entry, position) => applyLogEntry(position, entry));
}

async function poll() {
  try {
    const progress = await conditionalGet(api());
    if (!pollTimer) return; // the stream came back meanwhile
    if (progress.status === 404) setPhase(state.progress ? 'expired' : 'waiting');
    if (progress.body) applyProgress(progress.body);
    await fetchLog();
    if (pollTimer) setMode('polling');
  } catch {
    if (pollTimer) setMode('offline');
  }
}

function startPolling() {
  if (pollTimer) return;
  setMode('polling');
  pollTimer = setInterval(poll, POLL_MS);
  streamRetryTimer = setInterval(() => source || watchStream(), STREAM_RETRY_MS);
  poll();
}

function stopPolling() {
  clearInterval(pollTimer);
  clearInterval(streamRetryTimer);
  pollTimer = null;
  streamRetryTimer = null;
}

function stopWatching() {
  source?.close();
  source = null;
  stopPolling();
  setMode('ended');
}

//------------------------------------------------------------------------------

function start() {
  $('session-id').textContent = sessionId;
  wireCopy($('share'), () => location.href);
  setMode('connecting');
  watchStream();
  fetchLog().catch(() => {}); // the stream sends the log too; this only gets it earlier
  setInterval(renderTimes, 1000);
}

start();
