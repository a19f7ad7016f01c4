// Starts and stops the real progressd binary for the JS client tests.
//
// The binary comes from PROGRESSD_BIN. The server is asked for an ephemeral port and reports the
// one it got on stderr ("listening on http://127.0.0.1:PORT"), which is where baseUrl comes from.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const LISTENING = /listening on (http:\/\/[^\s]+)/;

// The progressd binary to test, or an Error that says why there is none.
export function progressdBinary() {
  const bin = process.env.PROGRESSD_BIN;
  if (!bin) {
    throw new Error('PROGRESSD_BIN is not set: point it at a built progressd, ' +
      'e.g. PROGRESSD_BIN=build/release/progressd node --test tests/js/');
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch (error) {
    throw new Error(`PROGRESSD_BIN=${bin} is not an executable file (${error.code}): build progressd first`);
  }
  return bin;
}

// Spawns progressd and resolves once it listens.
//   store:     'memory:' (default), 'sqlite' for a fresh database in a temporary directory,
//              or any other --store value, passed through as is.
//   ttl:       value for --ttl, left out when undefined.
//   extraArgs: more command-line arguments.
// Resolves to { baseUrl, stop, log, failure, fetch } where stop() sends SIGTERM, waits for the process to
// exit (failing if it does not within 10 s) and resolves to { code, signal }; log() is its stderr
// so far; failure() is null while the process runs, else a description of its exit and stderr;
// fetch(path, init) is global fetch on baseUrl + path, with failure() in its error.
export async function startServer({ store = 'memory:', ttl, extraArgs = [] } = {}) {
  const bin = progressdBinary();

  let tempDir;
  if (store === 'sqlite') {
    tempDir = mkdtempSync(join(tmpdir(), 'progressd-js-'));
    store = `sqlite:${join(tempDir, 'p.db')}`;
  }
  // The tests make many requests from one address: no per-client rate limits.
  const args = ['--host', '127.0.0.1', '--port', '0', '--store', store,
    '--write-rate', '0', '--read-rate', '0', '--session-write-rate', '0', '--new-session-rate', '0'];
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  args.push(...extraArgs);

  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const cleanup = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  child.stdout.resume(); // never let a full stdout pipe block the server
  child.stderr.setEncoding('utf8');

  const describe = () => `${bin} ${args.join(' ')}`;
  let baseUrl;
  try {
    baseUrl = await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => {
        reject(new Error(`progressd did not report "listening on" within ${READY_TIMEOUT_MS} ms\n` +
          `command: ${describe()}\nstderr:\n${stderr}`));
      }, READY_TIMEOUT_MS);
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          const match = LISTENING.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1].replace(/\/+$/, ''));
            return;
          }
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${describe()}: ${error.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`progressd exited before listening (code ${code}, signal ${signal})\n` +
          `command: ${describe()}\nstderr:\n${stderr}`));
      });
    });
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    cleanup();
    throw error;
  }

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === null) {
        child.kill('SIGKILL');
        await exited;
        cleanup();
        throw new Error(`progressd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\nstderr:\n${stderr}`);
      }
      cleanup();
      return result;
    })();
    return stopping;
  };

  // Why a request may have failed: null while the server runs, else how it ended and its stderr.
  const failure = () => {
    if (child.exitCode === null && child.signalCode === null) return null;
    return `progressd is no longer running (exit code ${child.exitCode}, signal ${child.signalCode})\nstderr:\n${stderr}`;
  };

  // fetch() of a path on this server; a failed request says whether the server died.
  const request = async (path, init) => {
    try {
      return await fetch(`${baseUrl}${path}`, init);
    } catch (error) {
      const method = init?.method ?? 'GET';
      throw new Error(`${method} ${path} failed: ${error.cause?.message ?? error.message}` +
        (failure() ? `\n${failure()}` : ''), { cause: error });
    }
  };

  return { baseUrl, stop, log: () => stderr, failure, fetch: request };
}
