-- hs.profile: pprof profiles (and heap profile text) as objects.
--
-- attach(caseobj) sets caseobj.profiles = { heap = p, allocs = p, ... } from
-- the case's profiles.<kind>.<part> tables (written by core/formats/pprof.c
-- and heaptext.c; a second profile of one kind is <kind>_2; with several
-- moments of one kind, profiles[kind] is the latest and
-- caseobj.profile_series[kind] all of them, oldest first).  A profile p:
--
--   p.kind, p.source, p.sample_types (names, in order), p.units[name],
--   p.default_sample_type, p.period, p.period_type, p.period_unit,
--   p.duration (seconds), p.duration_nanos, p.time (seconds since the epoch),
--   p.time_nanos, p.comments, p.drop_frames, p.keep_frames
--   p.samples, p.stacks, p.locations, p.lines, p.functions, p.mappings,
--   p.labels (tables; #p.samples is the number of samples)
--   p:top([n [, sample_type [, by [, opts]]]])
--       -> table name, flat, flat_pct, sum_pct, cum, cum_pct, inline
--   p:diff(base [, sample_type [, by]])
--       -> table name, base, value, delta, base_cum, cum, delta_cum
--   p:diff_top(base [, n [, sample_type [, by]]])
--       -> what `go tool pprof -top -diff_base` prints (columns of top)
--   p:diff_stacks(base [, n [, sample_type [, by]]])
--       -> table leaf, base, value, delta, stack: the change per whole stack
--   p:stack(i [, by]) -> list of frame names of sample i (1-based), leaf first
--   p:total(sample_type)
--
-- top follows `go tool pprof -top -sample_index=TYPE` (vendored pprof,
-- internal/graph newGraph and internal/report TextItems): every Line of a
-- Location is a frame; a node is a function name (by = "function"), a file
-- ("file") or an address+function+file:line ("address"); flat sums the
-- samples whose leaf frame is the node, cum the samples where the node
-- appears anywhere, once per sample; samples whose value is 0 are skipped;
-- percentages are of the sum of |value| over all samples.  Rows are ordered
-- by |flat| descending, then name, then |cum| descending, as pprof orders
-- them.  `inline` is "inline" when every caller edge into the node is an
-- inlined call, "partial-inline" when some are, as pprof prints after the
-- name.  opts.edgefraction (default 0, as with -edgefraction=0) drops
-- light edges before that label is decided, like pprof's default 0.001.
--
-- by = "address" prints what `pprof -top -addresses` prints.  by = "file"
-- sums per file; `pprof -top -files` keeps one row per (file, function
-- start line), so it prints the same file name many times; we do not.
-- drop_frames/keep_frames are kept in p.drop_frames/p.keep_frames but not
-- applied (Go never writes them; pprof prunes stacks with them).
--
-- Cost: O(frames) per call, a few array reads and writes per frame; with
-- opts.edgefraction > 0 also a Lua hash lookup per frame (edge weights).
local ffi = require "ffi"
local bit = require "bit"
local tab = require "hs.table"

local M = {}
local Profile = {}
Profile.__index = Profile
M.Profile = Profile

local parts = { "info", "sample_types", "samples", "stacks", "locations", "lines",
                "functions", "mappings", "labels" }

-- (trusted: the pointers go to C, core/lua/ffiprof.c, which takes row counts with them)
local function col(t, name) return t:unsafe_column(name) end

local function str_of(t)
  local pool = tab.getinfo(t).t.pStr
  return function(id) return ffi.string(pool.aData + pool.aOff[id]) end
end

local function new_profile(caseobj, kind)
  local p = setmetatable({ kind = kind, _case = caseobj, _cache = {} }, Profile)
  for _, part in ipairs(parts) do
    local key = part == "sample_types" and "sample_types_table" or part
    p[key] = caseobj:table("profiles." .. kind .. "." .. part)
  end
  local info = p.info
  local r = info and #info > 0 and info[1] or {}
  p.source = r.source
  p.period = r.period
  p.period_type, p.period_unit = r.period_type, r.period_unit
  p.default_sample_type = r.default_sample_type ~= "" and r.default_sample_type or nil
  p.time_nanos, p.duration_nanos = r.time_nanos, r.duration_nanos
  p.time = r.time_nanos and tonumber(r.time_nanos) / 1e9 or nil
  p.duration = r.duration_nanos and tonumber(r.duration_nanos) / 1e9 or nil
  p.comments = r.comments
  p.drop_frames, p.keep_frames = r.drop_frames, r.keep_frames
  p.units = {}
  local st = p.sample_types_table
  p.sample_types = {}
  if st then
    for i = 1, #st do
      local row = st[i]
      p.sample_types[i] = row.name
      p.units[row.name] = row.unit
    end
  end
  -- sample type name -> column in .samples (pprof.c renames clashes value_N)
  p._valcol = {}
  local scols = {}
  if p.samples then
    for _, c in ipairs(p.samples:columns()) do scols[c] = true end
  end
  for i, name in ipairs(p.sample_types) do
    p._valcol[name] = scols[name] and name or ("value_" .. i)
  end
  return p
end

function M.attach(caseobj)
  local kinds, seen = {}, {}
  for _, name in ipairs(caseobj.tables or {}) do
    local kind = name:match("^profiles%.(.+)%.info$")
    if kind and not seen[kind] then
      seen[kind] = true
      kinds[#kinds + 1] = kind
    end
  end
  if #kinds == 0 then return end
  local profiles = {}
  for _, kind in ipairs(kinds) do profiles[kind] = new_profile(caseobj, kind) end
  caseobj.profiles = profiles
  caseobj.profile_series = M.series(profiles)
end

-- for kind, list in M.each_series(c): c.profile_series in kind order.
function M.each_series(c)
  local kinds = {}
  for kind in pairs(c.profile_series or {}) do kinds[#kinds + 1] = kind end
  table.sort(kinds)
  local i = 0
  return function()
    i = i + 1
    if kinds[i] then return kinds[i], c.profile_series[kinds[i]] end
  end
end

-- Series of profiles: a kind loaded more than once (heap, heap_2, heap_3 in
-- load order) is a series ordered by each profile's own time (time_nanos),
-- file name the tie-break; profiles of one moment (heap.pb beside
-- heap.pb.gz) count once, the first loaded.  Returns { heap = {p1, p2, ...} }
-- oldest first, kinds with two or more moments only, and makes
-- profiles[kind] the latest (profiles.heap_2 ... stay as loaded).
function M.series(profiles)
  local by = {}
  for kind, p in pairs(profiles) do
    local base, k = kind:match("^(.-)_(%d+)$")
    if not (base and profiles[base]) then base, k = kind, 1 end
    by[base] = by[base] or {}
    table.insert(by[base], { p = p, load = tonumber(k) })
  end
  local out = {}
  for base, l in pairs(by) do
    if #l > 1 then
      table.sort(l, function(a, b)
        local ta, tb = a.p.time_nanos or 0, b.p.time_nanos or 0
        if ta ~= tb then return ta < tb end
        if a.load ~= b.load then return a.load < b.load end
        return tostring(a.p.source) < tostring(b.p.source)
      end)
      local list, last = {}, nil
      for _, e in ipairs(l) do
        local t = e.p.time_nanos or 0
        if t ~= last or t == 0 then list[#list + 1] = e.p end
        last = t
      end
      if #list > 1 then
        out[base] = list
        profiles[base] = list[#list]
      end
    end
  end
  return out
end

function Profile:__tostring()
  return ("profile %s (%d samples; %s) from %s"):format(self.kind,
    self.samples and #self.samples or 0, table.concat(self.sample_types, ", "),
    tostring(self.source))
end

-- The sample type to use: the one named, else the default, else the last
-- (pprof's rule).  Errors name the choices.
function Profile:_stype(stype)
  if stype == nil then
    stype = self.default_sample_type or self.sample_types[#self.sample_types]
  end
  if type(stype) == "number" then stype = self.sample_types[stype] end
  if not self._valcol[stype or ""] then
    error(("profile %s has no sample type %q (it has: %s)"):format(self.kind, tostring(stype),
          table.concat(self.sample_types, ", ")), 3)
  end
  return stype
end

local function base_name(path)
  return (path:gsub("^.*/", ""))
end

-- Node ids per frame: for `by`, every location row gets a run of node ids in
-- pprof's walk order (line[last] .. line[0], caller first) in a flat int32
-- array; node names are in names[id].  Cached per profile and `by`.
function Profile:_nodes(by)
  local c = self._cache["nodes:" .. by]
  if c then return c end
  local locs, lines, maps = self.locations, self.lines, self.mappings
  local nloc = #locs
  local S = str_of(locs)
  local mapfile = {}
  if maps then
    local mid, mfile = col(maps, "id"), col(maps, "filename")
    for i = 0, #maps - 1 do mapfile[tonumber(mid[i])] = S(mfile[i]) end
  end
  local l_first, l_n = col(locs, "line"), col(locs, "nline")
  local l_addr, l_map = col(locs, "address"), col(locs, "mapping_id")
  local ln_name, ln_file, ln_line = col(lines, "name"), col(lines, "file"), col(lines, "line")
  local nframes = 0
  for i = 0, nloc - 1 do
    local k = l_n[i]
    nframes = nframes + (k == 0 and 1 or k)
  end
  local start = ffi.new("int32_t[?]", nloc + 1)
  local seq = ffi.new("int32_t[?]", nframes + 1)
  local inl = ffi.new("uint8_t[?]", nframes + 1)
  local ids, names = {}, {}
  local function node(key)
    local id = ids[key]
    if not id then
      id = #names + 1
      names[id] = key
      ids[key] = id
    end
    return id
  end
  local function objname(i)
    local f = mapfile[tonumber(l_map[i])]
    if f and f ~= "" then return "[" .. base_name(f) .. "]" end
    return "<unknown>"
  end
  local k = 0
  for i = 0, nloc - 1 do
    start[i] = k
    local n, first = l_n[i], l_first[i]
    if n == 0 then
      local key = objname(i)
      if by == "address" and l_addr[i] ~= 0 then
        key = ("%016x"):format(tonumber(l_addr[i]))
      end
      seq[k], inl[k] = node(key), 0
      k = k + 1
    else
      for j = n - 1, 0, -1 do
        local li = first + j
        local key
        if by == "file" then
          key = S(ln_file[li])
          if key == "" then key = objname(i) end
        elseif by == "address" then
          local parts_ = {}
          if l_addr[i] ~= 0 then parts_[#parts_ + 1] = ("%016x"):format(tonumber(l_addr[i])) end
          local nm = S(ln_name[li])
          if nm ~= "" then parts_[#parts_ + 1] = nm end
          local line = tonumber(ln_line[li])
          if line ~= 0 then parts_[#parts_ + 1] = S(ln_file[li]) .. ":" .. line
          elseif S(ln_file[li]) ~= "" then parts_[#parts_ + 1] = S(ln_file[li])
          elseif nm == "" then parts_[#parts_ + 1] = objname(i) end
          key = table.concat(parts_, " ")
        else
          key = S(ln_name[li])
          if key == "" then key = objname(i) end
          local line = tonumber(ln_line[li])
          if by == "line" and line ~= 0 then key = key .. " " .. S(ln_file[li]) .. ":" .. line end
        end
        seq[k] = node(key)
        inl[k] = j ~= n - 1 and 1 or 0 -- reached through an inlined call
        k = k + 1
      end
    end
  end
  start[nloc] = k
  c = { start = start, seq = seq, inl = inl, names = names, nnode = #names }
  self._cache["nodes:" .. by] = c
  return c
end

-- Sum of |value| over every sample: pprof's total for percentages.
function Profile:total(stype)
  stype = self:_stype(stype)
  local s = self.samples
  local v = col(s, self._valcol[stype])
  local t = 0
  for i = 0, #s - 1 do
    local x = tonumber(v[i])
    t = t + (x < 0 and -x or x)
  end
  return t
end

-- Inlined caller->callee pairs of each location (static: line[j+1] calls
-- line[j] inlined), for the fast inline labels of _aggregate.
local function inline_pairs(nd, nloc)
  if nd.inl_target then return end
  local start, seq = nd.start, nd.seq
  local target = ffi.new("uint8_t[?]", nd.nnode + 1)
  for loc = 0, nloc - 1 do
    for k = start[loc] + 1, start[loc + 1] - 1 do
      if seq[k] ~= seq[k - 1] then target[seq[k]] = 1 end
    end
  end
  nd.inl_target = target
end

-- Sum the samples of one type over the nodes of `by`: flat and cum (double
-- arrays by node id) and the caller edges into each node.
--   edges = "weights": every edge with its weight and inline flag (a Lua
--     hash lookup per frame; needed to trim edges by edgefraction);
--   edges = "labels": only whether each node has inlined / non-inlined
--     caller edges, with array writes per frame (inlined edges are fixed by
--     the locations; only edges between locations are seen per sample);
--   edges = nil: neither.
-- Returns nd, flat, cum, and either (ew, einl, stride) or (has_in, has_noin).
function Profile:_aggregate(stype, by, edges)
  local nd = self:_nodes(by)
  local s, stk = self.samples, self.stacks
  local vals = col(s, self._valcol[stype])
  local s_stack, s_depth = col(s, "stack"), col(s, "depth")
  local st_loc = col(stk, "location")
  local start, seq, inl = nd.start, nd.seq, nd.inl
  local nnode = nd.nnode
  local nloc = #self.locations
  local flat = ffi.new("double[?]", nnode + 1)
  local cum = ffi.new("double[?]", nnode + 1)
  local seen = ffi.new("int32_t[?]", nnode + 1)
  local stride = nnode + 1
  local weights = edges == "weights"
  local labels = edges == "labels"
  if not weights then
    -- the common case in C (core/lua/ffiprof.c): the same pass, without
    -- the caller edges' weights
    local has_in = labels and ffi.new("uint8_t[?]", nnode + 1) or nil
    local has_noin = labels and ffi.new("uint8_t[?]", nnode + 1) or nil
    if labels then inline_pairs(nd, nloc) end
    local rc = ffi.C.hs_profile_aggregate(#s, vals, s_stack, s_depth, #stk, st_loc, nloc,
      start, seq, labels and nd.inl_target or nil, nnode, labels and 1 or 0, flat, cum,
      has_in, has_noin)
    if rc ~= 0 then error("top: out of memory or interrupted", 3) end
    if labels then
      local hin, hnoin = {}, {}
      for n = 1, nnode do
        if has_in[n] == 1 then hin[n] = true end
        if has_noin[n] == 1 then hnoin[n] = true end
      end
      return nd, flat, cum, hin, hnoin
    end
    return nd, flat, cum, {}, {}, stride
  end
  local ew, einl, eseen = {}, {}, {}
  local locused, noin, target, nonin_pair
  if labels then
    inline_pairs(nd, nloc)
    target = nd.inl_target
    locused = ffi.new("uint8_t[?]", nloc + 1)
    noin = ffi.new("uint8_t[?]", nnode + 1)
    nonin_pair = {}
  end
  for i = 0, #s - 1 do
    local w = tonumber(vals[i])
    if w ~= 0 then
      local stamp = i + 1
      local parent = 0
      local base = s_stack[i]
      for d = s_depth[i] - 1, 0, -1 do
        local loc = st_loc[base + d]
        if loc < nloc then
          local k0 = start[loc]
          if labels then
            locused[loc] = 1
            local n = seq[k0]
            if parent ~= 0 and n ~= parent then
              noin[n] = 1
              if target[n] == 1 then nonin_pair[parent * stride + n] = true end
            end
          end
          for k = k0, start[loc + 1] - 1 do
            local n = seq[k]
            if seen[n] ~= stamp then
              seen[n] = stamp
              cum[n] = cum[n] + w
            end
            if weights and parent ~= 0 and n ~= parent then
              local key = parent * stride + n
              if eseen[key] ~= stamp then
                eseen[key] = stamp
                ew[key] = (ew[key] or 0) + w
                local e = einl[key]
                if e == nil then einl[key] = inl[k] == 1
                elseif e and inl[k] == 0 then einl[key] = false end
              end
            end
            parent = n
          end
        end
      end
      if parent ~= 0 then flat[parent] = flat[parent] + w end
    end
  end
  if labels then
    local has_in, has_noin = {}, {}
    for n = 1, nnode do
      if noin[n] == 1 then has_noin[n] = true end
    end
    for loc = 0, nloc - 1 do
      if locused[loc] == 1 then
        for k = start[loc] + 1, start[loc + 1] - 1 do
          local a, b = seq[k - 1], seq[k]
          if a ~= b and not nonin_pair[a * stride + b] then has_in[b] = true end
        end
      end
    end
    return nd, flat, cum, has_in, has_noin
  end
  return nd, flat, cum, ew, einl, stride
end

local function abs(x) return x < 0 and -x or x end

local function check_by(by)
  if by ~= "function" and by ~= "file" and by ~= "address" then
    error(("top: by must be \"function\", \"file\" or \"address\", not %q"):format(tostring(by)), 3)
  end
end

local function inline_label(inl, noinl)
  if not inl then return "" end
  return noinl and "partial-inline" or "inline"
end

-- The -top table of rows {name, flat, cum, label}: ordered as pprof orders
-- them, the first n, percentages of total.
local function top_table(self, title, rows, total, stype, n)
  table.sort(rows, function(a, b)
    local fa, fb = abs(a.flat), abs(b.flat)
    if fa ~= fb then return fa > fb end
    if a.name ~= b.name then return a.name < b.name end
    local ca, cb = abs(a.cum), abs(b.cum)
    if ca ~= cb then return ca > cb end
    return (a.id or 0) < (b.id or 0)
  end)
  local out = {}
  local sum = 0
  for i = 1, math.min(n or #rows, #rows) do
    local r = rows[i]
    sum = sum + r.flat
    out[i] = { r.name, r.flat, total ~= 0 and 100 * abs(r.flat) / total or 0,
               total ~= 0 and 100 * abs(sum) / total or 0,
               r.cum, total ~= 0 and 100 * abs(r.cum) / total or 0, r.label }
  end
  local unit = self.units[stype]
  local vflag = unit == "bytes" and "bytes" or nil
  local spec = { { "name", "str" }, { "flat", "f64", vflag }, { "flat_pct", "f64", "pct" },
                 { "sum_pct", "f64", "pct" }, { "cum", "f64", vflag }, { "cum_pct", "f64", "pct" },
                 { "inline", "str" } }
  return tab.table_from(title, spec, out)
end

-- p:top(n, sample_type, by, opts): see the top of this file.
function Profile:top(n, stype, by, opts)
  opts = opts or {}
  stype = self:_stype(stype)
  by = by or "function"
  check_by(by)
  local total = self:total(stype)
  local ef = opts.edgefraction or 0
  local mode = opts.inline == false and nil or (ef > 0 and "weights" or "labels")
  local nd, flat, cum, x1, x2, stride = self:_aggregate(stype, by, mode)
  local names = nd.names
  local rows = {}
  local flatsum = 0
  for id = 1, nd.nnode do
    if flat[id] ~= 0 or cum[id] ~= 0 then
      rows[#rows + 1] = { id = id, name = names[id], flat = flat[id], cum = cum[id] }
      flatsum = flatsum + flat[id]
    end
  end
  local has_in, has_noin = {}, {}
  if mode == "labels" then
    has_in, has_noin = x1, x2
  elseif mode == "weights" then
    -- pprof trims edges lighter than edgefraction of the summed flat values
    -- before it labels nodes.
    local cutoff = math.floor(abs(flatsum) * ef)
    for key, w in pairs(x1) do
      if abs(w) >= cutoff then
        local dst = key % stride
        if x2[key] then has_in[dst] = true else has_noin[dst] = true end
      end
    end
  end
  for _, r in ipairs(rows) do r.label = inline_label(has_in[r.id], has_noin[r.id]) end
  return top_table(self, "top " .. self.kind .. " " .. stype, rows, total, stype, n)
end

-- p:diff_top(base [, n [, sample_type [, by [, opts]]]]): what `go tool
-- pprof -top -diff_base BASE P` prints: pprof negates the base's samples
-- and merges them with p's, so a node is every name either profile has in a
-- sample whose value is not 0, its flat and cum are p's minus base's (both
-- are sums over samples; a node left with both 0 is not shown), and
-- percentages are of the base's total (sum of |value|), as pprof's
-- computeTotal takes the diff base's samples when there are any.  Inline
-- labels join both profiles' call edges; with opts.edgefraction (pprof's
-- default is 0.001) an edge whose net weight is lighter than that share of
-- the summed flat values is dropped first, as in p:top.  Same columns and
-- order as p:top.
function Profile:diff_top(base, n, stype, by, opts)
  if getmetatable(base) ~= Profile then error("diff_top: base must be a profile", 2) end
  stype = self:_stype(stype)
  by = by or "function"
  check_by(by)
  local ef = opts and opts.edgefraction or 0
  local nodes, order, edges = {}, {}, {}
  for sign, p in pairs({ [-1] = base, [1] = self }) do
    local nd, flat, cum, x1, x2, stride = p:_aggregate(p:_stype(stype), by,
                                                       ef > 0 and "weights" or "labels")
    local names = nd.names
    for id = 1, nd.nnode do
      if flat[id] ~= 0 or cum[id] ~= 0 then
        local r = nodes[names[id]]
        if not r then
          r = { name = names[id], flat = 0, cum = 0 }
          nodes[r.name] = r
          order[#order + 1] = r
        end
        r.flat = r.flat + sign * flat[id]
        r.cum = r.cum + sign * cum[id]
        if ef == 0 then
          r.inl = r.inl or x1[id]
          r.noinl = r.noinl or x2[id]
        end
      end
    end
    if ef > 0 then -- edge weights by (caller, callee) name, inline only if every sample's is
      for key, w in pairs(x1) do
        local dst = key % stride
        local ek = names[(key - dst) / stride] .. "\0" .. names[dst]
        local e = edges[ek]
        if not e then
          e = { dst = names[dst], w = 0, inl = true }
          edges[ek] = e
        end
        e.w = e.w + sign * w
        e.inl = e.inl and x2[key]
      end
    end
  end
  local rows, flatsum = {}, 0
  for _, r in ipairs(order) do
    if r.flat ~= 0 or r.cum ~= 0 then -- pprof's selectNodesForGraph drops the rest
      rows[#rows + 1] = r
      flatsum = flatsum + r.flat
    end
  end
  if ef > 0 then
    local cutoff = math.floor(abs(flatsum) * ef)
    for _, e in pairs(edges) do
      local r = nodes[e.dst]
      if abs(e.w) >= cutoff and e.w ~= 0 then
        if e.inl then r.inl = true else r.noinl = true end
      end
    end
  end
  for _, r in ipairs(rows) do r.label = inline_label(r.inl, r.noinl) end
  local total = base:total(stype)
  if total == 0 then total = self:total(stype) end
  return top_table(self, "diff " .. self.kind .. " " .. stype, rows, total, stype, n)
end

-- p:diff(base, sample_type, by): per-node change from profile `base` to p.
-- Rows with any change, ordered by |delta| (flat) descending, then name.
function Profile:diff(base, stype, by)
  if getmetatable(base) ~= Profile then error("diff: base must be a profile", 2) end
  stype = self:_stype(stype)
  by = by or "function"
  local function collect(p)
    local nd, flat, cum = p:_aggregate(p:_stype(stype), by, nil)
    local m = {}
    for id = 1, nd.nnode do
      if flat[id] ~= 0 or cum[id] ~= 0 then m[nd.names[id]] = { flat[id], cum[id] } end
    end
    return m
  end
  local a, b = collect(base), collect(self)
  local keys, rows = {}, {}
  for k in pairs(a) do keys[k] = true end
  for k in pairs(b) do keys[k] = true end
  for k in pairs(keys) do
    local x, y = a[k] or { 0, 0 }, b[k] or { 0, 0 }
    if x[1] ~= y[1] or x[2] ~= y[2] then
      rows[#rows + 1] = { k, x[1], y[1], y[1] - x[1], x[2], y[2], y[2] - x[2] }
    end
  end
  table.sort(rows, function(r, s)
    if abs(r[4]) ~= abs(s[4]) then return abs(r[4]) > abs(s[4]) end
    if abs(r[7]) ~= abs(s[7]) then return abs(r[7]) > abs(s[7]) end
    return r[1] < s[1]
  end)
  local vflag = self.units[stype] == "bytes" and "bytes" or nil
  local spec = { { "name", "str" }, { "base", "f64", vflag }, { "value", "f64", vflag },
                 { "delta", "f64", vflag }, { "base_cum", "f64", vflag }, { "cum", "f64", vflag },
                 { "delta_cum", "f64", vflag } }
  return tab.table_from("diff " .. self.kind .. " " .. stype, spec, rows)
end

-- p:diff_stacks(base [, n [, sample_type [, by]]]): the change from profile
-- base to p per whole stack, as `go tool pprof -traces` lists samples: the
-- samples of each profile whose value is not 0 summed by their stack
-- (p:stack(i, by): frames "function", the default, or "line"), the first n
-- stacks whose value changed, by |delta| descending, then stack.  Columns
-- leaf (the stack's first frame: the site that allocated), base, value,
-- delta, stack (frames leaf first, joined by " < "; last, as it is long).  p:diff(base) sums the same
-- samples by function instead, so a leaf's deltas add up to its flat delta
-- there.  Cost: a Lua string per sample of both profiles.
function Profile:diff_stacks(base, n, stype, by)
  if getmetatable(base) ~= Profile then error("diff_stacks: base must be a profile", 2) end
  stype = self:_stype(stype)
  by = by or "function"
  if by ~= "function" and by ~= "line" then
    error(("diff_stacks: by must be \"function\" or \"line\", not %q"):format(tostring(by)), 2)
  end
  local stacks, order = {}, {}
  for k, p in ipairs({ base, self }) do
    local vals = col(p.samples, p._valcol[p:_stype(stype)])
    for i = 1, #p.samples do
      local v = tonumber(vals[i - 1])
      if v ~= 0 then
        local frames = p:stack(i, by)
        local key = table.concat(frames, " < ")
        local r = stacks[key]
        if not r then
          r = { frames[1] or "", 0, 0, 0, key }
          stacks[key] = r
          order[#order + 1] = r
        end
        r[k + 1] = r[k + 1] + v
      end
    end
  end
  local rows = {}
  for _, r in ipairs(order) do
    r[4] = r[3] - r[2]
    if r[4] ~= 0 then rows[#rows + 1] = r end
  end
  table.sort(rows, function(a, b)
    if abs(a[4]) ~= abs(b[4]) then return abs(a[4]) > abs(b[4]) end
    return a[5] < b[5]
  end)
  for k = #rows, (n or #rows) + 1, -1 do rows[k] = nil end
  local vflag = self.units[stype] == "bytes" and "bytes" or nil
  return tab.table_from("diff_stacks " .. self.kind .. " " .. stype, { { "leaf", "str" },
    { "base", "f64", vflag }, { "value", "f64", vflag }, { "delta", "f64", vflag },
    { "stack", "str" } }, rows)
end

-- p:stack(i [, by]): frame names of sample i (1-based), leaf first, inlined
-- frames included; by "function" (the default) or "line" ("name file:line",
-- as pprof -lines names a frame).
function Profile:stack(i, by)
  local s, stk = self.samples, self.stacks
  if i < 1 or i > #s then return nil end
  if by ~= nil and by ~= "function" and by ~= "line" then
    error(("stack: by must be \"function\" or \"line\", not %q"):format(tostring(by)), 2)
  end
  local nd = self:_nodes(by or "function")
  local base, depth = col(s, "stack")[i - 1], col(s, "depth")[i - 1]
  local st_loc = col(stk, "location")
  local out = {}
  for d = 0, depth - 1 do
    local loc = st_loc[base + d]
    if loc < #self.locations then
      for k = nd.start[loc + 1] - 1, nd.start[loc], -1 do out[#out + 1] = nd.names[nd.seq[k]] end
    else
      out[#out + 1] = "<unknown>"
    end
  end
  return out
end

return M
