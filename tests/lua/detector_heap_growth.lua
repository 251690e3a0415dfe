-- heap-growth: nothing at warning on the controls and the real servers,
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

for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/go1.19/control",
                       "samples/go1.23/control", "samples/thirdparty/prometheus", "samples/thirdparty/caddy" } do
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

-- A warm-up is not a leak: caddy's first scrape was taken idle, the next
-- two under load, so HeapAlloc rises at every scrape; its gctrace over the
-- same minute (85 cycles) shows the live heap flat, and decides.  With the
-- ci pack's thresholds the scrapes alone would be judged a leak.
local text = files.read("samples/thirdparty/caddy/metrics.prom")
if text then
  local ha = {}
  for v in text:gmatch("\ngo_memstats_heap_alloc_bytes ([%d.e+]+)") do ha[#ha + 1] = tonumber(v) end
  local ci = { min_growth = 4 * 2 ^ 20, min_ratio = 0.1 }
  local up = #ha == 3 and ha[2] > ha[1] and ha[3] > ha[2] and ha[3] - ha[1] >= ci.min_growth
  tap.ok(up, "caddy metrics.prom: HeapAlloc rises through its three scrapes by 4 MiB or more")
  if up then
    tap.is(#D.at_least(D.run(hs.load("samples/thirdparty/caddy"), ID, ci), "warning"), 0,
           "caddy with ci thresholds: the gctrace's flat live heap overrules the warm-up in the scrapes")
    -- the scrapes alone: the first came in the process's first 30% of
    -- life (its age from process_start_time_seconds and the capture's
    -- marker), so it is warm-up and not judged; judging it would warn
    local start = tonumber(text:match("\nprocess_start_time_seconds ([%d.e+]+)"))
    local stamps = {}
    for y, mo, d, h, mi, sec in text:gmatch("# heapscope%-capture: scrape %d+ at (%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)Z") do
      stamps[#stamps + 1] = os.time { year = y, month = mo, day = d, hour = h, min = mi, sec = sec }
    end
    -- os.time reads the fields as local time: the same offset for all three
    local off = os.time(os.date("!*t", stamps[1])) - stamps[1]
    local age1, age3 = stamps[1] - off - start, stamps[3] - off - start
    tap.ok(age1 >= 0 and age1 < 0.3 * age3, ("caddy: the first scrape at %.0f s of a %.0f s life is in its warm-up"):format(age1, age3))
    local alone = hs.load("samples/thirdparty/caddy/metrics.prom")
    tap.is(#D.at_least(D.run(alone, ID, ci), "warning"), 0, "caddy metrics.prom alone, ci thresholds: the warm-up is no leak")
    ci.warmup, ci.warmup_secs = 0, 0
    tap.is(#D.at_least(D.run(alone, ID, ci), "warning"), 1, "... and without the warm-up rule it would be taken for one")
  end
end

-- The retain and slice programs build what they plant (facts.json: fixed
-- counts of nodes and buffers) in their first fraction of a second and
-- hold it: HeapAlloc rises at every MemStats snapshot, but a process that
-- young is starting, not leaking.  Their snapshots' ages come from NumGC
-- against the gctrace.
for _, dir in ipairs { "samples/go1.19/retain", "samples/go1.23/retain", "samples/go1.19/slice", "samples/go1.23/slice" } do
  local lines = files.read_lines(dir .. "/memstats.jsonl")
  local facts = json.read(dir .. "/facts.json")
  if lines and facts then
    local ha, up = {}, true
    for _, l in ipairs(lines) do
      local v = tonumber(l:match('"HeapAlloc":(%d+)'))
      if v then
        if #ha > 0 and v <= ha[#ha] then up = false end
        ha[#ha + 1] = v
      end
    end
    local ci = { min_growth = 4 * 2 ^ 20, min_ratio = 0.1 }
    local grew = up and #ha >= 3 and ha[#ha] - ha[1] >= ci.min_growth
    tap.ok(grew, dir .. ": HeapAlloc rises through its " .. #ha .. " MemStats snapshots by 4 MiB or more")
    if grew then
      local c = hs.load(dir)
      tap.is(#D.at_least(D.run(c, ID, ci), "warning"), 0, dir .. ", ci thresholds: its start-up is no leak")
      ci.warmup, ci.warmup_secs = 0, 0
      tap.is(#D.at_least(D.run(c, ID, ci), "warning"), 1, dir .. ": ... which it would be taken for without the rule")
    end
  end
end

os.exit(tap.done() == 0 and 0 or 1)
