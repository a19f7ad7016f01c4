#!/usr/bin/env node
// A local endpoint that speaks the Upstash REST protocol (what Vercel KV serves) over a real
// redis-server, for tests of progressd's kv-rest store and of the original app's client.
//
//   node server.mjs --redis redis://127.0.0.1:6379 --token T [--read-only-token R] [--port N]
//
// Prints "listening on http://127.0.0.1:PORT" on stdout once Redis is connected (port 0, the
// default, picks a free one). The protocol, as Upstash documents it and @upstash/redis uses it:
//   POST /          body ["SET","k","v","EX",60]         → {"result":"OK"}
//   POST /pipeline  body [["GET","k"],["INCR","k"]]      → [{"result":"v"},{"error":"ERR …"}]
//   Authorization: Bearer <token>; a missing or unknown token is 401 {"error":"Unauthorized"}.
//   A command error is 400 {"error":"…"}; inside a pipeline it is that command's entry, and the
//   pipeline is still 200. The read-only token may run only the commands in READ_ONLY; others
//   get Redis's ACL refusal, "NOPERM …", as a command error.
//   "Upstash-Encoding: base64" asks for every string in a result base64-encoded, except "OK"
//   (that is how @upstash/redis decodes them, and what it sends by default).
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createClient, ErrorReply } from 'redis';

const READ_ONLY = new Set(['GET', 'MGET', 'STRLEN', 'EXISTS', 'TTL', 'PTTL', 'TYPE', 'PING',
  'ECHO', 'DBSIZE', 'EVAL_RO', 'EVALSHA_RO']);
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    redis: { type: 'string' },
    token: { type: 'string' },
    'read-only-token': { type: 'string', default: '' },
  },
});
if (!options.redis || !options.token) {
  console.error('usage: node server.mjs --redis redis://HOST:PORT --token TOKEN ' +
    '[--read-only-token TOKEN] [--port PORT]');
  process.exit(2);
}

// Commands fail at once while Redis is down instead of waiting in node-redis's offline queue.
const redis = createClient({ url: options.redis, disableOfflineQueue: true });
redis.on('error', (error) => console.error(`redis: ${error.message}`));
await redis.connect();

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Which token the request carries: 'write', 'read', or an HttpError.
function access(req) {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (match?.[1] === options.token) return 'write';
  if (options['read-only-token'] && match?.[1] === options['read-only-token']) return 'read';
  throw new HttpError(401, 'Unauthorized');
}

// A command array as Redis wants it: strings only (clients send numbers such as EX 60 as JSON
// numbers).
function toCommand(value) {
  if (!Array.isArray(value) || value.length === 0 ||
      !value.every((part) => ['string', 'number', 'boolean'].includes(typeof part))) {
    throw new HttpError(400, 'ERR failed to parse command');
  }
  return value.map(String);
}

function encode(result) {
  if (typeof result === 'string') {
    return result === 'OK' ? result : Buffer.from(result, 'utf8').toString('base64');
  }
  return Array.isArray(result) ? result.map(encode) : result;
}

// Runs one command; resolves to {result} or {error}, never rejects for a Redis error.
async function run(command, role, base64) {
  if (role === 'read' && !READ_ONLY.has(command[0].toUpperCase())) {
    return { error: `NOPERM this user has no permissions to run the '${command[0].toLowerCase()}' command` };
  }
  try {
    const result = (await redis.sendCommand(command)) ?? null;
    return { result: base64 ? encode(result) : result };
  } catch (error) {
    // A reply error is the command's failure; anything else means Redis is not there.
    if (error instanceof ErrorReply) return { error: error.message };
    throw new HttpError(503, `ERR ${error.message}`);
  }
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(400, 'ERR request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'ERR failed to parse command');
  }
}

async function answer(req) {
  if (req.method !== 'POST') throw new HttpError(405, 'Method Not Allowed');
  const role = access(req);
  const base64 = req.headers['upstash-encoding'] === 'base64';
  const body = await readBody(req);
  const path = new URL(req.url, 'http://localhost').pathname.replace(/\/+$/, '');
  if (path === '') {
    const outcome = await run(toCommand(body), role, base64);
    return { status: outcome.error === undefined ? 200 : 400, body: outcome };
  }
  if (path === '/pipeline') {
    if (!Array.isArray(body) || body.length === 0) {
      throw new HttpError(400, 'ERR pipeline needs an array of commands');
    }
    const commands = body.map(toCommand);
    // node-redis writes them in this order on its one connection, so they run in order.
    return { status: 200, body: await Promise.all(commands.map((c) => run(c, role, base64))) };
  }
  throw new HttpError(404, `ERR unknown path ${path}`);
}

const server = createServer((req, res) => {
  answer(req).then(
    ({ status, body }) => send(res, status, body),
    (error) => send(res, error.status ?? 500, { error: error.message }));
});

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json',
    'content-length': Buffer.byteLength(text) });
  res.end(text);
}

server.listen(Number(options.port), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    redis.disconnect().finally(() => process.exit(0));
  });
}
