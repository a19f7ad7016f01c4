// Runs every case of cases.mjs through the real Zod and writes tests/model/zod_cases.json,
// the golden file that progressd's C++ validator tests compare against byte-for-byte.
//
//   node generate.mjs           write the fixture file
//   node generate.mjs --check   compare with the existing file; exit 1 and show what differs
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ZOD_VERSION = '4.3.6';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const outPath = join(repoRoot, 'tests', 'model', 'zod_cases.json');

function fail(message) {
  console.error(`zod oracle: ${message}`);
  process.exit(1);
}

// The fixtures are only meaningful for the exact Zod the original app shipped with.
function installedZodVersion() {
  let entry;
  try {
    entry = createRequire(import.meta.url).resolve('zod');
  } catch {
    fail(`zod is not installed: run \`npm ci\` in ${relative(process.cwd(), here) || '.'}`);
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.name === 'zod') return pkg.version;
  }
  fail(`cannot find zod's package.json above ${entry}`);
}

const version = installedZodVersion();
if (version !== ZOD_VERSION) {
  fail(`installed zod is ${version}, expected exactly ${ZOD_VERSION}: run \`npm ci\` in tests/zod-oracle`);
}

// Imported only after the version check, so a wrong Zod never produces fixtures.
const { schemas } = await import('./schemas.mjs');
const { cases } = await import('./cases.mjs');

function run(testCase) {
  const { name, schema, input } = testCase;
  if (typeof input !== 'string') fail(`case "${name}": input must be raw JSON text`);
  const validator = schemas[schema];
  if (!validator) fail(`case "${name}": unknown schema "${schema}"`);
  let value;
  try {
    value = JSON.parse(input);
  } catch (error) {
    fail(`case "${name}": input is not JSON (${error.message})`);
  }
  const result = validator.safeParse(value);
  const entry = { name, schema, input, success: result.success };
  if (result.success) entry.output = JSON.stringify(result.data);
  else entry.issues = JSON.stringify(result.error.issues);
  return entry;
}

const seen = new Set();
for (const { name } of cases) {
  if (seen.has(name)) fail(`duplicate case name "${name}"`);
  seen.add(name);
}

const entries = cases.map(run);
// One entry per line, so that a diff of the fixture names exactly the cases that changed.
const rendered = `[\n${entries.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]\n`;

if (!process.argv.includes('--check')) {
  writeFileSync(outPath, rendered);
  const passed = entries.filter((e) => e.success).length;
  console.log(`zod oracle: wrote ${entries.length} cases (${passed} valid, ${entries.length - passed} invalid) ` +
    `to ${relative(repoRoot, outPath)} with zod ${version}`);
  process.exit(0);
}

// --check
if (!existsSync(outPath)) fail(`${relative(repoRoot, outPath)} does not exist: run \`node generate.mjs\``);
const existingText = readFileSync(outPath, 'utf8');
if (existingText === rendered) {
  console.log(`zod oracle: ${entries.length} cases match zod ${version}`);
  process.exit(0);
}

let existing;
try {
  existing = JSON.parse(existingText);
} catch (error) {
  fail(`${relative(repoRoot, outPath)} is not valid JSON (${error.message}): regenerate it`);
}
const byName = new Map(existing.map((e) => [e.name, e]));
const problems = [];
for (const entry of entries) {
  const old = byName.get(entry.name);
  if (!old) {
    problems.push(`  + case missing from the file: ${entry.name}`);
    continue;
  }
  byName.delete(entry.name);
  for (const field of ['schema', 'input', 'success', 'output', 'issues']) {
    if (old[field] !== entry[field]) {
      problems.push(`  ~ ${entry.name}: ${field} differs\n      file: ${JSON.stringify(old[field])}\n      zod:  ${JSON.stringify(entry[field])}`);
    }
  }
}
for (const name of byName.keys()) problems.push(`  - case in the file but not in cases.mjs: ${name}`);
if (problems.length === 0) problems.push('  entries are equal but the file layout differs (order or formatting)');
console.error(`zod oracle: ${relative(repoRoot, outPath)} differs from zod ${version} ` +
  `(${problems.length} difference(s)):\n${problems.join('\n')}\nRegenerate with \`node tests/zod-oracle/generate.mjs\` and review the diff.`);
process.exit(1);
