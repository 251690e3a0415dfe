-- hs.profile's API on the samples, against what the Go programs made true
-- (samples/*/facts.json) and what `go tool pprof` printed (pprof-top/):
-- kinds (mutex vs block is decided by the stacks), attributes, p:diff.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local read = files.read
-- A string or number field of facts.json (flat, as the test needs).
local function fact(json, key)
  local s = json:match('"' .. key .. '"%s*:%s*"([^"]*)"')
  if s then return s end
  return tonumber(json:match('"' .. key .. '"%s*:%s*(%-?[%d%.]+)'))
end

-- name -> exact flat value from a pprof-top .exact.txt (-unit=B or ns)
local function exact_flat(path)
  local s = read(path)
  if not s then return nil end
  local t, body = {}, false
  for l in s:gmatch("[^\n]+") do
    if body then
      local f, name = l:match("^%s*(%-?%d+)%a*%s+%S+%s+%S+%s+%S+%s+%S+%s+(.-)$")
      if f then t[name:gsub(" %([%a%-]*inline%)$", "")] = tonumber(f) end
    elseif l:match("^%s+flat%s+flat%%") then
      body = true
    end
  end
  return t
end

local function find(t, name)
  for i = 1, #t do
    if t[i].name == name then return t[i] end
  end
end

local function files(dir)
  local out = {}
  for _, k in ipairs({ "heap", "allocs", "goroutine", "mutex", "block", "threadcreate", "cpu" }) do
    if read(dir .. "/" .. k .. ".pb.gz") then out[#out + 1] = dir .. "/" .. k .. ".pb.gz" end
  end
  return out
end

for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/" .. v .. "/leaky-rate1"
  local facts = read(dir .. "/facts.json")
  local fl = facts and files(dir) or {}
  if #fl < 7 then
    tap.skip(dir .. ": profiles or facts.json missing (samples/gen.sh makes them)")
  else
    local case = hs.load(fl)
    local P = case.profiles
    tap.ok(P.heap and P.allocs and P.goroutine and P.mutex and P.block and P.threadcreate and P.cpu,
           dir .. ": every profile kind is on case.profiles")
    -- memprofilerate 1: the heap profile is exact, every pinned buffer is in it
    tap.is(P.heap.period, fact(facts, "memprofilerate"), dir .. ": heap period = MemProfileRate")
    tap.is(P.allocs.default_sample_type, "alloc_space", dir .. ": allocs defaults to alloc_space")
    tap.is(P.heap.default_sample_type, nil, dir .. ": heap has no default sample type")
    local pinned = tonumber(facts:match('"pinned_buffers"%s*:%s*{.-"total_bytes"%s*:%s*(%d+)'))
    local site = facts:match('"pinned_buffers"%s*:%s*{.-"site"%s*:%s*"([^"]+)"')
    local r = find(P.heap:top(nil, "inuse_space"), site)
    tap.ok(r and r.flat >= pinned, ("%s: %s holds at least the %d pinned bytes in use (%s)")
           :format(dir, site, pinned, r and tostring(r.flat) or "absent"))
    local churn, churn_bytes = fact(facts, "churn_function"), fact(facts, "churn_bytes")
    r = find(P.allocs:top(nil, "alloc_space"), churn)
    tap.ok(r and r.cum >= churn_bytes, ("%s: %s allocated at least %d bytes (%s)")
           :format(dir, churn, churn_bytes, r and tostring(r.cum) or "absent"))
    for kind, key in pairs({ cpu = "cpu_profile_function", mutex = "mutex_profile_function",
                             block = "block_profile_function" }) do
      local fn = fact(facts, key)
      r = P[kind] and find(P[kind]:top(), fn)
      tap.ok(r and r.cum > 0, ("%s: %s is in the %s profile"):format(dir, fn, kind))
    end
    local leaky = facts:match('"function"%s*:%s*"(main%.leakyWorker)".-"count"%s*:%s*(%d+)')
    local nleaky = tonumber(facts:match('"function"%s*:%s*"main%.leakyWorker"%s*,%s*"count"%s*:%s*(%d+)'))
    r = find(P.goroutine:top(), "main.leakyWorker")
    tap.ok(leaky and nleaky and r and r.cum >= nleaky,
           ("%s: at least %s goroutines in main.leakyWorker (%s)"):format(dir, tostring(nleaky),
           r and tostring(r.cum) or "absent"))
    -- cpu: duration and sample count of the truth's header
    local top = read(dir .. "/pprof-top/cpu.cpu.txt") or ""
    local d, du = top:match("Duration: ([%d%.]+)(%a+)")
    local scale = { ms = 1e-3, s = 1, us = 1e-6 }
    if d and scale[du] then
      tap.ok(math.abs(P.cpu.duration - tonumber(d) * scale[du]) <= 0.0051 * scale[du],
             ("%s: cpu duration %.5f s, pprof says %s%s"):format(dir, P.cpu.duration, d, du))
    else
      tap.skip(dir .. ": no Duration line in pprof-top/cpu.cpu.txt")
    end
    tap.ok(P.cpu.time and P.cpu.time > 1.6e9, dir .. ": cpu profile has a start time")
    tap.is(#P.mutex.samples > 0 and P.mutex.sample_types[2], "delay", dir .. ": mutex sample types")
    -- by file and by address: flat still adds up to the samples with a stack
    local stacked = 0
    local dc, vc = P.heap.samples:column("depth"), P.heap.samples:column("inuse_space")
    for i = 0, #P.heap.samples - 1 do
      if dc[i] > 0 then stacked = stacked + tonumber(vc[i]) end
    end
    for _, by in ipairs({ "function", "file", "address" }) do
      local t, sum = P.heap:top(nil, "inuse_space", by), 0
      for i = 1, #t do sum = sum + t[i].flat end
      tap.is(sum, stacked, dir .. ": top by " .. by .. ": flat adds up to the stacked samples")
    end
    local tf = P.heap:top(nil, "inuse_space", "file")
    tap.ok(#tf > 0 and tf[1].name:match("%.go$"), dir .. ": top by file names .go files (" ..
           tostring(#tf > 0 and tf[1].name) .. ")")
    local ta = P.heap:top(nil, "inuse_space", "address")
    tap.ok(#ta > 0 and ta[1].name:match("^%x+ %S+ %S+:%d+$"), dir .. ": top by address names " ..
           "address function file:line (" .. tostring(#ta > 0 and ta[1].name) .. ")")
    tap.raises(function() P.heap:top(nil, "no_such_type") end, "inuse_space",
               dir .. ": an unknown sample type is an error naming the real ones")
    -- diff with itself: nothing changed
    tap.is(#P.heap:diff(P.heap), 0, dir .. ": a profile minus itself is empty")
  end
end

-- p:diff between two programs' heaps equals the difference of the exact
-- `go tool pprof -top -unit=B` flats, function by function.
do
  local a, b = "samples/go1.23/healthy", "samples/go1.23/leaky"
  local ta = exact_flat(a .. "/pprof-top/heap.inuse_space.exact.txt")
  local tb = exact_flat(b .. "/pprof-top/heap.inuse_space.exact.txt")
  if not (ta and tb) then
    tap.skip("go1.23 healthy/leaky exact heap truth missing", 2)
  else
    local base = hs.load(a .. "/heap.pb.gz").profiles.heap
    local p = hs.load(b .. "/heap.pb.gz").profiles.heap
    local d = p:diff(base, "inuse_space")
    local want = {}
    for k, v in pairs(tb) do want[k] = v - (ta[k] or 0) end
    for k, v in pairs(ta) do if not tb[k] then want[k] = -v end end
    local bad
    local seen = {}
    for i = 1, #d do
      local r = d[i]
      seen[r.name] = true
      if (want[r.name] or 0) ~= r.delta then
        bad = ("%s: delta %s, pprof flats give %s"):format(r.name, r.delta, tostring(want[r.name]))
        break
      end
    end
    for k, v in pairs(want) do
      if v ~= 0 and not seen[k] and not bad then bad = k .. " is missing from the diff" end
    end
    tap.ok(bad == nil, "diff leaky - healthy = difference of pprof's exact flats" ..
           (bad and (" -- " .. bad) or ""))
    tap.ok(#d > 0 and math.abs(d[1].delta) >= math.abs(d[#d].delta), "diff rows by |delta|")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
