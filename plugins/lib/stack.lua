-- lib.stack: call stacks for detectors.
--
-- A stack is a list of frames, leaf first; a frame is a function name
-- ("main.readRecord", "net/http.(*conn).serve") or a table with .func (and
-- optionally .file, .line), as heap.memprof_frames, goroutines.frames and
-- o:site() give them; p:stack(i) of a pprof profile gives names.
--
--   stack.package(func)   -> "net/http", "main", "github.com/a/b" (nil if none)
--   stack.is_user(func)   -> true for the user's code: main, dotted module
--                            paths, and any path whose first element is not
--                            a standard-library top-level package
--   stack.site(frames)    -> name, k: the first user frame (k its 1-based
--                            index), or nil when every frame is runtime or
--                            standard library
--   stack.funcs(frames)   -> the function names alone
--   stack.key(frames)     -> one string naming the stack, for grouping
--   stack.lines(frames [, max])
--                         -> list of "func (file:line)" lines, at most max
--                            (default 12) with "... N more frames" after
--   stack.short(func)     -> the name without its package directory
--                            ("github.com/a/b.(*T).M" -> "b.(*T).M")
--   stack.group(t, owner, func [, file, line])
--                         -> stacks of a frames table: {[owner] = frames},
--                            read through column pointers, frames leaf first
--                            (sorted by the table's `depth` column)
--   stack.profile_sites(p, types...)
--                         -> the samples of pprof profile p summed per site
--                            (first user frame, leaf-most inlined line
--                            first; a stack without one goes under its leaf
--                            function, with user = false): list of {site,
--                            user, [type] = sum (0 for a type the profile
--                            lacks), sample = index of the
--                            sample with the largest first type}, largest
--                            first by the first type
--
-- The site rule: Go's standard library lives in packages whose import path
-- has no dot in its first element.  A module path without a dot
-- ("mycompany/svc", what `go mod init svc` writes) is user code too, so the
-- first element is checked against the standard library's top-level names;
-- runtime-generated functions ("type:.eq.T", "type..hash.T", "go:buildid",
-- "gcWriteBarrier") are never a site.
local ev = require "lib.evidence"

local M = {}

-- Top-level directories of GOROOT/src (Go 1.19 to 1.24), plus "vendor"
-- (the standard library's vendored golang.org/x packages).
local std = {}
for w in ([[archive arena bufio builtin bytes cmp compress container context crypto
  database debug embed encoding errors expvar flag fmt go hash html image index
  internal io iter log maps math mime net os path plugin reflect regexp runtime
  slices sort strconv strings structs sync syscall testing text time unicode
  unique unsafe vendor weak]]):gmatch("%S+") do std[w] = true end

local function fname(f)
  if type(f) == "table" then return f.func or f.name end
  return f
end

-- The import path of a Go symbol name: up to the first dot after the last
-- slash, ignoring receivers and type arguments ("(*T)", "[...]"), which may
-- themselves hold slashes and dots.  The linker writes a dot in the last
-- path element as "%2e" ("gopkg.in/yaml%2ev2.Unmarshal"); it is unescaped.
function M.package(func)
  if type(func) ~= "string" or func == "" then return nil end
  local head = func:match("^[^%(%[]*") -- before any receiver or type argument
  local dir, rest = head:match("^(.*/)([^/]*)$")
  if not dir then dir, rest = "", head end
  local pkg = rest:match("^([^.]*)%.")
  if not pkg or pkg == "" then return nil end
  return ((dir .. pkg):gsub("%%2e", "."))
end

function M.is_user(func)
  func = fname(func)
  if type(func) ~= "string" then return false end
  if func:find("^type[:.]") or func:find("^go[:.]") then return false end
  local pkg = M.package(func)
  if not pkg then return false end
  if pkg == "main" then return true end
  local first = pkg:match("^[^/]+")
  if first:find(".", 1, true) then return true end
  return not std[first]
end

function M.site(frames)
  if not frames then return nil end
  for k, f in ipairs(frames) do
    local name = fname(f)
    if M.is_user(name) then return name, k end
  end
  return nil
end

function M.funcs(frames)
  local out = {}
  for k, f in ipairs(frames or {}) do out[k] = fname(f) or "?" end
  return out
end

function M.key(frames)
  return table.concat(M.funcs(frames), "\n")
end

function M.short(func)
  if type(func) ~= "string" then return func end
  local head = func:match("^[^%(%[]*")
  local cut = head:match("^.*()/")
  if not cut then return func end
  return func:sub(cut + 1)
end

function M.lines(frames, max)
  max = max or 12
  local out = {}
  local n = frames and #frames or 0
  for k = 1, math.min(n, max) do
    local f = frames[k]
    local s = fname(f) or "?"
    if type(f) == "table" and f.file and f.file ~= "" then
      s = s .. " (" .. f.file .. (f.line and f.line ~= 0 and (":" .. f.line) or "") .. ")"
    end
    out[k] = s
  end
  if n > max then out[#out + 1] = ("... %d more frames"):format(n - max) end
  return out
end

-- Stacks of a frames table (one row per frame: owner id, depth, func ...),
-- read with column pointers; `owner` is the column naming whose stack a
-- frame belongs to (goroutine, memprof, sample).  Cost: one pass over the
-- rows plus a sort of each stack by depth (already in order in every
-- loader's output, so the sort is a check).
function M.group(t, owner, func, file, line)
  local out = {}
  if not t or #t == 0 then return out end
  local cols = {}
  for _, c in ipairs(t:columns()) do cols[c] = true end
  local own, dep = t:column(owner), cols.depth and t:column("depth")
  local fn = ev.text(t, func or "func")
  local fl = file and cols[file] and ev.text(t, file)
  local ln = line and cols[line] and t:column(line)
  local sorted = true
  for i, r in t:rows() do
    local o = tonumber(own[r])
    local st = out[o]
    if not st then st = {}; out[o] = st end
    local d = dep and tonumber(dep[r]) or #st
    local f = { func = fn(i, r), depth = d }
    if fl then f.file = fl(i, r) end
    if ln then f.line = tonumber(ln[r]) end
    if #st > 0 and st[#st].depth > d then sorted = false end
    st[#st + 1] = f
  end
  if not sorted then
    for _, st in pairs(out) do
      table.sort(st, function(a, b) return a.depth < b.depth end)
    end
  end
  return out
end

-- Cost: one pass over the profile's stack and line columns; the site of
-- each location is decided once.
function M.profile_sites(p, ...)
  local types = { ... }
  local s, stk, locs, lines = p.samples, p.stacks, p.locations, p.lines
  local out = {}
  if not s or #s == 0 then return out end
  local vcols = {}
  for k, ty in ipairs(types) do
    if ev.has(s, ty) then vcols[k] = s:column(ty) end
  end
  if not vcols[1] then return out end
  local s_stack, s_depth = s:column("stack"), s:column("depth")
  local st_loc = stk:column("location")
  local l_first, l_n = locs:column("line"), locs:column("nline")
  local nloc = #locs
  local text = ev.text(lines, "name")
  local function name(li) return text(li + 1, li) end
  -- per location: its user site, or false; and its leaf function
  local site_of, leaf_of = {}, {}
  local function look(loc)
    if site_of[loc] == nil then
      site_of[loc] = false
      local first, n = tonumber(l_first[loc]), tonumber(l_n[loc])
      for j = 0, n - 1 do
        local f = name(first + j)
        if j == 0 then leaf_of[loc] = f end
        if M.is_user(f) then site_of[loc] = f; break end
      end
    end
    return site_of[loc]
  end
  local by, order = {}, {}
  for i = 0, #s - 1 do
    local v1 = tonumber(vcols[1][i])
    if v1 ~= 0 then
      local base, depth = tonumber(s_stack[i]), tonumber(s_depth[i])
      local site, leaf
      for d = 0, depth - 1 do
        local loc = tonumber(st_loc[base + d])
        if loc < nloc then
          local u = look(loc)
          if d == 0 then leaf = leaf_of[loc] end
          if u then site = u; break end
        end
      end
      local key = site or leaf or "?"
      local g = by[key]
      if not g then
        g = { site = key, user = site ~= nil, best = -1 }
        for _, ty in ipairs(types) do g[ty] = 0 end
        by[key] = g
        order[#order + 1] = g
      end
      for k, ty in ipairs(types) do
        if vcols[k] then g[ty] = g[ty] + tonumber(vcols[k][i]) end
      end
      if v1 > g.best then g.best, g.sample = v1, i + 1 end
    end
  end
  local t1 = types[1]
  table.sort(order, function(a, b)
    if a[t1] ~= b[t1] then return a[t1] > b[t1] end
    return a.site < b.site
  end)
  for _, g in ipairs(order) do g.best = nil end
  return order
end

return M
