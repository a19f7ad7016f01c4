-- POST /api/progress/<id> with a ~730-byte ProgressData body (bench/progress.json). The body's sessionId is taken
-- from the URL, so every request upserts the same key. Usage:
--   wrk -s bench/post_progress.lua http://127.0.0.1:PORT/api/progress/bench-main
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require "common"

local session = common.session_from_path(wrk.path)
  or error("URL must be /api/progress/<id>, got " .. wrk.path)

wrk.method = "POST"
wrk.body = common.progress_body(session)
wrk.headers["Content-Type"] = "application/json"

common.install_status_tracking()
