-- Reading what `go tool pprof -top` printed (samples/*/pprof-top/*.txt,
-- pprof-diff/*.txt) and comparing a table of p:top's columns with it.
--
--   pt.parse_top(lines)            -> {type, total, rows = {flat, flat_pct, ...}}
--   pt.value_matches(ours, s, exact) -> ours equals pprof's printed value s
--   pt.compare(got, truth, exact)  -> nil, or why the first differing row differs
local M = {}

-- pprof's units (internal/measurement): bytes 1024-based, times from ns.
local scale = { B = 1, kB = 1024, MB = 1024 ^ 2, GB = 1024 ^ 3, TB = 1024 ^ 4, PB = 1024 ^ 5,
                ns = 1, us = 1e3, ms = 1e6, s = 1e9, hrs = 3600e9 }
-- "2786.98kB" -> 2786.98, 1024; "32" -> 32, 1
function M.parse_value(s)
  local num, unit = s:match("^(%-?[%d%.]+)(%a*)$")
  if not num then return nil end
  if unit == "" then return tonumber(num), 1 end
  return tonumber(num), scale[unit]
end

-- Parse a -top file: header facts and the rows.
function M.parse_top(lines)
  local t = { rows = {} }
  local body = false
  for _, l in ipairs(lines) do
    if body then
      local f, fp, sp, c, cp, rest = l:match("^%s*(%S+)%s+(%S+)%%%s+(%S+)%%%s+(%S+)%s+(%S+)%%%s+(.*)$")
      if f then
        local name, inl = rest, ""
        local n2, lab = rest:match("^(.-) %(([%a%-]*inline)%)$")
        if n2 then name, inl = n2, lab end
        t.rows[#t.rows + 1] = { flat = f, flat_pct = tonumber(fp), sum_pct = tonumber(sp),
                                cum = c, cum_pct = tonumber(cp), name = name, inline = inl }
      end
    elseif l:match("^%s+flat%s+flat%%") then
      body = true
    elseif l:match("^Showing nodes accounting for") then
      t.total = l:match("of (%S+) total")
    elseif l:match("^Type: ") then
      t.type = l:match("^Type: (%S+)")
    end
  end
  return t
end

-- ours (exact number) printed by pprof as s: equal within pprof's rounding
-- to 2 decimals in the unit it chose.
function M.value_matches(ours, s, exact)
  local v, k = M.parse_value(s)
  if not v or not k then return false end
  if exact then return ours == v * k end
  return math.abs(ours / k - v) <= 0.0051 + 1e-9 * math.abs(v)
end

function M.pct_matches(ours, printed)
  if printed == 100 then return ours >= 99.95 and ours <= 100.05 end
  if printed >= 1 then return math.abs(ours - printed) <= 0.0051 end
  -- %.2g below 1%: two significant digits
  return math.abs(ours - printed) <= 0.051 * printed + 1e-12
end

function M.compare(got, truth, exact)
  local bad
  for i, want in ipairs(truth.rows) do
    local r = got[i]
    local why
    if r.name ~= want.name then
      why = ("name %q, want %q"):format(r.name, want.name)
    elseif not M.value_matches(r.flat, want.flat, exact) then
      why = ("flat %s, want %s"):format(r.flat, want.flat)
    elseif not M.value_matches(r.cum, want.cum, exact) then
      why = ("cum %s, want %s"):format(r.cum, want.cum)
    elseif not M.pct_matches(r.flat_pct, want.flat_pct) or not M.pct_matches(r.cum_pct, want.cum_pct)
        or not M.pct_matches(r.sum_pct, want.sum_pct) then
      why = ("pct %.4f/%.4f/%.4f, want %s/%s/%s"):format(r.flat_pct, r.sum_pct, r.cum_pct,
            want.flat_pct, want.sum_pct, want.cum_pct)
    elseif r.inline ~= want.inline then
      why = ("inline label %q, want %q"):format(r.inline, want.inline)
    end
    if why then
      bad = ("row %d (%s): %s"):format(i, want.name, why)
      break
    end
  end
  return bad
end

return M
