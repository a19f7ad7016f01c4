// Request bodies fed to the real Zod by generate.mjs. Every `input` is raw JSON text, not a
// value, so that duplicate keys, number spellings and escapes reach JSON.parse exactly as a
// client would send them. Names must be unique: they key the fixture file and its --check diff.

// ---------------------------------------------------------------------------------------------
// Helpers that build raw JSON text from a base document.

const text = JSON.stringify;

// The base object's fields in order, with `key` replaced by the raw JSON text `raw`
// (or left out when raw is undefined). A key not in the base is appended.
function withRaw(base, key, raw) {
  const parts = [];
  let seen = false;
  for (const [k, v] of Object.entries(base)) {
    if (k === key) {
      seen = true;
      if (raw !== undefined) parts.push(`${text(k)}:${raw}`);
    } else {
      parts.push(`${text(k)}:${text(v)}`);
    }
  }
  if (!seen && raw !== undefined) parts.push(`${text(key)}:${raw}`);
  return `{${parts.join(',')}}`;
}

// withRaw for several keys at once: { key: rawText, ... }.
function withRaws(base, raws) {
  const parts = Object.entries(base).map(([k, v]) => `${text(k)}:${k in raws ? raws[k] : text(v)}`);
  return `{${parts.join(',')}}`;
}

// The base document as text, with raw `"key":value` members appended before the closing brace
// (used for duplicate keys: JSON.parse keeps the last value).
function appendRaw(base, ...members) {
  const body = text(base);
  return `${body.slice(0, -1)},${members.join(',')}}`;
}

const jsonType = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v);

// One sample of each JSON type, used to put a wrong type into every field.
const typeSamples = {
  string: '"wrong"',
  number: '42',
  boolean: 'true',
  null: 'null',
  array: '[1,"a"]',
  object: '{"a":1}',
};

// ---------------------------------------------------------------------------------------------
// Base documents.

const progressBase = {
  sessionId: 'b7e1c2d4-5f60-4a1b-9c3d-2e4f6a8b0c1d',
  currentStep: 4,
  completedSteps: [1, 2, 3],
  currentAction: 'Installing Docker Desktop',
  toolStatus: {
    git: { status: 'success', version: '2.43.0' },
    node: { status: 'success', version: '20.11.1' },
    python: { status: 'error', version: null, error: 'winget exited with code 0x8A150011' },
    docker: { status: 'installing', version: null },
    vscode: { status: 'pending' },
  },
  errors: [
    { tool: 'python', error: 'winget exited with code 0x8A150011', suggestedFix: 'Run the installer as administrator' },
    { tool: 'wsl', error: 'Virtualization is disabled in the firmware', suggestedFix: 'Enable VT-x/AMD-V in the BIOS' },
  ],
  timestamp: '2026-11-26T12:00:00.000Z',
  phase: 'phase1',
  complete: false,
};

const logBase = {
  tool: 'git',
  error: 'winget exited with code 1',
  suggestedFix: 'Run the script as administrator',
  timestamp: '2026-11-26T12:00:00.000Z',
  step: 2,
};

const P = (name, input) => ({ name: `progress: ${name}`, schema: 'progress', input });
const L = (name, input) => ({ name: `log_entry: ${name}`, schema: 'log_entry', input });

const ts = (raw) => withRaw(progressBase, 'toolStatus', raw); // progress with a raw toolStatus
const steps = (raw) => withRaw(progressBase, 'completedSteps', raw);
const errs = (raw) => withRaw(progressBase, 'errors', raw);

const goodError = '{"tool":"git","error":"e","suggestedFix":"f"}';

// Number spellings, each as raw text: JSON.parse turns them into doubles (1e999 -> Infinity).
const numberSpellings = [
  '3.0', '1.5', '-0', '0.1', '1e21', '1e-7', '1.5e-7', '123456789012345680000',
  '12345678901234567890', '1e308', '1e999', '-1e999', '5e-324', '2.5E+3',
];

// ---------------------------------------------------------------------------------------------
// progress cases.

const progress = [];

// Valid documents.
progress.push(P('valid realistic (5 tools, 2 errors)', text(progressBase)));
progress.push(P('valid realistic pretty-printed with CRLF and tabs',
  JSON.stringify(progressBase, null, '\t').replace(/\n/g, '\r\n')));
progress.push(P('valid phase2 complete with skipped tool', text({
  ...progressBase,
  currentStep: 9,
  completedSteps: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  currentAction: 'Done',
  toolStatus: { ...progressBase.toolStatus, vscode: { status: 'skipped', version: null, error: null } },
  phase: 'phase2',
  complete: true,
})));
progress.push(P('valid minimal (empty arrays, empty record, empty strings)', text({
  sessionId: '', currentStep: 0, completedSteps: [], currentAction: '', toolStatus: {},
  errors: [], timestamp: '', phase: 'phase1', complete: false,
})));
progress.push(P('valid with keys in reverse order (output follows schema order)',
  text(Object.fromEntries(Object.entries(progressBase).reverse()))));
progress.push(P('valid timestamp is any string', withRaw(progressBase, 'timestamp', '"not a date"')));

// Every field missing, one at a time.
for (const key of Object.keys(progressBase)) {
  progress.push(P(`missing ${key}`, withRaw(progressBase, key, undefined)));
}
progress.push(P('empty object (every field missing)', '{}'));

// Every field with each wrong JSON type.
for (const [key, value] of Object.entries(progressBase)) {
  for (const [type, raw] of Object.entries(typeSamples)) {
    if (type === jsonType(value)) continue;
    progress.push(P(`${key} is ${type}`, withRaw(progressBase, key, raw)));
  }
}

// Bodies that are not objects.
for (const [what, raw] of [['array', '[]'], ['array of a valid document', `[${text(progressBase)}]`],
  ['null', 'null'], ['number', '42'], ['string', '"progress"'], ['true', 'true'], ['false', 'false']]) {
  progress.push(P(`body is ${what}`, raw));
}

// Enum values.
for (const phase of ['phase3', 'Phase1', 'PHASE2', '', ' phase1', 'phase1 ']) {
  progress.push(P(`phase invalid ${text(phase)}`, withRaw(progressBase, 'phase', text(phase))));
}
for (const status of ['done', 'Success', 'INSTALLING', '']) {
  progress.push(P(`toolStatus status invalid ${text(status)}`,
    ts(`{"git":{"status":"success"},"node":{"status":${text(status)},"version":"20.1.0"}}`)));
}
progress.push(P('toolStatus status missing', ts('{"git":{"version":"2.43.0"}}')));
progress.push(P('toolStatus status null', ts('{"git":{"status":null}}')));
progress.push(P('toolStatus status number', ts('{"git":{"status":1}}')));
progress.push(P('toolStatus every status value', ts(
  '{"a":{"status":"pending"},"b":{"status":"installing"},"c":{"status":"success"},"d":{"status":"error"},"e":{"status":"skipped"}}')));

// toolStatus shapes (the plain wrong types are generated above).
progress.push(P('toolStatus is array of entries', ts('[{"status":"success"}]')));
progress.push(P('toolStatus is empty array', ts('[]')));

// Record entries.
for (const [what, raw] of [['number', '1'], ['null', 'null'], ['array', '["2.43.0"]'], ['object', '{}'], ['boolean', 'false']]) {
  progress.push(P(`toolStatus version is ${what}`, ts(`{"git":{"status":"success","version":${raw}}}`)));
  progress.push(P(`toolStatus error is ${what}`, ts(`{"git":{"status":"error","error":${raw}}}`)));
}
progress.push(P('toolStatus version and error missing', ts('{"git":{"status":"pending"}}')));
progress.push(P('toolStatus version and error both null', ts('{"git":{"status":"error","version":null,"error":null}}')));
progress.push(P('toolStatus entry unknown keys dropped',
  ts('{"git":{"path":"C:\\\\Program Files\\\\Git","status":"success","exitCode":0,"version":"2.43.0"}}')));
for (const [what, raw] of [['null', 'null'], ['string', '"success"'], ['array', '[]'], ['number', '0']]) {
  progress.push(P(`toolStatus entry is ${what}`, ts(`{"git":{"status":"success"},"node":${raw}}`)));
}
progress.push(P('toolStatus several bad entries with several issues each',
  ts('{"git":{"status":"nope","version":1,"error":[]},"node":{"status":"success"},"python":{"version":"3.12"},"docker":null}')));

// Integer-like record keys: JS orders array-index keys (0 .. 2^32-2) first, ascending.
const intKeys = ['git', '10', '01', '1', '-1', '4294967295', '0', '4294967294', 'node', '1.0', '9007199254740993'];
progress.push(P('toolStatus integer-like keys mixed with names (JS key order)',
  ts(`{${intKeys.map((k, i) => `${text(k)}:{"status":${text(['pending', 'success', 'skipped'][i % 3])}}`).join(',')}}`)));
progress.push(P('toolStatus integer-like keys with invalid entries (issue order)',
  ts(`{${intKeys.map((k) => `${text(k)}:{"status":"bad-${k}"}`).join(',')}}`)));
progress.push(P('toolStatus only integer keys descending', ts('{"3":{"status":"success"},"2":{"status":"success"},"1":{"status":"success"}}')));

// Special record keys.
progress.push(P('toolStatus key __proto__', ts('{"git":{"status":"success"},"__proto__":{"status":"pending"},"node":{"status":"error"}}')));
progress.push(P('toolStatus key __proto__ invalid entry', ts('{"__proto__":{"status":"bad"}}')));
progress.push(P('toolStatus keys constructor and toString', ts('{"constructor":{"status":"success"},"toString":{"status":"pending"}}')));
progress.push(P('toolStatus empty and unicode keys', ts('{"":{"status":"success"},"\\u00e9t\\u00e9":{"status":"pending"},"😀":{"status":"skipped"}}')));

// completedSteps elements.
progress.push(P('completedSteps mixed bad elements',
  steps('[1,"2",null,3.5,true,[],{},4,1e999,-1e999,"",false]')));
progress.push(P('completedSteps all number spellings', steps(`[${numberSpellings.filter((n) => !n.includes('999')).join(',')}]`)));
progress.push(P('completedSteps as PowerShell 5.1 wrapper object', steps('{"value":[1,2],"Count":2}')));
progress.push(P('completedSteps single number (PowerShell unwrapped array)', steps('1')));

// errors elements.
progress.push(P('errors bad elements at indexes 0, 2, 4, 5', errs(
  `[null,${goodError},{"tool":1,"error":"e","suggestedFix":"f"},${goodError},"str",{"tool":"x","error":"e"}]`)));
progress.push(P('errors element with every field wrong', errs('[{"tool":null,"error":[],"suggestedFix":{}}]')));
progress.push(P('errors element empty object', errs('[{}]')));
progress.push(P('errors elements unknown keys dropped', errs(
  '[{"suggestedFix":"f","extra":true,"tool":"git","error":"e","step":3}]')));

// Unknown top-level keys are stripped.
progress.push(P('unknown top-level keys dropped', appendRaw(progressBase,
  '"extra":1', '"nested":{"a":[1,2]}', '"SessionId":"case differs"', '"__proto__":{"polluted":true}')));

// Duplicate keys: JSON.parse keeps the last value (at the position of the first for records).
progress.push(P('duplicate top-level key last wins', appendRaw(progressBase, '"currentStep":7')));
progress.push(P('duplicate top-level key first invalid last valid',
  withRaw(progressBase, 'currentStep', '"four"').replace(/}$/, ',"currentStep":5}')));
progress.push(P('duplicate top-level key first valid last invalid', appendRaw(progressBase, '"phase":"phase7"')));
progress.push(P('duplicate record key last value at first position', ts(
  '{"git":{"status":"pending"},"node":{"status":"success"},"git":{"status":"success","version":"2.43.0"}}')));
progress.push(P('duplicate record key first invalid last valid', ts(
  '{"git":{"status":"bogus"},"node":{"status":"success"},"git":{"status":"success"}}')));
progress.push(P('duplicate record key first valid last invalid', ts(
  '{"git":{"status":"success"},"node":{"status":"success"},"git":{"status":"bogus"}}')));
progress.push(P('duplicate integer record key', ts(
  '{"b":{"status":"pending"},"2":{"status":"error"},"a":{"status":"pending"},"2":{"status":"success"}}')));
progress.push(P('duplicate key inside record entry', ts('{"git":{"status":"bogus","version":1,"status":"success","version":"2"}}')));

// Number spellings in currentStep.
for (const n of numberSpellings) {
  progress.push(P(`currentStep ${n}`, withRaw(progressBase, 'currentStep', n)));
}

// Strings: escapes and Unicode.
progress.push(P('unicode escapes \\u00e9 and surrogate pair', withRaw(progressBase, 'currentAction', '"Install\\u00e9 \\ud83d\\ude00"')));
progress.push(P('raw UTF-8 text', withRaw(progressBase, 'currentAction', '"Installation échouée 😀 中文"')));
progress.push(P('NUL character escape', withRaw(progressBase, 'sessionId', '"abc\\u0000def"')));
progress.push(P('lone surrogate escapes', withRaw(progressBase, 'currentAction', '"a\\ud800b\\udfffc"')));
progress.push(P('short escapes and control characters', withRaw(progressBase, 'currentAction',
  '"q\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0001\\u001f \\u007f \\u2028\\u2029"')));
progress.push(P('unicode in record values and errors', withRaws(progressBase, {
  toolStatus: '{"git":{"status":"error","error":"\\u00e9chou\\u00e9e","version":"\\ud83d\\ude00"}}',
  errors: '[{"tool":"git","error":"Installation échouée","suggestedFix":"R\\u00e9essayer"}]',
})));
progress.push(P('all strings empty', text({
  ...progressBase, sessionId: '', currentAction: '', timestamp: '',
  toolStatus: { '': { status: 'error', version: '', error: '' } },
  errors: [{ tool: '', error: '', suggestedFix: '' }],
})));

// Everything wrong at once.
progress.push(P('all issues at once', '{"sessionId":1,"currentStep":"2","completedSteps":[1,"x",null],"currentAction":null,' +
  '"toolStatus":{"git":{"status":"nope","version":1},"1":[]},"errors":[{"tool":true},7],"timestamp":[],' +
  '"phase":"phase9","complete":"false","extra":{}}'));
progress.push(P('all issues at once with Infinity', '{"sessionId":null,"currentStep":1e999,"completedSteps":[-1e999],' +
  '"currentAction":0,"toolStatus":[],"errors":{},"timestamp":false,"phase":null,"complete":null}'));

// ---------------------------------------------------------------------------------------------
// log_entry cases.

const logEntry = [];

logEntry.push(L('valid', text(logBase)));
logEntry.push(L('valid with keys in reverse order', text(Object.fromEntries(Object.entries(logBase).reverse()))));
logEntry.push(L('valid all strings empty, step 0', text({ tool: '', error: '', suggestedFix: '', timestamp: '', step: 0 })));
logEntry.push(L('unknown keys dropped', appendRaw(logBase, '"sessionId":"abc"', '"level":"error"', '"__proto__":{"x":1}')));

for (const key of Object.keys(logBase)) {
  logEntry.push(L(`missing ${key}`, withRaw(logBase, key, undefined)));
}
logEntry.push(L('empty object (every field missing)', '{}'));

for (const [key, value] of Object.entries(logBase)) {
  for (const [type, raw] of Object.entries(typeSamples)) {
    if (type === jsonType(value)) continue;
    logEntry.push(L(`${key} is ${type}`, withRaw(logBase, key, raw)));
  }
}

for (const [what, raw] of [['array', `[${text(logBase)}]`], ['null', 'null'], ['number', '2'], ['string', '"error"'], ['true', 'true']]) {
  logEntry.push(L(`body is ${what}`, raw));
}

for (const n of ['3.0', '1.5', '-0', '1e21', '1e-7', '12345678901234567890', '1e999', '-1e999', '5e-324', '2.5E+3']) {
  logEntry.push(L(`step ${n}`, withRaw(logBase, 'step', n)));
}

logEntry.push(L('unicode escapes and raw UTF-8', text({ ...logBase, error: 'Installation échouée 😀' })
  .replace('"Run the script as administrator"', '"R\\u00e9essayer \\ud83d\\ude00 \\u0000"')));
logEntry.push(L('lone surrogate escape', withRaw(logBase, 'error', '"x\\udc00y"')));
logEntry.push(L('duplicate key last wins', appendRaw(logBase, '"step":3', '"tool":"node"')));
logEntry.push(L('duplicate key first valid last invalid', appendRaw(logBase, '"step":"3"')));
logEntry.push(L('all issues at once', '{"tool":1,"error":null,"suggestedFix":[],"timestamp":{},"step":"2","extra":true}'));

export const cases = [...progress, ...logEntry];
export default cases;
