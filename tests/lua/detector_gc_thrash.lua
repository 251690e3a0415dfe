-- gc-thrash: nothing at warning on the healthy controls and prometheus,
-- from the whole case and from gctrace or MemStats alone; with the
-- threshold lowered, the CPU share it reports for its window agrees with
-- the cycles of that window read from gctrace.log directly (CPU of the
-- phases but idle, over the wall time between the window's first and last
-- start times the Ps).
local tap = require "hs.tap"
local hs = require "hs"
local D = dofile("tests/lib/detect.lua")
local ID = "gc-thrash"

local files = dofile("tests/lib/files.lua")
local read = files.read

local ran = 0
for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/thirdparty/prometheus",
                       "samples/go1.19/leaky", "samples/go1.23/leaky" } do
  local text = read(dir .. "/gctrace.log")
  if text then
    ran = ran + 1
    if not dir:find("leaky") then
      for _, p in ipairs { dir, dir .. "/gctrace.log", dir .. "/memstats.json" } do
        if p == dir or read(p) then
          tap.is(#D.at_least(D.run(hs.load(p), ID), "warning"), 0, p .. ": nothing at warning or above")
        end
      end
    end
    local cyc = {}
    for l in text:gmatch("[^\n]+") do
      local n, t, a, b, c, d, procs = l:match(
        "^gc (%d+) @([%d.]+)s %d+%%: [%d.+]+ ms clock, ([%d.]+)%+([%d.]+)/([%d.]+)/[%d.]+%+([%d.]+) ms cpu, .- (%d+) P")
      if n then
        cyc[tonumber(n)] = { t = tonumber(t), cpu = a + b + c + d, procs = tonumber(procs) }
      end
    end
    local f = D.run(hs.load(dir .. "/gctrace.log"), ID, { cpu_share = 0 })[1]
    tap.ok(f, dir .. ": with no threshold the worst window is reported")
    if f then
      local from, to = f.evidence.cycles[1], f.evidence.cycles[2]
      local cpu = 0
      for n = from, to - 1 do
        -- forced cycles are not part of a window (they are the program's choice)
        if cyc[n] and not text:find("\ngc " .. n .. " @[^\n]*%(forced%)") then cpu = cpu + cyc[n].cpu end
      end
      local share = cpu / ((cyc[to].t - cyc[from].t) * 1000 * cyc[to].procs)
      tap.ok(math.abs(share - f.evidence.cpu_share) <= 1e-3 * share, -- evidence has 4 significant digits
        ("%s: share %.4f of cycles %d-%d as the log says (%.4f)"):format(dir, f.evidence.cpu_share, from, to, share))
      tap.ok(cyc[to].t - cyc[from].t >= 1, dir .. ": the window spans min_seconds")
      tap.is(f.evidence.lever, f.evidence.pinned and "GOMEMLIMIT" or "GOGC", dir .. ": the lever follows the goal")
    end
  end
end
if ran == 0 then tap.skip("no gctrace samples") end

os.exit(tap.done() == 0 and 0 or 1)
