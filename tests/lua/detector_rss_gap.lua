-- rss-gap: nothing at warning on the healthy controls and prometheus (whose
-- gap is mostly file-backed pages: its binary and mmap'd TSDB files); with
-- the thresholds lowered, the numbers it judges on are the ones in
-- smaps_rollup and in the latest MemStats snapshot, read here directly.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")
local ID = "rss-gap"

local files = dofile("tests/lib/files.lua")
local read = files.read

local ran = 0
for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/go1.19/leaky",
                       "samples/go1.23/leaky", "samples/thirdparty/prometheus" } do
  local roll = read(dir .. "/smaps_rollup")
  if roll then
    ran = ran + 1
    local c = hs.load(dir)
    if not dir:find("leaky") then
      tap.is(#D.at_least(D.run(c, ID), "warning"), 0, dir .. ": nothing at warning or above")
    end
    local rss = tonumber(roll:match("\nRss:%s+(%d+) kB")) * 1024
    local anon = tonumber(roll:match("\nAnonymous:%s+(%d+) kB")) * 1024
    -- the latest MemStats: the largest TotalAlloc of the JSON snapshots
    local m
    for _, f in ipairs { "memstats.json", "vars.json" } do
      local j = json.read(dir .. "/" .. f)
      j = j and (j.memstats or j)
      if j and (not m or j.TotalAlloc > m.TotalAlloc) then m = j end
    end
    local fs = D.run(c, ID, { min_gap = 0, ratio = 0 })
    local f = fs[1]
    if m and rss < m.HeapAlloc then
      -- leaky's 1 MiB buffers are mostly never written: not resident
      tap.is(f, nil, dir .. ": resident memory below the heap: nothing to explain")
    else
      tap.ok(f, dir .. ": with no thresholds there is a finding")
    end
    if f and m then
      local e = f.evidence
      tap.is(e.rss, rss, dir .. ": Rss from smaps_rollup")
      tap.is(e.anonymous, anon, dir .. ": Anonymous from smaps_rollup")
      tap.is(e.heap_alloc, m.HeapAlloc, dir .. ": HeapAlloc of the latest snapshot")
      tap.is(e.parts.file, rss - anon, dir .. ": file-backed = Rss - Anonymous")
      tap.is(e.parts.idle, m.HeapIdle - m.HeapReleased, dir .. ": idle = HeapIdle - HeapReleased")
      tap.is(f.bytes, rss - m.HeapAlloc, dir .. ": bytes at stake are the gap, Rss - HeapAlloc")
    end
  end
end
if ran == 0 then tap.skip("no samples with smaps_rollup") end

os.exit(tap.done() == 0 and 0 or 1)
