-- finalizer-cycle: objects with finalizers that reach themselves.
--
-- Go runs a finalizer only once its object is unreachable, and treats the
-- finalizer as a root until then; an object that reaches itself (a <-> b,
-- or a ring) through pointers is therefore never unreachable, its finalizer
-- never runs, and it and everything it reaches stay in the heap forever
-- (runtime.SetFinalizer's documentation: "If a cyclic structure includes a
-- block with a finalizer, that cycle is not guaranteed to be garbage
-- collected").
--
-- From a heap dump: every object in heap.finalizers is checked for a path
-- back to itself (a bounded search in C).  One the program no longer
-- references -- only its finalizer and its own cycle point at it -- has
-- leaked: warning.  One the program still holds will leak when dropped:
-- info.  Also a finalizer queue that has piled up (objects whose
-- finalizers are waiting to run) and the finalizer goroutine stuck in a
-- finalizer (from the heap dump's goroutines or a goroutine dump):
-- finalizers run one at a time on one goroutine, so a slow or blocked
-- finalizer holds all of them.
local lib = require "lib.heap"
local stack = require "lib.stack"
local ev = require "lib.evidence"

local M = {
  id = "finalizer-cycle",
  summary = "objects with finalizers in reference cycles, which Go never collects; a piled-up finalizer queue",
  needs = { "heap", "goroutines" },
  params = {
    min_count = 1,           -- leaked cycles before a warning
    queue_warn = 100,        -- queued finalizers before a warning
    search_budget = 100000,  -- objects visited per search for a cycle
  },
}

-- Is id held only by its finalizer and by objects it dominates (its own
-- cycle)?  Then the program no longer references it.
local function only_self_held(h, o)
  for _, r in ipairs(o:roots()) do
    if r.kind ~= "finalizer" and r.kind ~= "queued_finalizer" then return false end
  end
  for _, u in ipairs(o:referrers()) do
    if u ~= o then
      local d, steps = u:dominator(), 0
      while d and d ~= o and steps < 10000 do d, steps = d:dominator(), steps + 1 end
      if d ~= o then return false end
    end
  end
  return true
end

local function group_emit(h, emit, list, leaked)
  if #list == 0 then return end
  -- one finding per allocation site of the finalized objects
  local groups, order = {}, {}
  for _, x in ipairs(list) do
    local s, st = lib.site(h, x.id)
    local o = h:object_at(x.id)
    local key = s or ("(not sampled) %d %s"):format(o.size, tostring(o.type_addr))
    local g = groups[key]
    if not g then
      g = { site = s, stack = st, ids = {}, bytes = 0 }
      groups[key] = g
      order[#order + 1] = key
    end
    g.ids[#g.ids + 1] = x.id
    g.bytes = g.bytes + x.retained
  end
  table.sort(order, function(a, b)
    if groups[a].bytes ~= groups[b].bytes then return groups[a].bytes > groups[b].bytes end
    return a < b
  end)
  for _, key in ipairs(order) do
    local g = groups[key]
    local n = #g.ids
    local ev = {
      objects = n,
      retained_bytes = g.bytes,
      example = lib.describe(h, g.ids[1]),
      cycle = lib.cycle(h, g.ids[1]),
      path = lib.path(h, g.ids[1]),
      stack = g.stack and stack.lines(g.stack, 8) or nil,
    }
    local at = g.site and (" allocated at " .. g.site) or ""
    local fix = "Break the cycle (set the back pointer to nil when done, or keep the finalizer on a "
      .. "small object outside the cycle), or use runtime.AddCleanup (Go 1.24+), which allows cycles."
    if leaked then
      emit {
        severity = "warning",
        title = ("%s with finalizers%s %s in reference cycles and leaked (%s)"):format(
          lib.count(n, "object"), at, n == 1 and "is" or "are", hs.bytes(g.bytes)),
        message = ("These objects reach themselves through pointers, and nothing else references "
          .. "them: their finalizers will never run and Go will never free them. " .. fix),
        bytes = g.bytes, count = n, site = g.site, evidence = ev,
      }
    else
      emit {
        severity = "info",
        title = ("%s with finalizers%s reach%s themselves (%s) and will leak once dropped"):format(
          lib.count(n, "object"), at, n == 1 and "es" or "", hs.bytes(g.bytes)),
        message = ("The program still references these objects, but each reaches itself through "
          .. "pointers: when the program lets go of them, their finalizers will never run and Go "
          .. "will never free them. " .. fix),
        bytes = g.bytes, count = n, site = g.site, evidence = ev,
      }
    end
  end
end

-- The finalizer goroutine (runtime.runfinq) stuck in a finalizer: its
-- stack from the heap dump, else from one goroutine dump source; the
-- user's function it is in and how it waits, or nil.
local function blocked_runfinq(case)
  local function look(stacks, state_of)
    for g, frames in pairs(stacks) do
      local fin = false
      for _, f in ipairs(frames) do
        if (f.func or f) == "runtime.runfinq" then fin = true end
      end
      local site = fin and stack.site(frames)
      if site then return site, frames, state_of(g) end
    end
  end
  local h = case.heap
  if h and h.goroutines and #h.goroutines > 0 then
    local gt = h.goroutines
    local row = {}
    local gid = gt:column("id")
    for i, r in gt:rows() do row[tonumber(gid[r])] = i end
    local site, frames, state = look(stack.group(h.frames, "goroutine", "func"),
      function(g) return row[g] and gt:get(row[g], "wait_reason") end)
    if site then return site, frames, state, "heap dump" end
  end
  local t = case.goroutines
  local src = t and #t > 0 and ev.best(t)
  if src then
    local all = stack.group(case:table("goroutines.frames"), "goroutine", "func", "file", "line")
    local mine = {}
    for _, r in ipairs(src.rows) do mine[r] = all[r] end
    local i_of = {}
    for i, r in t:rows() do i_of[r] = i end
    local site, frames, state = look(mine, function(r) return t:get(i_of[r], "state") end)
    if site then return site, frames, state, src.name end
  end
end

local function run_heap(case, emit, params)
  local h = case.heap
  if not h or not h.finalizers or #h.finalizers == 0 then return end
  local fin = h.finalizers
  local addr, kind = fin:column("object"), nil
  local ids, seen, nqueued = {}, {}, 0
  for i = 1, #fin do
    local k = fin:get(i, "kind")
    if k ~= "finalizer" then -- "queued": its finalizer waits to run
      nqueued = nqueued + 1
    else
      local o = h:object(tonumber(addr[i - 1]))
      if o and not seen[o.id] then
        seen[o.id] = true
        ids[#ids + 1] = o.id
      end
    end
  end
  local reach = h:reaches_self(ids, params.search_budget)
  local leaked, held = {}, {}
  for k, id in ipairs(ids) do
    if reach[k] == 1 then
      local o = h:object_at(id)
      local x = { id = id, retained = o.retained }
      if only_self_held(h, o) then leaked[#leaked + 1] = x else held[#held + 1] = x end
    end
  end
  if #leaked >= params.min_count then group_emit(h, emit, leaked, true) end
  group_emit(h, emit, held, false)

  if nqueued > 0 then
    emit {
      severity = nqueued >= params.queue_warn and "warning" or "info",
      title = ("%s %s for %s finalizer%s to run"):format(lib.count(nqueued, "object"),
        nqueued == 1 and "waits" or "wait", nqueued == 1 and "its" or "their", nqueued == 1 and "" or "s"),
      message = "Finalizers run one at a time on a single goroutine; a queue this long means "
        .. "finalizers run slower than their objects die (a finalizer that blocks or does I/O "
        .. "holds up all the others, and their objects stay in memory). Keep finalizers short "
        .. "and non-blocking, or close resources explicitly instead.",
      count = nqueued,
      evidence = { queued = nqueued, registered = #fin - nqueued },
    }
  end
end

function M.run(case, emit, params)
  local site, frames, state, source = blocked_runfinq(case)
  if site then
    emit {
      severity = "warning",
      title = ("the finalizer goroutine is stuck in %s%s"):format(site,
        state and state ~= "" and (" (" .. state .. ")") or ""),
      message = ("Go runs every finalizer on one goroutine, one at a time; %s has not returned, "
        .. "so no other finalizer runs and every object waiting for one stays in memory. A "
        .. "finalizer must not block: do the blocking work in a goroutine of its own, or "
        .. "release the resource explicitly (Close) instead."):format(site),
      site = site,
      evidence = { source = source, state = state, stack = stack.lines(frames, 10) },
    }
  end
  run_heap(case, emit, params)
end

return M
