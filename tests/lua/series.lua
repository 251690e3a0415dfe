-- Series: the growth program (samples/series/go1.NN/growth, facts.json)
-- wrote three heap dumps and three heap profiles of one process into one
-- directory.  Loaded as one case they are a series ordered as the program
-- wrote them (facts.json's dumps list), the latest is case.heap, each dump
-- holds what the program had planted by then, hs.diff(case) finds the
-- planted leak and leaves the middle dump's temporary buffers out, the
-- growth rates of memstats.jsonl are the program's own snapshots', and
-- heap-growth reports the growing site with the dumps' leak candidates.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local files = dofile("tests/lib/files.lua")

local function near(got, want, what) return dofile("tests/lib/facts.lua").near(tap, got, want, what) end

-- "2026-12-03T10:38:13.449347705Z" -> seconds since that day's midnight
local function day_seconds(s)
  local h, m, sec = s:match("T(%d+):(%d+):([%d%.]+)Z$")
  return tonumber(h) * 3600 + tonumber(m) * 60 + tonumber(sec)
end

for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/series/" .. v .. "/growth"
  local f = json.read(dir .. "/facts.json")
  if not f then
    tap.skip(dir .. " not generated (samples/gen-problems.sh)")
  else
    local c = hs.load(dir)
    local errs = {}
    for _, d in ipairs(c.errors) do errs[#errs + 1] = d.text end
    tap.is(#c.errors, 0, v .. ": three dumps in one directory load without errors " ..
      table.concat(errs, "; "))
    tap.is(#c.heaps, #f.dumps, v .. ": case.heaps holds every dump")
    local order = true
    for k, d in ipairs(f.dumps) do
      local file = tostring(rawget(c.heaps[k], "_file") or c.heap_series[k].input)
      if not file:find("/" .. d.dump, 1, true) then order = false end
    end
    tap.ok(order, v .. ": in the order the program wrote them")
    tap.ok(c.heap == c.heaps[#c.heaps], v .. ": case.heap is the latest")
    tap.ok(rawget(c.heaps[1], "objects") == nil, v .. ": an earlier dump is not loaded until used")
    -- each dump holds what had been planted when it was written
    local function has(h, addr, size)
      local o = h:object(tonumber(addr))
      return o ~= nil and o.addr == tonumber(addr) and o.size == size
    end
    local function where(fact)
      local out = {}
      for k, h in ipairs(c.heaps) do
        local all = true
        for _, a in ipairs(fact.addrs) do all = all and has(h, a, fact.alloc_size) end
        out[k] = all and "1" or "0"
      end
      return table.concat(out)
    end
    tap.is(where(f.step1_sessions), "011", v .. ": step-1 sessions are in dumps 2 and 3")
    tap.is(where(f.step1_session_buffers), "011", v .. ": ... and their buffers")
    tap.is(where(f.step2_sessions), "001", v .. ": step-2 sessions only in dump 3")
    tap.is(where(f.pending_buffers), "010", v .. ": the temporary buffers only in dump 2")
    for k, h in ipairs(c.heaps) do
      tap.is(h.memstats[1].NumGC, c.heap_series[k].num_gc,
        v .. ": dump " .. k .. " is ordered by the GC count its memstats record holds")
    end

    -- hs.diff(case): three dumps by memlab's method
    local d = hs.diff(c)
    tap.ok(d.memlab ~= nil and #d.pairs == 0, v .. ": three dumps: one memlab diff")
    near(d.memlab.kept.bytes, f.leak_candidate_bytes, v .. ": leak candidates (new in 2, alive in 3)")
    near(d.memlab.garbage.bytes, f.pending_buffers.total_bytes,
      v .. ": dump 2's temporary buffers left out as garbage")
    local pairs_ = {}
    for _, p in ipairs(d.profiles) do
      pairs_[#pairs_ + 1] = p.base:match("[^/]+$") .. ">" .. p.target:match("[^/]+$") .. " " .. p.sample_type
    end
    local want = f.dumps[1].heap_profile .. ">" .. f.dumps[2].heap_profile .. " inuse_space"
    local found = false
    for _, s in ipairs(pairs_) do found = found or s == want end
    tap.ok(found, v .. ": the profile series is diffed pair by pair (" .. want .. ")")
    tap.ok(tostring(d):find("leak candidates", 1, true) ~= nil, v .. ": it prints")

    -- two dumps named together: one pair
    local c2 = hs.load({ dir .. "/heap2.dump.xz", dir .. "/heap1.dump.xz" })
    local d2 = hs.diff(c2)
    tap.ok(#c2.heaps == 2 and d2.memlab == nil and #d2.pairs == 1, v .. ": two dumps: one pair")
    near(d2.pairs[1].new.bytes, f.step1_sessions.total_bytes + f.step1_session_buffers.total_bytes +
      f.pending_buffers.total_bytes, v .. ": ... named in either order, new in dump 2")

    -- growth rates of the program's own MemStats snapshots
    local snaps = {}
    for _, l in ipairs(files.read_lines(dir .. "/memstats.jsonl")) do
      local o = json.decode(l)
      snaps[#snaps + 1] = { t = day_seconds(o.time), v = o.HeapAlloc }
    end
    table.sort(snaps, function(a, b) return a.t < b.t end)
    local rows = {}
    for i = 1, #d.growth do
      if d.growth:get(i, "source") == "memstats.jsonl" then rows[#rows + 1] = i end
    end
    tap.is(#rows, #snaps - 1, v .. ": one growth row per pair of memstats.jsonl snapshots")
    local bad
    for k, i in ipairs(rows) do
      local a, b = snaps[k], snaps[k + 1]
      local rate = (b.v - a.v) / (b.t - a.t)
      local got = d.growth:get(i, "bytes_per_sec")
      if d.growth:get(i, "from") ~= a.v or d.growth:get(i, "to") ~= b.v or
         math.abs(got - rate) > 1e-4 * math.abs(rate) then
        bad = ("row %d: %s B/s from %d to %d, want %s from %d to %d"):format(k, got,
          d.growth:get(i, "from"), d.growth:get(i, "to"), rate, a.v, b.v)
        break
      end
    end
    tap.ok(bad == nil, v .. ": HeapAlloc and its rate between the snapshots" .. (bad and (" -- " .. bad) or ""))
    local gcrows = 0
    for i = 1, #d.growth do if d.growth:get(i, "source") == "gctrace.log" then gcrows = gcrows + 1 end end
    tap.is(gcrows, #c.gc - 1, v .. ": one growth row per pair of GC cycles")

    -- heap-growth on the series
    local fs = hs.check(c, { detectors = { "heap-growth" } })
    local g
    for _, x in ipairs(fs) do if x.detector == "heap-growth" and x.bytes then g = x end end
    if tap.ok(g ~= nil, v .. ": heap-growth reports the growth") then
      tap.is(g.site, f.growth_site, v .. ": ... at the site the program grew")
      local temp = false
      for _, s in ipairs(g.evidence.sites or {}) do temp = temp or s.site == f.pending_buffers.site end
      tap.ok(not temp, v .. ": ... without the temporary buffers' site among those that grew")
      local dd = g.evidence.dump_diff or {}
      tap.is(dd.dumps, 3, v .. ": ... from the three dumps")
      near(dd.kept_bytes or 0, f.leak_candidate_bytes, v .. ": ... their leak candidates")
      near(dd.garbage_bytes or 0, f.pending_buffers.total_bytes, v .. ": ... and temporary garbage")
    end
  end
end

-- one dump: a series of one
local leaky = "samples/go1.23/leaky/heap.dump.xz"
if files.exists(leaky) then
  local c = hs.load(leaky)
  tap.ok(#c.heaps == 1 and c.heaps[1] == c.heap and c.heap_series == nil,
    "one dump: case.heaps is { case.heap }")
else
  tap.skip("no samples/go1.23/leaky")
end

os.exit(tap.done() == 0 and 0 or 1)
