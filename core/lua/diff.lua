-- hs.diff(a, b [, c]): what changed between heap dumps of one process.
--
-- Go's collector does not move objects, so between two dumps of one process
-- an object is the same object when it has the same address, the same size
-- and the same allocation bucket (the memprof bucket's address, stable for
-- the process's life; 0 when not sampled).  Both dumps list their objects
-- sorted by address, so matching is one merge over the two address columns
-- (O(nA + nB), no hashing), read zero-copy.
--
-- Two dumps (a = base, b = target): objects new in b, grouped by allocation
-- site, by type and by the top-level dominator that holds them in b (the
-- subtree they grew in), with the path from a root to the largest of those.
-- Three dumps (memlab's method): objects new in b that are still alive in c
-- are the leak candidates, grouped the same way (in c); those new in b but
-- gone in c were b's temporary garbage, grouped by site and type (in b).
--
-- a, b, c are cases (their .heap) or heaps.  The result is a table with
-- fields base, target, final (file names), totals {objects, bytes} per dump,
-- new {objects, bytes}, freed {objects, bytes}, kept (three dumps: {objects,
-- bytes} of the candidates), garbage (three dumps), and heapscope tables
-- by_site, by_type, by_retainer (columns name, count, bytes; by_site also
-- sampled, see group below), with three dumps garbage_by_site and
-- garbage_by_type; printing it gives a report that fits a terminal.
local core = require "hs.core"
local tab = require "hs.table"
local show = require "hs.show"

local M = {}

local function heap_of(x, what)
  if type(x) == "table" and x.objects and x._col then return x end
  local ok, h = pcall(function() return x.heap end)
  if ok and h then return h end
  error(("diff: the %s must be a case with a heap dump, or a heap"):format(what), 3)
end

-- Bucket address per object (a function of the 0-based id), 0 when not
-- sampled: stable across dumps of one process.
local function bucket_addrs(h)
  local bcol = h:_col("bucket")
  local mp = h.memprof
  local baddr = mp and #mp > 0 and mp:column("bucket") or nil
  return function(i)
    local b = tonumber(bcol[i])
    if b == 0 or not baddr then return 0 end
    return tonumber(baddr[b - 1])
  end
end

-- Merge the address columns of x and y: calls f(ix, iy) for every object of
-- y, ix the same object in x or -1.
local function match(x, y, f)
  local ax, sx, ay, sy = x:_col("addr"), x:_col("size"), y:_col("addr"), y:_col("size")
  local bx, by = bucket_addrs(x), bucket_addrs(y)
  local nx, ny = x._n, y._n
  local i = 0
  for j = 0, ny - 1 do
    local a = ay[j]
    while i < nx and ax[i] < a do i = i + 1 end
    if i < nx and ax[i] == a and sx[i] == sy[j] and bx(i) == by(j) then
      f(i, j)
    else
      f(-1, j)
    end
    if j % 65536 == 65535 then core.checkpoint() end
  end
end

-- The site of object i of h: the allocation bucket's function, as by_site
-- names it.
local function site_of(h, i, cache)
  local b = tonumber(h:_col("bucket")[i])
  if b == 0 then return "(not sampled)" end
  local s = cache[b]
  if not s then
    local st = h:_stack(b)
    s = st and st.func or ("(bucket %d)"):format(b)
    cache[b] = s
  end
  return s
end

local function type_of(h, i, cache)
  local tw = tonumber(h:_col("type")[i])
  local key = tw ~= 0 and tw or -tonumber(h:_col("size")[i])
  local s = cache[key]
  if not s then
    local o = h:object_at(i + 1)
    s = o.type or (tw ~= 0 and ("(type 0x%x)"):format(tw)
                   or ("(no type, %d B objects)"):format(tonumber(h:_col("size")[i])))
    cache[key] = s
  end
  return s
end

-- The child of the super-root that dominates object i (0-based), memoised
-- in top (an array by id; -2 unknown, -1 unreachable).
local function top_of(h, i, top, idom)
  local n = h._n
  local path, k = {}, 0
  local v = i
  while true do
    local t = top[v]
    if t then
      for m = 1, k do top[path[m]] = t end
      return t
    end
    local d = tonumber(idom[v])
    if d >= n then                             -- the super-root, or none
      local t2 = d == n and v or -1
      top[v] = t2
      for m = 1, k do top[path[m]] = t2 end
      return t2
    end
    k = k + 1
    path[k] = v
    v = d
  end
end

local function add(groups, key, bytes, n)
  local g = groups[key]
  if not g then
    g = { count = 0, bytes = 0, sampled = 0 }
    groups[key] = g
  end
  g.count = g.count + (n or 1)
  g.bytes = g.bytes + bytes
  return g
end

-- groups -> a table of its n largest rows (20 by default), columns name,
-- count, bytes and, with sampled, sampled; counts and bytes rounded (an
-- estimated share is fractional).
local function group_table(name, groups, n, sampled)
  local rows = {}
  for k, g in pairs(groups) do
    rows[#rows + 1] = { k, math.floor(g.count + 0.5), math.floor(g.bytes + 0.5), g.sampled }
  end
  table.sort(rows, function(x, y)
    if x[3] ~= y[3] then return x[3] > y[3] end
    return x[1] < y[1]
  end)
  for k = #rows, (n or 20) + 1, -1 do rows[k] = nil end
  local spec = { { "name", "str" }, { "count", "u64" }, { "bytes", "u64", "bytes" } }
  if sampled then spec[4] = { "sampled", "u64" } end
  return tab.table_from(name, spec, rows)
end

local UNSAMPLED = "(not sampled)"

-- The objects of h in pick (a set of 0-based ids), grouped: by_site, by_type,
-- by_retainer (the top-level dominator that holds them), and the largest
-- reachable holder's id (or nil).
--
-- A heap dump names the site only of the objects the memory profiler
-- sampled (one per MemProfileRate bytes, 512 KiB by default), so most new
-- objects have none.  Sampling is by bytes, so within one holder the sampled
-- objects' sites are an estimate of where all its objects came from: the
-- unsampled objects a holder keeps are shared among the sites of its
-- sampled ones in proportion to their bytes.  by_site's column sampled
-- counts the objects whose own record names the site; the rest of a row is
-- that estimate.  Unsampled objects of a holder with no sampled one, or
-- unreachable, stay "(not sampled)".
local function group(h, pick, n, prefix)
  local sites, types, holders = {}, {}, {}
  local held = {}                 -- holder -> { [site] = sampled bytes }
  local rest = {}                 -- holder -> unsampled { count, bytes }
  local scache, tcache, top = {}, {}, {}
  local idom = h:_gcol("idom")
  local size = h:_col("size")
  for i in pairs(pick) do
    local bytes = tonumber(size[i])
    local holder = top_of(h, i, top, idom)
    local site = site_of(h, i, scache)
    if site == UNSAMPLED then
      add(rest, holder, bytes)
    else
      local g = add(sites, site, bytes)
      g.sampled = g.sampled + 1
      local hs_ = held[holder] or {}
      held[holder] = hs_
      hs_[site] = (hs_[site] or 0) + bytes
    end
    add(types, type_of(h, i, tcache), bytes)
    add(holders, holder, bytes)
  end
  for holder, r in pairs(rest) do
    local known, sum = holder >= 0 and held[holder], 0
    for _, b in pairs(known or {}) do sum = sum + b end
    if sum > 0 then
      for site, b in pairs(known) do add(sites, site, r.bytes * b / sum, r.count * b / sum) end
    else
      add(sites, UNSAMPLED, r.bytes, r.count)
    end
  end
  local best, bestb = nil, -1
  for k, g in pairs(holders) do
    if k >= 0 and g.bytes > bestb then best, bestb = k, g.bytes end
  end
  local retainers = {}
  for k, g in pairs(holders) do
    local name = "(unreachable)"
    if k >= 0 then
      local o = h:object_at(k + 1)
      name = ("0x%x %s%s"):format(o.addr, o.type or "", o.site_name and (" " .. o.site_name) or "")
    end
    retainers[name] = g
  end
  return group_table(prefix .. "by_site", sites, n, true), group_table(prefix .. "by_type", types, n),
    group_table(prefix .. "by_retainer", retainers, n), best
end

local Diff = {}
Diff.__index = Diff

function Diff.__tostring(d)
  local b = function(x) return core.fmt_bytes(x) end
  local out = {}
  local function line(s) out[#out + 1] = s end
  local names = { d.base, d.target, d.final }
  for k = 1, #names do
    local t = d.totals[k]
    line(("%-6s %s: %d objects, %s"):format(({ "base", "target", "final" })[k], names[k],
      t.objects, b(t.bytes)))
  end
  line(("new in target: %d objects, %s; freed since base: %d objects, %s"):format(
    d.new.objects, b(d.new.bytes), d.freed.objects, b(d.freed.bytes)))
  if d.kept then
    line(("still alive in final (leak candidates): %d objects, %s; target's garbage left out: %d objects, %s")
      :format(d.kept.objects, b(d.kept.bytes), d.garbage.objects, b(d.garbage.bytes)))
  end
  local what = d.kept and "leak candidates" or "new objects"
  for _, part in ipairs({ { "by_site", "by allocation site" }, { "by_type", "by type" },
                          { "by_retainer", "by the dominator that holds them" } }) do
    line("")
    line(what .. " " .. part[2] .. ":")
    line(show.format(d[part[1]]))
  end
  if d.garbage_by_site then
    line("")
    line("target's garbage (gone in final) by allocation site:")
    line(show.format(d.garbage_by_site))
  end
  if d.path then
    line("")
    line("path to the largest holder:")
    line(tostring(d.path))
  end
  return table.concat(out, "\n")
end

-- What a heap is called in a diff: its file within a series, else its case.
local function name_of(h, dflt)
  return rawget(h, "_file") or (h._case and h._case.name) or dflt
end

-- hs.diff(a, b [, c [, n]]): see the top of this file.  hs.diff(case [, n])
-- on a case holding a series: see M.series below.
-- The matching of a series' dumps (the part of a diff that reads every
-- object), kept per (a, b, c) while the heaps live: a report diffs a series
-- once for heap-growth and once for its charts, with other row counts.
local matches = setmetatable({}, { __mode = "k" })   -- ha -> hb -> hc or false -> m

local function matched(ha, hb, hc)
  local byA = matches[ha] or setmetatable({}, { __mode = "k" })
  matches[ha] = byA
  local byB = byA[hb] or setmetatable({}, { __mode = "k" })
  byA[hb] = byB
  local m = byB[hc or false]
  if m then return m end
  m = { totals = {}, new = { objects = 0, bytes = 0 }, freed = { objects = 0, bytes = 0 } }
  for k, h in ipairs({ ha, hb, hc }) do
    local sz, s = h:_col("size"), 0
    for i = 0, h._n - 1 do s = s + tonumber(sz[i]) end
    m.totals[k] = { objects = h._n, bytes = s }
  end
  -- objects of b: new (not in a) or kept
  local isnew = {}
  local szb = hb:_col("size")
  local nMatched = 0
  match(ha, hb, function(ix, j)
    if ix < 0 then
      isnew[j] = true
      m.new.objects = m.new.objects + 1
      m.new.bytes = m.new.bytes + tonumber(szb[j])
    else
      nMatched = nMatched + 1
    end
  end)
  m.freed.objects = ha._n - nMatched
  m.freed.bytes = m.totals[1].bytes - (m.totals[2].bytes - m.new.bytes)
  m.pick = isnew
  if hc then
    -- memlab: new in b and still alive in c; b's other new objects were garbage
    m.kept, m.garbage = { objects = 0, bytes = 0 }, { objects = 0, bytes = 0 }
    local keep, garbage, inc = {}, {}, {}
    local szc = hc:_col("size")
    match(hb, hc, function(ix, j)
      if ix >= 0 and isnew[ix] then
        keep[j] = true
        inc[ix] = true
        m.kept.objects = m.kept.objects + 1
        m.kept.bytes = m.kept.bytes + tonumber(szc[j])
      end
    end)
    for j in pairs(isnew) do
      if not inc[j] then
        garbage[j] = true
        m.garbage.objects = m.garbage.objects + 1
        m.garbage.bytes = m.garbage.bytes + tonumber(szb[j])
      end
    end
    m.pick, m.garbage_set = keep, garbage
  end
  byB[hc or false] = m
  return m
end

local function copy(t) return t and { objects = t.objects, bytes = t.bytes } end

function M.diff(a, b, c, n)
  if b == nil or type(b) == "number" then return M.series(a, b) end
  local ha, hb = heap_of(a, "base"), heap_of(b, "target")
  local hc = c ~= nil and heap_of(c, "final") or nil
  local m = matched(ha, hb, hc)
  local d = setmetatable({
    base = name_of(ha, "base"), target = name_of(hb, "target"),
    final = hc and name_of(hc, "final"),
    totals = {}, new = copy(m.new), freed = copy(m.freed), kept = copy(m.kept),
    garbage = copy(m.garbage),
  }, Diff)
  for k, t in ipairs(m.totals) do d.totals[k] = copy(t) end
  -- the objects to group, in the heap they are grouped in
  local h, pick, garbage = hc or hb, m.pick, m.garbage_set
  local best
  d.by_site, d.by_type, d.by_retainer, best = group(h, pick, n, "diff.")
  if hc then
    d.garbage_by_site, d.garbage_by_type = group(hb, garbage, n, "diff.garbage_")
  end
  if best then d.path = h:object_at(best + 1):path() end
  return d
end

-- Growth rates between the snapshots of a case's gctrace and MemStats
-- series: one row per consecutive pair of one source (a gctrace log's
-- cycles by `t`, live heap after each cycle as printed in MB; timed MemStats
-- snapshots by `time`, HeapAlloc), with columns source (its file name),
-- what, t0 and t1 (seconds since the source's first snapshot), seconds,
-- from, to, delta (bytes) and bytes_per_sec (delta / seconds; 0 when no
-- time passed).
function M.growth(c)
  local rows = {}
  local function pairs_of(t, tcol, vcol, what, scale, keep)
    local last, first = {}, {}
    for i = 1, #t do -- get(), not columns: case.memstats is a view in time order
      local s = t:get(i, "source")
      local tt, v = tonumber(t:get(i, tcol)) or 0, (tonumber(t:get(i, vcol)) or 0) * scale
      if keep(tt) then
        local l = last[s]
        first[s] = first[s] or tt
        if l then
          local dt = tt - l.t
          rows[#rows + 1] = { s:gsub("^.*/", ""), what, l.t - first[s], tt - first[s], dt, l.v, v,
                              v - l.v, dt > 0 and (v - l.v) / dt or 0 }
        end
        last[s] = { t = tt, v = v }
      end
    end
  end
  if c.gc and #c.gc > 1 then
    pairs_of(c.gc, "t", "heap_live", "live heap", 1048576,
             function() return true end)
  end
  if c.memstats and #c.memstats > 1 then
    pairs_of(c.memstats, "time", "HeapAlloc", "HeapAlloc",
             1, function(t) return t > 0 end)
  end
  return tab.table_from("growth", { { "source", "str" }, { "what", "str" }, { "t0", "f64" },
    { "t1", "f64" }, { "seconds", "f64" }, { "from", "u64", "bytes" }, { "to", "u64", "bytes" },
    { "delta", "i64", "bytes" }, { "bytes_per_sec", "f64", "bytes" } }, rows)
end

local Series = {}
Series.__index = Series

function Series.__tostring(d)
  local out = {}
  local function line(x) out[#out + 1] = x end
  line(("series of case %s"):format(d.case))
  if d.memlab then
    line("")
    line("heap dumps (3: memlab's method):")
    line(tostring(d.memlab))
  end
  for k, p in ipairs(d.pairs) do
    line("")
    line(("heap dumps %d -> %d:"):format(k, k + 1))
    line(tostring(p))
  end
  for _, p in ipairs(d.profiles) do
    line("")
    line(("profiles.%s %s -> %s, %s (as go tool pprof -top -diff_base):"):format(p.kind,
      p.base:gsub("^.*/", ""), p.target:gsub("^.*/", ""), p.sample_type))
    line(#p.top > 0 and show.format(p.top) or "  no change")
  end
  if #d.growth > 0 then
    line("")
    line("growth between snapshots (t0, t1: seconds since the source's first):")
    line(show.format(d.growth:select("source", "what", "t0", "t1", "from", "to", "bytes_per_sec")))
  end
  return table.concat(out, "\n")
end

-- The consecutive pairs of each of c's profile series, each sample type
-- counted in bytes (inuse_space, alloc_space) or else the default one:
-- a list of { kind, base, target (sources), sample_type, unit, top (the
-- first n rows of p:diff_top), stacks (of p:diff_stacks by line) }; with
-- last, only each series' last `last` pairs.
function M.profile_pairs(c, n, last)
  local out = {}
  for kind, l in require("hs.profile").each_series(c) do
    for k = last and math.max(2, #l - last + 1) or 2, #l do
      local types = {}
      for _, st in ipairs(l[k].sample_types) do
        if l[k].units[st] == "bytes" then types[#types + 1] = st end
      end
      if #types == 0 then types[1] = l[k]:_stype() end
      for _, st in ipairs(types) do
        out[#out + 1] = { kind = kind, base = l[k - 1].source, target = l[k].source,
          sample_type = st, unit = l[k].units[st], top = l[k]:diff_top(l[k - 1], n, st),
          stacks = l[k]:diff_stacks(l[k - 1], n, st, "line") }
      end
    end
  end
  return out
end

-- hs.diff(case [, n]) on a case holding a series: its heap dumps
-- (case.heaps: three dumps by memlab's method, as hs.diff(h1, h2, h3);
-- otherwise each consecutive pair), each profile series
-- (case.profile_series: consecutive pairs by p:diff_top, each sample type
-- counted in bytes -- inuse_space, alloc_space -- or else the default one,
-- the first n rows, 10 by default), and M.growth's rates.  Fields: case,
-- memlab (a diff, or nil), pairs (list of diffs), profiles (M.profile_pairs),
-- growth (table).
function M.series(c, n)
  if type(c) ~= "table" or not c.inputs then
    error("diff: give a case holding a series, or two or three heap dumps (cases or heaps)", 3)
  end
  local d = setmetatable({ case = c.name, pairs = {}, profiles = {}, growth = M.growth(c) }, Series)
  local hs_ = c.heaps or {}
  if #hs_ == 3 then
    d.memlab = M.diff(hs_[1], hs_[2], hs_[3], n)
  else
    for k = 2, #hs_ do d.pairs[#d.pairs + 1] = M.diff(hs_[k - 1], hs_[k], nil, n) end
  end
  d.profiles = M.profile_pairs(c, n or 10)
  if #hs_ < 2 and #d.profiles == 0 and #d.growth == 0 then
    error(("diff: case %s holds no series (several heap dumps or profiles of one kind, or a " ..
           "gctrace or MemStats series); compare two cases with hs.diff(a, b)"):format(c.name), 3)
  end
  return d
end

return M
