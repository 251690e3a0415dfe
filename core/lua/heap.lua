-- hs.heap: case.heap, a heap dump and its object graph.
--
-- attach(caseobj) sets caseobj.heap (nil without a heap dump):
--
--   heap.objects, .roots, .goroutines, .frames, .finalizers, .memprof ...
--                              the loader's heap.* tables
--   heap.params                {go_version, arch, ptr_size, ncpu, ...}
--   heap.graph                 table "heap.graph", one row per object (row i
--                              is heap.objects row i): retained (bytes), idom,
--                              parent, depth; zero-copy, for detectors (its
--                              idom/parent are 0-based offsets into the
--                              t:column() arrays, like every C array)
--   heap.unreachable           {count =, bytes =}: objects no root reaches
--   heap.stats                 counts: edges, dropped pointers, from_index ...
--   heap:object(addr)          the object containing addr (interior
--                              addresses resolve), or nil
--   heap:object_at(id)         the object with id (its 1-based heap.objects row)
--   heap:top_retainers([n])    the top of the dominator tree: rows are objects
--   heap:by_type([n]), heap:by_site([n])
--                              groups; row:objects() lists a group's objects
--   heap:tree([o] [, depth])   the dominator tree printed, chains collapsed
--
-- Ids are 1-based everywhere users see them: o.id is the object's row in
-- heap.objects, a root's index its row in heap.roots.  The C side counts
-- from 0 (o._i here).
--
-- An object o: o.id, o.addr, o.size, o.retained, o.count (objects it
-- retains, itself included), o.type (name or nil), o.type_addr, o.depth,
-- o.site_name; o:referrers(), o:referents(), o:dominated([n]) (lists of
-- objects; each list's .offsets[k] is the field offset of edge k),
-- o:dominator(), o:roots(), o:path([opts]), o:paths([n]), o:site(),
-- o:accumulation(); contents: o:word(off), o:words([off, n]),
-- o:bytes([off [, n]]), o:hexdump([off [, n]]), o:ptr(off), o:slice(off),
-- o:str(off), o:iface(off).
--
-- The graph is built on the first question that needs it (dominators for a
-- 10 M object dump take about a second) and kept with the case; an index
-- file next to the dump makes the next session's build a read.
local ffi = require "ffi"
local bit = require "bit"
local core = require "hs.core"
local tab = require "hs.table"

local M = {}
local Heap = {}
local Object = {}
M.Heap, M.Object = Heap, Object

local NONE = 4294967295
local TWO32 = 2 ^ 32
local HEXDUMP_MAX = 256         -- o:hexdump() without n shows at most this
local fmt_bytes = core.fmt_bytes

local function addr_of(a)
  if type(a) == "string" then return tonumber(a) end
  if type(a) == "cdata" then return tonumber(a) end
  if type(a) == "table" and a.addr then return a.addr end
  return a
end

local function hex(v)
  if type(v) == "cdata" then return "0x" .. (bit.tohex(v, 16):gsub("^0+(.)", "%1")) end
  return ("0x%x"):format(v)
end

------------------------------------------------------------------ objects

-- i: 0-based id
local function obj(h, i)
  if i == nil or i < 0 or i >= h._n then return nil end
  return setmetatable({ _h = h, _i = i }, Object)
end

local getters = {
  id = function(o) return o._i + 1 end,
  addr = function(o) return tonumber(o._h:_col("addr")[o._i]) end,
  size = function(o) return tonumber(o._h:_col("size")[o._i]) end,
  type_addr = function(o) return tonumber(o._h:_col("type")[o._i]) end,
  type = function(o)
    local s = o._h.objects:get(o._i + 1, "type_name")
    if s == nil or s == "" then return nil end
    return s
  end,
  retained = function(o) return tonumber(o._h:_gcol("retained")[o._i]) end,
  depth = function(o) return tonumber(o._h:_gcol("depth")[o._i]) end,
  count = function(o) return tonumber(o._h:_gcol("count")[o._i]) end,
  -- 1-based row of heap.memprof (the allocation site), nil when not sampled
  bucket = function(o)
    local b = tonumber(o._h:_col("bucket")[o._i])
    if b == 0 then return nil end
    return b
  end,
  -- the allocating function, or nil when the allocation was not sampled
  site_name = function(o)
    local st = o:site()
    return st and st.func or nil
  end,
}
M.getters = getters

Object.__index = function(o, k)
  local m = Object[k]
  if m ~= nil then return m end
  local g = getters[k]
  if g then return g(o) end
  return nil
end

Object.__eq = function(a, b) return a._h == b._h and a._i == b._i end

-- "0xc000018060 (48 B, retains 1.0 MiB) main.Session"
local function brief(o)
  local t = o.type
  local kept = o.depth == 0 and "unreachable" or ("retains " .. fmt_bytes(o.retained))
  return ("%s (%s, %s)%s"):format(hex(o.addr), fmt_bytes(o.size), kept, t and (" " .. t) or "")
end

Object.__tostring = function(o)
  local site = o.site_name
  return ("object %d at %s%s"):format(o.id, brief(o), site and (", allocated in " .. site) or "")
end

-- A list of objects: prints one per line, in order.
local List = {}
List.__index = List
M.List = List
List.__tostring = function(l)
  if #l == 0 then return "(no objects)" end
  local out = {}
  local nmax = math.min(#l, 40)
  for k = 1, nmax do
    local o = l[k]
    local off = l.offsets and l.offsets[k]
    out[k] = ("%3d  %s%s"):format(k, off and ("+%-5d "):format(off) or "", brief(o))
  end
  if #l > nmax then out[#out + 1] = ("... %d more (l[i] is the i-th)"):format(#l - nmax) end
  return table.concat(out, "\n")
end

local function list_of(h, ids, offs)
  local out = setmetatable({ offsets = offs }, List)
  for k, i in ipairs(ids) do out[k] = obj(h, i) end
  return out
end

-- Objects this one points at, in field order.
function Object:referents()
  local ids, offs = core.heap_referents(self._h._ud, self._i)
  return list_of(self._h, ids, offs)
end

-- Objects pointing at this one; GC roots are left out (see :roots()).
function Object:referrers()
  local ids, offs = core.heap_referrers(self._h._ud, self._i)
  local kid, koff = {}, {}
  for k, i in ipairs(ids) do
    if i < self._h._n then
      kid[#kid + 1] = i
      koff[#koff + 1] = offs[k]
    end
  end
  return list_of(self._h, kid, koff)
end

-- A GC root: kind, desc, text (names it for people), target, from, index
-- (its 1-based heap.roots row), goroutine; prints with hex addresses.
local Root = {}
Root.__index = Root
M.Root = Root
Root.__tostring = function(r)
  return ("root %d: %s -> %s%s"):format(r.index, r.text, hex(r.target),
    r.from ~= 0 and (" (from %s)"):format(hex(r.from)) or "")
end

-- The GC roots pointing straight at this object.
function Object:roots()
  local ids, offs = core.heap_referrers(self._h._ud, self._i)
  local out = setmetatable({}, { __tostring = function(l)
    local t = {}
    for k, r in ipairs(l) do t[k] = tostring(r) end
    return #t > 0 and table.concat(t, "\n") or "(no root points at it)"
  end })
  for k, i in ipairs(ids) do
    if i == self._h._n then out[#out + 1] = self._h:root(offs[k] + 1) end
  end
  return out
end

-- The immediate dominator, or nil when only a GC root dominates it (or it
-- is unreachable: then also false as second value).
function Object:dominator()
  local d = tonumber(self._h:_gcol("idom")[self._i])
  if d == NONE then return nil, false end
  if d >= self._h._n then return nil, true end
  return obj(self._h, d)
end

-- The objects this one immediately dominates (what freeing it frees, one
-- level down), largest retained first; n limits the list.
local function dominated_list(h, id, n)
  local ids, total
  if id == h._n then                          -- the top level, without the whole tree
    ids, total = core.heap_top(h._ud, n)
  else
    ids, total = core.heap_dominated(h:_domtree(), id, n)
  end
  local l = list_of(h, ids)
  l.offsets = nil
  l.total = total
  return l
end

function Object:dominated(n) return dominated_list(self._h, self._i, n) end

-- Objects of one shape (same type word and size; the allocation site is
-- known only for sampled ones, so it is not part of it) follow each other
-- in lists and rings: a chain in the dominator tree.
local function shape(o)
  return ("%d/%d"):format(o.type_addr, o.size)
end

-- The chain of same-shaped objects starting at o, each dominating the next
-- (a linked list or ring): its length and last object.  1, o when o does
-- not start one.  Bounded by the chain's length.
local function chain(o)
  local s, n, last = shape(o), 1, o
  while true do
    local kids = last:dominated(1)
    local k = kids[1]
    if not k or shape(k) ~= s then break end
    n, last = n + 1, k
    if n % 65536 == 0 then core.checkpoint() end
  end
  return n, last
end
M.chain = chain

-- The accumulation points under objects (0-based ids is), MAT's term:
-- walking down the dominator tree while one child holds most (80%) of the
-- retained size, the object where the size spreads out, or where a chain
-- of like objects (same size and type word) starts: a list's head.  For
-- each, the point (a 0-based id) and how many like objects it heads (1 when
-- none).  Two passes over the objects in C (include/heapscope/scan.h),
-- however many ids.
local ACCUMULATION_RATIO = 0.8
local function accumulations(h, is)
  local acc = core.heap_accumulation(h._ud, is, ACCUMULATION_RATIO, true)
  local out = {}
  for k, a in ipairs(acc) do out[k] = { a.to, a.like } end
  return out
end

-- o:accumulation() -> the accumulation point under o and the length of the
-- chain of like objects it heads (1 when none)
function Object:accumulation()
  local a = accumulations(self._h, { self._i })[1]
  return obj(self._h, a[1]), a[2]
end

-- A path from a GC root: prints one step per line, root first.  Each step
-- stands for its object (step:referrers(), step.size ... work on it) and
-- has .object, .offset (field of the previous object pointing at it) and,
-- with the program's binary, .field (its name: ".buf", "[3].next"); the
-- first has .root (text), .kind and .root_index (1-based heap.roots row).
local Step = {}
M.Step = Step
Step.__index = function(s, k)
  local v = Object[k]
  if type(v) == "function" then
    return function(self, ...) return v(rawget(self, "object"), ...) end
  end
  local g = getters[k]
  if g then return g(rawget(s, "object")) end
  return nil
end
local Path = {}
Path.__index = Path
M.Path = Path
Path.__tostring = function(p)
  if #p == 0 then return p.why or "(unreachable: no GC root reaches this object)" end
  local out = {}
  local w = 0
  -- the field holding each pointer: its name with the binary, else +offset
  local function lead(s) return s.field or ("+" .. s.offset) end
  for k = 2, #p do w = math.max(w, #lead(p[k])) end
  for k, s in ipairs(p) do
    local o = s.object
    if k == 1 then out[1] = ("root  %s (%s)"):format(s.root, s.kind or "?") end
    local site = o.site_name
    local l = k == 1 and (" "):rep(w) or ("%-" .. w .. "s"):format(lead(s))
    out[#out + 1] = ("  %s  %s%s"):format(l, brief(o), site and ("  " .. site) or "")
  end
  return table.concat(out, "\n")
end

local function path_of(h, ids, offs)
  local out = setmetatable({}, Path)
  for k, i in ipairs(ids) do
    local step = { object = obj(h, i) }
    if k == 1 then
      local r = h:root(offs[1] + 1)
      step.root, step.kind, step.root_index = r and r.text or "?", r and r.kind, offs[1] + 1
    else
      step.offset = offs[k]
      -- with the binary, the field of the previous object holding the pointer
      step.field = core.heap_field(h._ud, ids[k - 1], offs[k])
    end
    out[k] = setmetatable(step, Step)
  end
  return out
end

-- Shortest path from a GC root ({} printing "(unreachable ...)" when none).
-- opts.exclude: objects the path must not pass through, and edges
-- {from, to} (objects or steps) it must not use, as MAT's "exclude" does:
--   p = o:path(); o:path{exclude = {p[2]}}   -- another way in
function Object:path(opts)
  local h = self._h
  local ids, offs
  if opts and opts.exclude then
    local objs, edges = {}, {}
    for _, x in ipairs(opts.exclude) do
      if type(x) == "table" and x[1] ~= nil and x[2] ~= nil then
        local a, b = x[1], x[2]
        a = rawget(a, "object") or a
        b = rawget(b, "object") or b
        edges[#edges + 1] = { a._i, b._i }
      else
        local o = type(x) == "table" and (rawget(x, "object") or x) or nil
        if not o or o._i == nil then
          error("path{exclude = ...}: expected objects or {from, to} pairs of objects", 2)
        end
        objs[#objs + 1] = o._i
      end
    end
    ids, offs = core.heap_path_avoiding(h._ud, self._i, objs, edges)
  else
    ids, offs = core.heap_path(h._ud, self._i)
  end
  local p = path_of(h, ids, offs)
  if #p == 0 then p.why = h:_unreachable_why() end
  return p
end

-- Up to n (default 3) paths from GC roots, each through a different
-- referrer of o: the shortest first, then each next one excluding the
-- last hop of the ones before.
function Object:paths(n)
  n = n or 3
  local out, excl = {}, {}
  while #out < n do
    local p = self:path(#excl > 0 and { exclude = excl } or nil)
    if #p == 0 then break end
    out[#out + 1] = p
    if #p < 2 then break end
    excl[#excl + 1] = p[#p - 1].object
  end
  return setmetatable(out, { __tostring = function(l)
    local t = {}
    for k, p in ipairs(l) do t[k] = ("path %d:\n%s"):format(k, tostring(p)) end
    return #t > 0 and table.concat(t, "\n") or "(no path)"
  end })
end

-- Allocation stack from the memory-profile bucket, when the allocation was
-- sampled: a list of {func =, file =, line =}, leaf first, with .func the
-- leaf function; nil otherwise.
function Object:site()
  local b = self.bucket
  if not b then return nil end
  return self._h:_stack(b)
end

------------------------------------------------------------------ contents

-- A word as an exact Lua value: a number below 2^53, else a uint64_t.
local function word_value(lo, hi)
  if hi < 2097152 then return hi * TWO32 + lo end
  return ffi.new("uint64_t", hi) * TWO32 + lo
end

-- The pointer-sized word at off (a multiple of the pointer size), exact.
function Object:word(off)
  return word_value(core.heap_word(self._h._ud, self._i, off or 0))
end

function Object:bytes(off, n) return core.heap_bytes(self._h._ud, self._i, off or 0, n) end

-- The object a word points into, and the offset inside it; nil if none.
local function target(h, p)
  if type(p) == "cdata" then p = tonumber(p) end
  if p == 0 then return nil end
  local t = h:object(p)
  if not t then return nil end
  return t, p - t.addr
end

-- o:words([off [, n]]): a table of the words (offset, value in hex, what it
-- points into), 32 words at most unless n says more.
function Object:words(off, n)
  local ps = self._h.params.ptr_size
  off = off or 0
  local last = self.size - ps
  n = n or math.min(32, math.floor((last - off) / ps) + 1)
  local rows = {}
  for k = 0, n - 1 do
    local at = off + k * ps
    if at > last then break end
    local w = self:word(at)
    local t, toff = target(self._h, w)
    rows[#rows + 1] = { at, w, t and ("%s+%d (object %d)"):format(hex(t.addr), toff, t.id) or "" }
  end
  return tab.table_from("words", { { "offset", "u64" }, { "value", "u64", "hex" },
    { "points_into", "str" } }, rows)
end

-- A bounded hex dump: 16 bytes a line with offsets and ASCII.
local Dump = {}
Dump.__tostring = function(d) return d.text end
function Object:hexdump(off, n)
  off = off or 0
  local all = n == nil
  n = n or HEXDUMP_MAX
  local b = self:bytes(off, n)
  local out = {}
  for i = 1, #b, 16 do
    local chunk = b:sub(i, i + 15)
    local hx = chunk:gsub(".", function(c) return ("%02x "):format(c:byte()) end)
    local asc = chunk:gsub("[^\32-\126]", ".")
    out[#out + 1] = ("%6x  %-48s %s"):format(off + i - 1, hx, asc)
  end
  local left = self.size - off - #b
  if left > 0 then
    out[#out + 1] = ("(%d more bytes; o:hexdump(%d, n) shows them%s)"):format(left, off + #b,
      all and "" or "")
  end
  return setmetatable({ text = table.concat(out, "\n"), bytes = b }, Dump)
end

-- o:ptr(off): the object the pointer at off points into (and the offset
-- inside it), or nil
function Object:ptr(off)
  return target(self._h, self:word(off or 0))
end

-- Go shapes read from the words at off.  Each prints on one line and has
-- .target, the object its data pointer points into (nil if none).
local Slice = {}
Slice.__index = Slice
Slice.__tostring = function(s)
  return ("[]slice len %d cap %d -> %s%s"):format(s.len, s.cap, hex(s.ptr),
    s.target and (" (+%d in %s)"):format(s.offset, brief(s.target)) or "")
end

-- A header of consecutive words at off (names[k] is word k), of class mt;
-- .target/.offset: the object word `to` points into.
local function header(o, off, names, to, mt)
  local ps = o._h.params.ptr_size
  off = off or 0
  local x = {}
  for k, name in ipairs(names) do x[name] = o:word(off + (k - 1) * ps) end
  x.target, x.offset = target(o._h, x[to])
  return setmetatable(x, mt)
end

-- o:slice(off): the slice header (ptr, len, cap) at off
function Object:slice(off) return header(self, off, { "ptr", "len", "cap" }, "ptr", Slice) end

local GoString = {}
GoString.__index = GoString
local STR_SHOW = 64
GoString.__tostring = function(s)
  local t = s:text(STR_SHOW)
  return ("%q%s (string, %d bytes%s)"):format(t, s.len > #t and "..." or "", s.len,
    s.target and (", in " .. brief(s.target)) or "")
end
-- s:text([n]): the string's bytes (the first n), clipped to its object
function GoString:text(n)
  if not self.target then return "" end
  local want = math.min(self.len, n or self.len)
  return self.target:bytes(self.offset, want)
end

-- o:str(off): the string header (ptr, len) at off
function Object:str(off) return header(self, off, { "ptr", "len" }, "ptr", GoString) end
-- The Go string at off as a Lua string (clipped to the object it is in).
function Object:string(off) return core.heap_string(self._h._ud, self._i, off or 0) end

local Iface = {}
Iface.__index = Iface
Iface.__tostring = function(x)
  return ("interface {type/itab %s, data %s}%s"):format(hex(x.tab), hex(x.data),
    x.target and (" -> " .. brief(x.target)) or "")
end
-- o:iface(off): the interface pair (type or itab word, data pointer) at off
function Object:iface(off) return header(self, off, { "tab", "data" }, "data", Iface) end

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
  return ("heap dump %s: %d objects, %s (help(case.heap) says what to ask)"):format(
    h.params.go_version, h._n, fmt_bytes(h.objects:sum("size")))
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

function Heap:_domtree()
  local t = rawget(self, "_dt")
  if not t then
    t = core.heap_domtree(self._ud)
    rawset(self, "_dt", t)
  end
  return t
end

-- Why nothing is reachable, when the dump says so; nil otherwise.
function Heap:_unreachable_why()
  if #self.roots == 0 then
    return ("(unreachable: this dump has no GC roots -- it was cut short before its root " ..
            "records, so every object is unreachable and retains 0 B; %d objects, %s " ..
            "were read. Take a complete dump to see what holds them.)"):format(self._n,
            fmt_bytes(self.objects:sum("size")))
  end
  return nil
end

function Heap:object(addr)
  local a = addr_of(addr)
  if type(a) ~= "number" then return nil end
  return obj(self, core.heap_find(self._ud, a))
end

function Heap:object_at(id)
  if type(id) ~= "number" or id < 1 or id > self._n or id % 1 ~= 0 then
    error(("object_at(%s): ids are 1..%d (the rows of heap.objects)"):format(tostring(id),
          self._n), 2)
  end
  return obj(self, id - 1)
end

-- Root r (1-based row of heap.roots) as {kind, desc, text, target, from,
-- goroutine, index}; text names it for people: "global data+0x40" (Go
-- dumps give only segment offsets for globals), "goroutine 17 frame
-- main.worker", ...
function Heap:root(r)
  local x = core.heap_root(self._ud, r - 1)
  if not x then return nil end
  local d = x.desc ~= "" and x.desc or ("%s 0x%x"):format(x.kind, x.from)
  if x.kind == "data" or x.kind == "bss" then
    if not d:find("^global") then d = "global " .. d end
  elseif x.kind == "frame" and x.goroutine > 0 and not d:find("goroutine") then
    d = ("goroutine %d %s"):format(x.goroutine, d)
  end
  x.text = d
  x.index = r
  return setmetatable(x, Root)
end

-- With the program's binary: heap.memprof_inline's chains by memprof row
-- and frame depth, innermost function first.
function Heap:_inline_chains()
  if not self._chains then
    local ch, t = {}, self.memprof_inline
    if t then
      for i = 1, #t do
        local b, d = t:get(i, "memprof"), t:get(i, "depth")
        ch[b] = ch[b] or {}
        ch[b][d] = ch[b][d] or {}
        ch[b][d][t:get(i, "level") + 1] = t:get(i, "func")
      end
    end
    self._chains = ch
  end
  return self._chains
end

-- The allocation stack of heap.memprof row b (1-based, as heap.objects.bucket
-- and heap.memprof_frames.memprof give it), leaf first.  With the program's
-- binary, inlined functions are frames of their own with inline = true.
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
    local chains = self:_inline_chains()
    for k, f in ipairs(s) do
      local fr = { func = t:get(f.i, "func"), file = t:get(f.i, "file"), line = t:get(f.i, "line") }
      local ch = chains[b] and chains[b][f.depth]
      if ch then
        -- Inlined code: the dump names the function it was inlined into,
        -- at the inlined function's position; the binary says which that
        -- is (pprof's "(inline)" frames).  Go records each inlined level
        -- as a frame of its own; when the next frame is not the outer
        -- function again, the levels are spelled out here.
        out[#out + 1] = { func = ch[1], inline = true, file = fr.file, line = fr.line }
        local nxt = s[k + 1]
        if not (nxt and t:get(nxt.i, "func") == fr.func) then
          for l = 2, #ch - 1 do out[#out + 1] = { func = ch[l], inline = true } end
          out[#out + 1] = { func = fr.func }
        end
      else
        out[#out + 1] = fr
      end
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
-- include/heapscope/scan.h (the slice-retention detector's scan).  obj and
-- holder are ids (1-based; holder is a heap.roots row when root is true).
function Heap:scan_slices(min_size)
  local hits = core.heap_scan_slices(self._ud, min_size)
  for _, x in ipairs(hits) do
    x.obj, x.holder = x.obj + 1, x.holder + 1
  end
  return hits
end

-- Accumulation points below the objects ids (scan.h): a list of {to =,
-- steps =}, to an id; and what each of ids dominates.  Ids are 1-based.
local function zero_based(ids)
  local z = {}
  for k, id in ipairs(ids) do z[k] = id - 1 end
  return z
end
function Heap:accumulation(ids, ratio)
  local acc = core.heap_accumulation(self._ud, zero_based(ids), ratio)
  for _, a in ipairs(acc) do a.to = a.to + 1 end
  return acc
end
function Heap:dominated_summary(ids, big)
  return core.heap_dom_summary(self._ud, zero_based(ids), big)
end
-- sync.Pools found by shape (container, local, victim are ids; container
-- a heap.roots row when root is true), and what of theirs is referenced
-- elsewhere (first an id); whether each of ids reaches itself.
function Heap:scan_pools()
  local pools = core.heap_scan_pools(self._ud)
  for _, x in ipairs(pools) do
    x.container = x.container + 1
    if x["local"] then x["local"] = x["local"] + 1 end
    if x.victim then x.victim = x.victim + 1 end
  end
  return pools
end
function Heap:pool_aliases(arrays)
  local al = core.heap_pool_aliases(self._ud, zero_based(arrays))
  if al.first then al.first = al.first + 1 end
  return al
end
function Heap:reaches_self(ids, budget)
  return core.heap_reaches_self(self._ud, zero_based(ids), budget)
end

-- Rows that stand for an object (an "id" column) answer the object's
-- methods: row:path(), row:referrers(), row:dominated() ...; row:object()
-- is the object itself.
local function object_rows(h, ud)
  local class = { object = function(r) return obj(h, r.id - 1) end }
  for k, f in pairs(Object) do
    if type(f) == "function" and not k:match("^__") then
      class[k] = function(r, ...) return f(obj(h, r.id - 1), ...) end
    end
  end
  tab.set_row_class(ud, class)
  return ud
end

local OBJECT_COLS = {
  { "id", "u32" }, { "addr", "u64", "hex" }, { "size", "u64", "bytes" },
  { "retained", "u64", "bytes" }, { "count", "u64" }, { "type", "str" }, { "site_name", "str" } }

-- A table of objects (columns OBJECT_COLS plus extra), rows that are objects.
local function object_table(h, name, objs, extra, extra_vals)
  local rows = {}
  for k, o in ipairs(objs) do
    local r = { o.id, o.addr, o.size, o.retained, o.count, o.type or "", o.site_name or "" }
    if extra_vals then for _, v in ipairs(extra_vals(o, k)) do r[#r + 1] = v end end
    rows[k] = r
  end
  local spec = {}
  for k, c in ipairs(OBJECT_COLS) do spec[k] = c end
  for _, c in ipairs(extra or {}) do spec[#spec + 1] = c end
  return object_rows(h, tab.table_from(name, spec, rows))
end
M.object_table = object_table

function Heap:_need_roots(what)
  local why = self:_unreachable_why()
  if why then error(what .. ": " .. why:gsub("^%(unreachable: ", ""):gsub("%)$", ""), 3) end
end

-- The objects only GC roots dominate (the top of the dominator tree),
-- largest retained first, as o:dominated([n]) lists an object's: a list
-- with .total, the number there are.
function Heap:dominated(n)
  self:_need_roots("dominated")
  return dominated_list(self, self._n, n)
end

-- The n (default 10) objects at the top of the dominator tree retaining
-- the most, largest first: none inside another's retained set (a ring of
-- 1000 sessions is one row, its head).  Rows are objects; accumulation is
-- where the retained size spreads out below the row (o:accumulation()),
-- chain the length of the list starting there; root the GC root holding it.
function Heap:top_retainers(n)
  self:_need_roots("top_retainers")
  local ids = core.heap_top(self._ud, n or 10)
  local objs = {}
  for k, i in ipairs(ids) do objs[k] = obj(self, i) end
  local acc = accumulations(self, ids)
  return object_table(self, "heap.top_retainers", objs,
    { { "accumulates_at", "u64", "hex" }, { "chain", "u64" }, { "root", "str" } },
    function(o, k)
      local a, len = obj(self, acc[k][1]), acc[k][2]
      local ps, offs = core.heap_path(self._ud, o._i)
      local root = "(unreachable)"
      if #ps > 0 then
        local r = self:root(offs[1] + 1)
        root = r and r.text or "?"
      end
      return { a.addr, len, root }
    end)
end

-- Group rows (by_type, by_site) give their objects.
local GroupRow = {}
function GroupRow.objects(r)
  local h = r._heap
  local first = obj(h, r.first - 1)
  local col, n, want
  if r.memprof then
    col, want = h:_col("bucket"), first.bucket or 0
  elseif first.type_addr ~= 0 then
    col, want = h:_col("type"), first.type_addr
  end
  local sizes, fsize = h:_col("size"), first.size
  local ids = {}
  n = 0
  for i = 0, h._n - 1 do
    local ok
    if col then ok = tonumber(col[i]) == want
    else ok = tonumber(h:_col("type")[i]) == 0 and tonumber(sizes[i]) == fsize end
    if ok then n = n + 1; ids[n] = i end
    if i % 65536 == 65535 then core.checkpoint() end
  end
  local l = list_of(h, ids)
  l.offsets = nil
  return l
end

local function histogram(h, by, n)
  h:_need_roots("by_" .. by)
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
                by == "type" and first.type_addr or r.key[i], r.first[i] + 1 }
  end
  table.sort(rows, function(a, b)
    if a[3] ~= b[3] then return a[3] > b[3] end
    return a[1] < b[1]
  end)
  if n then
    for k = #rows, n + 1, -1 do rows[k] = nil end
  end
  local keycol = by == "type" and { "type_addr", "u64", "hex" } or { "memprof", "u32" }
  local t = tab.table_from("heap.by_" .. by, {
    { by, "str" }, { "count", "u64" }, { "bytes", "u64", "bytes" },
    { "retained", "u64", "bytes" }, keycol, { "first", "u32" } }, rows)
  local class = { objects = function(row)
    return GroupRow.objects(setmetatable({ _heap = h }, { __index = row }))
  end }
  tab.set_row_class(t, class)
  return t
end

-- Count, shallow bytes and retained bytes per type identity (the type word
-- of Go 1.22+ header objects; objects without one group by size), the n
-- (default all) largest by bytes; first is the id of one member;
-- row:objects() lists the group.
function Heap:by_type(n) return histogram(self, "type", n) end
-- The same per allocation site (memprof bucket: the memprof column is its
-- 1-based heap.memprof row; "(not sampled)", memprof 0, for the rest).
function Heap:by_site(n) return histogram(self, "site", n) end

------------------------------------------------------------------ the tree

local Tree = {}
Tree.__tostring = function(t) return t.text end
M.Tree = Tree

-- heap:tree([o] [, depth]): the dominator tree under o (default: its top),
-- depth levels (default 3), 8 children per node: per node retained, size,
-- count (objects it retains), type, site, address.  A chain of same-shaped
-- objects (a list, a ring) is one line with its length; what its members
-- hold besides the next link is summed per shape below it.
function Heap:tree(o, depth)
  if type(o) == "number" and depth == nil then o, depth = nil, o end
  if o ~= nil and getmetatable(o) ~= Object then
    o = rawget(o, "object") or (type(o.object) == "function" and o:object()) or o
  end
  depth = depth or 3
  local WIDE = 8
  local lines = {}
  local function row(ind, retained, size, count, what)
    lines[#lines + 1] = ("%10s %9s %7d  %s%s"):format(fmt_bytes(retained), fmt_bytes(size),
      count, ("  "):rep(ind), what)
  end
  local function line(ind, x, note)
    row(ind, x.retained, x.size, x.count, ("%s%s%s%s"):format(hex(x.addr), note or "",
      x.type and (" " .. x.type) or "", x.site_name and (" " .. x.site_name) or ""))
  end
  local walk
  local function kids(x, ind, lvl)
    if lvl >= depth then return end
    local l = x:dominated(WIDE)
    for _, k in ipairs(l) do walk(k, ind, lvl) end
    if l.total > #l then
      lines[#lines + 1] = ("%30s%s... %d more (o:dominated() lists them)"):format("",
        ("  "):rep(ind), l.total - #l)
    end
  end
  function walk(x, ind, lvl)
    local n, last = chain(x)
    if n == 1 then
      line(ind, x)
      kids(x, ind + 1, lvl + 1)
      return
    end
    line(ind, x, (" [chain of %d, to %s]"):format(n, hex(last.addr)))
    -- what the members hold besides the next link, per shape
    local per, order = {}, {}
    local cur = x
    for _ = 1, n do
      local l = cur:dominated()
      local nextlink = nil
      for _, k in ipairs(l) do
        if shape(k) == shape(x) and nextlink == nil then
          nextlink = k
        else
          local s = shape(k)
          local g = per[s]
          if not g then
            g = { first = k, n = 0, retained = 0 }
            per[s] = g
            order[#order + 1] = s
          end
          g.n, g.retained = g.n + 1, g.retained + k.retained
        end
      end
      cur = nextlink
      if not cur then break end
    end
    table.sort(order, function(a, b) return per[a].retained > per[b].retained end)
    for _, s in ipairs(order) do
      local g = per[s]
      local f = g.first
      row(ind + 1, g.retained, f.size, g.n, ("%d x like %s%s%s (held by the chain's members)")
        :format(g.n, hex(f.addr), f.type and (" " .. f.type) or "",
                f.site_name and (" " .. f.site_name) or ""))
    end
  end
  lines[1] = ("%10s %9s %7s  %s"):format("retained", "size", "count", "address type site")
  if o then
    walk(o, 0, 0)
  else
    self:_need_roots("tree")
    local l, total = core.heap_top(self._ud, WIDE)
    for _, i in ipairs(l) do walk(obj(self, i), 0, 0) end
    if total > #l then
      lines[#lines + 1] = ("%30s... %d more at the top (heap:top_retainers(n) lists them)")
        :format("", total - #l)
    end
  end
  return setmetatable({ text = table.concat(lines, "\n") }, Tree)
end

-- wrap(ud) makes a case object of a case userdata (hs.wrap_case): for the
-- dumps of a series, loaded as cases of their own.
function M.attach(c, wrap)
  if not core.heap_has(c._ud) then return end
  local h = setmetatable({ _ud = c._ud, _case = c, _cols = {} }, Heap)
  for _, name in ipairs(c.tables) do
    local part = name:match("^heap%.(.+)$")
    if part and part ~= "graph" then h[part] = c:table(name) end
  end
  h.params = core.heap_params(c._ud)
  h._n = h.params.objects
  c.heap = h
  c.heaps, c.heap_series = M.series(c, h, wrap)
end

-- The heap dumps of a case's series (heap.series, written by the heapdump
-- loader when a case holds several), oldest first: by the GC count each
-- dump was written at, file name the tie-break.  The latest is case.heap;
-- each other one is loaded, as a case of its own that borrows the bytes,
-- the first time a field of it is read (the entry then becomes that heap).
-- Without a series: { case.heap }.  Second result: the rows of heap.series
-- in that order ({input, num_gc, latest}), for info; nil without a series.
function M.series(c, h, wrap)
  local t = c:table("heap.series")
  if not t or #t < 2 then return { h } end
  local rows = {}
  for i = 1, #t do rows[i] = t[i] end
  table.sort(rows, function(a, b)
    if a.num_gc ~= b.num_gc then return a.num_gc < b.num_gc end
    return a.input < b.input
  end)
  local out = {}
  for k, r in ipairs(rows) do
    if r.latest == 1 then
      out[k] = h
      rawset(h, "_file", r.input)
    else
      local name = r.input
      local lazy = {}
      local function become(e)
        setmetatable(e, nil)
        local ud = core.load_member(c._ud, name)
        local m = ud and wrap(ud)
        if not (m and m.heap) then
          local why = m and m.errors[1] and m.errors[1].text or "not found"
          error(("%s: this heap dump of the series could not be loaded: %s"):format(name, why), 3)
        end
        m._parent = c
        for key, v in pairs(m.heap) do rawset(e, key, v) end
        rawset(e, "_file", name)
        return setmetatable(e, getmetatable(m.heap))
      end
      lazy.__index = function(e, key) return become(e)[key] end
      lazy.__tostring = function() return ("heap dump %s (not loaded yet)"):format(name) end
      out[k] = setmetatable({}, lazy)
    end
  end
  return out, rows
end

return M
