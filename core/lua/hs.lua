-- hs: the module every script, detector and the REPL sees.
--
--   hs.load(path...)      -> case (or a list of cases, see below)
--   hs.open(path...)      -> list of every case the paths make
--   hs.format(v[, opts])  -> text of a value as the REPL prints it
--   hs.table_from(name, spec, rows) -> a table built from Lua data
--   hs.bytes(n)           -> "41.9 MiB"
--
-- A case object has: name, inputs, warnings, errors, tables (list of table
-- names), :table(name), and the evidence fields of DESIGN.md (heap,
-- profiles, gc, memstats, goroutines, metrics, proc), nil where the case has
-- no such evidence.  Domain modules (hs.heap, hs.profile) attach their parts.
local core = require "hs.core"
local tab = require "hs.table"
local show = require "hs.show"

local hs = {}
hs.version = core.version
hs.format = show.format
hs.table_from = tab.table_from
hs.is_table = tab.is_table
hs.types = tab.types
hs.flags = tab.flags
hs.checkpoint = core.checkpoint

function hs.bytes(n) return core.fmt_bytes(tonumber(n)) end

-- The evidence kinds come from the loader registry (hs.loaders()): each
-- names the case field its evidence appears as and the tables it fills.
-- A table named without a '.' becomes a case field of that name; hs.evidence
-- says what each field holds (for errors and overview()), in registry order.
local plain_fields, seen = {}, {}
hs.evidence, hs.evidence_order = {}, {}
for _, l in ipairs(core.loaders()) do
  for _, t in ipairs(l.tables) do
    if not t:find(".", 1, true) and not seen[t] then
      seen[t] = true
      plain_fields[#plain_fields + 1] = t
    end
  end
  if l.field ~= "" then
    if hs.evidence[l.field] then
      hs.evidence[l.field] = hs.evidence[l.field] .. ", or " .. l.desc
    else
      hs.evidence[l.field] = l.desc
      hs.evidence_order[#hs.evidence_order + 1] = l.field
    end
  end
end
hs.attachers = { "hs.heap", "hs.profile" }
-- Options for hs.open/hs.load ({nocache = true} from --no-cache).
hs.open_options = {}

local Case = {}
hs.Case = Case
Case.__index = Case

function Case:table(name)
  local t = self._tables[name]
  if t == nil then
    t = self._ud:table(name) or false
    self._tables[name] = t
  end
  return t or nil
end

function Case:has(name) return self:table(name) ~= nil end

function Case:__tostring()
  return ("case %s (%d inputs, %d tables%s)"):format(self.name, #self.inputs, #self.tables,
    #self.errors > 0 and (", %d errors"):format(#self.errors) or "")
end

-- A short text summary: inputs with kinds, tables with row counts (the
-- parts of one profile on one line), problems.
function Case:summary()
  local out = { ("case %s"):format(self.name) }
  local why = {}                              -- why an input was skipped (an info note)
  for _, d in ipairs(self.diags or {}) do
    if d.level == "info" and d.file and not why[d.file] then why[d.file] = d.message end
  end
  for _, i in ipairs(self.inputs) do
    local kind = i.kind == "unknown" and "skipped" or i.kind
    out[#out + 1] = ("  input  %-10s %10s  %s"):format(kind, hs.bytes(i.size), i.name)
    if kind == "skipped" and why[i.name] then
      out[#out + 1] = "                            " .. why[i.name]:gsub("^skipped: ", "")
    end
  end
  local done = {}
  for _, name in ipairs(self.tables) do
    local prof = name:match("^profiles%.([^.]+)%.")
    if prof then
      if not done[prof] then
        done[prof] = true
        local parts = {}
        for _, part in ipairs({ "samples", "locations", "functions" }) do
          local t = self:table("profiles." .. prof .. "." .. part)
          if t then parts[#parts + 1] = ("%d %s"):format(#t, part) end
        end
        out[#out + 1] = ("  table  %-28s %s"):format("profiles." .. prof, table.concat(parts, ", "))
      end
    else
      out[#out + 1] = ("  table  %-28s %10d rows"):format(name, #self:table(name))
    end
  end
  for _, l in ipairs(Case._series_lines(self)) do out[#out + 1] = l end
  local spark = require("hs.overview").gc_sparkline(self)
  if spark then out[#out + 1] = "  " .. spark end
  for _, b in ipairs(self.binary and { self.binary[1] } or {}) do
    -- what the program's binary provided, and what it named
    local has = {}
    if b.dwarf == 1 then has[#has + 1] = "DWARF (types, globals, inlined frames)" end
    if b.symtab == 1 then has[#has + 1] = "symbols" end
    if b.rtypes == 1 then has[#has + 1] = "runtime type descriptors" end
    out[#out + 1] = ("  binary %s %s: %s"):format(b.go_version, b.module,
      #has > 0 and table.concat(has, ", ") or "nothing usable")
    if b.matches == "yes" then
      out[#out + 1] = ("  binary named %d of %d objects (%s of %s)"):format(b.typed, b.objects,
        hs.bytes(b.typed_bytes), hs.bytes(b.bytes))
    end
  end
  for _, d in ipairs(self.warnings) do
    if d.level ~= "info" then out[#out + 1] = "  " .. d.text end
  end
  for _, d in ipairs(self.errors) do out[#out + 1] = "  " .. d.text end
  return table.concat(out, "\n")
end

-- The order heapscope chose for each series (several heap dumps, several
-- profiles of one kind), one line per snapshot, oldest first.
function Case._series_lines(c)
  local out = {}
  local function base(n) return (tostring(n):gsub("^.*/", "")) end
  if c.heap_series then
    out[#out + 1] = "  series case.heaps, oldest first (by the GC count each dump was written at):"
    for k, r in ipairs(c.heap_series) do
      out[#out + 1] = ("  %6d  GC %-6d %s%s"):format(k, r.num_gc, base(r.input),
        r.latest == 1 and "  = case.heap" or "")
    end
  end
  for kind, l in require("hs.profile").each_series(c) do
    out[#out + 1] = ("  series case.profile_series.%s, oldest first (by the profile's time):"):format(kind)
    for k, p in ipairs(l) do
      out[#out + 1] = ("  %6d  %s  %s%s"):format(k, p.time and os.date("!%H:%M:%S", math.floor(p.time))
        .. ("%.3f"):format(p.time % 1):sub(2) or "no time", base(p.source),
        k == #l and "  = case.profiles." .. kind or "")
    end
  end
  return out
end

-- The evidence fields case c has, as a list of names.
function hs.has(c)
  local out = {}
  for _, f in ipairs(hs.evidence_order) do
    local v = c[f]
    if v ~= nil and (f ~= "profiles" or next(v) ~= nil) then out[#out + 1] = f end
  end
  return out
end

-- Goroutine dumps: when a case holds several snapshots (a debug=2 dump, a
-- debug=1 dump, a traceback in a log), case.goroutines is one of them, the
-- most complete (per-goroutine forms before debug=1's counted groups, then
-- the most goroutines), so nothing is counted twice; every snapshot is in
-- case.goroutine_snapshots ({source, form, goroutines, rows}, the default
-- first) and all rows together in case:table("goroutines").
local function goroutine_snapshots(c)
  local g = c.goroutines
  if not g then return end
  local by, order = {}, {}
  for i = 1, #g do
    local src = g:get(i, "source")
    local s = by[src]
    if not s then
      s = { source = src, goroutines = 0, ids = 0, reason = g:get(i, "reason"), rows = {} }
      by[src] = s
      order[#order + 1] = s
    end
    s.goroutines = s.goroutines + g:get(i, "count")
    if g:get(i, "id") > 0 then s.ids = s.ids + 1 end
    s.rows[#s.rows + 1] = i
  end
  for _, s in ipairs(order) do
    s.form = s.reason ~= "" and ("traceback (%s)"):format(s.reason)
             or s.ids > 0 and "debug=2" or "debug=1 (counted groups)"
    s.complete = s.ids > 0 and 1 or 0
  end
  table.sort(order, function(a, b)
    if a.complete ~= b.complete then return a.complete > b.complete end
    if a.goroutines ~= b.goroutines then return a.goroutines > b.goroutines end
    return a.source < b.source
  end)
  local base = {}
  for k, s in ipairs(order) do
    if #order > 1 then
      for j, i in ipairs(s.rows) do base[j] = i - 1 end
      s.rows = tab.make_view(g, base, #s.rows)
      base = {}
    else
      s.rows = g
    end
    s.reason, s.ids, s.complete = nil, nil, nil
    order[k] = setmetatable(s, { __tostring = function(x)
      return ("%s: %d goroutines, %s"):format(x.source, x.goroutines, x.form)
    end })
  end
  c.goroutine_snapshots = order
  c.goroutines = order[1].rows
end

-- case:goroutine_stacks([snapshot]) -> a table with one row per distinct
-- full stack (as `go tool pprof -traces` groups them): count, states,
-- wait_minutes (the longest), top (leaf function), created_by, stack
-- (every function, leaf first, joined by " < "), where (the first frame
-- outside the runtime and sync: what the goroutine is doing; for runtime
-- goroutines their own function), source.
-- Largest first.
-- snapshot: an entry of case.goroutine_snapshots or a rows table (default
-- case.goroutines).
function Case:goroutine_stacks(snap)
  local g = snap and (snap.rows or snap) or self.goroutines
  if not g then error(("case %s has no goroutine dump"):format(self.name), 2) end
  local frames = self:table("goroutines.frames")
  local funcs = {}
  if frames then
    local gcol, dcol = frames:column("goroutine"), frames:column("depth")
    for i = 1, #frames do
      local b = tonumber(gcol[i - 1])
      local l = funcs[b]
      if not l then l = {}; funcs[b] = l end
      l[#l + 1] = { tonumber(dcol[i - 1]), i }
    end
  end
  local groups, order = {}, {}
  for i, b in g:rows() do
    local l = funcs[b] or {}
    table.sort(l, function(x, y) return x[1] < y[1] end)
    local names = {}
    for k, f in ipairs(l) do names[k] = frames:get(f[2], "func") end
    local key = table.concat(names, " < ")
    local gr = groups[key]
    if not gr then
      gr = { count = 0, states = {}, nstates = {}, wait = 0, top = names[1] or g:get(i, "top"),
             created_by = g:get(i, "created_by"), stack = key, source = g:get(i, "source") }
      groups[key] = gr
      order[#order + 1] = gr
    end
    gr.count = gr.count + g:get(i, "count")
    local st = g:get(i, "state")
    if st ~= "" and not gr.nstates[st] then
      gr.nstates[st] = true
      gr.states[#gr.states + 1] = st
    end
    gr.wait = math.max(gr.wait, g:get(i, "wait_minutes"))
  end
  table.sort(order, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.stack < b.stack
  end)
  local rows = {}
  for k, gr in ipairs(order) do
    -- the first frame outside the runtime, else the goroutine's own
    -- function (the outermost frame: runtime.gcBgMarkWorker, not gopark)
    local where, last = nil, gr.top
    for f in (gr.stack .. " < "):gmatch("(.-) < ") do
      if f ~= "" and f ~= "runtime.goexit" then last = f end
      if not where and not f:match("^runtime[%./]") and not f:match("^sync[%./]") and
         not f:match("^internal/") then where = f end
    end
    where = where or last
    rows[k] = { gr.count, table.concat(gr.states, ", "), gr.wait, where, gr.top, gr.created_by,
                gr.stack, gr.source }
  end
  return tab.table_from("goroutine_stacks", { { "count", "u64" }, { "states", "str" },
    { "wait_minutes", "u64" }, { "where", "str" }, { "top", "str" }, { "created_by", "str" },
    { "stack", "str" },
    { "source", "str" } }, rows)
end

-- MemStats snapshots in time order: a snapshot's time is its own (JSON
-- lines series) or, without one, its LastGC; those with neither keep their
-- place at the start.
local function memstats_in_time_order(c)
  local m = c.memstats
  if not m or #m < 2 then return end
  local keys, rows = {}, {}
  for i = 1, #m do
    local t = m:get(i, "time") or 0
    if t == 0 then t = tonumber(m:get(i, "LastGC") or 0) / 1e9 end
    keys[i], rows[i] = t, i
  end
  table.sort(rows, function(a, b)
    if keys[a] ~= keys[b] then return keys[a] < keys[b] end
    return a < b
  end)
  for k = 1, #rows do rows[k] = rows[k] - 1 end
  c.memstats = tab.make_view(m, rows, #rows)
end

local function wrap_case(ud)
  local c = setmetatable({ _ud = ud, _tables = {} }, Case)
  c.name = ud:name()
  c.inputs = ud:inputs()
  c.warnings, c.errors, c.diags = {}, {}, ud:diags()
  for _, d in ipairs(c.diags) do
    if d.level == "error" then c.errors[#c.errors + 1] = d
    else c.warnings[#c.warnings + 1] = d end
  end
  c.tables = ud:tables()
  table.sort(c.tables)
  for _, f in ipairs(plain_fields) do c[f] = c:table(f) end
  goroutine_snapshots(c)
  memstats_in_time_order(c)
  for _, mod in ipairs(hs.attachers) do
    local ok, m = pcall(require, mod)
    if ok and type(m) == "table" and m.attach then
      m.attach(c, wrap_case)
    elseif not ok and not tostring(m):find("module '" .. mod .. "' not found", 1, true) then
      error(m, 0)
    end
  end
  return c
end
hs.wrap_case = wrap_case

local function collect_paths(...)
  local paths = {}
  for _, p in ipairs({ ... }) do
    if type(p) == "table" then
      for _, q in ipairs(p) do paths[#paths + 1] = q end
    else
      paths[#paths + 1] = tostring(p)
    end
  end
  return paths
end

-- hs.open(path...) -> list of cases (a directory of case directories or an
-- archive of them gives several)
function hs.open(...)
  local paths = collect_paths(...)
  local out = {}
  for i, ud in ipairs(core.open(paths, hs.open_options)) do out[i] = wrap_case(ud) end
  return out
end

-- hs.load(path...) -> the case the paths make (the first, if several; the
-- rest are returned after it)
function hs.load(...)
  local list = hs.open(...)
  return unpack(list)
end

-- hs.case_from_buffer(name, bytes [, kind]): a case from bytes in memory
-- (tests and plugins that synthesise evidence).
function hs.case_from_buffer(name, bytes, kind)
  local ud = core.new_case(name)
  core.load_buffer(ud, name, bytes, kind)
  return wrap_case(ud)
end

function hs.loaders() return core.loaders() end

-- The names pprof files go by (a field a profile could be asked for by):
-- another field that is nil says nothing about profiles.
local profile_kinds = { "heap", "allocs", "cpu", "profile", "goroutine", "block", "mutex",
  "threadcreate", "trace" }
local function like_profile(field)
  for _, k in ipairs(profile_kinds) do
    if field:sub(1, #k) == k or (#field >= 3 and k:sub(1, #field) == field) then return true end
  end
  return false
end

-- explain(msg) -> msg with what to do added, for errors a user meets first:
-- a question about evidence the case does not have.  Called by the C
-- message handler on every error; returns msg unchanged when it has
-- nothing to add.
function hs.explain(msg)
  local field = tostring(msg):match("attempt to index field '([%w_]+)' %(a nil value%)")
  local c = rawget(_G, "case")
  if not field or type(c) ~= "table" then return msg end
  local what
  if hs.evidence[field] and c[field] == nil then
    what = ("case %s has no %s, so case.%s is nil"):format(c.name, hs.evidence[field], field)
  elseif c.profiles and c.profiles[field] == nil and like_profile(field) and
         field ~= "profiles" and next(c.profiles) ~= nil and
         (hs.evidence[field] == nil or c[field] ~= nil) then
    local kinds = {}
    for k in pairs(c.profiles) do kinds[#kinds + 1] = k end
    table.sort(kinds)
    what = ("no %s profile here (case.profiles has %s)"):format(field, table.concat(kinds, ", "))
  else
    return msg
  end
  local has = hs.has(c)
  return ("%s\n  %s; it has %s.\n  Load more with hs.load(path) (or name the files on the " ..
          "command line); overview() shows what was loaded."):format(msg, what,
          #has > 0 and table.concat(has, ", ") or "no evidence heapscope recognised")
end

-- Detectors (core/rules/rules.lua): hs.check(case [, opts]) -> findings;
-- hs.detectors() -> a table of what is installed.
function hs.check(...) return require("hs.rules").check(...) end
function hs.diff(...) return require("hs.diff").diff(...) end
function hs.detectors(...) return require("hs.rules").detectors(...) end

-- Called once by C with the case userdata made from the command line.
function hs._init(uds)
  local list = {}
  for i, ud in ipairs(uds) do list[i] = wrap_case(ud) end
  hs.cases = list
  _G.cases = list
  _G.case = list[1]
  _G.help = function(...)
    local ok, repl = pcall(require, "hs.repl")
    if ok and repl.help then return repl.help(...) end
    return "help is not available"
  end
  _G.overview = function(c, short) return require("hs.overview").overview(c, short) end
end

return hs
