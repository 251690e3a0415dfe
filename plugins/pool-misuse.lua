-- pool-misuse: sync.Pool used in ways that keep memory instead of saving it.
--
-- From a heap dump: every sync.Pool (found by its shape, see
-- include/heapscope/scan.h) and what its per-P arrays hold -- the current
-- ones and the victim kept for one more GC cycle.  A pool holding
-- oversized objects (buffers that grew to MiBs and were put back) keeps
-- them for as long as the pool is used: each Get may hand out a huge
-- buffer for a small job.  Objects a pool holds that something outside the
-- pool also references were put back while still in use (an alias of a
-- pooled buffer: the next Get hands the same memory to a second user).
--
-- From an allocs profile: allocations made by a pool's New, called from
-- sync.(*Pool).Get -- if New runs on most gets, the pool saves nothing
-- (Put missing, or the pool cleared by every GC before reuse).
local lib = require "lib.heap"
local stack = require "lib.stack"

local M = {
  id = "pool-misuse",
  summary = "sync.Pool holding oversized or still-referenced objects; a pool whose New runs on most gets",
  needs = { "heap", "profiles.allocs" },
  params = {
    max_object = 1048576,    -- pooled objects this large are oversized
    min_oversized = 1048576, -- oversized bytes in one pool before a warning
    min_new_bytes = 67108864, -- allocations by a pool's New before it is reported
    new_share = 0.25,        -- ... as a warning when they are this share of all allocations
  },
}

local function pool_where(h, x)
  if x.root then return lib.root_text(h, x.container) end
  return ("object %s, offset %d"):format(lib.describe(h, x.container), x.off)
end

local function from_dump(case, emit, params)
  local h = case.heap
  if not h then return end
  for _, x in ipairs(h:scan_pools()) do
    local arrays = {}
    if x["local"] then arrays[#arrays + 1] = x["local"] end
    if x.victim then arrays[#arrays + 1] = x.victim end
    local sums = h:dominated_summary(arrays, params.max_object)
    local objs, bytes, big, bigbytes, site, st = 0, 0, 0, 0, nil, nil
    for k, s in ipairs(sums) do
      objs = objs + s.objects - 1 -- the array itself is not pooled
      bytes = bytes + s.bytes - h:object_at(arrays[k]).size
      big, bigbytes = big + s.big, bigbytes + s.big_bytes
      for _, gr in ipairs(s.sites) do
        if not site and gr.bucket ~= 0 then
          local bst = h:_stack(gr.bucket)
          if bst then site, st = stack.site(bst) or bst.func, bst end
        end
      end
    end
    local ev = {
      pool = pool_where(h, x),
      per_p_arrays = #arrays,
      gomaxprocs = x.local_size > 0 and x.local_size or x.victim_size,
      held_objects = objs,
      held_bytes = bytes,
      in_victim_only = x["local"] == nil,
      path = lib.path(h, arrays[1]),
      stack = st and stack.lines(st, 8) or nil,
    }
    if big > 0 and bigbytes >= params.min_oversized then
      ev.oversized_objects, ev.oversized_bytes = big, bigbytes
      emit {
        severity = "warning",
        title = ("a sync.Pool holds %s of %s or more (%s)"):format(lib.count(big, "object"),
          hs.bytes(params.max_object), hs.bytes(bigbytes)),
        message = ("The pool at %s keeps %s in objects of at least %s: buffers that grew for a "
          .. "large job and were put back, handed out again for small ones and never freed while "
          .. "the pool is busy. Do not Put objects above a size limit (check cap(buf) before "
          .. "Put), or keep separate pools per size class."):format(ev.pool, hs.bytes(bigbytes),
          hs.bytes(params.max_object)),
        bytes = bigbytes, count = big, site = site, evidence = ev,
      }
    end
    -- aliases: pooled objects also referenced from outside the pool
    local al = h:pool_aliases(arrays)
    if al.count > 0 then
      ev.aliased_objects, ev.aliased_bytes = al.count, al.bytes
      ev.alias_example = lib.describe(h, al.first)
      ev.alias_path = lib.path(h, al.first)
      local asite, ast = lib.site(h, al.first)
      ev.alias_stack = ast and stack.lines(ast, 8) or nil
      emit {
        severity = "warning",
        title = ("%s a sync.Pool holds %s still referenced elsewhere (%s)"):format(
          lib.count(al.count, "object"), al.count == 1 and "is" or "are", hs.bytes(al.bytes)),
        message = ("Objects in the pool at %s are also reachable from outside it: they were put "
          .. "back while something still used them, so the next Get hands the same memory to a "
          .. "second user. Put an object back only when nothing refers to it any more (no slice "
          .. "of a pooled buffer may outlive the Put)."):format(ev.pool),
        bytes = al.bytes, count = al.count, site = asite or site, evidence = ev,
      }
    end
  end
end

-- Allocations below sync.(*Pool).Get: made by the pool's New.
local function from_allocs(case, emit, params)
  local p = case.profiles and case.profiles.allocs
  if not p or not p.samples or #p.samples == 0 then return end
  local has = {}
  for _, t in ipairs(p.sample_types) do has[t] = true end
  if not has.alloc_space then return end
  local total = p:total("alloc_space")
  if total <= 0 then return end
  local sp, ob = p.samples:column("alloc_space"), has.alloc_objects and p.samples:column("alloc_objects")
  local groups, order = {}, {}
  for i = 1, #p.samples do
    local fr = p:stack(i)
    for k = 2, #fr do
      if fr[k] == "sync.(*Pool).Get" then
        local new = fr[k - 1]
        local caller = {}
        for j = k + 1, #fr do caller[#caller + 1] = fr[j] end
        local site = stack.site(caller) or new
        local key = new .. "\0" .. site
        local gr = groups[key]
        if not gr then
          gr = { new = new, site = site, bytes = 0, objects = 0, stack = fr }
          groups[key] = gr
          order[#order + 1] = key
        end
        gr.bytes = gr.bytes + tonumber(sp[i - 1])
        gr.objects = gr.objects + (ob and tonumber(ob[i - 1]) or 0)
        break
      end
    end
  end
  for _, key in ipairs(order) do
    local gr = groups[key]
    if gr.bytes >= params.min_new_bytes then
      local share = gr.bytes / total
      emit {
        severity = share >= params.new_share and "warning" or "info",
        title = ("a sync.Pool's New (%s) allocated %s through Get at %s (%.0f%% of all allocation)"):format(
          gr.new, hs.bytes(gr.bytes), gr.site, share * 100),
        message = "Get called New for these allocations, so the pool handed out new objects "
          .. "instead of reused ones. Make sure every Get is paired with a Put once the object "
          .. "is done with; a pool is also emptied by each GC (the victim cache keeps it one "
          .. "cycle longer), so under heavy GC the pool cannot help and fewer allocations will.",
        bytes = gr.bytes, count = gr.objects > 0 and gr.objects or nil, site = gr.site,
        evidence = { new_function = gr.new, alloc_bytes = gr.bytes, alloc_objects = gr.objects,
                     share_of_allocations = share, stack = stack.lines(gr.stack, 8) },
      }
    end
  end
end

function M.run(case, emit, params)
  from_dump(case, emit, params)
  from_allocs(case, emit, params)
end

return M
