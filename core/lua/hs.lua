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

-- Tables whose name is one of these become case fields of the same name.
local plain_fields = { "gc", "memstats", "goroutines", "metrics", "proc" }
hs.attachers = { "hs.heap", "hs.profile" }
-- Options for hs.open/hs.load ({nocache = true} from --no-cache).
hs.open_options = {}

local Case = {}
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
  for _, i in ipairs(self.inputs) do
    local kind = i.kind == "unknown" and "skipped" or i.kind
    out[#out + 1] = ("  input  %-10s %10s  %s"):format(kind, hs.bytes(i.size), i.name)
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
  for _, d in ipairs(self.warnings) do
    if d.level ~= "info" then out[#out + 1] = "  " .. d.text end
  end
  for _, d in ipairs(self.errors) do out[#out + 1] = "  " .. d.text end
  return table.concat(out, "\n")
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
  for _, mod in ipairs(hs.attachers) do
    local ok, m = pcall(require, mod)
    if ok and type(m) == "table" and m.attach then
      m.attach(c)
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
end

return hs
