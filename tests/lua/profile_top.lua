-- p:top must print what `go tool pprof -top -nodefraction=0 -sample_index=SI`
-- printed for the same profile (samples/*/pprof-top/<profile>.<SI>.txt,
-- written by the Go toolchain when the samples were made): same names in the
-- same order, flat and cum equal after undoing pprof's unit scaling and
-- rounding, same percentages, same "(inline)" labels.  Also the kind of each
-- profile, and the sample count against `go tool pprof -raw`.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local lines_of = files.read_lines
local ls = files.ls
local pt = dofile("tests/lib/pproftop.lua")

local function check_top(p, file, si, exact, edgefraction)
  local truth = pt.parse_top(lines_of(file))
  local got = p:top(nil, si, nil, { edgefraction = edgefraction })
  local label = file:gsub("^samples/", "")
  if not tap.is(#got, #truth.rows, label .. ": row count") then return end
  local bad = pt.compare(got, truth, exact)
  tap.ok(bad == nil, label .. ": rows equal go tool pprof -top" .. (bad and (" -- " .. bad) or ""))
  if truth.total then
    tap.ok(pt.value_matches(p:total(si), truth.total, exact), label .. ": total " .. truth.total)
  end
end

-- `go tool pprof -raw` output: samples (values, location ids, labels) and
-- each location id's address.  pprof merges the profile with itself before
-- printing (profile.Merge): samples whose values are all 0 are dropped,
-- samples with the same stack and labels are summed, and locations are
-- renumbered, so samples are compared by (addresses, labels).
local function parse_raw(lines)
  local samples, addr, sect = {}, {}, nil
  for _, l in ipairs(lines) do
    if l:match("^Samples:") then sect = "s"
    elseif l:match("^Locations") then sect = "l"
    elseif l:match("^Mappings") then sect = "m"
    elseif sect == "s" then
      local vals, ids = l:match("^%s*(%-?%d[%d%s%-]*):%s*(.-)%s*$")
      if vals then
        samples[#samples + 1] = { vals = vals:gsub("^%s+", ""):gsub("%s+", " "), ids = ids, labels = {} }
      else
        local k, v = l:match("^%s+(%S+):%[(.*)%]%s*$")
        if k and #samples > 0 then
          local t = samples[#samples].labels
          t[#t + 1] = k .. "=" .. v
        end
      end
    elseif sect == "l" then
      local id, a = l:match("^%s*(%d+): (0x%x+)")
      if id then addr[id] = a end
    end
  end
  return samples, addr
end

local function check_raw(p, lines, label)
  local raw, raddr = parse_raw(lines)
  local addrs = p.locations:column("address")
  local sc, dc = p.samples:column("stack"), p.samples:column("depth")
  local loc = p.stacks:column("location")
  -- Older pprof (go1.19's) drops all-zero samples when merging, newer
  -- (go1.23's) keeps them: count them if -raw printed any.
  -- Likewise go1.19's pprof does not print samples without a stack.
  local keep_zero, keep_empty = false, false
  for _, r in ipairs(raw) do
    if not r.vals:find("[1-9]") then keep_zero = true end
    if not r.ids:find("%d") then keep_empty = true end
  end
  -- Our samples as pprof would print them: (key, values) in order.
  local ours = {}
  for i = 1, #p.samples do
    local vals, zero = {}, true
    for k, t in ipairs(p.sample_types) do
      vals[k] = p.samples:get(i, p._valcol[t])
      if vals[k] ~= 0 then zero = false end
    end
    if (keep_zero or not zero) and (keep_empty or dc[i - 1] > 0) then
      local st = {}
      for d = 0, dc[i - 1] - 1 do st[#st + 1] = ("0x%x"):format(addrs[loc[sc[i - 1] + d]]) end
      local labs = {}
      for w in (p.samples:get(i, "labels") or ""):gmatch("%S+") do labs[#labs + 1] = w end
      table.sort(labs)
      ours[#ours + 1] = { key = table.concat(st, " ") .. "|" .. table.concat(labs, " "), vals = vals }
    end
  end
  local function rawkey(r)
    local st = {}
    for id in r.ids:gmatch("%d+") do st[#st + 1] = raddr[id] or "?" end
    table.sort(r.labels)
    return table.concat(st, " ") .. "|" .. table.concat(r.labels, " ")
  end
  local function vstr(v)
    local o = {}
    for k = 1, #v do o[k] = tostring(v[k]) end
    return table.concat(o, " ")
  end
  local bad
  if #ours == #raw then
    -- go1.23's pprof prints every sample, in order.
    tap.is(#ours, #raw, label .. ": samples = go tool pprof -raw samples")
    for i, r in ipairs(raw) do
      local k, v = rawkey(r), vstr(ours[i].vals)
      if k ~= ours[i].key or v ~= r.vals then
        bad = ("sample %d: %s = %s, want %s = %s"):format(i, ours[i].key:sub(1, 50), v, k:sub(1, 50), r.vals)
        break
      end
    end
  else
    -- go1.19's pprof merges samples with the same stack and labels.
    local mine, nkeys = {}, 0
    for _, o in ipairs(ours) do
      if not mine[o.key] then
        mine[o.key] = o.vals
        nkeys = nkeys + 1
      else
        for k = 1, #o.vals do mine[o.key][k] = mine[o.key][k] + o.vals[k] end
      end
    end
    tap.is(nkeys, #raw, label .. ": distinct samples = go tool pprof -raw samples (merged)")
    for i, r in ipairs(raw) do
      local key = rawkey(r)
      local got = mine[key] and vstr(mine[key])
      if got ~= r.vals then
        bad = ("raw sample %d (%s): values %s, want %s"):format(i, key:sub(1, 60), tostring(got), r.vals)
        break
      end
    end
  end
  tap.ok(bad == nil, label .. ": every -raw sample has our values for its stack and labels" ..
         (bad and (" -- " .. bad) or ""))
end

local dirs = { "samples/thirdparty/prometheus", "samples/thirdparty/caddy" }
for _, v in ipairs({ "go1.19", "go1.23" }) do
  for _, c in ipairs({ "leaky", "leaky-rate1", "healthy" }) do dirs[#dirs + 1] = "samples/" .. v .. "/" .. c end
end

-- HS_PROFILE_DIRS="dir1 dir2" checks other directories laid out the same way.
if os.getenv("HS_PROFILE_DIRS") then
  dirs = {}
  for d in os.getenv("HS_PROFILE_DIRS"):gmatch("%S+") do dirs[#dirs + 1] = d end
end

for _, dir in ipairs(dirs) do
  local files = {}
  for _, f in ipairs(ls(dir)) do
    if f:match("%.pb%.gz$") then files[#files + 1] = dir .. "/" .. f end
  end
  local tops = ls(dir .. "/pprof-top")
  -- samples/gen-thirdparty.sh ran pprof with -edgefraction=0; samples/gen.sh
  -- left pprof's default, 0.001, which decides some "(inline)" labels.
  local ef = (#ls(dir .. "/pprof-raw") > 0) and 0 or 0.001
  if #files == 0 or #tops == 0 then
    tap.skip(dir .. ": no profiles or no pprof-top truth yet (samples/gen.sh makes them)")
  else
    local case = hs.load(files)
    tap.ok(case.profiles ~= nil, dir .. ": case.profiles is set")
    local profiles = case.profiles or {}
    for _, f in ipairs(files) do
      local kind = f:match("([^/]+)%.pb%.gz$")
      local p = profiles[kind]
      if tap.ok(p and p.source == f, dir .. ": " .. kind .. ".pb.gz is case.profiles." .. kind) then
        for _, t in ipairs(tops) do
          local prof, si, ex = t:match("^([%w_]+)%.([%w_]+)(%.?e?x?a?c?t?)%.txt$")
          if prof == kind and si ~= "raw" then
            check_top(p, dir .. "/pprof-top/" .. t, si, ex == ".exact", ef)
          end
        end
        local raw = lines_of(dir .. "/pprof-top/" .. kind .. ".raw.txt")
        if not raw and kind == "heap" then raw = lines_of(dir .. "/pprof-raw/heap.txt") end
        if raw then check_raw(p, raw, dir .. "/" .. kind) end
      end
    end
  end
end

os.exit(tap.done() == 0 and 0 or 1)
