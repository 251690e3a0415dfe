-- hs.repl: the Lua half of heapscope's REPL (the C half is core/lua/repl.c).
--
--   complete(line, cursor [, env]) -> list of words   tab completion
--   help([x])                                        the API, or help on x
--   show(opts, ...) -> string                        how results are printed
--   banner() -> string                               the greeting
--   install()                                        sets the global help()
--
-- Completion never runs a metamethod: it reads fields with rawget and
-- follows a metatable's __index when that is a table (found with
-- debug.getmetatable, so __metatable cannot hide it).  When __index is a
-- function, the tables it reads from (its upvalues: a class's methods, a
-- table of lazy getters) supply names, and nothing is called, so a lazily
-- computed field such as a heap's `graph` is offered, never computed.  The
-- only functions it calls are ones that declare themselves safe for it: a
-- metatable's __complete(obj) (returns extra names), and for an "hs.table"
-- userdata its columns() method (hs.table's, found in
-- require("hs.table").methods), which only reads the table's header.
local M = {}
local kind_of

local dgetmt = debug.getmetatable
local type, next, rawget, pcall, select = type, next, rawget, pcall, select
local tostring, tconcat, sort = tostring, table.concat, table.sort

local MAX_DEPTH = 8        -- __index chain links followed
local MAX_KEYS = 20000     -- keys scanned per table (a completion stays instant)
local LONG_STRING = 16384  -- results longer than this print their start only
local LONG_SHOW = 2048

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while",
}

-- The "hs.table" metatable, if the C core is loaded.
local function table_mt()
  local core = package.loaded["hs.core"]
  return type(core) == "table" and rawget(core, "table_mt") or nil
end

local function is_hstable(v)
  if type(v) ~= "userdata" then return false end
  local mt = dgetmt(v)
  return mt ~= nil and mt == table_mt()
end

-- v[k] without metamethods: a raw field, else the same lookup in the
-- metatable's __index when that is a table.
local function lookup(v, k, depth)
  depth = depth or 0
  if depth > MAX_DEPTH then return nil end
  if type(v) == "table" then
    local r = rawget(v, k)
    if r ~= nil then return r end
  end
  local mt = dgetmt(v)
  if type(mt) ~= "table" then return nil end
  local idx = rawget(mt, "__index")
  if type(idx) == "table" then return lookup(idx, k, depth + 1) end
  return nil
end
M.lookup = lookup

-- hs.table's methods (a plain table: hs.table's __index is a
-- function, which completion must not call).
local function table_methods()
  local tab = package.loaded["hs.table"]
  local m = type(tab) == "table" and rawget(tab, "methods") or nil
  return type(m) == "table" and m or nil
end

-- Column names of an hs.table userdata through hs.table's columns()
-- (which only reads the table's header), or nil.
local function columns_of(t)
  if not is_hstable(t) then return nil end
  local m = table_methods()
  local f = m and rawget(m, "columns")
  if type(f) ~= "function" then return nil end
  local ok, cols = pcall(f, t)
  if not ok or type(cols) ~= "table" then return nil end
  local out = {}
  for i = 1, #cols do
    if type(cols[i]) == "string" then out[#out + 1] = cols[i] end
  end
  return out
end
M.columns_of = columns_of

-- A name whose value is not known without running code, and which is not a
-- method (a lazily computed field): offered after '.', not after ':'.
local FIELD = setmetatable({}, { __tostring = function() return "(field)" end })

-- Is t one of the loaded modules (string, ffi, hs.core ...) or _G?
local function is_module(t)
  if t == _G then return true end
  for _, m in pairs(package.loaded) do
    if m == t then return true end
  end
  return false
end

-- The tables an __index function reads from, found as its upvalues
-- (debug.getupvalue runs nothing): { {table, is_the_metatable}, ... }.
-- The usual shape is `function(o, k) local m = Class[k] if m then return m
-- end local g = getters[k] ... end`: Class holds methods, getters names
-- fields.  Loaded modules are left out; they are helpers, not members.
local function index_tables(f, mt)
  local out = {}
  for i = 1, 64 do
    local name, val = debug.getupvalue(f, i)
    if name == nil then break end
    if type(val) == "table" and not is_module(val) then out[#out + 1] = { val, val == mt } end
  end
  return out
end

-- Names reachable from v with `.` or `:`: names[name] = value (true when the
-- value is unknown: names from __complete; FIELD for names an __index
-- function serves from a table other than the metatable).
local function names_of(v, names, depth)
  names = names or {}
  depth = depth or 0
  if depth > MAX_DEPTH then return names end
  if type(v) == "table" then
    local n, k, x = 0, next(v)
    while k ~= nil and n < MAX_KEYS do
      if type(k) == "string" and names[k] == nil then names[k] = x end
      n = n + 1
      k, x = next(v, k)
    end
  end
  local mt = dgetmt(v)
  if type(mt) == "table" then
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then
      names_of(idx, names, depth + 1)
    elseif type(idx) == "function" and not is_hstable(v) then
      for _, it in ipairs(index_tables(idx, mt)) do
        if it[2] then
          names_of(it[1], names, MAX_DEPTH)    -- the class: real values, no deeper
        else
          local n, k = 0, next(it[1])
          while k ~= nil and n < MAX_KEYS do
            if type(k) == "string" and names[k] == nil then names[k] = FIELD end
            n = n + 1
            k = next(it[1], k)
          end
        end
      end
    end
    if depth == 0 and is_hstable(v) then
      local m = table_methods()
      if m then names_of(m, names, depth + 1) end
    end
    local comp = rawget(mt, "__complete")
    if type(comp) == "function" then
      local ok, list = pcall(comp, v)
      if ok and type(list) == "table" then
        for i = 1, #list do
          if type(list[i]) == "string" and names[list[i]] == nil then names[list[i]] = true end
        end
      end
    end
  end
  return names
end

local function sorted_matches(names, prefix, partial, want)
  local out, seen = {}, {}
  local hide = partial:sub(1, 1) ~= "_"   -- _private names only when asked
  for name, val in pairs(names) do
    if name:sub(1, #partial) == partial and name:match("^[%a_][%w_]*$")
       and not (hide and name:sub(1, 1) == "_")
       and (want == nil or want(val)) and not seen[name] then
      seen[name] = true
      out[#out + 1] = prefix .. name
    end
  end
  sort(out)
  return out
end

-- Methods whose result has the columns of their receiver (views, and the
-- groups whose :sum(col) names the receiver's columns).
local SAME_COLUMNS = { sort = true, where = true, top = true, head = true, group_by = true }

-- Walk a dotted path from env with lookup(); nil if a step is missing or
-- not a plain name.
local function walk(env, path)
  local v = env
  for seg in (path .. "."):gmatch("([^.]*)%.") do
    if not seg:match("^[%a_][%w_]*$") then return nil end
    v = lookup(v, seg)
    if v == nil then return nil end
  end
  return v
end

-- When the cursor is inside a string argument of a method call on a table,
-- as in `case.gc:top(5, "he` or `t:where(f):group_by("st`, the matching
-- column names; nil when it is not.  The receiver may be a path followed by
-- calls of SAME_COLUMNS methods, which are skipped, never run.
local function string_arg_columns(before, env)
  local q, part = before:match("()[\"']([%w_]*)$")
  if not q then return nil end
  -- the unclosed '(' of the call the string is an argument of (strings
  -- between are skipped roughly: quotes toggle a flag)
  local depth, inq, p = 0, nil, nil
  for i = q - 1, 1, -1 do
    local ch = before:sub(i, i)
    if inq then
      if ch == inq then inq = nil end
    elseif ch == '"' or ch == "'" then
      inq = ch
    elseif ch == ")" then
      depth = depth + 1
    elseif ch == "(" then
      if depth == 0 then p = i break end
      depth = depth - 1
    end
  end
  if not p then return nil end
  local recv = before:sub(1, p - 1):match("^(.-):[%a_][%w_]*%s*$")
  if not recv then return nil end
  -- strip trailing :m(...) calls that keep the columns
  while true do
    local rest, m = recv:match("^(.*):([%a_][%w_]*)%s*%b()$")
    if not rest or not SAME_COLUMNS[m] then break end
    recv = rest
  end
  local path = recv:match("([%a_][%w_%.]*)$")
  if not path or recv:sub(1, #recv - #path):match("[%w_%.:%)%]]%s*$") then
    return {}                               -- a field of something computed
  end
  local v = walk(env, path)
  local cols = v ~= nil and columns_of(v) or nil
  if not cols then return {} end
  local names = {}
  for _, c in ipairs(cols) do names[c] = true end
  return sorted_matches(names, "", part)
end

-- complete(line, cursor [, env]) -> sorted list of words.  cursor is the
-- number of bytes of line before the cursor (readline's rl_point; default:
-- the whole line).  Each word replaces the run of [A-Za-z0-9_.:] that ends
-- at the cursor (inside a string argument: the run of [A-Za-z0-9_]):
--   "hs.lo"            -> {"hs.load", "hs.loaders", ...}
--   "case.gc:so"       -> {"case.gc:sort"}         (methods: functions only)
--   't:sort("he'       -> {"heap_end", ...}        (columns in a string arg)
-- A path that does not resolve without metamethods gives {}.
function M.complete(line, cursor, env)
  env = env or _G
  line = tostring(line or "")
  cursor = tonumber(cursor) or #line
  local before = line:sub(1, cursor)

  -- a column name inside a method call's string argument
  local cols_here = string_arg_columns(before, env)
  if cols_here then return cols_here end
  if before:match("[\"'][^\"']*$") and select(2, before:gsub("[\"']", "")) % 2 == 1 then
    return {}                               -- inside some other string
  end

  local word = before:match("[%w_%.:]*$")
  if word:match("^%d") then return {} end   -- a number, not a name

  local path, sep, partial = word:match("^(.-)([%.:])([%w_]*)$")
  if not path then                            -- a global or a keyword
    local names = names_of(env)
    for _, kw in ipairs(KEYWORDS) do if names[kw] == nil then names[kw] = true end end
    return sorted_matches(names, "", word)
  end
  local v = walk(env, path)                  -- a.b.c; no calls, no ':'
  if v == nil then return {} end
  local names = names_of(v)
  local want
  if sep == ":" then
    want = function(x) return type(x) == "function" or x == true end
  end
  return sorted_matches(names, path .. sep, partial, want)
end

-- ---------------------------------------------------------------- show

-- A short one-line rendering of plain Lua values, used when hs.format is
-- not available.  Bounded: 3 levels, 20 items per table.
local function brief(v, depth, seen)
  local tv = type(v)
  if tv == "string" then return depth == 0 and v or ("%q"):format(v) end
  if tv ~= "table" or dgetmt(v) ~= nil then return tostring(v) end
  if seen[v] or depth >= 3 then return "{...}" end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, math.min(n, 20) do parts[#parts + 1] = brief(rawget(v, i), depth + 1, seen) end
  local nKey, k, x = 0, next(v)
  local keys = {}
  while k ~= nil and #keys < 200 do
    if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then keys[#keys + 1] = k end
    k, x = next(v, k)
  end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, key in ipairs(keys) do
    nKey = nKey + 1
    if #parts >= 20 then break end
    local ks = type(key) == "string" and key:match("^[%a_][%w_]*$") and key
               or "[" .. brief(key, depth + 1, seen) .. "]"
    parts[#parts + 1] = ks .. " = " .. brief(rawget(v, key), depth + 1, seen)
  end
  local left = n + #keys - #parts
  if left > 0 then parts[#parts + 1] = ("... %d more"):format(left) end
  seen[v] = nil
  return "{" .. tconcat(parts, ", ") .. "}"
end

-- show(opts, ...) -> the REPL's rendering of its results, tab-separated.
-- opts.width is the terminal width (absent when not on a terminal).  A
-- value hs.format cannot render (a __tostring that errors ...) falls back
-- to a plain rendering with the reason, so a result is never lost.
function M.show(opts, ...)
  local hs = package.loaded.hs
  local fmt = type(hs) == "table" and rawget(hs, "format") or nil
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local s, note
    if type(v) == "string" and #v > LONG_STRING then
      -- a big string (a heap object's bytes): its start and its length
      s = v:sub(1, LONG_SHOW) .. ("... (%d bytes in all; print(_) prints every one)"):format(#v)
    elseif type(fmt) == "function" then
      local ok, r = pcall(fmt, v, opts)
      if ok then
        s = r
      elseif tostring(r):find("interrupted", 1, true) then
        error(r, 0)                         -- Ctrl-C: stop printing
      else
        note = "  -- hs.format failed: " .. tostring(r)
      end
    end
    if type(s) ~= "string" then
      local ok, r = pcall(brief, v, 0, {})
      s = ok and r or ("(a %s that cannot be shown: %s)"):format(type(v), tostring(r))
    end
    parts[i] = note and s .. note or s
  end
  return tconcat(parts, "\t")
end

-- ---------------------------------------------------------------- help

-- The whole help text (core/lua/help.lua holds it as data).
M.overview = require("hs.help").text()

-- help(name) topics: help("gc"), help("tables") ...
M.topics = {
  tables = require("hs.help").section("table"),
  repl = [[
Each line is tried as `return <line>` first, then as a statement; an unfinished
statement continues on the next line (prompt ..>).  Results are printed as
aligned tables; _ holds the last one.  History is kept in ~/.heapscope_history
(or $XDG_STATE_HOME/heapscope/history), one entry per chunk, 1000 at most.
Ctrl-C at the prompt clears the line; while code runs it stops it (a loop the
JIT compiled may need a second Ctrl-C, which ends heapscope, history saved).]],
}

-- Documentation of functions, found by help(f) by identity.
M.docs = {
  ["hs.load"] = "hs.load(path) -> case: load a file, directory or archive as another case",
  ["help"] = "help([x]): the API overview, or what x offers (help(case), help(case.gc))",
}

-- The qualified name under which f is reachable from the globals (one or
-- two levels deep, raw lookups only), or nil.
local function name_of(f, env)
  for k, v in next, env do
    if v == f and type(k) == "string" then return k end
  end
  for k, t in next, env do
    if type(k) == "string" and type(t) == "table" and t ~= env then
      for k2, v in next, t do
        if v == f and type(k2) == "string" then return k .. "." .. k2 end
      end
    end
  end
end

-- title(x) -> one line naming x: a heapscope table by name and row count
-- (not its rendering), a global module by its name, else tostring(x).
function M.title(x)
  if is_hstable(x) then
    local m = table_methods()
    local okn, name = pcall(m.name, x)
    local okl, n = pcall(rawget(dgetmt(x), "__len"), x)
    return ("table %s: %s rows (a heapscope table; t:columns(), t:top(n, col), ...)")
      :format(okn and tostring(name) or "?", okl and tostring(n) or "?")
  end
  local name = type(x) == "table" and name_of(x, _G) or nil
  if name then return ("%s: a %s"):format(name, type(x)) end
  local ok, s = pcall(tostring, x)
  return ok and s or ("a " .. type(x))
end

-- describe(x) -> text listing what x offers (fields, methods, columns).
function M.describe(x)
  local lines = {}
  local function add(s) lines[#lines + 1] = s end
  local tx = type(x)
  local cols = columns_of(x)
  if tx == "function" then
    local name = name_of(x, _G)
    add(name and M.docs[name] or ("%s: a function%s"):format(tostring(x),
        name and (" (" .. name .. ")") or ""))
    return tconcat(lines, "\n")
  end
  if tx ~= "table" and tx ~= "userdata" then
    return ("%s: a %s"):format(tostring(x), tx)
  end
  add(M.title(x))
  if cols then add("  columns: " .. tconcat(cols, ", ")) end
  local names = names_of(x)
  local fields, methods = {}, {}
  for k, v in pairs(names) do
    if k:match("^[%a_][%w_]*$") and k:sub(1, 1) ~= "_" then
      if type(v) == "function" then methods[#methods + 1] = k else fields[#fields + 1] = k end
    end
  end
  sort(fields)
  sort(methods)
  if #fields > 0 then add("  fields: " .. tconcat(fields, ", ")) end
  if #methods > 0 then add("  methods: " .. tconcat(methods, ", ")) end
  if #lines == 1 then add("  (nothing to list)") end
  return tconcat(lines, "\n")
end

-- The help section for x by what it is (a table, case, heap, object,
-- path step, profile), or nil.
kind_of = function(x)
  if is_hstable(x) then return "table" end
  local mt = dgetmt(x)
  if mt == nil then return nil end
  local L = package.loaded
  local heap, hs, prof = L["hs.heap"], L.hs, L["hs.profile"]
  if heap and (mt == heap.Object or mt == heap.Step) then return "object" end
  if heap and mt == heap.Heap then return "heap" end
  -- a row of a table whose rows stand for objects (top_retainers ...)
  local idx = rawget(mt, "__index")
  if rawget(mt, "__table") and type(idx) == "table" and rawget(idx, "object") then
    return "object"
  end
  if prof and mt == prof.Profile then return "profile" end
  if hs and mt == hs.Case then return "case" end
  return nil
end

-- help([x]): prints the overview, a topic, x's __help/_help text (a string,
-- or a function called with x returning one), or what x offers.
function M.help(x, ...)
  local text
  if select("#", x, ...) == 0 or x == nil then
    text = M.overview
  elseif type(x) == "string" then
    text = M.topics[x] or M.docs[x]
    if not text then
      local v = _G
      for seg in x:gmatch("[^.]+") do v = v ~= nil and lookup(v, seg) or nil end
      local sec = require("hs.help").section(x)
      local names = {}
      for _, sc in ipairs(require("hs.help").sections) do names[#names + 1] = sc.name end
      text = sec or v ~= nil and M.describe(v)
             or ("no help on %q; help() lists the API, topics: repl, %s"):format(x,
                  tconcat(names, ", "))
    end
  else
    local h = lookup(x, "__help")
    if h == nil then h = lookup(x, "_help") end
    local mt = dgetmt(x)
    if h == nil and type(mt) == "table" then h = rawget(mt, "__help") end
    if type(h) == "function" then
      local ok, r = pcall(h, x)
      h = ok and r or ("help failed: " .. tostring(r))
    end
    local sec = h == nil and kind_of(x)
    if type(h) == "string" then
      text = h
      local cols = columns_of(x)
      if cols then text = text .. "\n  columns: " .. tconcat(cols, ", ") end
    elseif sec then
      local mt = dgetmt(x)
      if sec == "object" and rawget(mt, "__table") then    -- a row: name its object
        local ok, o = pcall(x.object, x)
        text = ok and ("a row that is " .. tostring(o)) or M.title(x)
      else
        text = M.title(x)
      end
      local cols = columns_of(x)
      if cols then text = text .. "\n  columns: " .. tconcat(cols, ", ") end
      text = text .. "\n" .. require("hs.help").section(sec)
    else
      text = M.describe(x)
    end
  end
  io.write(text, text:sub(-1) == "\n" and "" or "\n")
  io.flush()
end

-- ---------------------------------------------------------------- session

function M.banner()
  local core = package.loaded["hs.core"]
  local version = type(core) == "table" and rawget(core, "version") or "?"
  local list = rawget(_G, "cases")
  local n = type(list) == "table" and #list or 0
  local names = {}
  for i = 1, math.min(n, 5) do
    local c = list[i]
    local name = lookup(c, "name")
    if type(name) ~= "string" then name = tostring(c) end
    names[#names + 1] = name
  end
  local loaded = n == 0 and "no case loaded (hs.load(path) loads one)"
    or ("%d case%s: %s%s"):format(n, n == 1 and "" or "s", tconcat(names, ", "),
                                  n > 5 and ", ..." or "")
  local first = ""
  local ov = rawget(_G, "overview")
  if n >= 1 and n <= 3 and type(ov) == "function" then
    local ok, t = pcall(function()
      local parts = {}
      for i = 1, n do parts[i] = tostring(ov(list[i], true)) end
      return tconcat(parts, "\n")
    end)
    if ok then first = t .. "\n" end
  end
  return ("heapscope %s -- %s\n%soverview() shows more (top retainers, goroutine groups); " ..
          "help() the API; Tab completes; Ctrl-D leaves.\n"):format(version, loaded, first)
end

function M.install()
  rawset(_G, "help", M.help)
end

return M
