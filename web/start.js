// The start page: go to a session's dashboard, or start a new session with a snippet that
// reports to this very server (its address comes from location.origin, not from the server).
import { copyButton, el } from './common.js';

const $ = (id) => document.getElementById(id);
const origin = location.origin;
const MAX_ID_CHARACTERS = 200;

// Why `id` cannot be a session id (the server's rule), or '' when it can.
function idProblem(id) {
  if (id.length === 0) return 'Enter a session id.';
  if ([...id].length > MAX_ID_CHARACTERS) return `A session id has at most ${MAX_ID_CHARACTERS} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) return 'A session id cannot contain control characters.';
  if (id.includes('/')) return 'A session id cannot contain "/".';
  return '';
}

const liveUrl = (id) => `/live/${encodeURIComponent(id)}`;

// A random id that needs no escaping in any shell (crypto.randomUUID needs a secure context).
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `setup-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function snippets(id) {
  const url = `${origin}/api/progress/${encodeURIComponent(id)}`;
  return [
    {
      title: 'curl',
      text: `curl -X PATCH "${url}" \\
  -H 'Content-Type: application/json' \\
  -d '{"currentStep":1,"totalSteps":3,"currentAction":"Installing Git",
       "toolStatus":{"git":{"status":"installing"}}}'`,
    },
    {
      title: 'bash',
      text: `PROGRESS_URL="${url}"
# report STEP "ACTION" [TOOL STATUS] [COMPLETE]; ACTION must not contain double quotes
report() {
  local tools='{}'
  [ -n "\${3:-}" ] && tools="{\\"$3\\":{\\"status\\":\\"$4\\"}}"
  curl -fsS -X PATCH "$PROGRESS_URL" -H 'Content-Type: application/json' \\
    -d "{\\"currentStep\\":$1,\\"totalSteps\\":3,\\"currentAction\\":\\"$2\\",\\"toolStatus\\":$tools,\\"complete\\":\${5:-false}}" >/dev/null
}
report 1 "Installing Git" git installing
report 2 "Installing Node.js" git success
report 3 "Done" node success true`,
    },
    {
      title: 'PowerShell',
      text: `$ProgressUrl = "${url}"
function Report($Step, $Action, $Tools = @{}, [switch]$Complete) {
    $Body = @{ currentStep = $Step; totalSteps = 3; currentAction = $Action
               toolStatus = $Tools; complete = [bool]$Complete } | ConvertTo-Json -Depth 5
    Invoke-RestMethod -Method Patch -Uri $ProgressUrl -ContentType "application/json" -Body $Body | Out-Null
}
Report 1 "Installing Git" @{ git = @{ status = "installing" } }
Report 2 "Installing Node.js" @{ git = @{ status = "success"; version = "2.43.0" } }
Report 3 "Done" @{ node = @{ status = "success" } } -Complete`,
    },
  ];
}

function showNewSession(id) {
  $('new-id').textContent = id;
  $('new-link').href = liveUrl(id);
  const blocks = snippets(id).map(({ title, text }) => {
    const block = el('section', 'snippet');
    const head = el('div', 'snippet-head');
    head.append(el('h3', null, title), copyButton(`Copy ${title}`, () => text));
    const pre = el('pre');
    pre.append(el('code', null, text));
    pre.tabIndex = 0; // scrollable with the keyboard
    block.append(head, pre);
    return block;
  });
  $('snippets').replaceChildren(...blocks);
}

$('watch').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = $('session-input').value.trim();
  const problem = idProblem(id);
  $('problem').textContent = problem;
  if (!problem) location.assign(liveUrl(id));
});
$('regenerate').addEventListener('click', () => showNewSession(newId()));
showNewSession(newId());
