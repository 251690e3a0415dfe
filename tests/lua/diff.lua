-- hs.diff against what the growth program planted (samples/README.md,
-- "growth"): three dumps of one process; between dumps 1 and 2 it added
-- 4000 Sessions with 2 KiB buffers (kept) and 500 temporary 8 KiB buffers
-- (gone by dump 3); between 2 and 3, 4000 more Sessions.  Most objects
-- have no site of their own (the profiler samples one per 512 KiB), yet the
-- candidates' sites are the planted ones.  And a dump compared with itself
-- changes nothing.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local files = dofile("tests/lib/files.lua")

local function near(got, want, what) return dofile("tests/lib/facts.lua").near(tap, got, want, what) end

-- a dump with itself: every object matches (address, size, bucket)
local leaky = "samples/go1.23/leaky/heap.dump.xz"
if files.exists(leaky) then
  local c = hs.load(leaky)
  local d = hs.diff(c, c)
  tap.is(d.new.objects, 0, "a dump compared with itself: nothing new")
  tap.is(d.freed.objects, 0, "... nothing freed")
  tap.is(d.totals[1].objects, #c.heap.objects, "... its totals are its objects")
  tap.ok(not pcall(hs.diff, c, hs.load("samples/go1.23/leaky/gctrace.log")),
    "a case without a heap dump is refused")
else
  tap.skip("no samples/go1.23/leaky")
end

for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/series/" .. v .. "/growth/"
  if not files.exists(dir .. "facts.json") then
    tap.skip(dir .. " not generated (samples/gen.sh)")
  else
    local f = json.read(dir .. "facts.json")
    local c1, c2, c3 = hs.load(dir .. "heap1.dump.xz"), hs.load(dir .. "heap2.dump.xz"),
      hs.load(dir .. "heap3.dump.xz")
    local s1, b1, p = f.step1_sessions, f.step1_session_buffers, f.pending_buffers
    local d = hs.diff(c1, c2)
    near(d.new.bytes, s1.total_bytes + b1.total_bytes + p.total_bytes,
      v .. ": bytes new in dump 2 (step-1 sessions, their buffers, the pending buffers)")
    -- the largest holder of new bytes is the sessions' backing array,
    -- which the global main.sessions points at
    local top = d.by_retainer[1]
    near(top.bytes, s1.total_bytes + b1.total_bytes, v .. ": bytes under the largest holder")
    local sess = tonumber(f.globals["main.sessions"])
    local held = false
    for _, st in ipairs(d.path or {}) do
      if st.root and st.root.from == sess then held = true end
    end
    local roots = c2.heap.roots
    local from, target = roots:column("from"), roots:column("target")
    local holder = d.path and d.path[#d.path]
    for i = 0, #roots - 1 do
      if tonumber(from[i]) == sess and holder and c2.heap:object(tonumber(target[i])) and
        c2.heap:object(tonumber(target[i])).addr == holder.addr then held = true end
    end
    tap.ok(held, v .. ": ... and the global main.sessions holds it")
    local d3 = hs.diff(c1, c2, c3)
    near(d3.kept.bytes, f.leak_candidate_bytes, v .. ": leak candidates (new in 2, alive in 3)")
    near(d3.garbage.bytes, p.total_bytes, v .. ": dump 2's temporary garbage, left out")
    tap.ok(d3.kept.objects >= s1.count + b1.count, v .. ": every step-1 session and buffer is a candidate")
    -- by site: the profiler sampled a few of them (one per 512 KiB); the
    -- rest are shared among the sites sampled under the same holder
    local site = d3.by_site[1]
    tap.is(site.name, f.growth_site, v .. ": the candidates' first site is where the program grew")
    near(site.bytes, s1.total_bytes + b1.total_bytes, v .. ": ... with the step's sessions and buffers")
    tap.ok(site.sampled > 0 and site.sampled < site.count,
      v .. ": ... " .. site.sampled .. " of its " .. site.count .. " objects sampled, the rest estimated")
    local ps = false
    for i = 1, #d3.by_site do ps = ps or d3.by_site[i].name == p.site end
    tap.ok(not ps, v .. ": the temporary buffers' site " .. p.site .. " is not a candidate site")
    local g = d3.garbage_by_site[1]
    tap.is(g.name, p.site, v .. ": it is the garbage's first site")
    near(g.bytes, p.total_bytes, v .. ": ... with the temporary buffers")
    -- asked again (a report does: heap-growth, then its charts, with other
    -- row counts), the matching is reused and the answer is the same
    local again = hs.diff(c1, c2, c3, 2)
    tap.ok(again.kept.bytes == d3.kept.bytes and again.garbage.objects == d3.garbage.objects and
      again.new.bytes == d3.new.bytes and again.totals[3].bytes == d3.totals[3].bytes,
      v .. ": the same dumps diffed again give the same totals")
    tap.ok(#again.by_site <= 2 and again.by_site[1].name == site.name and
      again.by_site[1].bytes == site.bytes, v .. ": ... and the rows asked for")
    again.kept.bytes = -1
    tap.is(hs.diff(c1, c2, c3).kept.bytes, d3.kept.bytes, v .. ": ... a caller's change stays its own")
  end
end
os.exit(tap.done() == 0 and 0 or 1)
