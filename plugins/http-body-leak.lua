-- http-body-leak: net/http client connections piling up.
--
-- Every connection an http.Transport keeps open has two goroutines,
-- net/http.(*persistConn).readLoop and writeLoop.  How readLoop waits says
-- why the connection is open:
--   select   (runtime.selectgo under readLoop) -- a response was handed to
--            the caller and readLoop waits for its body to be read to the
--            end or closed: with many of them, response bodies are not
--            closed, and each holds its connection, buffers and response
--   IO wait  (a read under readLoop) -- the connection is idle in the
--            Transport's pool; one Transport keeps at most MaxIdleConns
--            (100 by default), so far more than that means many
--            Transports: a new http.Transport or http.Client per request
-- A heap dump says which Transport each connection belongs to: the object
-- both goroutines of a connection reference from their frames is its
-- persistConn, whose word after the `alt RoundTripper` interface is its
-- `t *Transport` (net/http since Go 1.6).  Many connections each with a
-- Transport of its own (min_transports or more, at most two connections a
-- Transport) are a Transport per request, however few are idle.
-- Evidence, one source judged (best first): the heap dump's goroutines,
-- a goroutine dump (debug=2, debug=1 or a traceback), the goroutine
-- profile.  The goroutines' stacks never reach the caller's code (the
-- Transport dials from goroutines of its own), so the site comes from the
-- heap profile, when it sampled a request made through http.Client still
-- in use, and is otherwise left empty.
local stack = require "lib.stack"
local ev = require "lib.evidence"

local M = {
  id = "http-body-leak",
  summary = "net/http client connections piling up: response bodies not closed, or a Transport per request",
  needs = { "heap", "goroutines", "profiles.goroutine" },
  params = {
    min_unclosed = 20,   -- readLoops waiting for a body to be closed before a warning
    max_idle = 200,      -- idle readLoops before a warning (two default Transports' worth)
    min_transports = 10, -- Transports with a connection each, from a heap dump, before a warning
  },
}

local READ, WRITE = "net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop"

-- How a readLoop stack waits: "body" (selectgo right under readLoop),
-- "idle" (a read), or nil when it is not a readLoop.
local function read_wait(funcs, state)
  for k, f in ipairs(funcs) do
    if f == READ then
      for j = 1, k - 1 do
        local g = funcs[j]
        if g == "runtime.selectgo" then return "body" end
        if g == "internal/poll.runtime_pollWait" or g:find("^bufio%.") or g:find("^net%.") then
          return "idle"
        end
      end
      -- debug=2 dumps hide the runtime frames; their header says the state
      if state and state:find("^select") then return "body" end
      if state and state:find("^IO wait") then return "idle" end
      -- debug=1 dumps hide them and the state: parked right in readLoop
      -- (no read below it) is its select on the body
      if k == 1 and (state == nil or state == "") then return "body" end
      return "other"
    end
  end
  return nil
end

local function is_write(funcs)
  for _, f in ipairs(funcs) do if f == WRITE then return true end end
  return false
end

-- Count readLoops by how they wait, and writeLoops, over (stack, count)
-- pairs; one example stack of each kind.
local function tally(each)
  local n = { body = 0, idle = 0, other = 0, write = 0 }
  local ex = {}
  each(function(frames, count, state)
    local funcs = stack.funcs(frames)
    local w = read_wait(funcs, state)
    if w then
      n[w] = n[w] + count
      ex[w] = ex[w] or frames
    elseif is_write(funcs) then
      n.write = n.write + count
    end
  end)
  return n, ex
end

-- The connections' persistConns and how many distinct Transports they
-- belong to: persistConns are the objects both a readLoop and a writeLoop
-- frame reference (one size: else nil); `roles` maps goroutine id to "r"
-- or "w".  The Transport pointer is compared as a value, since
-- http.DefaultTransport is often laid out statically, outside the heap.
local function transports(h, roles)
  local rt = h.roots
  if not rt or #rt == 0 then return nil end
  local kind, target, gor = ev.text(rt, "kind"), rt:column("target"), rt:column("goroutine")
  local by = { r = {}, w = {} }
  for i, r in rt:rows() do
    local role = roles[tonumber(gor[r])]
    if role and kind(i, r) == "frame" then
      local o = h:object(tonumber(target[r]))
      if o then by[role][o.id] = o end
    end
  end
  local conns, size, ts, nt = 0, nil, {}, 0
  for id, o in pairs(by.r) do
    if by.w[id] then
      if size and o.size ~= size then return nil end
      size, conns = o.size, conns + 1
      local t = o:word(2 * h.params.ptr_size)
      if t ~= 0 and not ts[t] then ts[t], nt = true, nt + 1 end
    end
  end
  if conns == 0 then return nil end
  return { conns = conns, transports = nt }
end

local function from_heap(h)
  local gt = h.goroutines
  if not gt or #gt == 0 then return nil end
  local stacks = stack.group(h.frames, "goroutine", "func")
  local gid = gt:column("id")
  local roles = {}
  local n, ex = tally(function(f)
    for i, r in gt:rows() do
      local id = tonumber(gid[r])
      local frames = stacks[id] or {}
      f(frames, 1, gt:get(i, "wait_reason"))
      local funcs = stack.funcs(frames)
      if read_wait(funcs) then roles[id] = "r" elseif is_write(funcs) then roles[id] = "w" end
    end
  end)
  return n, ex, transports(h, roles)
end

local function from_text(c)
  local t = c.goroutines
  local src = t and #t > 0 and ev.best(t)
  if not src then return nil end
  local stacks = stack.group(c:table("goroutines.frames"), "goroutine", "func", "file", "line")
  local cnt = t:column("count")
  local i_of = {}
  for i, r in t:rows() do i_of[r] = i end
  local n, ex = tally(function(f)
    for _, r in ipairs(src.rows) do f(stacks[r] or {}, tonumber(cnt[r]), t:get(i_of[r], "state")) end
  end)
  return n, ex, src.name
end

local function from_profile(c)
  local p = c.profiles and c.profiles.goroutine
  if not p or not p.samples or #p.samples == 0 then return nil end
  local vals = p.samples:column(p.default_sample_type or p.sample_types[#p.sample_types])
  local n, ex = tally(function(f)
    for i = 1, #p.samples do f(p:stack(i), tonumber(vals[i - 1])) end
  end)
  return n, ex
end

-- The user's function that made requests still in use, from the heap
-- profile: in-use samples through http.Client or NewRequest.
local function request_site(c)
  local p = c.profiles and c.profiles.heap
  if not p or not p.samples or #p.samples == 0 then return nil end
  local has = {}
  for _, t in ipairs(p.sample_types) do has[t] = true end
  if not has.inuse_objects then return nil end
  local v = p.samples:column("inuse_objects")
  local best, bestn = nil, 0
  local by = {}
  for i = 1, #p.samples do
    local fr = p:stack(i)
    for k, f in ipairs(fr) do
      if f:find("^net/http%.%(%*Client%)%.") or f:find("^net/http%.NewRequest") then
        local rest = {}
        for j = k + 1, #fr do rest[#rest + 1] = fr[j] end
        local s = stack.site(rest)
        if s then
          by[s] = (by[s] or 0) + tonumber(v[i - 1])
          if by[s] > bestn or (best and by[s] == bestn and s < best) then best, bestn = s, by[s] end
        end
        break
      end
    end
  end
  return best
end

function M.run(case, emit, params)
  local n, ex, source, tp
  if case.heap then
    local a, b, c = from_heap(case.heap)
    if a then n, ex, source, tp = a, b, "heap dump", c end
  end
  if not n then
    local a, b, s = from_text(case)
    if a then n, ex, source = a, b, s end
  end
  if not n then
    local a, b = from_profile(case)
    if a then n, ex, source = a, b, "goroutine profile" end
  end
  if not n then return end
  local conns = math.max(n.body + n.idle + n.other, n.write)
  if n.body >= params.min_unclosed then
    local site = request_site(case)
    emit {
      severity = "warning",
      title = ("%d HTTP client connections wait for response bodies to be closed"):format(n.body),
      message = ("%d persistConn.readLoop goroutines wait for the caller to read or close a "
        .. "response body; until it does, each connection, its buffers and the response stay "
        .. "in memory and the connection cannot be reused. After every successful "
        .. "http.Client.Do/Get/Post, defer resp.Body.Close() (and read the body to the end, "
        .. "io.Copy(io.Discard, resp.Body), to reuse the connection)%s."):format(n.body,
        site and (", in " .. site .. " and its callers") or ""),
      count = n.body, site = site,
      evidence = { source = source, waiting_for_body = n.body, idle = n.idle,
                   write_loops = n.write, connections = conns,
                   stack = stack.lines(ex.body, 10) },
    }
  end
  local per_request = tp and tp.transports >= params.min_transports and tp.conns <= 2 * tp.transports
  if per_request then
    local site = request_site(case)
    emit {
      severity = "warning",
      title = ("%d HTTP client connections belong to %d different Transports"):format(tp.conns, tp.transports),
      message = ("The heap dump shows %d open connections kept by %d http.Transports, about one "
        .. "Transport per connection: a new http.Client or http.Transport is made per request%s, so no "
        .. "connection is ever reused and each keeps its goroutines, buffers and socket until its idle "
        .. "timeout. Create one http.Client (or Transport) when the program starts and reuse it for "
        .. "every request; it is safe for concurrent use."):format(tp.conns, tp.transports,
        site and (" (in " .. site .. " or its callers)") or ""),
      count = tp.transports, site = site,
      evidence = { source = source, transports = tp.transports, connections = tp.conns, idle = n.idle,
                   waiting_for_body = n.body, write_loops = n.write,
                   stack = stack.lines(ex.idle or ex.body or ex.other, 10) },
    }
  end
  if n.idle >= params.max_idle then
    emit {
      severity = "warning",
      title = ("%d idle HTTP client connections are open"):format(n.idle),
      message = ("%d persistConn.readLoop goroutines wait on idle connections, more than a "
        .. "Transport keeps (MaxIdleConns is 100 by default): connections are being kept by "
        .. "many Transports. Create one http.Client (or Transport) and reuse it for every "
        .. "request instead of one per request; lower IdleConnTimeout if many hosts are "
        .. "expected."):format(n.idle),
      count = n.idle,
      evidence = { source = source, idle = n.idle, waiting_for_body = n.body,
                   write_loops = n.write, connections = conns,
                   stack = stack.lines(ex.idle, 10) },
    }
  elseif conns > 0 and n.body < params.min_unclosed and not per_request then
    emit {
      severity = "info",
      title = ("%d HTTP client connection%s open"):format(conns, conns == 1 and " is" or "s are"),
      message = "Connections kept by net/http Transports, within what their pools keep.",
      count = conns,
      evidence = { source = source, idle = n.idle, waiting_for_body = n.body, write_loops = n.write },
    }
  end
end

return M
