-- gc-pause: nothing on the controls and the real servers at the default
-- threshold (their pauses are under 10 ms; the leaky runs are not controls
-- and may have real long pauses on a loaded machine); with the threshold
-- lowered, the p99 and the count
-- over it agree with a plain reading of gctrace.log's "A+B+C ms clock"
-- fields (A and C are the two stop-the-world phases), and MemStats PauseNs
-- alone (memstats.json) is judged when there is no gctrace.
local tap = require "hs.tap"
local hs = require "hs"
local D = dofile("tests/lib/detect.lua")
local ID = "gc-pause"

local files = dofile("tests/lib/files.lua")
local read = files.read

local function p99(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  return s[math.max(1, math.ceil(0.99 * #s))]
end

local ran = 0
for _, dir in ipairs { "samples/go1.19/leaky", "samples/go1.23/leaky", "samples/go1.19/healthy",
                       "samples/go1.23/healthy", "samples/go1.19/control", "samples/go1.23/control",
                       "samples/thirdparty/prometheus", "samples/thirdparty/caddy" } do
  local text = read(dir .. "/gctrace.log")
  if text then
    ran = ran + 1
    local c = hs.load(dir)
    if not dir:find("leaky") then
      tap.is(#D.at_least(D.run(c, ID), "warning"), 0, dir .. ": no pause finding at the default threshold")
    end
    local ms = {}
    for l in text:gmatch("[^\n]+") do
      local a, c2 = l:match("^gc %d+ @[%d.]+s %d+%%: ([%d.]+)%+[%d.]+%+([%d.]+) ms clock")
      if a then ms[#ms + 1] = tonumber(a) + tonumber(c2) end
    end
    local want = p99(ms)
    local thr = want / 2
    local over = 0
    for _, x in ipairs(ms) do if x > thr then over = over + 1 end end
    local fs = D.run(hs.load(dir .. "/gctrace.log"), ID, { p99_ms = thr, min_cycles = 1 })
    local f = fs[1]
    -- the evidence carries 4 significant digits
    tap.ok(f and math.abs(f.evidence.p99_ms - want) <= 1e-3 * want, ("%s/gctrace.log: p99 %.3f ms as the log says"):format(dir, want))
    tap.is(f and f.count, over, dir .. "/gctrace.log: cycles over the threshold")
    tap.is(f and f.evidence.cycles, #ms, dir .. "/gctrace.log: every cycle judged")
    tap.is(f and f.site, nil, dir .. ": a pause has no site")
  end
  local ms = dir .. "/memstats.json"
  if read(ms) then
    local fs = D.run(hs.load(ms), ID, { p99_ms = 0, min_cycles = 1 })
    tap.ok(fs[1] and fs[1].evidence.source:find("PauseNs"), ms .. ": MemStats PauseNs alone is judged")
  end
end
if ran == 0 then tap.skip("no gctrace samples") end

-- Below 100 cycles the p99 is the longest pause: one long pause there is
-- one event, info; two or more (the gcpause sample plants five) are a
-- warning.  Checked on each sample's own log with the threshold set
-- between its longest and second-longest pause, then below the second.
for _, dir in ipairs { "samples/go1.19/control", "samples/go1.23/control", "samples/go1.19/gcpause",
                       "samples/go1.23/gcpause" } do
  local text = read(dir .. "/gctrace.log")
  if text then
    local ms = {}
    for l in text:gmatch("[^\n]+") do
      local a, c2 = l:match("^gc %d+ @[%d.]+s %d+%%: ([%d.]+)%+[%d.]+%+([%d.]+) ms clock")
      if a then ms[#ms + 1] = tonumber(a) + tonumber(c2) end
    end
    table.sort(ms, function(x, y) return x > y end)
    if #ms >= 5 and #ms < 100 and ms[1] > ms[2] and ms[1] < 1000 then -- under error_ms
      local c = hs.load(dir .. "/gctrace.log")
      local f = D.run(c, ID, { p99_ms = (ms[1] + ms[2]) / 2 })[1]
      tap.ok(f and f.severity == "info" and f.count == 1, dir .. ": one pause over the threshold in " .. #ms .. " cycles is info")
      f = D.run(c, ID, { p99_ms = ms[2] * 0.99 })[1]
      tap.ok(f and f.severity == "warning" and f.count == 2, dir .. ": two over it are a warning")
    end
  end
end

os.exit(tap.done() == 0 and 0 or 1)
