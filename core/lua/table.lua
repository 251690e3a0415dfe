-- hs.table: tables in Lua, the query API (printing is hs.show's).
--
-- Every table is an "hs.table" userdata (a case table, a view made by
-- where/sort/top, or a standalone table made by table_from/group_by).  Its
-- columns are read in place through the FFI: ffi.cast of the userdata gives
-- the hs_table_ud of include/heapscope/ffi.h.  The cdata pointers kept in
-- `info` below do not keep anything alive, so `info` is keyed weakly by the
-- userdata and every function that uses a pointer holds the userdata too.
--
-- Iteration helpers call core.checkpoint() every 64K rows: it raises
-- "interrupted" after Ctrl-C, and being a C call it makes LuaJIT leave the
-- compiled trace, so even tight loops over millions of rows stop promptly.
local ffi = require "ffi"
local bit = require "bit"
local core = require "hs.core"

ffi.cdef(core.ffi_header())

local M = {}
-- column types and display flags: the enums of include/heapscope/ffi.h
local C = ffi.C
local U32, U64, I64, F64, STR = C.HS_U32, C.HS_U64, C.HS_I64, C.HS_F64, C.HS_STR
local COL_BYTES, COL_HEX, COL_SECONDS, COL_EPOCH, COL_PCT, COL_MB = C.HS_COL_BYTES, C.HS_COL_HEX,
  C.HS_COL_SECONDS, C.HS_COL_EPOCH, C.HS_COL_PCT, C.HS_COL_MB
M.types = { u32 = U32, u64 = U64, i64 = I64, f64 = F64, str = STR, string = STR }
M.flags = { bytes = COL_BYTES, hex = COL_HEX, seconds = COL_SECONDS, epoch = COL_EPOCH,
            pct = COL_PCT, mb = COL_MB }
local ctype_of = { [U32] = "uint32_t *", [U64] = "uint64_t *", [I64] = "int64_t *",
                   [F64] = "double *", [STR] = "uint32_t *" }
local udptr = ffi.typeof("hs_table_ud *")
local TWO53 = 2 ^ 53
local CHECK_EVERY = 65536
M.U32, M.U64, M.I64, M.F64, M.STR = U32, U64, I64, F64, STR
local checkpoint = core.checkpoint
-- Ctrl-C (or --timeout) pending, read in place: a volatile load that a
-- compiled loop re-reads every time, so a loop that calls table methods
-- leaves its trace and stops at the next call even when it never reaches
-- CHECK_EVERY rows.
ffi.cdef("extern volatile int hs_interrupted;")
local C = ffi.C

local mt = core.table_mt        -- the userdata metatable, shared with C
local methods = {}
M.methods = methods

-- info[ud] = { u = hs_table_ud*, t = hs_table*, n = rows, idx = aIdx or nil,
--              cols = { [name] = col }, names = { name... } }
-- col = { name, i (0-based), type, flags, ptr }
local info = setmetatable({}, { __mode = "k" })

local function getinfo(ud)
  if C.hs_interrupted ~= 0 then checkpoint() end
  local inf = info[ud]
  if inf then return inf end
  local u = ffi.cast(udptr, ud)
  local t = u.pTab
  if t == nil then error("attempt to use a closed table", 3) end
  inf = { u = u, t = t, cols = {}, names = {} }
  inf.view = u.bView ~= 0
  inf.n = tonumber(inf.view and u.nIdx or t.nRow)
  if inf.view then inf.idx = u.aIdx end
  for i = 0, t.nCol - 1 do
    local c = t.aCol[i]
    local name = ffi.string(c.zName)
    local col = { name = name, i = i, type = c.type, flags = c.flags,
                  ptr = ffi.cast(ctype_of[c.type], c.aData) }
    inf.cols[name] = col
    inf.names[#inf.names + 1] = name
  end
  inf.name = ffi.string(t.zName)
  info[ud] = inf
  return inf
end
M.getinfo = getinfo

local function is_table(x)
  return type(x) == "userdata" and getmetatable(x) == mt
end
M.is_table = is_table

-- Value of a 64-bit integer: a Lua number while exact, else the cdata.
local function num64(v)
  local d = tonumber(v)
  if d < TWO53 and d > -TWO53 then return d end
  return v
end

local function cell(inf, col, r)
  local v = col.ptr[r]
  local ty = col.type
  if ty == STR then
    local pool = inf.t.pStr
    return ffi.string(pool.aData + pool.aOff[v])
  elseif ty == U64 or ty == I64 then
    return num64(v)
  end
  return tonumber(v)
end

M.cell = cell

-- base row number (0-based) of logical row i (1-based)
local function baserow(inf, i)
  if inf.idx then return inf.idx[i - 1] end
  return i - 1
end
M.baserow = baserow

local function colof(inf, name, level)
  local col = inf.cols[name]
  if not col then
    error(("no column %q in table %s (columns: %s)"):format(tostring(name), inf.name,
          table.concat(inf.names, ", ")), level or 3)
  end
  return col
end

-- A row as a plain Lua table {col = value, ...}.
local function row(ud, i)
  local inf = getinfo(ud)
  if i < 1 or i > inf.n or i ~= math.floor(i) then return nil end
  local r = baserow(inf, i)
  local out = {}
  for _, name in ipairs(inf.names) do out[name] = cell(inf, inf.cols[name], r) end
  return setmetatable(out, M.row_mt(ud))
end

-- Rows print in column order: the row metatable remembers its table.  A
-- table whose rows stand for something (an object, a group of objects) has
-- a row class (M.set_row_class): its methods answer on the row, so
-- `heap:top_retainers()[1]:path()` works.
local row_mts = setmetatable({}, { __mode = "k" })
local row_classes = setmetatable({}, { __mode = "k" })
function M.row_mt(ud)
  local m = row_mts[ud]
  if not m then
    m = { __table = ud, __index = row_classes[ud] }
    row_mts[ud] = m
  end
  return m
end

-- Give the rows of table ud (and of the views made from it) the methods of
-- class: row:m(...) calls class.m(row, ...).
function M.set_row_class(ud, class)
  row_classes[ud] = class
  row_mts[ud] = nil
end
function M.row_class(ud) return row_classes[ud] end

-- Lazy row for where(): fields are read on access, nothing is copied.
local lazy_mt = {
  __index = function(p, k)
    local inf = rawget(p, 1)
    local col = inf.cols[k]
    if not col then return nil end
    return cell(inf, col, rawget(p, 2))
  end,
}

mt.__len = function(ud) return getinfo(ud).n end
mt.__index = function(ud, k)
  if type(k) == "number" then return row(ud, k) end
  local m = methods[k]
  if m then return m end
  return nil
end

------------------------------------------------------------------ metadata

function methods:name() return getinfo(self).name end
function methods:columns()
  local inf = getinfo(self)
  local out = {}
  for i, n in ipairs(inf.names) do out[i] = n end
  return out
end
function methods:coltype(name)
  local col = colof(getinfo(self), name)
  local names = { [U32] = "u32", [U64] = "u64", [I64] = "i64", [F64] = "f64", [STR] = "str" }
  return names[col.type], col.flags
end
-- Zero-copy access: t:column(name) is the column's C array seen through a
-- read-only, bounds-checked cdata (0-based, indexed by base row, #a rows);
-- it keeps the table alive itself (its ffi.gc finalizer holds the
-- userdata).  Reads compile to a compare and a load.  t:unsafe_column(name)
-- is the raw pointer: no bounds, writable, and valid only while `self` is
-- referenced -- for code that knows what it does (filling a new_table).
-- t:index() is the view's row index array (nil unless this is a view).
local colview_mt = {
  __index = function(a, i)
    local ti = type(i)
    if (ti == "number" or ti == "cdata") and i >= 0 and i < a.n then return a.unsafe_ptr[i] end
    error(("column index %s out of range (the column has %d rows, 0 to %d)")
          :format(tostring(i), tonumber(a.n), tonumber(a.n) - 1), 2)
  end,
  __newindex = function()
    error("columns are read-only (t:column gives a view of the loaded evidence)", 2)
  end,
  __len = function(a) return tonumber(a.n) end,
}
local colview_ct = {}
for ty, ct in pairs(ctype_of) do
  local elem = ct:sub(1, -3)
  colview_ct[ty] = ffi.metatype(("struct { %s *unsafe_ptr; int64_t n; }"):format(elem),
                                colview_mt)
end
function methods:column(name)
  local inf = getinfo(self)
  local col = colof(inf, name)
  local a = colview_ct[col.type](col.ptr, inf.t.nRow)
  local keep = self
  return ffi.gc(a, function() return keep end)
end
function methods:unsafe_column(name) return colof(getinfo(self), name).ptr end
function methods:index() return getinfo(self).idx end
function methods:get(i, name)
  local inf = getinfo(self)
  if i < 1 or i > inf.n then return nil end
  return cell(inf, colof(inf, name), baserow(inf, i))
end

------------------------------------------------------------------ iteration

-- for i, row in t:each() do ... end  (rows are lazy: read fields, don't keep)
function methods:each()
  local inf = getinfo(self)
  local i, n, ud = 0, inf.n, self
  return function()
    i = i + 1
    if i > n then return nil end
    if i % CHECK_EVERY == 0 then checkpoint() end
    local _ = ud
    return i, row(ud, i)
  end
end

-- for i, r in t:rows() do  -- r is the 0-based base row, for :column() reads
function methods:rows()
  local inf = getinfo(self)
  local i, n, idx, ud = 0, inf.n, inf.idx, self
  return function()
    i = i + 1
    if i > n then return nil end
    if i % CHECK_EVERY == 0 then checkpoint() end
    local _ = ud
    if idx then return i, idx[i - 1] end
    return i, i - 1
  end
end

-- Make a view of self's base table from a Lua array of base rows (0-based).
local function make_view(ud, rows, nrows)
  local v = core.view(ud, nrows)
  local vu = ffi.cast(udptr, v)
  for k = 1, nrows do vu.aIdx[k - 1] = rows[k] end
  if row_classes[ud] then row_classes[v] = row_classes[ud] end
  return v
end
M.make_view = make_view

-- t:where(fn) keeps the rows for which fn(row) is true (row fields are read
-- lazily); t:where(col, value) keeps rows whose column equals value.
function methods:where(fn, value)
  local inf = getinfo(self)
  local keep, nkeep = {}, 0
  if type(fn) == "string" then
    local col = colof(inf, fn)
    for i = 1, inf.n do
      if i % CHECK_EVERY == 0 then checkpoint() end
      local r = baserow(inf, i)
      if cell(inf, col, r) == value then
        nkeep = nkeep + 1
        keep[nkeep] = r
      end
    end
  else
    assert(type(fn) == "function", "where: expected a function or a column name")
    local p = setmetatable({ inf, 0 }, lazy_mt)
    for i = 1, inf.n do
      if i % CHECK_EVERY == 0 then checkpoint() end
      local r = baserow(inf, i)
      p[2] = r
      if fn(p) then
        nkeep = nkeep + 1
        keep[nkeep] = r
      end
    end
  end
  return make_view(self, keep, nkeep)
end

-- Sort key of a cell: numbers compare as numbers (u64 beyond 2^53 compare
-- as doubles, which keeps the order of realistic values), strings as strings.
local function key(inf, col, r)
  local v = col.ptr[r]
  if col.type == STR then
    local pool = inf.t.pStr
    return ffi.string(pool.aData + pool.aOff[v])
  end
  return tonumber(v)
end

-- t:sort(col [, desc]) -> a view in that order (stable: ties keep row order).
function methods:sort(name, desc)
  local inf = getinfo(self)
  local col = colof(inf, name)
  local rows, keys = {}, {}
  for i = 1, inf.n do
    if i % CHECK_EVERY == 0 then checkpoint() end
    local r = baserow(inf, i)
    rows[i] = i
    keys[i] = key(inf, col, r)
  end
  table.sort(rows, function(a, b)
    local ka, kb = keys[a], keys[b]
    if ka == kb then return a < b end
    if desc then return ka > kb end
    return ka < kb
  end)
  for k = 1, #rows do rows[k] = baserow(inf, rows[k]) end
  return make_view(self, rows, #rows)
end

-- t:top(n, col) -> the n rows with the largest col, largest first.  Cost:
-- one pass with a bounded insertion list, O(rows * log n) comparisons.
function methods:top(n, name)
  local inf = getinfo(self)
  local col = colof(inf, name)
  n = math.max(0, math.floor(n or 10))
  local best, bkeys, nb = {}, {}, 0
  for i = 1, inf.n do
    if i % CHECK_EVERY == 0 then checkpoint() end
    local r = baserow(inf, i)
    local k = key(inf, col, r)
    if nb < n or k > bkeys[nb] then
      -- binary search for the insertion point (descending; ties after)
      local lo, hi = 1, nb + 1
      while lo < hi do
        local mid = bit.rshift(lo + hi, 1)
        if bkeys[mid] >= k then lo = mid + 1 else hi = mid end
      end
      if nb < n then nb = nb + 1 end
      for j = nb, lo + 1, -1 do
        best[j], bkeys[j] = best[j - 1], bkeys[j - 1]
      end
      best[lo], bkeys[lo] = r, k
    end
  end
  return make_view(self, best, nb)
end

function methods:head(n)
  local inf = getinfo(self)
  n = math.min(inf.n, math.max(0, n or 10))
  local rows = {}
  for i = 1, n do rows[i] = baserow(inf, i) end
  return make_view(self, rows, n)
end

------------------------------------------------------------------ building

local function parse_spec(spec)
  -- spec: { {name, type [, flags]} ... } or { {name=, type=, flags=} ... }
  local cols = {}
  for i, c in ipairs(spec) do
    local name = c.name or c[1]
    local ty = c.type or c[2] or "f64"
    local fl = c.flags or c[3] or 0
    if type(ty) == "string" then ty = assert(M.types[ty], "unknown column type " .. ty) end
    if type(fl) == "string" then
      local f = 0
      for w in fl:gmatch("%a+") do
        local fv = M.flags[w]
        if not fv then error("unknown column flag " .. w, 3) end
        f = bit.bor(f, fv)
      end
      fl = f
    end
    cols[i] = { name = name, type = ty, flags = fl }
  end
  return cols
end

-- hs.table_from(name, spec, rows): a standalone table from Lua data.
-- spec lists the columns ({ {"func", "str"}, {"bytes", "u64", "bytes"} });
-- rows is an array of rows, each an array in column order or a map by name.
function M.table_from(name, spec, rows)
  local cols = parse_spec(spec)
  local ud = core.new_table(name, cols, #rows)
  local inf = getinfo(ud)
  for i, r in ipairs(rows) do
    for ci, c in ipairs(cols) do
      local v = r[c.name]
      if v == nil then v = r[ci] end
      local col = inf.cols[c.name]
      if c.type == STR then
        core.set_str(ud, col.i, i - 1, v == nil and "" or tostring(v))
      elseif v ~= nil then
        if type(v) == "boolean" then v = v and 1 or 0 end
        col.ptr[i - 1] = v
      end
    end
  end
  core.seal(ud)
  return ud
end

-- Copy chosen columns of the rows of `self` (a view or table) into a new
-- standalone table that shares self's string pool.
local function materialize(self, names, name)
  local inf = getinfo(self)
  local spec = {}
  for k, n in ipairs(names) do
    local col = colof(inf, n, 4)
    spec[k] = { name = n, type = col.type, flags = col.flags }
  end
  local out = core.new_table(name or inf.name, spec, inf.n, self)
  local oinf = getinfo(out)
  for _, n in ipairs(names) do
    local src, dst = inf.cols[n].ptr, oinf.cols[n].ptr
    for i = 1, inf.n do
      if i % CHECK_EVERY == 0 then checkpoint() end
      dst[i - 1] = src[baserow(inf, i)]
    end
  end
  core.seal(out)
  return out
end

-- t:select("a", "b") -> a table with only those columns (in that order).
function methods:select(...)
  local names = { ... }
  if #names == 1 and type(names[1]) == "table" then names = names[1] end
  return materialize(self, names)
end

------------------------------------------------------------------ grouping

local Groups = {}
Groups.__index = Groups

-- t:group_by(col or fn) -> groups with :count(), :sum(col), :keys()
function methods:group_by(by)
  local inf = getinfo(self)
  local keyf
  if type(by) == "string" then
    local col = colof(inf, by)
    keyf = function(_, r) return cell(inf, col, r) end
  else
    assert(type(by) == "function", "group_by: expected a column name or a function")
    local p = setmetatable({ inf, 0 }, lazy_mt)
    keyf = function(_, r) p[2] = r; return by(p) end
  end
  local groups, order = {}, {}
  for i = 1, inf.n do
    if i % CHECK_EVERY == 0 then checkpoint() end
    local r = baserow(inf, i)
    local k = keyf(nil, r)
    if k == nil then k = "(nil)" end
    local g = groups[k]
    if not g then
      g = {}
      groups[k] = g
      order[#order + 1] = k
    end
    g[#g + 1] = r
  end
  return setmetatable({ ud = self, inf = inf, groups = groups, order = order,
                        keyname = type(by) == "string" and by or "key" }, Groups)
end

function Groups:keys()
  local out = {}
  for i, k in ipairs(self.order) do out[i] = k end
  return out
end

local function keyspec(self)
  local k1 = self.order[1]
  if type(k1) == "number" then return { self.keyname, "f64" } end
  return { self.keyname, "str" }
end

-- :count() -> table (key, count) largest first
function Groups:count()
  local rows = {}
  for i, k in ipairs(self.order) do rows[i] = { k, #self.groups[k] } end
  table.sort(rows, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return tostring(a[1]) < tostring(b[1])
  end)
  return M.table_from("count", { keyspec(self), { "count", "u64" } }, rows)
end

-- :sum(col) -> table (key, col, count) largest sum first; the row count is
-- called "rows" when col is itself "count" (summing debug=1 goroutine counts)
function Groups:sum(name)
  local col = colof(self.inf, name)
  local rows = {}
  for i, k in ipairs(self.order) do
    local s = 0
    for _, r in ipairs(self.groups[k]) do s = s + tonumber(col.ptr[r]) end
    rows[i] = { k, s, #self.groups[k] }
  end
  table.sort(rows, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return tostring(a[1]) < tostring(b[1])
  end)
  local ty = col.type == F64 and "f64" or (col.type == I64 and "i64" or "u64")
  local nrows = (name == "count" or name == self.keyname) and "rows" or "count"
  return M.table_from("sum", { keyspec(self), { name, ty, col.flags }, { nrows, "u64" } }, rows)
end

-- :each() -> iterator over key, view
function Groups:each()
  local i = 0
  return function()
    i = i + 1
    local k = self.order[i]
    if k == nil then return nil end
    local g = self.groups[k]
    return k, make_view(self.ud, g, #g)
  end
end

------------------------------------------------------------------ aggregates

function methods:sum(name)
  local inf = getinfo(self)
  local col = colof(inf, name)
  local s = 0
  for i = 1, inf.n do
    if i % CHECK_EVERY == 0 then checkpoint() end
    s = s + tonumber(col.ptr[baserow(inf, i)])
  end
  return s
end

-- The largest (or, with less, the smallest) value of a column, or nil.
local function extreme(self, name, less)
  local inf = getinfo(self)
  local col = colof(inf, name, 4)
  local m
  for i = 1, inf.n do
    local v = key(inf, col, baserow(inf, i))
    if m == nil or (less and v < m) or (not less and v > m) then m = v end
  end
  return m
end
function methods:max(name) return extreme(self, name, false) end
function methods:min(name) return extreme(self, name, true) end

-- t:values(col) -> Lua array of the column's values in row order
function methods:values(name)
  local inf = getinfo(self)
  local col = colof(inf, name)
  local out = {}
  for i = 1, inf.n do
    if i % CHECK_EVERY == 0 then checkpoint() end
    out[i] = cell(inf, col, baserow(inf, i))
  end
  return out
end

return M
