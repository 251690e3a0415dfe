-- heap-growth: nothing at warning on the healthy controls and prometheus,
-- from the whole case and from each series alone (gctrace, the MemStats
-- series, the Prometheus scrapes); the leaky program's live heap (gctrace)
-- ends above the 40 MiB of 1 MiB buffers it pins (facts.json
-- pinned_buffers), and a finding from it never claims more growth than the
-- log's own largest live heap.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")
local files = dofile("tests/lib/files.lua")
local ID = "heap-growth"

for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/thirdparty/prometheus" } do
  for _, p in ipairs { dir, dir .. "/gctrace.log", dir .. "/memstats.jsonl", dir .. "/metrics.prom" } do
    if p == dir or files.read(p) then
      tap.is(#D.at_least(D.run(hs.load(p), ID), "warning"), 0, p .. ": nothing at warning or above")
    end
  end
end

for _, dir in ipairs { "samples/go1.19/leaky", "samples/go1.23/leaky" } do
  local text = files.read(dir .. "/gctrace.log")
  local facts = json.read(dir .. "/facts.json")
  if text and facts then
    local maxlive = 0
    for live in text:gmatch("\ngc %d+ @[^\n]- %d+%->%d+%->(%d+) MB") do maxlive = math.max(maxlive, tonumber(live)) end
    tap.ok(maxlive * 1048576 >= facts.pinned_buffers.total_bytes, dir .. ": the log's live heap holds the pinned buffers")
    for _, f in ipairs(D.run(hs.load(dir .. "/gctrace.log"), ID)) do
      tap.ok(f.evidence.to <= maxlive * 1048576 and f.bytes <= f.evidence.to,
        dir .. ": growth within what the log shows: " .. f.title)
    end
  end
end

os.exit(tap.done() == 0 and 0 or 1)
