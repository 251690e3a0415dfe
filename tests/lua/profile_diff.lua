-- p:diff_top(base) must print what `go tool pprof -top -nodefraction=0
-- -sample_index=SI -diff_base heapB.pb.gz heapT.pb.gz` printed when the
-- growth sample was made (samples/series/go1.NN/growth/pprof-diff/, see
-- samples/gen-problems.sh): same names in the same order, flat and cum
-- exactly (space in bytes with -unit=B, objects as counts), the same
-- percentages of the base's total and the same "(inline)" labels (pprof's
-- default -edgefraction=0.001 decides some of them).  The
-- profiles are found through case.profile_series, which must order them as
-- the program wrote them (facts.json's dumps list heap1, heap2, heap3).
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local json = dofile("tests/lib/json.lua")
local pt = dofile("tests/lib/pproftop.lua")

for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/series/" .. v .. "/growth"
  local diffs = files.ls(dir .. "/pprof-diff")
  local facts = files.read(dir .. "/facts.json")
  if #diffs == 0 or not facts then
    tap.skip(dir .. ": no pprof-diff truth (samples/gen-problems.sh makes it)")
  else
    facts = json.decode(facts)
    local c = hs.load(dir)
    local series = c.profile_series and c.profile_series.heap or {}
    -- the program's own order of its heap profiles
    local order, pos = {}, {}
    for k, p in ipairs(series) do pos[p.source:match("[^/]+$")] = k end
    for _, d in ipairs(facts.dumps) do order[#order + 1] = pos[d.heap_profile] or 0 end
    local ascending = #order == 3
    for k = 2, #order do if order[k] <= order[k - 1] then ascending = false end end
    tap.ok(ascending, v .. ": heap1, heap2, heap3.pb.gz are in time order in case.profile_series.heap")
    tap.is(c.profiles.heap, series[#series], v .. ": case.profiles.heap is the latest of the series")
    local by_file = {}
    for _, p in ipairs(series) do by_file[p.source:match("[^/]+$")] = p end
    for _, f in ipairs(diffs) do
      local t, b, si = f:match("^heap(%d)%-vs%-heap(%d)%.([%w_]+)%.txt$")
      local pt_, pb = t and by_file["heap" .. t .. ".pb.gz"], t and by_file["heap" .. b .. ".pb.gz"]
      if t and tap.ok(pt_ and pb, v .. "/" .. f .. ": both profiles are in the series") then
        local truth = pt.parse_top(files.read_lines(dir .. "/pprof-diff/" .. f))
        local got = pt_:diff_top(pb, nil, si, nil, { edgefraction = 0.001 })
        local label = v .. "/pprof-diff/" .. f
        if tap.is(#got, #truth.rows, label .. ": row count") then
          local bad = pt.compare(got, truth, true)
          tap.ok(bad == nil, label .. ": rows equal go tool pprof -top -diff_base" ..
                 (bad and (" -- " .. bad) or ""))
        end
        tap.ok(pt.value_matches(pb:total(si), truth.total, true),
               label .. ": percentages are of the base's total " .. truth.total)
      end
    end
  end
end

os.exit(tap.done() == 0 and 0 or 1)
