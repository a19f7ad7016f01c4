// Pastes README.md's shell blocks, in order, into bash against a progressd started as `make run`
// starts it (but on a free port and a temporary SQLite file), as a new user would in a second
// terminal. Each block must exit 0 (or the status its marker names), and no JSON answer it
// prints may be an error ({"error": ...}).
//
// Which blocks run: ```sh and ```bash. Other languages (powershell, json, text, ...) are not
// shell and are skipped; a shell-like language (shell, console, zsh) is refused, so a block
// cannot drop out of the test by a typo. A ```sh block can carry a marker on the line before it:
//   <!-- readme-test: skip REASON -->     not run (e.g. the first terminal's `make run`)
//   <!-- readme-test: exit N -->          must exit with status N
//   <!-- readme-test: until-ctrl-c -->    runs until interrupted: stopped after 2 s, must print
// Blocks share variables (SESSION) as pasted commands share a terminal. The working directory
// holds build/progressd and build/progressctl, as after `make run`; `uuidgen` is "not installed",
// as on a fresh Debian 12.
// Usage: PROGRESSD_BIN=... PROGRESSCTL_BIN=... node tests/readme/readme_test.mjs README.md
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const README_PORT = 'http://127.0.0.1:3000';
const SHELL_LIKE = new Set(['shell', 'console', 'zsh', 'shell-session', 'sh-session', '']);

// The fenced blocks of a Markdown text: { lang, code, line, marker }.
export function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    const marker = /<!--\s*readme-test:\s*(.*?)\s*-->/.exec(lines[prev] ?? '')?.[1] ?? null;
    blocks.push({ lang: open[1].toLowerCase(), code: body.join('\n'), line: start + 1, marker });
  }
  return blocks;
}

// The top-level JSON values in a text that may hold several run together, plus other text.
export function jsonValues(text) {
  const values = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') continue;
    let depth = 0, inString = false, j = i;
    for (; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') { if (--depth === 0) break; }
    }
    try {
      values.push(JSON.parse(text.slice(i, j + 1)));
      i = j;
    } catch { /* not JSON: go on after the brace */ }
  }
  return values;
}

function startServer(bin, dir) {
  return new Promise((resolveStart, reject) => {
    const args = ['--host', '127.0.0.1', '--port', '0', '--store', `sqlite:${join(dir, 'data/progress.db')}`];
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`progressd did not listen in 10 s:\n${stderr}`)), 10_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, baseUrl: match[1].replace(/\/+$/, ''), log: () => stderr });
      }
    });
    child.once('exit', (code) => reject(new Error(`progressd exited with ${code}:\n${stderr}`)));
  });
}

// Runs one block in bash, in its own process group; resolves to { status, signal, output }.
function runBlock(code, { cwd, env, state, untilCtrlC }) {
  const script = `set -a\n. ${state}\ntrap 'export -p > ${state}' EXIT\n${code}\n`;
  return new Promise((resolveRun) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script],
      { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    const limit = setTimeout(() => process.kill(-child.pid, 'SIGINT'), untilCtrlC ? 2_000 : 60_000);
    child.once('close', (status, signal) => {
      clearTimeout(limit);
      resolveRun({ status, signal, output });
    });
  });
}

async function main() {
  const readme = resolve(process.argv[2] ?? 'README.md');
  const { PROGRESSD_BIN: progressd, PROGRESSCTL_BIN: progressctl } = process.env;
  if (!progressd || !progressctl) throw new Error('set PROGRESSD_BIN and PROGRESSCTL_BIN');

  const dir = mkdtempSync(join(tmpdir(), 'progressd-readme-'));
  mkdirSync(join(dir, 'build'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'shims'));
  symlinkSync(resolve(progressd), join(dir, 'build/progressd'));
  symlinkSync(resolve(progressctl), join(dir, 'build/progressctl'));
  // Debian 12 without uuid-runtime: the shell answers "command not found".
  writeFileSync(join(dir, 'shims/uuidgen'), '#!/bin/sh\necho "uuidgen: command not found" >&2\nexit 127\n');
  chmodSync(join(dir, 'shims/uuidgen'), 0o755);
  const state = join(dir, 'state.sh');
  writeFileSync(state, '');

  const server = await startServer(progressd, dir);
  const env = { ...process.env, PATH: `${join(dir, 'shims')}:${process.env.PATH}`, TERM: 'dumb' };
  const failures = [];
  let ran = 0;
  try {
    for (const block of fencedBlocks(readFileSync(readme, 'utf8'))) {
      const where = `README.md:${block.line}`;
      const first = block.code.split('\n')[0];
      if (block.lang !== 'sh' && block.lang !== 'bash') {
        if (SHELL_LIKE.has(block.lang)) {
          failures.push(`${where}: a \`\`\`${block.lang || '(no language)'} block: make it \`\`\`sh (run) or mark it`);
        } else {
          console.log(`skip ${where} (${block.lang}): ${first}`);
        }
        continue;
      }
      const skip = /^skip\b\s*(.*)/.exec(block.marker ?? '');
      if (skip) {
        console.log(`skip ${where} (${skip[1] || 'marked'}): ${first}`);
        continue;
      }
      const expected = Number(/^exit (\d+)$/.exec(block.marker ?? '')?.[1] ?? 0);
      const untilCtrlC = block.marker === 'until-ctrl-c';
      const code = block.code.split(README_PORT).join(server.baseUrl);
      const result = await runBlock(code, { cwd: dir, env, state, untilCtrlC });
      ran++;
      const problems = [];
      if (untilCtrlC) {
        if (result.output.trim() === '') problems.push('printed nothing before Ctrl-C');
      } else if (result.status !== expected) {
        problems.push(`exit status ${result.status ?? result.signal}, expected ${expected}`);
      }
      for (const value of jsonValues(result.output)) {
        if (value && typeof value === 'object' && !Array.isArray(value) && 'error' in value && !('tool' in value)) { // a log entry has an error too
          problems.push(`an error answer: ${JSON.stringify(value)}`);
        }
      }
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${where}: ${first}`);
      if (problems.length) {
        failures.push(`${where}: ${problems.join('; ')}\n--- block:\n${code}\n--- output:\n${result.output}`);
      }
    }
  } finally {
    server.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  if (ran === 0) failures.push('no block of README.md ran: are the shell blocks still ```sh?');
  if (failures.length) {
    console.error(`\n${failures.join('\n\n')}\n\nprogressd log:\n${server.log()}`);
    process.exit(1);
  }
  console.log(`readme: ${ran} blocks ran and passed`);
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
