-- goroutine-leak: many goroutines parked at the same place.
--
-- Evidence, best first (one snapshot is judged, so nothing counts twice):
--   heap dump       heap.goroutines + heap.frames: states, stacks, the bytes
--                   of their frames, and what only their stacks reference
--                   (objects whose every referrer is a frame of the group:
--                   their retained sizes, dominator subtrees included)
--   goroutine dump  case.goroutines, one snapshot (debug=2 or a crash
--                   traceback, else debug=1): states, wait minutes, creators
--   goroutine profile  profiles.goroutine: counts and stacks only
-- Goroutines are grouped by wait state, creator and stack.  An idle worker
-- pool also parks many goroutines at one place, so a group of at least
-- min_count blocked on a channel, select, lock, Cond or WaitGroup with a
-- frame in the user's code is a warning (error from error_count) only when
-- the evidence shows it is stuck: waiting min_wait_minutes or more (the
-- minutes of a debug=2 dump or a traceback; in a heap dump, the last GC's
-- start minus waitsince, the start of the first GC that found the
-- goroutine blocked), or holding min_retained bytes that only its stacks
-- reference; otherwise it is info.  Nil channels and empty selects block
-- forever, so any such group is a warning, except the main goroutine: a
-- server's main parked in `select {}` is how it waits for its lifetime.
-- Groups in IO wait or sleep are info: servers keep idle connections.
local stack = require "lib.stack"
local ev = require "lib.evidence"
local heap = require "lib.heap"

-- wait state -> class; the class picks the severity and the advice
local function classify(state)
  if state == nil or state == "" then return "unknown" end
  if state:find("nil chan", 1, true) or state:find("no cases", 1, true) then return "forever" end
  if state:find("^chan receive") then return "recv" end
  if state:find("^chan send") then return "send" end
  if state:find("^select") then return "select" end
  if state:find("^semacquire") or state:find("Mutex") then return "lock" end
  if state:find("Cond") then return "cond" end
  if state:find("WaitGroup") then return "wg" end
  if state:find("^IO wait") then return "io" end
  if state:find("^sleep") then return "sleep" end
  if state:find("^running") or state:find("^runnable") or state:find("^syscall") then return "active" end
  return "other"
end

-- the wait state a stack implies, for evidence that has none (debug=1
-- dumps and goroutine profiles)
local implied = {
  { "runtime.chanrecv", "chan receive" }, { "runtime.chansend", "chan send" },
  { "runtime.selectgo", "select" }, { "runtime.block", "select (no cases)" },
  { "sync.runtime_SemacquireMutex", "sync.Mutex.Lock" }, { "sync.(*Mutex).Lock", "sync.Mutex.Lock" },
  { "sync.(*RWMutex).Lock", "sync.RWMutex.Lock" }, { "sync.(*RWMutex).RLock", "sync.RWMutex.RLock" },
  { "sync.runtime_notifyListWait", "sync.Cond.Wait" }, { "sync.(*WaitGroup).Wait", "sync.WaitGroup.Wait" },
  { "internal/poll.runtime_pollWait", "IO wait" }, { "time.Sleep", "sleep" },
}
local function state_of(funcs)
  for _, f in ipairs(funcs) do
    for _, p in ipairs(implied) do
      if f == p[1] then return p[2] end
    end
  end
  return ""
end

local advice = {
  recv = "nothing sends on or closes the channel they wait on: close it when the producer is done, or give each goroutine a way out (select on ctx.Done() and cancel the context)",
  send = "nobody receives what they send: keep a receiver draining the channel until every sender is done, size a buffered channel for all senders, or select on ctx.Done()",
  select = "none of the select's cases becomes ready: add a case <-ctx.Done() and cancel the context when the work is abandoned",
  forever = "a nil channel or an empty select{} blocks forever: initialise the channel before use, or remove the goroutine",
  lock = "a lock that is never released: unlock with defer mu.Unlock() on every return path (and never copy a sync.Mutex)",
  cond = "a sync.Cond that nobody signals: Broadcast whenever the condition changes, or use a channel",
  wg = "a WaitGroup whose Done calls do not match its Add: call defer wg.Done() at the top of every goroutine counted",
  io = "connections or reads without a deadline: set timeouts (http.Server ReadTimeout/IdleTimeout, http.Client Timeout, conn.SetDeadline) and close response bodies",
  sleep = "goroutines sleeping in a loop: use a time.Ticker with a select on ctx.Done() so they can stop",
  unknown = "this evidence does not record their state; a debug=2 goroutine dump or a heap dump shows whether they are blocked and on what",
}

local severe = { recv = true, send = true, select = true, lock = true, cond = true, wg = true, unknown = true }

-- The creator of a goroutine started from a closure or a go-statement
-- wrapper: its start function (the frame above runtime.goexit) is named
-- after the function that holds the go statement ("main.start.func1",
-- Go 1.21+ "main.start.gowrap1").
local function creator_of(funcs)
  local n = #funcs
  if funcs[n] == "runtime.goexit" then n = n - 1 end
  local start = funcs[n]
  if not start then return nil end
  return start:match("^(.-)%.gowrap%d+$") or start:match("^(.-)%.func%d+[%.%d]*$")
end

-- the main goroutine alone: its stack starts at runtime.main, or at
-- main.main where a dump leaves the runtime's frames out (debug=1/2)
local function is_main(g)
  local n = #g.funcs
  if g.funcs[n] == "runtime.goexit" then n = n - 1 end
  return g.count == 1 and (g.funcs[n] == "runtime.main" or g.funcs[n] == "main.main")
end

-- group[key] = {state, cls, count, funcs, frames, created_by, wait ...}
local function add(groups, order, state, frames, count, extra)
  local funcs = stack.funcs(frames)
  if state == "" then state = state_of(funcs) end
  local cb = extra and extra.created_by or ""
  local key = state .. "\0" .. cb .. "\0" .. table.concat(funcs, "\n")
  local g = groups[key]
  if not g then
    g = { state = state, cls = classify(state), count = 0, funcs = funcs, frames = frames,
          site = stack.site(frames), ids = {} }
    groups[key] = g
    order[#order + 1] = g
  end
  g.count = g.count + count
  if extra then
    if extra.id then g.ids[#g.ids + 1] = extra.id end
    if extra.created_by and extra.created_by ~= "" then g.created_by = g.created_by or extra.created_by end
    if extra.wait then
      g.wait_min = math.min(g.wait_min or extra.wait, extra.wait)
      g.wait_max = math.max(g.wait_max or extra.wait, extra.wait)
    end
    if extra.stack_bytes then g.stack_bytes = (g.stack_bytes or 0) + extra.stack_bytes end
  end
  return g
end

-- From a heap dump: non-system goroutines with their frames and frame bytes.
local function from_heap(h)
  local gt, ft = h.goroutines, h.frames
  local groups, order = {}, {}
  if not gt or #gt == 0 then return nil end
  local stacks = stack.group(ft, "goroutine", "func")
  local fg, fsize = ft:column("goroutine"), ft:column("size")
  local bytes = {}
  for _, r in ft:rows() do
    local id = tonumber(fg[r])
    bytes[id] = (bytes[id] or 0) + tonumber(fsize[r])
  end
  local gid, gsys, since = gt:column("id"), gt:column("system"), gt:column("waitsince")
  local reason, cb = ev.text(gt, "wait_reason"), ev.text(gt, "created_by")
  -- waitsince is the start (nanotime) of the first GC that found the
  -- goroutine blocked; the latest of them is about the last GC's start,
  -- which comes right before the dump: "now", for minutes waited.
  local now = 0
  for _, r in gt:rows() do now = math.max(now, tonumber(since[r])) end
  for i, r in gt:rows() do
    local id = tonumber(gid[r])
    if tonumber(gsys[r]) == 0 then
      local ws = tonumber(since[r])
      add(groups, order, reason(i, r), stacks[id] or {}, 1,
          { id = id, stack_bytes = bytes[id] or 0, created_by = cb(i, r),
            wait = ws > 0 and (now - ws) / 60e9 or nil })
    end
  end
  return order, "heap dump"
end

-- case.goroutines is one snapshot already (the most complete dump when a
-- case holds several: see case.goroutine_snapshots); its rows are a view,
-- read by base row through the columns.
local function from_text(c)
  local t = c.goroutines
  if not t or #t == 0 then return nil end
  local stacks = stack.group(c:table("goroutines.frames"), "goroutine", "func", "file", "line")
  local gid, cnt, wm = t:column("id"), t:column("count"), t:column("wait_minutes")
  local state, cb = ev.text(t, "state"), ev.text(t, "created_by")
  local groups, order = {}, {}
  for i, r in t:rows() do
    -- a per-goroutine form (an id) prints ", N minutes" from one minute on,
    -- so no minutes there means less than one; debug=1 says nothing
    local id = tonumber(gid[r])
    add(groups, order, state(i, r), stacks[r] or {}, tonumber(cnt[r]),
        { id = id ~= 0 and id or nil, wait = id ~= 0 and tonumber(wm[r]) or nil, created_by = cb(i, r) })
  end
  return order, t:get(1, "source")
end

local function from_profile(c)
  local profs = c.profiles or {}
  local p = profs.goroutine
  for k, q in pairs(profs) do
    if k:find("^goroutine_%d+$") and (q.time or 0) > ((p and p.time) or 0) then p = q end
  end
  if not p or not p.samples or #p.samples == 0 then return nil end
  local vals = p.samples:column(p.default_sample_type or p.sample_types[#p.sample_types])
  local groups, order = {}, {}
  for i = 1, #p.samples do
    add(groups, order, "", p:stack(i), tonumber(vals[i - 1]))
  end
  return order, tostring(p.source or "goroutine profile")
end

-- What only the group's stacks reference: objects the group's frames point
-- at whose every referrer is one of those frames.  Cost: a referrer lookup
-- per distinct object a frame points at.
local function retained_by(h, g)
  local mine = {}
  for _, id in ipairs(g.ids) do mine[id] = true end
  local rt = h.roots
  local kind, target, gor = ev.text(rt, "kind"), rt:column("target"), rt:column("goroutine")
  local seen, bytes, nobj = {}, 0, 0
  for i, r in rt:rows() do
    if mine[tonumber(gor[r])] and kind(i, r) == "frame" then
      local o = h:object(tonumber(target[r]))
      if o and not seen[o.id] then
        seen[o.id] = true
        local only = #o:referrers() == 0
        if only then
          for _, x in ipairs(o:roots()) do
            if x.kind ~= "frame" or not mine[x.goroutine] then only = false; break end
          end
        end
        if only then
          bytes = bytes + o.retained
          nobj = nobj + 1
        end
      end
    end
  end
  return bytes, nobj
end

-- creators by site from any goroutine dump in the case (a heap dump has
-- only the creator's PC), and the minutes goroutines at each site have
-- waited: the shortest wait of a snapshot, the longest over snapshots
-- (a heap dump's estimate starts only at the first GC that saw them wait)
local function from_dumps(c)
  local cbs, waits = {}, {}
  local t = c:table("goroutines") -- every snapshot
  if not t or #t == 0 then return cbs, waits end
  local stacks = stack.group(c:table("goroutines.frames"), "goroutine", "func")
  local created, source = ev.text(t, "created_by"), ev.text(t, "source")
  local gid, wm = t:column("id"), t:column("wait_minutes")
  local per = {}
  for i, r in t:rows() do
    local s = stack.site(stacks[r] or {})
    if s then
      local cb = created(i, r)
      if cb ~= "" and not cbs[s] then cbs[s] = cb end
      if tonumber(gid[r]) ~= 0 then
        local key = source(i, r) .. "\0" .. s
        local w = tonumber(wm[r])
        if not per[key] or w < per[key].w then per[key] = { site = s, w = w } end
      end
    end
  end
  for _, x in pairs(per) do waits[x.site] = math.max(waits[x.site] or 0, x.w) end
  return cbs, waits
end

return {
  id = "goroutine-leak",
  summary = "many goroutines parked at the same place (same stack and wait state), with what they hold",
  needs = { "heap", "goroutines", "profiles.goroutine" },
  params = { min_count = 20, min_wait_minutes = 1, min_retained = 64 * 1024, error_count = 10000,
             max_frames = 12 },
  run = function(case, emit, params)
    local h = case.heap
    local groups, source
    if h then groups, source = from_heap(h) end
    if not groups then groups, source = from_text(case) end
    if not groups then groups, source = from_profile(case) end
    if not groups then return end
    local cb_by_site, wait_by_site = from_dumps(case)
    local from_dump = h and source == "heap dump"
    for _, g in ipairs(groups) do
      local cls = g.cls
      local big = g.count >= params.min_count
      if (big and (severe[cls] or cls == "io" or cls == "sleep")) or (cls == "forever" and g.site and not is_main(g)) then
        local rb, rn = 0, 0
        if from_dump and g.site and (severe[cls] or cls == "forever") then rb, rn = retained_by(h, g) end
        if from_dump and g.site and wait_by_site[g.site] then
          local w = wait_by_site[g.site]
          g.wait_min, g.wait_max = math.max(g.wait_min or 0, w), math.max(g.wait_max or 0, w)
        end
        local long = g.wait_min and g.wait_min >= params.min_wait_minutes
        local holds = rb >= params.min_retained
        local sev = "info"
        if cls == "forever" then sev = "warning"
        elseif severe[cls] and g.site and (long or holds) then
          sev = g.count >= params.error_count and "error" or "warning"
        end
        local site = g.site or g.funcs[1] or "?"
        local cb = g.created_by or (g.site and cb_by_site[g.site]) or creator_of(g.funcs)
        local e = { stack = stack.lines(g.frames, params.max_frames), state = g.state ~= "" and g.state or nil,
                    count = g.count, created_by = cb, source = source }
        local held, bytes
        if from_dump then
          e.stack_bytes, e.retained_bytes, e.retained_objects = g.stack_bytes, rb, rn
          bytes = g.stack_bytes + rb
          held = ("they hold %s of stack frames%s"):format(hs.bytes(g.stack_bytes),
            rn > 0 and (" and %s that only their stacks reference (%s and what those keep)"):format(hs.bytes(rb), heap.count(rn, "object")) or "")
        else
          bytes = g.count * 2048
          e.stack_bytes_min = bytes
          held = ("their stacks take at least %s (2 KiB each; a heap dump shows what they keep alive)"):format(hs.bytes(bytes))
        end
        local waited = ""
        if g.wait_min then
          e.wait_minutes = { min = ev.round(g.wait_min, 3), max = ev.round(g.wait_max, 3) }
          local m = math.floor(g.wait_min)
          waited = m >= 1 and (", for %d minute%s or more"):format(m, m == 1 and "" or "s")
                   or ", for less than a minute"
        end
        local ids = {}
        for k = 1, math.min(#g.ids, 10) do ids[k] = g.ids[k] end
        if #ids > 0 then e.goroutine_ids = ids end
        local state = g.state ~= "" and g.state or "an unrecorded state"
        local verdict
        if sev ~= "info" then
          verdict = (advice[cls] or advice.unknown):gsub("^%l", string.upper)
        else
          verdict = "Nothing here shows they are stuck: an idle worker pool looks the same. They leak if they wait for minutes "
            .. "(a debug=2 goroutine dump shows how long) or hold memory only they reference (a heap dump shows it); if so, "
            .. (advice[cls] or advice.unknown)
        end
        emit {
          severity = sev,
          title = ("%s parked in %s (%s)"):format(heap.count(g.count, "goroutine"), stack.short(site), state),
          message = ("%s%s wait%s in %s on %s%s; %s. %s."):format(heap.count(g.count, "goroutine"),
            cb and (" created by " .. cb) or "", g.count == 1 and "s" or "", site, state, waited, held, verdict),
          bytes = bytes, count = g.count, site = g.site, evidence = e,
        }
      end
    end
  end,
}
