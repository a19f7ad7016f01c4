-- POST ProgressData to /api/progress/bench-<n> with n counting up, so a run stores distinct
-- sessions; each body carries its own sessionId (the server answers 400 on a mismatch).
-- Each thread takes every T-th id (T = threads) and stops itself once its share of
-- BENCH_FILL_N (default 100000) has been answered 2xx. wrk itself keeps sleeping until -d
-- runs out, so the thread also creates "$BENCH_FILL_MARKER.<thread>"; bench/run waits for
-- the marker(s) and sends wrk SIGINT, which makes it print its summary at once.
-- Usage: BENCH_FILL_N=100000 BENCH_FILL_THREADS=1 BENCH_FILL_MARKER=/tmp/x \
--          wrk -t1 -d600s -s bench/fill_sessions.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require "common"

local total = tonumber(os.getenv("BENCH_FILL_N") or "100000")
local nthreads = tonumber(os.getenv("BENCH_FILL_THREADS") or "1")
local marker = os.getenv("BENCH_FILL_MARKER")

local next_n, share, stopped
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  -- thread_index (1-based) was set by setup() before init runs.
  next_n = (thread_index or 1) - 1
  share = math.ceil(total / nthreads)
  stopped = false
end

function request()
  local id = "bench-" .. next_n
  next_n = next_n + nthreads
  return wrk.format("POST", "/api/progress/" .. id, headers, common.progress_body(id))
end

function response(status, hdrs, body)
  common.count(status, body)
  if not stopped and ok2xx >= share then
    stopped = true
    if marker then
      local f = io.open(marker .. "." .. (thread_index or 1), "w")
      if f then f:write(tostring(ok2xx), "\n"); f:close() end
    end
    wrk.thread:stop()
  end
end

common.install_status_tracking()
