-- hs.charts: the data behind the HTML report's charts (core/report/html.js
-- draws them), one table per case, each part present only when the case
-- has that evidence:
--
--   dominators  the dominator tree's top levels, nodes: { name, addr,
--               size, retained, type, site, parent }; the root stands for
--               all reachable objects; each node's largest KIDS children,
--               DEPTH levels down, the rest (and any under 1/MIN_SHARE of
--               the root) as one "(N more)" node
--   flame       the heap profile by stack, root first, nodes: { name,
--               value, parent }, value in the profile's default sample
--               type (sample_type, unit); frames under 1/FLAME_MIN of the
--               total fold into one "(other)" per parent
--   gc          the first gctrace log, one point per gc row: num, t (s),
--               heap_live, heap_end, goal (MB as printed), pause_ms (the
--               two stop-the-world phases), cpu_pct
--   memstats    one point per MemStats snapshot (time order): time and
--               the MEMSTATS fields it has
--   goroutines  case:goroutine_stacks()'s top GOROUTINES groups
--   diff        only when the case holds a series (hs.diff): its last
--               three heap dumps by memlab's method, or its last two;
--               dumps { name, objects, bytes }, new, freed, kept and
--               garbage { objects, bytes } (kept and garbage with three
--               dumps), the DIFF_ROWS largest rows of sites (name, count,
--               bytes, sampled), types, retainers, garbage_sites and
--               garbage_types (name, count, bytes), path (the lines from a
--               root to the largest holder); and profiles, the last
--               PROFILE_PAIRS pairs of each profile series as go tool
--               pprof -top -diff_base prints them ({ kind, base, target,
--               sample_type, unit, rows { name, flat, cum } }) and by whole
--               stack (stacks { leaf, delta, stack }, p:diff_stacks by line)
--
-- Every part is bounded (DEPTH x KIDS nodes, FLAME_MIN, SERIES points), so
-- a page stays small whatever the input.  Each part is built under pcall:
-- one that fails is left out and its error goes into .errors.
local M = {}

local DEPTH, KIDS = 4, 12        -- dominator levels below the top, children per node
local MIN_SHARE = 2000           -- a node under reachable/MIN_SHARE (half a pixel) is left out
local FLAME_MIN = 1000           -- a frame under total/FLAME_MIN joins "(other)"
local FLAME_DEPTH = 64           -- frames per stack
local SERIES = 2000              -- points per series (every k-th past that)
local GOROUTINES = 50            -- goroutine groups
local DIFF_ROWS = 15             -- rows per diff grouping
local PROFILE_PAIRS = 4          -- profile pairs per series in the diff
local MEMSTATS = { "HeapAlloc", "HeapInuse", "HeapIdle", "HeapReleased", "HeapSys",
                   "StackInuse", "Sys", "NextGC", "NumGC", "HeapObjects" }

local ARRAY = { __array = true }
local function array(t) return setmetatable(t or {}, ARRAY) end

-- A tree goes out flat (msgpack and the writers cut nesting at 32 levels,
-- and a stack is deeper): nodes in depth-first order, each with parent,
-- the 1-based index of its parent (0 for the root).
local function push(nodes, n, parent)
  n.parent = parent
  nodes[#nodes + 1] = n
  return #nodes
end

local function add_kids(nodes, at, list, rest, lvl, min)
  local sum, n = 0, 0
  for _, o in ipairs(list) do
    if o.retained < min then break end   -- under half a pixel: into "(N more)"
    n = n + 1
    local k = push(nodes, { name = o.type or ("object 0x%x"):format(o.addr), addr = o.addr,
                            size = o.size, retained = o.retained, type = o.type,
                            site = o.site_name }, at)
    sum = sum + o.retained
    if lvl < DEPTH then
      add_kids(nodes, k, o:dominated(KIDS), o.retained - o.size, lvl + 1, min)
    end
  end
  if list.total > n and rest > sum then
    push(nodes, { name = ("(%d more)"):format(list.total - n), size = 0,
                  retained = rest - sum }, at)
  end
end

local function dominators(c)
  local h = c.heap
  if not h or h:_unreachable_why() then return end
  local reach = h.stats.reachable_bytes
  local nodes = array()
  local root = push(nodes, { name = "reachable heap", size = 0, retained = reach }, 0)
  add_kids(nodes, root, h:dominated(KIDS), reach, 1, reach / MIN_SHARE)
  return { nodes = nodes }
end

local function flame(c)
  local p = c.profiles and c.profiles.heap
  if not p or #p.samples == 0 then return end
  local st = p:_stype()
  local root = { name = "all", value = 0, kids = {} }
  for i = 1, #p.samples do
    local v = p.samples:get(i, p._valcol[st])
    if v > 0 then
      local stack, n = p:stack(i), root
      n.value = n.value + v
      for d = #stack, math.max(1, #stack - FLAME_DEPTH + 1), -1 do
        local f = stack[d]
        local k = n.kids[f]
        if not k then
          k = { name = f, value = 0, kids = {} }
          n.kids[f] = k
        end
        k.value = k.value + v
        n = k
      end
    end
  end
  local min = root.value / FLAME_MIN
  local nodes = array()
  local function out(n, parent)
    local at = push(nodes, { name = n.name, value = n.value }, parent)
    local kids, other = {}, 0
    for _, k in pairs(n.kids) do
      if k.value >= min then kids[#kids + 1] = k else other = other + k.value end
    end
    table.sort(kids, function(a, b)
      if a.value ~= b.value then return a.value > b.value end
      return a.name < b.name
    end)
    for _, k in ipairs(kids) do out(k, at) end
    if other > 0 then push(nodes, { name = "(other)", value = other }, at) end
  end
  out(root, 0)
  return { sample_type = st, unit = p.units[st], source = p.source, nodes = nodes }
end

-- Every k-th of n rows so at most SERIES are kept (the last always).
local function stride(n)
  local k = math.max(1, math.ceil(n / SERIES))
  local rows = {}
  for i = 1, n, k do rows[#rows + 1] = i end
  if rows[#rows] ~= n and n > 0 then rows[#rows + 1] = n end
  return rows
end

local function gc(c)
  local g = c.gc
  if not g or #g == 0 then return end
  local src = g:get(1, "source")
  local one = g:where("source", src)
  local pts = array()
  for _, i in ipairs(stride(#one)) do
    local function v(name) return one:get(i, name) end
    local pause = v("clock_sweep_term") + v("clock_mark_term")
    pts[#pts + 1] = { num = v("num"), t = v("t"), heap_live = v("heap_live"),
                      heap_end = v("heap_end"), goal = v("goal"),
                      pause_ms = math.floor(pause * 1000 + 0.5) / 1000, cpu_pct = v("cpu_pct") }
  end
  return { source = src, rows = #one, points = pts }
end

local function memstats(c)
  local m = c.memstats
  if not m or #m == 0 then return end
  local have = {}
  for _, name in ipairs(m:columns()) do have[name] = true end
  local fields = array()
  for _, f in ipairs(MEMSTATS) do if have[f] then fields[#fields + 1] = f end end
  local pts = array()
  for _, i in ipairs(stride(#m)) do
    local p = { time = have.time and m:get(i, "time") or nil,
                source = have.source and m:get(i, "source") or nil }
    for _, f in ipairs(fields) do p[f] = tonumber(m:get(i, f)) end
    pts[#pts + 1] = p
  end
  return { fields = fields, points = pts }
end

local function goroutines(c)
  if not c.goroutines then return end
  local st = c:goroutine_stacks()
  local rows = array()
  local n = 0
  for i = 1, #st do
    n = n + st:get(i, "count")
    if i <= GOROUTINES then
      rows[i] = { count = st:get(i, "count"), states = st:get(i, "states"),
                  wait_minutes = st:get(i, "wait_minutes"), where = st:get(i, "where"),
                  created_by = st:get(i, "created_by"), stack = st:get(i, "stack") }
    end
  end
  return { groups = #st, goroutines = n, rows = rows }
end

-- The rows of a heapscope table as plain arrays of the named columns.
local function rows_of(t, names)
  local out = array()
  if not t then return out end
  for i = 1, #t do
    local r = {}
    for _, k in ipairs(names) do r[k] = t:get(i, k) end
    out[i] = r
  end
  return out
end

local function diff(c)
  local hs_ = c.heaps or {}
  local pp = require("hs.diff").profile_pairs(c, DIFF_ROWS, PROFILE_PAIRS)
  if #hs_ < 2 and #pp == 0 then return end
  local out = { series = #hs_, profiles = array() }
  if #hs_ >= 2 then
    local n = #hs_
    local D = require "hs.diff"
    local d = n >= 3 and D.diff(hs_[n - 2], hs_[n - 1], hs_[n], DIFF_ROWS)
      or D.diff(hs_[1], hs_[2], nil, DIFF_ROWS)
    out.dumps = array()
    for k, name in ipairs({ d.base, d.target, d.final }) do
      out.dumps[k] = { name = name, objects = d.totals[k].objects, bytes = d.totals[k].bytes }
    end
    out.new, out.freed, out.kept, out.garbage = d.new, d.freed, d.kept, d.garbage
    local group = { "name", "count", "bytes" }
    out.sites = rows_of(d.by_site, { "name", "count", "bytes", "sampled" })
    out.types = rows_of(d.by_type, group)
    out.retainers = rows_of(d.by_retainer, group)
    if d.kept then
      out.garbage_sites = rows_of(d.garbage_by_site, { "name", "count", "bytes", "sampled" })
      out.garbage_types = rows_of(d.garbage_by_type, group)
    end
    if d.path then
      out.path = array()
      for l in tostring(d.path):gmatch("[^\n]+") do out.path[#out.path + 1] = l end
    end
  end
  for _, p in ipairs(pp) do
    out.profiles[#out.profiles + 1] = { kind = p.kind, base = p.base, target = p.target,
      sample_type = p.sample_type, unit = p.unit, rows = rows_of(p.top, { "name", "flat", "cum" }),
      stacks = rows_of(p.stacks, { "leaf", "delta", "stack" }) }
  end
  return out
end

local PARTS = { { "dominators", dominators }, { "flame", flame }, { "gc", gc },
                { "memstats", memstats }, { "goroutines", goroutines },
                { "diff", diff } }

-- case(c) -> the chart data of case c (see the top of this file)
function M.case(c)
  local out = { errors = array() }
  for _, p in ipairs(PARTS) do
    local ok, v = pcall(p[2], c)
    if ok then out[p[1]] = v
    else out.errors[#out.errors + 1] = ("%s: %s"):format(p[1], tostring(v):match("^[^\n]*")) end
  end
  return out
end

return M
