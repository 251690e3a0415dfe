-- Run one detector on a case through hs.check (the engine, its sandbox and
-- its parameter validation) and return its findings; `set` overrides the
-- detector's parameters by name.
local M = {}
local hs = require "hs"

-- Loading a sample must not write an index file into samples/.
hs.open_options = hs.open_options or {}
hs.open_options.nocache = true

function M.run(case, id, set)
  local s = {}
  for k, v in pairs(set or {}) do s[id .. "." .. k] = v end
  return hs.check(case, { detector = id, set = s })
end

-- findings at or above a severity
local rank = { info = 1, warning = 2, error = 3 }
function M.at_least(findings, sev)
  local out = {}
  for _, f in ipairs(findings) do
    if (rank[f.severity] or 0) >= rank[sev] then out[#out + 1] = f end
  end
  return out
end

-- the finding whose site is `site`, or nil
function M.at_site(findings, site)
  for _, f in ipairs(findings) do if f.site == site then return f end end
  return nil
end

-- |got - want| <= 10% of want
function M.near(got, want, frac)
  if type(got) ~= "number" or type(want) ~= "number" then return false end
  return math.abs(got - want) <= (frac or 0.10) * math.abs(want)
end

return M
