-- POST /api/progress/<id>/log with one ErrorLogEntry (bench/log_entry.json). The server does not cap a session's log,
-- so a run appends every request to the same session: use a session id that no other scenario
-- reads (bench/run uses "bench-log"). Usage:
--   wrk -s bench/post_log.lua http://127.0.0.1:PORT/api/progress/bench-log/log
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require "common"

wrk.method = "POST"
wrk.body = common.log_body
wrk.headers["Content-Type"] = "application/json"

common.install_status_tracking()
