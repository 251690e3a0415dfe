-- The heap detectors on the dedicated sample programs (samples/src/retain,
-- slice, finalizer, pool, httpleak -> http-body and http-transport: one
-- planted problem in each shape),
-- against their facts.json; a program whose evidence is not generated, or
-- whose facts lack a key, is skipped with the reason.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")

hs.open_options = { nocache = true } -- never write index files into samples/
local ROOT = os.getenv("HS_SAMPLES") or "samples"

-- the finding of `id` whose bytes are near `bytes` (and count near `count`)
local function near_finding(fs, bytes, count)
  for _, f in ipairs(fs) do
    if D.near(f.bytes, bytes) and (not count or D.near(f.count, count)) then return f end
  end
end

local function site_ok(f, want, facts, what)
  tap.ok(f.site == want or (f.site == nil and facts.memprofilerate ~= 1),
         what .. " at " .. want .. " (got " .. tostring(f.site) .. ")")
end

local function need(facts, keys, what)
  for _, k in ipairs(keys) do
    if facts[k] == nil then
      tap.skip(what .. ": facts.json has no " .. k)
      return false
    end
  end
  return true
end

local per = {}

-- retain: a ring, a list and a tree, each one finding at its head/root
function per.retain(v, facts, c)
  if not need(facts, { "ring_nodes", "list_nodes", "tree_nodes" }, v) then return end
  local fs = D.run(c, "dominant-retainer", { min_share = 0.05 })
  for _, shape in ipairs({ { "ring", "ring_nodes", "ring_retained_bytes", "ring_head_addr" },
                           { "list", "list_nodes", "list_retained_bytes", "list_head_addr" },
                           { "tree", "tree_nodes", "tree_retained_bytes", "tree_root_addr" } }) do
    local name, nodes, ret, head = shape[1], facts[shape[2]], facts[shape[3]], facts[shape[4]]
    local f = near_finding(fs, ret)
    tap.ok(f, v .. ": dominant-retainer: the " .. name .. " is one finding retaining " .. shape[3])
    if f then
      tap.ok(D.near(f.count, nodes.count), v .. ": ... count near " .. nodes.count .. " (got " .. f.count .. ")")
      tap.like(f.evidence.accumulation_point, ("^0x%x "):format(tonumber(head)),
               v .. ": ... accumulating at " .. shape[4])
      site_ok(f, nodes.site, facts, v .. ": ...")
      tap.like(f.evidence.path[1], "^global ", v .. ": ... with a path from " .. nodes.global)
    end
  end
end

-- slice: byte slices, substrings, stale pointer slots
function per.slice(v, facts, c)
  if not need(facts, { "byte_slices", "strings", "stale_slots_array" }, v) then return end
  local fs = D.run(c, "slice-retention")
  local b = facts.byte_slices
  local f = near_finding(fs, facts.byte_slices_wasted_bytes, b.count)
  tap.ok(f, v .. ": slice-retention: byte_slices, count and byte_slices_wasted_bytes")
  if f then site_ok(f, b.site, facts, v .. ": ...") end
  local s = facts.strings
  f = near_finding(fs, facts.strings_wasted_bytes, s.count)
  tap.ok(f, v .. ": slice-retention: strings, count and strings_wasted_bytes")
  if f then
    site_ok(f, s.site, facts, v .. ": ...")
    tap.like(f.message, "strings%.Clone", v .. ": ... says strings.Clone")
  end
  local so = facts.stale_slots_objects
  f = near_finding(fs, facts.stale_slots_wasted_bytes, so.count)
  tap.ok(f, v .. ": slice-retention: objects kept only by stale slots, count and bytes")
  if f then site_ok(f, facts.stale_slots_array.site, facts, v .. ": ... the array") end
end

-- finalizer: self cycles, pair cycles, a queue behind a blocked finalizer
function per.finalizer(v, facts, c)
  if not need(facts, { "handle_cycles", "pair_cycles", "queued_finalizers", "blocking_finalizer" }, v) then return end
  local fs = D.run(c, "finalizer-cycle")
  for _, k in ipairs({ "handle_cycles", "pair_cycles" }) do
    local x = facts[k]
    local f = D.at_site(fs, x.site)
    if facts.memprofilerate == 1 then
      tap.ok(f and f.severity == "warning" and D.near(f.count, x.count),
             v .. ": finalizer-cycle: " .. k .. ", " .. x.count .. " at " .. x.site)
    else
      tap.skip(v .. ": " .. k .. ": sites need every allocation sampled")
    end
  end
  local q = facts.queued_finalizers
  local qf
  for _, f in ipairs(fs) do
    if f.evidence and f.evidence.queued then qf = f end
  end
  tap.ok(qf and D.near(qf.count, q.count), v .. ": finalizer-cycle: the queue of " .. q.count
    .. " (got " .. tostring(qf and qf.count) .. ")")
  local bf = D.at_site(fs, facts.blocking_finalizer)
  tap.ok(bf and bf.severity == "warning", v .. ": finalizer-cycle: the finalizer goroutine stuck in "
    .. facts.blocking_finalizer)
end

-- pool: oversized buffers, an aliased buffer, New on most gets
function per.pool(v, facts, c)
  if not need(facts, { "oversized_buffers", "aliased_buffer", "churn_new_function" }, v) then return end
  local fs = D.run(c, "pool-misuse")
  local o = facts.oversized_buffers
  local f = near_finding(fs, o.total_bytes, o.count)
  tap.ok(f, v .. ": pool-misuse: oversized_buffers, count and total_bytes")
  if f then site_ok(f, o.site, facts, v .. ": ...") end
  local a = facts.aliased_buffer
  f = near_finding(fs, a.total_bytes, a.count)
  tap.ok(f, v .. ": pool-misuse: the aliased buffer, count and total_bytes")
  if f then tap.like(f.title, "referenced elsewhere", v .. ": ... as still referenced") end
  local nf
  for _, x in ipairs(fs) do
    if x.evidence.new_function == facts.churn_new_function then nf = x end
  end
  tap.ok(nf and nf.site == facts.churn_site, v .. ": pool-misuse: New " .. facts.churn_new_function
    .. " below Get at " .. facts.churn_site)
  if nf then
    tap.ok(D.near(nf.evidence.share_of_allocations, facts.churn_new_share) or
           nf.evidence.share_of_allocations >= 0.5, v .. ": ... most of the allocation")
  end
end

-- the body variant's connections all belong to one Transport
local function one_transport(v, c, facts)
  local f
  for _, x in ipairs(D.run(c, "http-body-leak")) do if x.evidence.transports then f = x end end
  tap.ok(facts.transports == 1 and not f, v .. ": ... one Transport (facts.transports = 1): not a Transport per request")
end

-- httpleak: response bodies not closed
function per.httpleak(v, facts, c, dir)
  if not need(facts, { "bodies_open", "site" }, v) then return end
  local fs = D.at_least(D.run(c, "http-body-leak"), "warning")
  local f = fs[1]
  tap.ok(f and D.near(f.count, facts.bodies_open), v .. ": http-body-leak: " .. facts.bodies_open
    .. " bodies open (got " .. tostring(f and f.count) .. ")")
  if f then
    tap.like(f.message, "resp%.Body%.Close", v .. ": ... says to close the body")
    site_ok(f, facts.site, facts, v .. ": ...")
  end
  -- each goroutine evidence alone says the same, without a site
  for _, name in ipairs({ "goroutines-debug2.txt", "goroutines-debug1.txt", "goroutine.pb.gz" }) do
    local t = hs.load(dir .. "/" .. name)
    local g = D.at_least(D.run(t, "http-body-leak"), "warning")[1]
    tap.ok(g and D.near(g.count, facts.bodies_open), v .. ": ... from " .. name .. " alone too")
  end
  one_transport(v, c, facts)
end

-- httpleak, transport variant: a new Transport per request, bodies closed
function per.httptransport(v, facts, c, dir)
  if not need(facts, { "transports", "persist_conns", "site" }, v) then return end
  local fs = D.run(c, "http-body-leak")
  local f
  for _, x in ipairs(fs) do if x.evidence.transports then f = x end end
  tap.ok(f and f.severity == "warning" and D.near(f.count, facts.transports)
         and D.near(f.evidence.connections, facts.persist_conns),
         v .. ": http-body-leak: " .. facts.transports .. " Transports for " .. facts.persist_conns .. " connections")
  if f then
    tap.like(f.message, "reuse", v .. ": ... says to reuse one Client")
    site_ok(f, facts.site, facts, v .. ": ...")
  end
  tap.is(#D.at_least(D.run(hs.load(dir .. "/goroutines-debug2.txt"), "http-body-leak"), "warning"), 0,
         v .. ": ... a goroutine dump alone cannot tell whose connections they are: no warning")
end

local ran = 0
for _, v in ipairs({ "go1.19", "go1.23" }) do
  -- samples/src/httpleak writes its body variant to http-body/
  for _, prog in ipairs({ "retain", "slice", "finalizer", "pool", "httpleak", "httptransport" }) do
    local dir = ROOT .. "/" .. v .. "/" .. (prog == "httpleak" and "http-body" or prog == "httptransport" and "http-transport" or prog)
    local facts = json.read(dir .. "/facts.json")
    if facts then
      ran = ran + 1
      local c = hs.load(dir)
      per[prog](v .. "/" .. prog, facts, c, dir)
      c = nil
      collectgarbage()
    end
  end
end
if ran == 0 then tap.skip("no dedicated heap samples generated yet (samples/go1.*/retain ...)") end
os.exit(tap.done() == 0 and 0 or 1)
