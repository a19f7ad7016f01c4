-- Shared by the wrk scripts in bench/: request bodies and status bookkeeping.
--
-- The bodies come from bench/progress.json and bench/log_entry.json, the same files bench/run
-- sends with curl and serves from nginx, so every party moves the same bytes.
--
-- wrk runs one Lua state per thread plus one for setup()/done(). The counters below live in
-- the thread states; done() collects them with thread:get() and prints "BENCH ..." lines that
-- bench/run parses (keep that prefix stable).
local M = {}

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"

local function slurp(name)
  local f = assert(io.open(dir .. name, "rb"), "cannot open " .. dir .. name)
  local s = f:read("*a")
  f:close()
  return (s:gsub("%s+$", ""))
end

-- progress.json is a ProgressData for session "bench-main"; split it around that id so a body
-- for any session is two concatenations (fill_sessions.lua builds one per request).
local progress = slurp("progress.json")
local marker = '"sessionId":"bench-main"'
local at = progress:find(marker, 1, true) or error("progress.json must contain " .. marker)
local before = progress:sub(1, at + #'"sessionId":"' - 1)
local after = progress:sub(at + #marker - 1)

function M.progress_body(session_id)
  return before .. session_id .. after
end

M.log_body = slurp("log_entry.json")

-- The session id in a URL path /api/progress/<id>[/log].
function M.session_from_path(path)
  return path:match("^/api/progress/([^/?]+)")
end

-- Per-thread counters (globals, so thread:get() can read them).
ok2xx, non2xx, statuses = 0, 0, {}

function M.count(status, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
    if first_bad_body == nil then first_bad_body = body or "" end
  end
end

-- Defines setup(), done() and, unless the script has its own, response().
local threads = {}

function M.install_status_tracking()
  function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_index", #threads)
  end

  if response == nil then
    function response(status, headers, body)
      M.count(status, body)
    end
  end

  function done(summary, latency, requests)
    local ok, bad, detail, sample = 0, 0, {}, nil
    for _, t in ipairs(threads) do
      ok = ok + (t:get("ok2xx") or 0)
      bad = bad + (t:get("non2xx") or 0)
      for status, n in pairs(t:get("statuses") or {}) do
        detail[status] = (detail[status] or 0) + n
      end
      sample = sample or t:get("first_bad_body")
    end
    io.write(string.format("BENCH 2xx=%d non2xx=%d\n", ok, bad))
    for status, n in pairs(detail) do
      io.write(string.format("BENCH status %d: %d\n", status, n))
    end
    if sample then
      io.write("BENCH first non-2xx body: " .. sample:sub(1, 300):gsub("\n", " ") .. "\n")
    end
  end
end

return M
