-- hs.show: how values print in the REPL, -e and scripts (hs.format).
--
-- Tables print as aligned text with each column's display hints (sizes in
-- KiB/MiB, addresses in hex, times as dates, MB columns with their unit),
-- cut to the terminal's width and to 20 rows with a count of the rest;
-- Lua lists print in index order; binary strings print their start and
-- their length.  Values with a __tostring print through it.
local ffi = require "ffi"
local bit = require "bit"
local core = require "hs.core"
local tab = require "hs.table"

local M = {}
local is_binary, binary
-- Default output width: the terminal's, set by the CLI (huge when stdout is
-- not a terminal, so pipes get every column).
M.width = 100

local getinfo, cell, baserow, is_table = tab.getinfo, tab.cell, tab.baserow, tab.is_table
local STR = tab.STR
local F = tab.flags
local COL_BYTES, COL_HEX, COL_SECONDS, COL_EPOCH, COL_PCT, COL_MB = F.bytes, F.hex, F.seconds,
  F.epoch, F.pct, F.mb

local function fmt_bytes(v) return core.fmt_bytes(tonumber(v)) end

local function fmt_num(v)
  if type(v) == "cdata" then return (tostring(v):gsub("U?LL$", "")) end
  if v == math.floor(v) and v > -1e15 and v < 1e15 then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

local function hex(v)
  local d = tonumber(v)
  return ("0x%x"):format(d)
end
-- Columns of nanoseconds the loaders name after Go's fields (MemStats'
-- PauseTotalNs, the pause tables' pause_ns): printed as durations.
local NANOS = { PauseTotalNs = true, pause_ns = true }

-- "850 ns", "5.93 ms", "1.20 s", "2.5 min"
local function fmt_duration(ns)
  ns = tonumber(ns)
  local a = math.abs(ns)
  if a < 1e3 then return ("%d ns"):format(ns) end
  if a < 1e6 then return ("%.2f us"):format(ns / 1e3) end
  if a < 1e9 then return ("%.2f ms"):format(ns / 1e6) end
  if a < 120e9 then return ("%.2f s"):format(ns / 1e9) end
  return ("%.1f min"):format(ns / 60e9)
end
M.fmt_duration = fmt_duration

-- Text of one cell for printing, by the column's display hints.
local function show(col, v)
  if col.type == STR then return v end
  local f = col.flags
  if bit.band(f, COL_HEX) ~= 0 then return hex(v) end
  if bit.band(f, COL_BYTES) ~= 0 then return fmt_bytes(v) end
  if bit.band(f, COL_PCT) ~= 0 then return ("%.2f%%"):format(tonumber(v)) end
  if bit.band(f, COL_MB) ~= 0 then return fmt_num(v) .. " MB" end
  if bit.band(f, COL_EPOCH) ~= 0 then
    local s = tonumber(v)
    if s == 0 then return "-" end              -- no wall time in the evidence
    if s > 1e17 then s = s / 1e9 end
    return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(s))
  end
  if bit.band(f, COL_SECONDS) ~= 0 then return ("%.3f s"):format(tonumber(v)) end
  if NANOS[col.name] then return fmt_duration(v) end
  return fmt_num(v)
end
M.show = show

local function pad(s, w, right)
  local n = #s
  if n >= w then return s end
  if right then return (" "):rep(w - n) .. s end
  return s .. (" "):rep(w - n)
end

local function clip(s, w)
  if #s <= w then return s end
  if w <= 1 then return s:sub(1, w) end
  return s:sub(1, w - 1) .. "~"
end

-- Format a table as aligned text.  opts: rows (max rows, default 20),
-- width (terminal columns, default 100), title (bool).
function M.format_table(ud, opts)
  opts = opts or {}
  local inf = getinfo(ud)
  local maxrows = opts.rows or 20
  local width = opts.width or M.width
  local n = math.min(inf.n, maxrows)
  local cols = {}
  for _, name in ipairs(inf.names) do cols[#cols + 1] = inf.cols[name] end
  local cells, widths, right = {}, {}, {}
  for c, col in ipairs(cols) do
    widths[c] = #col.name
    right[c] = col.type ~= STR
  end
  for i = 1, n do
    local r = baserow(inf, i)
    local line = {}
    for c, col in ipairs(cols) do
      local s = show(col, cell(inf, col, r))
      s = s:gsub("\n", " ")
      line[c] = s
      if #s > widths[c] then widths[c] = #s end
    end
    cells[i] = line
  end
  -- Fit the terminal: shrink the widest string column first, then drop
  -- columns from the right and say so.
  local function total()
    local t = 0
    for c = 1, #cols do t = t + widths[c] + 2 end
    return t
  end
  local ncols = #cols
  while total() > width do
    local wi, ww = nil, 12
    for c = 1, ncols do
      if not right[c] and widths[c] > ww then wi, ww = c, widths[c] end
    end
    if wi then
      widths[wi] = math.max(12, widths[wi] - (total() - width))
    else
      break
    end
  end
  local dropped = 0
  while ncols > 1 do
    local t = 0
    for c = 1, ncols do t = t + widths[c] + 2 end
    if t <= width then break end
    ncols = ncols - 1
    dropped = dropped + 1
  end
  local out = {}
  local head = {}
  for c = 1, ncols do head[c] = pad(clip(cols[c].name, widths[c]), widths[c], right[c]) end
  out[#out + 1] = (table.concat(head, "  "):gsub("%s+$", ""))
  local rule = {}
  for c = 1, ncols do rule[c] = ("-"):rep(widths[c]) end
  out[#out + 1] = table.concat(rule, "  ")
  for i = 1, n do
    local line = {}
    for c = 1, ncols do line[c] = pad(clip(cells[i][c], widths[c]), widths[c], right[c]) end
    out[#out + 1] = (table.concat(line, "  "):gsub("%s+$", ""))
  end
  if inf.n > n or dropped > 0 or inf.n == 0 then
    local foot = inf.n > n and ("(%d of %d rows, %d more"):format(n, inf.n, inf.n - n)
                 or ("(%d rows"):format(inf.n)
    if dropped > 0 then foot = foot .. (", %d column%s hidden"):format(dropped, dropped > 1 and "s" or "") end
    out[#out + 1] = clip(foot .. ")", width)
  end
  return table.concat(out, "\n")
end

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then return false end
  end
  return true
end

-- Bytes that are not text (from a heap object: o:bytes(), o:string()) print
-- as their first bytes, escaped, and their length, never whole.
local BINARY_SHOW = 64
is_binary = function(v)
  return v:find("[%z\1-\8\14-\31\127]") ~= nil   -- control bytes: not text
end
binary = function(v)
  local head = v:sub(1, BINARY_SHOW):gsub('[^\32-\126]', function(c)
    return ("\\x%02x"):format(c:byte())
  end):gsub('"', '\\"')
  return ('"%s"%s (%d bytes)'):format(head, #v > BINARY_SHOW and "..." or "", #v)
end

-- Format any value for the REPL and -e.
function M.format(v, opts, depth, seen)
  opts = opts or {}
  depth = depth or 0
  local tv = type(v)
  if is_table(v) then return M.format_table(v, opts) end
  if tv == "string" then
    if is_binary(v) then return binary(v) end
    if depth > 0 then return ("%q"):format(v) end
    return v
  end
  if tv == "number" or tv == "cdata" and ffi.istype("uint64_t", v) or
     tv == "cdata" and ffi.istype("int64_t", v) then
    return fmt_num(v)
  end
  if tv ~= "table" then return tostring(v) end
  local m = getmetatable(v)
  if m and m.__tostring then return tostring(v) end
  seen = seen or {}
  if seen[v] then return "{...}" end
  seen[v] = true
  -- a row of an hs table: fields in column order, with display hints
  if m and m.__table then
    local inf = getinfo(m.__table)
    local w = 0
    for _, n in ipairs(inf.names) do w = math.max(w, #n) end
    local out = {}
    for _, n in ipairs(inf.names) do
      out[#out + 1] = pad(n, w) .. "  " .. show(inf.cols[n], v[n])
    end
    return table.concat(out, "\n")
  end
  if depth >= 3 then return "{...}" end
  local maxitems = opts.items or 40
  local parts, count = {}, 0
  if is_array(v) then
    for i, x in ipairs(v) do
      count = count + 1
      if count > maxitems then
        parts[#parts + 1] = ("... %d more"):format(#v - maxitems)
        break
      end
      parts[#parts + 1] = M.format(x, opts, depth + 1, seen)
    end
    local s = "{" .. table.concat(parts, ", ") .. "}"
    if #s <= (opts.width or M.width) or depth > 0 then return s end
    return "{\n  " .. table.concat(parts, ",\n  ") .. "\n}"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)       -- numbers first, in order; then names
    local na, nb = type(a) == "number", type(b) == "number"
    if na and nb then return a < b end
    if na ~= nb then return na end
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(keys) do
    count = count + 1
    if count > maxitems then
      parts[#parts + 1] = ("... %d more"):format(#keys - maxitems)
      break
    end
    local ks = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. M.format(k, opts, depth + 1, seen) .. "]"
    parts[#parts + 1] = ks .. " = " .. M.format(v[k], opts, depth + 1, seen)
  end
  local s = "{" .. table.concat(parts, ", ") .. "}"
  if #s <= (opts.width or 100) or depth > 0 then return s end
  return "{\n  " .. table.concat(parts, ",\n  ") .. "\n}"
end

core.table_mt.__tostring = function(ud) return M.format_table(ud) end

return M
