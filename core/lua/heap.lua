-- hs.heap: case.heap, a heap dump and its object graph.
--
-- attach(caseobj) sets caseobj.heap (nil without a heap dump):
--
--   heap.objects, .roots, .goroutines, .frames, .finalizers, .memprof ...
--                              the loader's heap.* tables
--   heap.params                {go_version, arch, ptr_size, ncpu, ...}
--   heap.graph                 table "heap.graph", one row per object (row i
--                              is heap.objects row i): retained (bytes), idom,
--                              parent, depth; zero-copy, for detectors
--   heap.unreachable           {count =, bytes =}: objects no root reaches
--   heap.stats                 counts: edges, dropped pointers, from_index ...
--   heap:object(addr)          the object containing addr (interior
--                              addresses resolve), or nil
--   heap:object_at(id)         the object with 0-based id (row - 1)
--   heap:top_retainers([n])    table id, addr, type, size, retained, root
--   heap:by_type(), heap:by_site()
--                              table key, count, bytes, retained (what
--                              freeing the whole group would free)
--
-- An object o: o.id, o.addr, o.size, o.retained, o.type (name or nil),
-- o.type_addr, o.depth; o:referrers(), o:referents() (lists of objects;
-- each list's .offsets[k] is the field offset of edge k), o:dominator()
-- (nil when a GC root dominates it), o:path() (steps from a GC root: each
-- {object =, offset =}, the first also {root =, kind =}), o:site()
-- (allocation stack from the memprof bucket, leaf first, or nil),
-- o:word(off), o:bytes([off [, n]]), o:string([off]).
--
-- The graph is built on the first question that needs it (dominators for a
-- 10 M object dump take about a second) and kept with the case; an index
-- file next to the dump makes the next session's build a read.
local core = require "hs.core"
local prelude = require "hs.prelude"

local M = {}
local Heap = {}
local Object = {}
M.Heap, M.Object = Heap, Object

local NONE = 4294967295

local function addr_of(a)
  if type(a) == "string" then return tonumber(a) end
  if type(a) == "cdata" then return tonumber(a) end
  if type(a) == "table" and a.addr then return a.addr end
  return a
end

------------------------------------------------------------------ objects

local function obj(h, id)
  if id == nil or id < 0 or id >= h._n then return nil end
  return setmetatable({ _h = h, id = id }, Object)
end

local getters = {
  addr = function(o) return tonumber(o._h:_col("addr")[o.id]) end,
  size = function(o) return tonumber(o._h:_col("size")[o.id]) end,
  type_addr = function(o) return tonumber(o._h:_col("type")[o.id]) end,
  type = function(o)
    local s = o._h.objects:get(o.id + 1, "type_name")
    if s == nil or s == "" then return nil end
    return s
  end,
  retained = function(o) return tonumber(o._h:_gcol("retained")[o.id]) end,
  depth = function(o) return tonumber(o._h:_gcol("depth")[o.id]) end,
  -- 1-based row of heap.memprof (the allocation site), nil when not sampled
  bucket = function(o)
    local b = tonumber(o._h:_col("bucket")[o.id])
    if b == 0 then return nil end
    return b
  end,
}

Object.__index = function(o, k)
  local m = Object[k]
  if m ~= nil then return m end
  local g = getters[k]
  if g then return g(o) end
  return nil
end

Object.__eq = function(a, b) return a._h == b._h and a.id == b.id end

Object.__tostring = function(o)
  local t = o.type
  return ("object 0x%x%s, %s, retains %s"):format(o.addr, t and (" " .. t) or "",
    core.fmt_bytes(o.size), core.fmt_bytes(o.retained))
end

local function list_of(h, ids, offs)
  local out = { offsets = offs }
  for k, id in ipairs(ids) do out[k] = obj(h, id) end
  return out
end

-- Objects this one points at, in field order.
function Object:referents()
  local ids, offs = core.heap_referents(self._h._ud, self.id)
  return list_of(self._h, ids, offs)
end

-- Objects pointing at this one; GC roots are left out (see :roots()).
function Object:referrers()
  local ids, offs = core.heap_referrers(self._h._ud, self.id)
  local kid, koff = {}, {}
  for k, id in ipairs(ids) do
    if id < self._h._n then
      kid[#kid + 1] = id
      koff[#koff + 1] = offs[k]
    end
  end
  return list_of(self._h, kid, koff)
end

-- The GC roots pointing straight at this object: {kind, desc, text, ...}.
function Object:roots()
  local ids, offs = core.heap_referrers(self._h._ud, self.id)
  local out = {}
  for k, id in ipairs(ids) do
    if id == self._h._n then out[#out + 1] = self._h:root(offs[k]) end
  end
  return out
end

-- The immediate dominator, or nil when only a GC root dominates it (or it
-- is unreachable: then also false as second value).
function Object:dominator()
  local d = tonumber(self._h:_gcol("idom")[self.id])
  if d == NONE then return nil, false end
  if d >= self._h._n then return nil, true end
  return obj(self._h, d)
end

local Path = {}
Path.__index = Path
Path.__tostring = function(p)
  local out = {}
  for k, s in ipairs(p) do
    local o = s.object
    local what = ("0x%x%s"):format(o.addr, o.type and (" " .. o.type) or "")
    if k == 1 then
      out[1] = ("%s -> %s"):format(s.root, what)
    else
      out[#out + 1] = ("+%d -> %s"):format(s.offset, what)
    end
  end
  if #out == 0 then return "(unreachable)" end
  return table.concat(out, " ")
end

-- Shortest path from a GC root: a list of steps {object =, offset =} where
-- offset is the field of the previous step's object that points at this
-- one; the first step has root = "global data+0x40" (or "goroutine 17
-- frame main.worker", ...) and kind = the root kind instead.  {} (printing
-- "(unreachable)") when no root reaches the object.
function Object:path()
  local h = self._h
  local ids, offs = core.heap_path(h._ud, self.id)
  local out = setmetatable({}, Path)
  for k, id in ipairs(ids) do
    local step = { object = obj(h, id) }
    if k == 1 then
      local r = h:root(offs[1])
      step.root, step.kind, step.root_index = r and r.text or "?", r and r.kind, offs[1]
    else
      step.offset = offs[k]
    end
    out[k] = step
  end
  return out
end

-- Allocation stack from the memory-profile bucket, when the allocation was
-- sampled: a list of {func =, file =, line =}, leaf first, with .func the
-- leaf function; nil otherwise.
function Object:site()
  local b = self.bucket
  if not b then return nil end
  return self._h:_stack(b)
end

function Object:word(off) return core.heap_word(self._h._ud, self.id, off or 0) end
function Object:bytes(off, n) return core.heap_bytes(self._h._ud, self.id, off or 0, n) end
-- The Go string whose header (ptr, len) is at off (default 0) in this object.
function Object:string(off) return core.heap_string(self._h._ud, self.id, off or 0) end

------------------------------------------------------------------ the heap

local lazy = {
  graph = function(h) return core.heap_graph_table(h._ud) end,
  stats = function(h) return core.heap_stats(h._ud) end,
  unreachable = function(h)
    local s = h.stats
    return { count = s.unreachable, bytes = s.unreachable_bytes }
  end,
}

Heap.__index = function(h, k)
  local m = Heap[k]
  if m ~= nil then return m end
  local f = lazy[k]
  if f then
    local v = f(h)
    rawset(h, k, v)
    return v
  end
  return nil
end

Heap.__tostring = function(h)
  return ("heap dump %s: %d objects, %s"):format(h.params.go_version, h._n,
    core.fmt_bytes(h.objects:sum("size")))
end

-- zero-copy column of heap.objects / heap.graph (0-based by object id)
function Heap:_col(name)
  local c = self._cols[name]
  if not c then
    c = self.objects:column(name)
    self._cols[name] = c
  end
  return c
end

function Heap:_gcol(name)
  local c = self._cols["g." .. name]
  if not c then
    c = self.graph:column(name)
    self._cols["g." .. name] = c
  end
  return c
end

function Heap:object(addr)
  local a = addr_of(addr)
  if type(a) ~= "number" then return nil end
  return obj(self, core.heap_find(self._ud, a))
end

function Heap:object_at(id) return obj(self, id) end

-- Root r (0-based index into heap.roots) as {kind, desc, text, target,
-- goroutine}; text names it for people: "global data+0x40" (Go dumps give
-- only segment offsets for globals), "goroutine 17 frame main.worker", ...
function Heap:root(r)
  local x = core.heap_root(self._ud, r)
  if not x then return nil end
  local d = x.desc ~= "" and x.desc or ("%s 0x%x"):format(x.kind, x.from)
  if x.kind == "data" or x.kind == "bss" then
    if not d:find("^global") then d = "global " .. d end
  elseif x.kind == "frame" and x.goroutine > 0 and not d:find("goroutine") then
    d = ("goroutine %d %s"):format(x.goroutine, d)
  end
  x.text = d
  return x
end

-- The allocation stack of heap.memprof row b (1-based, as heap.objects.bucket
-- and heap.memprof_frames.memprof give it), leaf first.
function Heap:_stack(b)
  if not self._stacks then
    local t = self.memprof_frames
    local st = {}
    if t then
      local mp, dp = t:column("memprof"), t:column("depth")
      for i = 1, #t do
        local row = tonumber(mp[i - 1])
        local s = st[row]
        if not s then s = {}; st[row] = s end
        s[#s + 1] = { depth = tonumber(dp[i - 1]), i = i }
      end
      for _, s in pairs(st) do table.sort(s, function(a, c) return a.depth < c.depth end) end
    end
    self._stacks = st
  end
  local s = self._stacks[b]
  local t = self.memprof_frames
  local out = {}
  if s then
    for k, f in ipairs(s) do
      out[k] = { func = t:get(f.i, "func"), file = t:get(f.i, "file"), line = t:get(f.i, "line") }
    end
  elseif self.memprof and b >= 1 and b <= #self.memprof then
    out[1] = { func = self.memprof:get(b, "func") }
  else
    return nil
  end
  out.func = out[1] and out[1].func or "?"
  return out
end

-- Slice and string headers using a small part of large objects: see
-- include/heapscope/scan.h (the slice-retention detector's scan).
function Heap:scan_slices(min_size) return core.heap_scan_slices(self._ud, min_size) end
-- Accumulation points below object ids, and what ids dominate (scan.h).
function Heap:accumulation(ids, ratio) return core.heap_accumulation(self._ud, ids, ratio) end
function Heap:dominated_summary(ids, big) return core.heap_dom_summary(self._ud, ids, big) end
-- sync.Pools found by shape, and what of theirs is referenced elsewhere.
function Heap:scan_pools() return core.heap_scan_pools(self._ud) end
function Heap:pool_aliases(arrays) return core.heap_pool_aliases(self._ud, arrays) end
function Heap:reaches_self(ids, budget) return core.heap_reaches_self(self._ud, ids, budget) end

-- The n objects retaining the most (default 10), largest first.
function Heap:top_retainers(n)
  local ids = core.heap_top(self._ud, n or 10)
  local rows = {}
  for k, id in ipairs(ids) do
    local o = obj(self, id)
    local ps, offs = core.heap_path(self._ud, id)
    local root = "(unreachable)"
    if #ps > 0 then
      local r = self:root(offs[1])
      root = r and r.text or "?"
    end
    rows[k] = { id = id, addr = o.addr, type = o.type or "", size = o.size,
                retained = o.retained, depth = o.depth, root = root }
  end
  return prelude.table_from("heap.top_retainers", {
    { "id", "u32" }, { "addr", "u64", "hex" }, { "type", "str" }, { "size", "u64", "bytes" },
    { "retained", "u64", "bytes" }, { "depth", "u32" }, { "root", "str" } }, rows)
end

local function histogram(h, by)
  local r = core.heap_histogram(h._ud, by)
  local rows = {}
  for i = 1, #r.key do
    local first = obj(h, r.first[i])
    local name
    if by == "type" then
      name = first.type
      if not name then
        local ta = first.type_addr
        if ta == 0 then
          name = ("(no type, %d B objects)"):format(first.size)
        else
          name = ("(type 0x%x)"):format(ta)
        end
      end
    else
      local b = r.key[i]
      if b == 0 then
        name = "(not sampled)"
      else
        local st = h:_stack(b)
        name = st and st.func or ("(bucket %d)"):format(b)
      end
    end
    rows[i] = { name, r.count[i], r.bytes[i], r.retained[i],
                by == "type" and first.type_addr or r.key[i] }
  end
  table.sort(rows, function(a, b)
    if a[3] ~= b[3] then return a[3] > b[3] end
    return a[1] < b[1]
  end)
  local keycol = by == "type" and { "type_addr", "u64", "hex" } or { "memprof", "u32" }
  return prelude.table_from("heap.by_" .. by, {
    { by, "str" }, { "count", "u64" }, { "bytes", "u64", "bytes" },
    { "retained", "u64", "bytes" }, keycol }, rows)
end

-- Count, shallow bytes and retained bytes per type identity (the type word
-- of Go 1.22+ header objects; objects without one group by size).
function Heap:by_type() return histogram(self, "type") end
-- The same per allocation site (memprof bucket: the memprof column is its
-- 1-based heap.memprof row; "(not sampled)", memprof 0, for the rest).
function Heap:by_site() return histogram(self, "site") end

function M.attach(c)
  if not core.heap_has(c._ud) then return end
  local h = setmetatable({ _ud = c._ud, _case = c, _cols = {} }, Heap)
  for _, name in ipairs(c.tables) do
    local part = name:match("^heap%.(.+)$")
    if part and part ~= "graph" then h[part] = c:table(name) end
  end
  h.params = core.heap_params(c._ud)
  h._n = h.params.objects
  c.heap = h
end

return M
