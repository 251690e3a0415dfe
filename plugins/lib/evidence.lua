-- lib.evidence: choosing and reading a case's evidence for detectors.
--
-- A case often holds one process's evidence several times (gctrace.log and
-- the same lines in a container log; memstats.json and the MemStats tail of
-- a debug=1 heap profile; a goroutine dump at debug=1 and at debug=2), all
-- in one table told apart by its `source` column.  A detector judges one
-- source at a time so nothing is counted twice.
--
--   ev.sources(t)          -> list of {name =, rows = {base rows}}, most rows
--                             first, then by name (deterministic)
--   ev.best(t [, score])   -> the source with the highest score(src) (default
--                             its row count), or nil for an empty table
--   ev.has(t, col)         -> whether t has that column
--   ev.nums(t, col, rows)  -> Lua array of col's values at base rows `rows`
--   ev.text(t, col)        -> function(i, r) giving the text of string
--                             column col at row i (base row r), reading the
--                             pool id through the column and each distinct
--                             id's text once
--   ev.quantile(xs, q)     -> q-quantile of a numeric array (nearest rank,
--                             as Go's runtime/metrics histograms are read)
--   ev.fmt_secs(s)         -> "850 ms", "12.5 s", "3.2 min", "5.0 h"
--   ev.pct(x)              -> "37.5%"
--   ev.round(x [, digits]) -> x to `digits` significant digits (default 4),
--                             so evidence reads 0.1734, not 0.17339999...
--
-- Reads go through column pointers (t:column), one string lookup per
-- distinct source.
local M = {}

function M.has(t, col)
  if not t then return false end
  for _, c in ipairs(t:columns()) do if c == col then return true end end
  return false
end

function M.sources(t)
  local out = {}
  if not t or #t == 0 then return out end
  if not M.has(t, "source") then
    local rows = {}
    for _, r in t:rows() do rows[#rows + 1] = r end
    return { { name = "", rows = rows } }
  end
  local src = M.text(t, "source")
  local by = {}
  for i, r in t:rows() do
    local name = src(i, r)
    local s = by[name]
    if not s then
      s = { name = name, rows = {} }
      by[name] = s
      out[#out + 1] = s
    end
    s.rows[#s.rows + 1] = r
  end
  table.sort(out, function(a, b)
    if #a.rows ~= #b.rows then return #a.rows > #b.rows end
    return a.name < b.name
  end)
  return out
end

function M.best(t, score)
  local best, bs
  for _, s in ipairs(M.sources(t)) do
    local v = score and score(s) or #s.rows
    if v and (bs == nil or v > bs) then best, bs = s, v end
  end
  return best
end

function M.nums(t, col, rows)
  local c = t:column(col)
  local out = {}
  for k, r in ipairs(rows) do out[k] = tonumber(c[r]) end
  return out
end

function M.text(t, col)
  local ids, cache = t:column(col), {}
  return function(i, r)
    local id = tonumber(ids[r])
    local v = cache[id]
    if v == nil then
      v = t:get(i, col)
      cache[id] = v
    end
    return v
  end
end

function M.quantile(xs, q)
  local n = #xs
  if n == 0 then return nil end
  local s = {}
  for i = 1, n do s[i] = xs[i] end
  table.sort(s)
  local k = math.ceil(q * n)
  if k < 1 then k = 1 end
  return s[k]
end

function M.fmt_secs(s)
  if s < 1 then return ("%.0f ms"):format(s * 1000) end
  if s < 120 then return ("%.1f s"):format(s) end
  if s < 7200 then return ("%.1f min"):format(s / 60) end
  return ("%.1f h"):format(s / 3600)
end

function M.pct(x) return ("%.1f%%"):format(100 * x) end

function M.round(x, digits)
  if type(x) ~= "number" or x ~= x or x == 0 or x == math.huge or x == -math.huge then return x end
  return tonumber(("%." .. (digits or 4) .. "g"):format(x))
end

return M
