-- The heap detectors (slice-retention, dominant-retainer, finalizer-cycle,
-- pool-misuse, http-body-leak) against what the sample programs planted
-- (facts.json), never against numbers copied from our own output; and
-- nothing at warning or above on the healthy controls and third-party
-- servers.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")

hs.open_options = { nocache = true } -- never write index files into samples/

local function slice_retention(v, dir, facts, c)
  local fs = D.run(c, "slice-retention")
  local pb = facts.pinned_buffers
  local f = D.at_site(fs, pb.site)
  tap.ok(f, v .. ": slice-retention finds the pinned buffers at " .. pb.site)
  if f then
    tap.is(f.severity, "warning", v .. ": ... as a warning")
    tap.ok(D.near(f.count, pb.count), v .. ": ... count near " .. pb.count .. " (got " .. tostring(f.count) .. ")")
    tap.ok(D.near(f.bytes, facts.pinned_wasted_bytes),
           v .. ": ... bytes near pinned_wasted_bytes (got " .. tostring(f.bytes) .. ")")
    tap.like(f.message, "bytes%.Clone", v .. ": ... says to copy the subslice")
    tap.like(f.evidence.path[1], "^global ", v .. ": ... with a path from a global")
  end
  -- the 256 KiB string pinned by a short substring
  local ps = facts.pinned_string
  local keep = tonumber(ps.notes:match("(%d+)%-byte substring"))
  local sf
  for _, x in ipairs(fs) do
    if x.count == 1 and D.near(x.bytes, ps.total_bytes - keep) then sf = x end
  end
  tap.ok(sf, v .. ": slice-retention finds the pinned string, bytes near total_bytes - " .. keep)
  if sf then
    tap.like(sf.message, "strings%.Clone", v .. ": ... says to clone the substring")
    tap.ok(sf.site == nil or sf.site == ps.site, v .. ": ... at " .. ps.site .. " when sampled (got "
      .. tostring(sf.site) .. ")")
    if facts.memprofilerate == 1 then tap.is(sf.site, ps.site, v .. ": ... sampled at rate 1") end
  end
end

local function dominant_retainer(v, dir, facts, c)
  -- the 40 MiB of pinned buffers: one suspect, the slices' backing array
  local pb = facts.pinned_buffers
  local fs = D.run(c, "dominant-retainer")
  local f = D.at_site(fs, pb.site)
  tap.ok(f, v .. ": dominant-retainer finds the pinned buffers' holder, site " .. pb.site)
  if f then
    tap.ok(D.near(f.bytes, pb.total_bytes), v .. ": ... retaining about total_bytes (got " .. f.bytes .. ")")
    tap.like(f.evidence.path[1], "^global ", v .. ": ... with a path from a global")
  end
  -- the ring: 1000 sessions, one finding at its head (2% of this heap, so
  -- the share threshold is lowered)
  local rs = facts.ring_sessions
  fs = D.run(c, "dominant-retainer", { min_share = 0.01, min_bytes = 0 })
  local ring
  for _, x in ipairs(fs) do
    if D.near(x.bytes, facts.ring_retained_bytes) then
      tap.ok(not ring, v .. ": one finding for the ring, not one per session")
      ring = x
    end
  end
  tap.ok(ring, v .. ": dominant-retainer finds the ring, bytes near ring_retained_bytes")
  if ring then
    tap.ok(D.near(ring.count, rs.count), v .. ": ... count near " .. rs.count .. " (got " .. ring.count .. ")")
    tap.like(ring.evidence.accumulation_point, ("^0x%x "):format(tonumber(facts.ring_head_addr)),
             v .. ": ... accumulating at the ring's head")
    tap.ok(ring.site == nil or ring.site == rs.site, v .. ": ... at " .. rs.site .. " when sampled (got "
      .. tostring(ring.site) .. ")")
    if facts.memprofilerate == 1 then tap.is(ring.site, rs.site, v .. ": ... sampled at rate 1") end
  end
end

local function finalizer_cycle(v, dir, facts, c)
  -- 5 unreachable pairs a <-> b with a finalizer on a; the 10 resources
  -- with finalizers but no cycle are not reported
  local fc = facts.finalizer_cycles
  local fs = D.run(c, "finalizer-cycle")
  local warn = D.at_least(fs, "warning")
  tap.is(#warn, 1, v .. ": finalizer-cycle: one warning")
  local f = warn[1]
  if f then
    tap.ok(D.near(f.count, fc.count), v .. ": ... count near " .. fc.count .. " (got " .. f.count .. ")")
    tap.ok(D.near(f.bytes, fc.total_bytes), v .. ": ... bytes near total_bytes (got " .. f.bytes .. ")")
    local addrs = {}
    for _, a in ipairs(fc.addrs) do addrs[tonumber(a)] = true end
    tap.ok(addrs[tonumber(f.evidence.example:match("^0x%x+"))], v .. ": ... its example is a planted cycle")
    -- a carries the finalizer and is allocated where the resources are
    local site = facts.finalized_resources.site
    tap.ok(f.site == nil or f.site == site, v .. ": ... at " .. site .. " when sampled (got " .. tostring(f.site) .. ")")
    if facts.memprofilerate == 1 then tap.is(f.site, site, v .. ": ... sampled at rate 1") end
    tap.like(f.message, "[Bb]reak the cycle", v .. ": ... says to break the cycle")
    local cy, at = f.evidence.cycle or {}, f.evidence.example:match("^0x%x+")
    tap.ok(#cy >= 3 and cy[1]:find(at, 1, true) == 1 and cy[#cy]:find(at, 1, true),
           v .. ": ... its evidence shows the cycle back to the object (a <-> b: 2 steps)")
  end
end

local function pool_misuse(v, dir, facts, c)
  -- 8 chunks of 64 KiB in the victim cache of main.chunkPool: oversized
  -- once the limit is lowered to their size
  local pc = facts.pool_chunks
  local set = { max_object = pc.size, min_oversized = pc.size }
  local fs = D.at_least(D.run(c, "pool-misuse", set), "warning")
  tap.is(#fs, 1, v .. ": pool-misuse: one warning with max_object = " .. pc.size)
  local f = fs[1]
  if f then
    tap.ok(D.near(f.count, pc.count), v .. ": ... count near " .. pc.count .. " (got " .. f.count .. ")")
    tap.ok(D.near(f.bytes, pc.total_bytes), v .. ": ... bytes near total_bytes (got " .. f.bytes .. ")")
    tap.ok(f.site == nil or f.site == pc.site, v .. ": ... at " .. pc.site .. " when sampled (got " .. tostring(f.site) .. ")")
    if facts.memprofilerate == 1 then tap.is(f.site, pc.site, v .. ": ... sampled at rate 1") end
    tap.ok(f.evidence.in_victim_only, v .. ": ... held in the victim cache only")
  end
  tap.is(#D.at_least(D.run(c, "pool-misuse"), "warning"), 0,
         v .. ": pool-misuse: 64 KiB chunks are not oversized by default")
  -- the allocs profile alone: the pool's New ran below sync.(*Pool).Get,
  -- when go tool pprof says a sample went through Get at all (at the
  -- default rate the 8 allocations may all go unsampled)
  local top = io.open(dir .. "/pprof-top/allocs.alloc_space.txt")
  local sampled = top and top:read("*a"):find("sync.(*Pool).Get", 1, true)
  if top then top:close() end
  if not sampled then
    tap.skip(v .. ": pool-misuse on allocs.pb.gz alone: pprof shows no sample through sync.(*Pool).Get")
    return
  end
  local a = hs.load(dir .. "/allocs.pb.gz")
  local af = D.run(a, "pool-misuse", { min_new_bytes = 1 })
  local nf
  for _, x in ipairs(af) do
    if x.evidence.new_function == pc.site then nf = x end
  end
  tap.ok(nf, v .. ": pool-misuse on allocs.pb.gz alone: New " .. pc.site .. " seen below Get")
  if nf then tap.is(nf.severity, "info", v .. ": ... as info (a few chunks)") end
end

-- Objects of one site, each held by a root of its own: the leaky workers'
-- 8 KiB scratch buffers, referenced only from their 50 goroutines' stacks.
-- Sites need every allocation sampled: rate-1 samples only.
local function dominant_group(v, dir, facts, c)
  if facts.memprofilerate ~= 1 then return end
  local sc = facts.leaky_worker_scratch
  local fs = D.run(c, "dominant-retainer", { min_share = 0.005, min_bytes = 0 })
  local f = D.at_site(fs, sc.site)
  tap.ok(f, v .. ": dominant-retainer groups the scratch buffers at " .. sc.site)
  if f then
    tap.ok(D.near(f.count, sc.count), v .. ": ... count near " .. sc.count .. " (got " .. f.count .. ")")
    tap.ok(D.near(f.bytes, sc.total_bytes), v .. ": ... bytes near total_bytes (got " .. f.bytes .. ")")
    tap.like(f.evidence.path[1], "^goroutine %d+", v .. ": ... each held from a goroutine's stack")
  end
end

local checks = { slice_retention, dominant_retainer, dominant_group, finalizer_cycle, pool_misuse }

for _, v in ipairs({ "go1.19", "go1.23" }) do
  for _, name in ipairs({ "leaky", "leaky-rate1" }) do
    local dir = "samples/" .. v .. "/" .. name
    local facts = json.read(dir .. "/facts.json")
    if not facts then
      tap.skip(dir .. ": no facts.json (samples not generated)")
    else
      local c = hs.load(dir)
      for _, check in ipairs(checks) do check(v .. "/" .. name, dir, facts, c) end
      c = nil
      collectgarbage()
    end
  end
end

-- http-body-leak on prometheus (which scrapes itself over HTTP): each
-- goroutine evidence alone counts the client connections go tool pprof
-- counts (readLoop goroutines in the goroutine profile), and none is a
-- warning.
do
  local dir = "samples/thirdparty/prometheus"
  local f = io.open(dir .. "/pprof-top/goroutine.goroutine.txt")
  local want
  if f then
    for line in f:lines() do
      local cum = line:match("^%s*%S+%s+%S+%s+%S+%s+(%d+)%s+%S+%s+net/http%.%(%*persistConn%)%.readLoop$")
      if cum then want = tonumber(cum) end
    end
    f:close()
  end
  if not want then
    tap.skip(dir .. ": pprof shows no persistConn.readLoop", 6)
  else
    for _, name in ipairs({ "goroutine.pb.gz", "goroutines-debug1.txt", "goroutines-debug2.txt" }) do
      local fs = D.run(hs.load(dir .. "/" .. name), "http-body-leak")
      tap.is(#D.at_least(fs, "warning"), 0, dir .. "/" .. name .. ": http-body-leak: no warning")
      tap.is(fs[1] and fs[1].count, want, dir .. "/" .. name .. ": ... counts the " .. want
        .. " connection(s) pprof shows")
    end
  end
end

-- Controls: nothing at warning or above.
local ids = { "slice-retention", "dominant-retainer", "finalizer-cycle", "pool-misuse", "http-body-leak" }
for _, dir in ipairs({ "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/thirdparty/prometheus" }) do
  local c = hs.load(dir)
  for _, id in ipairs(ids) do
    local bad = D.at_least(D.run(c, id), "warning")
    tap.is(#bad, 0, dir .. ": " .. id .. " reports nothing at warning or above"
      .. (bad[1] and (" (got: " .. bad[1].title .. ")") or ""))
  end
  c = nil
  collectgarbage()
end

os.exit(tap.done() == 0 and 0 or 1)
