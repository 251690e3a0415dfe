-- dominant-retainer: Eclipse MAT's leak suspects, for Go heap dumps.
--
-- A suspect is a top-level dominator (an object only a GC root dominates)
-- retaining a large share of the live heap, or a set of top-level
-- dominators of one type or allocation site that do together.  From each
-- single suspect the finding descends to the accumulation point: the
-- largest dominated child while it keeps most (ratio) of its parent's
-- retained size, stopping at the head of a chain of like objects, so a
-- linked list or ring of thousands of nodes is one finding at the node
-- where it accumulates, not thousands.  Each finding shows the path from a
-- root and what the point holds (objects, bytes, sites, types).
--
-- One snapshot cannot tell a leak from a large structure that is meant to
-- be large, so a suspect is `info`, and `warning` only when it holds most
-- of the heap (warn_share) in many objects (warn_objects): a memory ballast
-- (one object) or a bounded cache of moderate share stays info.
local lib = require "lib.heap"
local stack = require "lib.stack"

local M = {
  id = "dominant-retainer",
  summary = "objects or groups of objects (one site or type) retaining a large share of the heap",
  needs = { "heap" },
  params = {
    min_share = 0.1,         -- a suspect retains at least this share of the live heap
    min_bytes = 1048576,     -- ... and at least this many bytes
    ratio = 0.7,             -- descend while a child keeps this share of its parent
    warn_share = 0.5,        -- warning: the suspect holds at least this share ...
    warn_objects = 1000,     -- ... in at least this many objects
    max_findings = 10,
  },
}

-- Site name of a memprof bucket (1-based heap.memprof row), or nil.
local function bucket_site(h, b)
  if not b or b == 0 then return nil end
  local st = h:_stack(b)
  if not st then return nil end
  return stack.site(st) or st.func, st
end

-- What a summary says the point holds, as lines; and its main site.
local function holdings(h, s)
  local by, order, site, st = {}, {}, nil, nil
  for _, g in ipairs(s.sites) do
    local name, gst = bucket_site(h, g.bucket)
    if name and not site then site, st = name, gst end
    name = name or "(not sampled)"
    local x = by[name]
    if not x then
      x = { name = name, objects = 0, bytes = 0 }
      by[name] = x
      order[#order + 1] = x
    end
    x.objects, x.bytes = x.objects + g.objects, x.bytes + g.bytes
  end
  local out = {}
  for k, x in ipairs(order) do
    if k > 4 then break end
    out[k] = ("%s, %s allocated at %s"):format(lib.count(x.objects, "object"), hs.bytes(x.bytes), x.name)
  end
  return out, site, st
end

local function type_name(h, id)
  local o = h:object_at(id)
  return o and o.type
end

function M.run(case, emit, params)
  local h = case.heap
  if not h then return end
  local n = #h.objects
  local g = h.graph
  local ret, idom = g:column("retained"), g:column("idom")
  local tcol, bcol = h.objects:column("type"), h.objects:column("bucket")
  local total = h.stats.reachable_bytes
  if total <= 0 then return end
  local floor = math.max(params.min_bytes, params.min_share * total)

  -- top-level dominators: single suspects, and groups by type word or site
  local singles, groups, order = {}, {}, {}
  for i = 0, n - 1 do
    if idom[i] == n then
      local r = tonumber(ret[i])
      if r >= floor then singles[#singles + 1] = i end
      local t, b = tcol[i], bcol[i]
      local key = t ~= 0 and ("type " .. tostring(tonumber(t))) or (b ~= 0 and ("site " .. tonumber(b)) or nil)
      if key then
        local grp = groups[key]
        if not grp then
          grp = { key = key, n = 0, bytes = 0, first = i + 1, bucket = tonumber(b), type = tonumber(t) }
          groups[key] = grp
          order[#order + 1] = key
        end
        grp.n = grp.n + 1
        grp.bytes = grp.bytes + r
      end
    end
  end
  table.sort(singles, function(a, b)
    local ra, rb = tonumber(ret[a]), tonumber(ret[b])
    if ra ~= rb then return ra > rb end
    return a < b
  end)
  while #singles > params.max_findings do singles[#singles] = nil end

  local ids = {}                               -- object ids are 1-based (o.id)
  for k, i in ipairs(singles) do ids[k] = i + 1 end
  local acc = h:accumulation(ids, params.ratio)
  local points = {}
  for k, a in ipairs(acc) do points[k] = a.to end
  local sums = h:dominated_summary(points)
  local is_single = {}
  for k, top in ipairs(singles) do
    is_single[top] = true
    local p, s = points[k], sums[k]
    local r = tonumber(ret[top])
    local share = r / total
    local held, site, st = holdings(h, s)
    if not site then site, st = lib.site(h, p) end
    local chain = s.like > 1
    local count = chain and s.like or s.objects
    local what = lib.describe(h, p)
    local title
    if chain then
      title = ("%d like objects chained from %s retain %s (%.0f%% of the heap)"):format(s.like,
        what, hs.bytes(r), share * 100)
    else
      title = ("%s retains %s (%.0f%% of the heap) in %s"):format(what, hs.bytes(r),
        share * 100, lib.count(s.objects, "object"))
    end
    local sev = (share >= params.warn_share and s.objects >= params.warn_objects) and "warning" or "info"
    emit {
      severity = sev,
      title = title,
      message = ("%s of the live heap is kept alive through one object%s. If this structure "
        .. "should not grow, find what adds to it%s and bound it (evict, cap its size) or drop "
        .. "entries when they are done; if it is meant to be this large, this is where the "
        .. "memory is."):format(("%.0f%%"):format(share * 100),
        chain and ", the head of a chain of like objects (a list or ring)" or "",
        site and (" (allocations at " .. site .. ")") or ""),
      bytes = r, count = count, site = site,
      evidence = {
        retained_bytes = r,
        heap_share = math.floor(share * 1000 + 0.5) / 1000,
        live_heap_bytes = total,
        suspect = lib.describe(h, top + 1),
        accumulation_point = what,
        steps_down = acc[k].steps,
        dominated_objects = s.objects,
        like_objects = s.like,
        holds = held,
        path = lib.path(h, p),
        stack = st and stack.lines(st, 8) or nil,
      },
    }
  end

  -- groups: many top-level dominators of one type or site
  local found = {}
  for _, key in ipairs(order) do
    local grp = groups[key]
    if grp.n >= 2 and grp.bytes >= floor then found[#found + 1] = grp end
  end
  table.sort(found, function(a, b)
    if a.bytes ~= b.bytes then return a.bytes > b.bytes end
    return a.key < b.key
  end)
  for k, grp in ipairs(found) do
    if k > params.max_findings then break end
    local site, st = bucket_site(h, grp.bucket)
    if not site then site, st = lib.site(h, grp.first) end
    local tn = grp.type and grp.type ~= 0 and type_name(h, grp.first)
    local label = tn or (grp.key:find("^type") and ("objects of one type (like %s)"):format(
      lib.describe(h, grp.first))) or ("objects allocated at " .. (site or "one site"))
    local share = grp.bytes / total
    emit {
      severity = "info",
      title = ("%d %s, each held by its own root, retain %s (%.0f%% of the heap)"):format(grp.n,
        label, hs.bytes(grp.bytes), share * 100),
      message = ("No single object holds this memory, but %d objects of one %s do together, each "
        .. "reached from a GC root of its own (globals, goroutine stacks). If their number "
        .. "should not grow, find what creates them%s and what keeps them."):format(grp.n,
        grp.key:find("^type") and "type" or "allocation site", site and (" (" .. site .. ")") or ""),
      bytes = grp.bytes, count = grp.n, site = site,
      evidence = {
        retained_bytes = grp.bytes,
        heap_share = math.floor(share * 1000 + 0.5) / 1000,
        live_heap_bytes = total,
        objects = grp.n,
        example = lib.describe(h, grp.first),
        path = lib.path(h, grp.first),
        stack = st and stack.lines(st, 8) or nil,
      },
    }
  end
end

return M
