-- case.proc next to case.memstats: what Linux says about the process
-- (status, smaps_rollup) beside what the Go runtime says, as a detector
-- (rss-gap) reads them: by kind and key, with byte values in bytes.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local slurp = files.read
local function get(proc, kind, key)
  local r = proc:where(function(x) return x.kind == kind and x.key == key end)
  return r[1]
end

local n = 0
for _, dir in ipairs({ "samples/go1.19/leaky/", "samples/go1.23/leaky/", "samples/thirdparty/prometheus/" }) do
  local status, rollup = slurp(dir .. "status"), slurp(dir .. "smaps_rollup")
  if status and rollup then
    n = n + 1
    local c = hs.load(dir .. "status", dir .. "smaps_rollup")
    tap.ok(c.proc ~= nil, dir .. ": case.proc")
    local rss = get(c.proc, "status", "VmRSS")
    tap.is(rss.bytes, tonumber(status:match("\nVmRSS:%s*(%d+) kB")) * 1024, dir .. ": VmRSS = kB x 1024")
    tap.is(rss.unit, "bytes", dir .. ": VmRSS unit")
    tap.is(get(c.proc, "smaps_rollup", "Rss").bytes, tonumber(rollup:match("\nRss:%s*(%d+) kB")) * 1024,
           dir .. ": smaps_rollup Rss = kB x 1024")
    tap.is(get(c.proc, "status", "Threads").value, tonumber(status:match("\nThreads:%s*(%d+)")),
           dir .. ": Threads is a count")
  end
end
if n == 0 then tap.skip("no samples with status and smaps_rollup yet") end

-- cgroup files: kind from the content, or the name as a hint for one value.
local c = hs.load("tests/fixtures/proc/v2/memory.stat", "tests/fixtures/proc/v2/memory.max",
                  "tests/fixtures/proc/v2/memory.current", "tests/fixtures/proc/v2/memory.events")
tap.is(get(c.proc, "memory.stat", "anon").bytes, 19640320, "memory.stat anon in bytes")
tap.is(get(c.proc, "memory.stat", "pgfault").unit, "count", "memory.stat pgfault is a count")
tap.is(get(c.proc, "memory.max", "memory.max").unit, "max", "memory.max `max` means no limit")
tap.is(get(c.proc, "memory.current", "memory.current").bytes, 26046464, "memory.current")
tap.is(get(c.proc, "memory.events", "oom_kill").value, 1, "memory.events oom_kill")
os.exit(tap.done() == 0 and 0 or 1)
