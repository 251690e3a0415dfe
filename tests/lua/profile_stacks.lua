-- p:diff_stacks(base) against go tool pprof's own output for the growth
-- sample (samples/series/go1.NN/growth): the program grew its sessions at
-- one site (facts.json's growth_site) in two steps, each from its own call
-- in main.main.func2, so the site has two whole stacks.
--   * heap.pb.gz (the last profile) against heap1.pb.gz (written before
--     any session): the site's stacks are, frame for frame (function
--     file:line), the samples `go tool pprof -raw heap.pb.gz` listed with
--     their inuse_space (those that read the same summed), one per step.
--   * every captured `pprof -top -diff_base` (pprof-diff/): a function's
--     flat delta there is the sum of the deltas of the stacks it is the
--     leaf of, for every sample type.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local json = dofile("tests/lib/json.lua")
local pt = dofile("tests/lib/pproftop.lua")

-- The samples of a `pprof -raw` listing: { values = {4 numbers}, stack =
-- "name file:line < ..." leaf first }; a location's lines are listed leaf
-- first, as the profile holds them.
local function raw_samples(lines)
  local locs, samples, cur = {}, {}, nil
  local section
  for _, l in ipairs(lines) do
    if l == "Samples:" or l == "Locations" or l == "Mappings" then section = l
    elseif section == "Samples:" then
      local a, b, c, d, ids = l:match("^%s*(%-?%d+)%s+(%-?%d+)%s+(%-?%d+)%s+(%-?%d+): ([%d ]+)$")
      if a then
        local st = {}
        for id in ids:gmatch("%d+") do st[#st + 1] = tonumber(id) end
        samples[#samples + 1] = { values = { tonumber(a), tonumber(b), tonumber(c), tonumber(d) },
                                  ids = st }
      end
    elseif section == "Locations" then
      local id, rest = l:match("^%s*(%d+): 0x%x+ M=%d+ (.*)$")
      if id then
        cur = {}
        locs[tonumber(id)] = cur
      else
        rest = l:match("^%s+(%S.*)$")
      end
      -- "name file:line:column s=N" (Go 1.19's has no column)
      local name, at = (rest or ""):match("^(%S+) (%S+) s=%d+$")
      local file, line = (at or ""):match("^(.-):(%d+):%d+$")
      if not file then file, line = (at or ""):match("^(.-):(%d+)$") end
      if cur and name and file then cur[#cur + 1] = name .. " " .. file .. ":" .. line end
    end
  end
  for _, s in ipairs(samples) do
    local frames = {}
    for _, id in ipairs(s.ids) do
      for _, f in ipairs(locs[id] or { "?" }) do frames[#frames + 1] = f end
    end
    s.stack = table.concat(frames, " < ")
  end
  return samples
end

for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/series/" .. v .. "/growth"
  local facts = files.read(dir .. "/facts.json")
  local raw = files.read_lines(dir .. "/pprof-top/heap.raw.txt")
  if not facts or not raw or #raw == 0 then
    tap.skip(dir .. ": no pprof truth (samples/gen-problems.sh makes it)")
  else
    facts = json.decode(facts)
    local c = hs.load(dir)
    local by_file = {}
    for _, p in ipairs(c.profile_series.heap) do by_file[p.source:match("[^/]+$")] = p end
    local site = facts.growth_site
    local p1, last = by_file[facts.dumps[1].heap_profile], by_file["heap.pb.gz"]
    tap.ok(p1 and last and p1:top(nil, "inuse_space"):where("name", site)[1] == nil,
      v .. ": heap1.pb.gz has nothing in use at " .. site .. " yet")
    -- samples whose frames read the same (two allocations on one line, at
    -- two addresses, in the Go 1.19 sample) are one stack, summed
    local sum, want = {}, {}
    for _, s in ipairs(raw_samples(raw)) do
      if s.values[4] ~= 0 and s.stack:find(site .. " ", 1, true) == 1 then
        sum[s.stack] = (sum[s.stack] or 0) + s.values[4]
      end
    end
    for st, x in pairs(sum) do want[#want + 1] = ("%d %s"):format(x, st) end
    table.sort(want)
    local got = {}
    local d = last:diff_stacks(p1, nil, "inuse_space", "line")
    for i = 1, #d do
      if d:get(i, "leaf"):find(site .. " ", 1, true) == 1 then
        got[#got + 1] = ("%d %s"):format(d:get(i, "delta"), d:get(i, "stack"))
      end
    end
    table.sort(got)
    tap.is(#want, #facts.dumps - 1, v .. ": pprof -raw lists one stack at " .. site ..
      " per step of growth")
    tap.is(table.concat(got, "\n"), table.concat(want, "\n"),
      v .. ": its stacks and their inuse_space are the ones pprof -raw listed")

    for _, f in ipairs(files.ls(dir .. "/pprof-diff")) do
      local t, b, si = f:match("^heap(%d)%-vs%-heap(%d)%.([%w_]+)%.txt$")
      local pt_, pb = t and by_file["heap" .. t .. ".pb.gz"], t and by_file["heap" .. b .. ".pb.gz"]
      if pt_ and pb then
        local sums = {}
        local ds = pt_:diff_stacks(pb, nil, si)
        for i = 1, #ds do
          local leaf = ds:get(i, "leaf")
          sums[leaf] = (sums[leaf] or 0) + ds:get(i, "delta")
        end
        local bad, n = nil, 0
        for _, r in ipairs(pt.parse_top(files.read_lines(dir .. "/pprof-diff/" .. f)).rows) do
          local flat = pt.parse_value(r.flat)
          if flat ~= 0 then
            n = n + 1
            if (sums[r.name] or 0) ~= flat then
              bad = bad or ("%s: %s by stack, %s in pprof"):format(r.name, sums[r.name], r.flat)
            end
          end
        end
        tap.ok(n > 0 and bad == nil, ("%s/%s: each function's flat delta (%d) is the sum of its " ..
          "stacks'%s"):format(v, f, n, bad and (" -- " .. bad) or ""))
      end
    end
    tap.ok(not pcall(last.diff_stacks, last, p1, nil, nil, "file"), v .. ": by must be function or line")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
