-- hs.tap: a tiny Test Anything Protocol producer for heapscope's Lua tests
-- and for plugin authors who want `prove` to run their checks.
--   local t = require "hs.tap"
--   t.ok(cond, "name"); t.is(got, want, "name"); t.skip("reason"); t.done()
local M = {}
local n, failed, planned = 0, 0, nil

local function emit(ok, name, extra)
  n = n + 1
  io.write((ok and "ok " or "not ok ") .. n .. " - " .. (name or ""):gsub("\n", " ") .. "\n")
  if not ok then
    failed = failed + 1
    local info = debug.getinfo(3, "Sl")
    io.write(("#   at %s:%s\n"):format(info and info.short_src or "?", info and info.currentline or "?"))
    if extra then io.write("#   " .. extra:gsub("\n", "\n#   ") .. "\n") end
  end
  return ok
end

function M.plan(count) planned = count; io.write("1.." .. count .. "\n") end
-- (No tail calls below: emit() finds the test's line two levels up.)
function M.ok(cond, name)
  local r = emit(not not cond, name)
  return r
end
function M.is(got, want, name)
  local r = emit(got == want, name, ("got:  %s\nwant: %s"):format(tostring(got), tostring(want)))
  return r
end
function M.isnt(got, bad, name)
  local r = emit(got ~= bad, name, ("got %s, which it must not be"):format(tostring(got)))
  return r
end
function M.like(s, pat, name)
  local r = emit(type(s) == "string" and s:find(pat) ~= nil, name,
                 ("%q does not match %q"):format(tostring(s), pat))
  return r
end
function M.ge(got, min, name)
  local r = emit(type(got) == "number" and got >= min, name,
                 ("got %s, want at least %s"):format(tostring(got), tostring(min)))
  return r
end
-- Runs fn and expects it to raise an error matching pat.
function M.raises(fn, pat, name)
  local ok, err = pcall(fn)
  local r = emit(not ok and tostring(err):find(pat) ~= nil, name,
                 ok and "no error was raised" or ("error was: " .. tostring(err)))
  return r
end
function M.skip(reason, count)
  for _ = 1, count or 1 do
    n = n + 1
    io.write(("ok %d # SKIP %s\n"):format(n, reason))
  end
end
-- Ends the test: prints the plan if none was given; returns the failures.
function M.done()
  if not planned then io.write("1.." .. n .. "\n") end
  io.flush()
  return failed
end
return M
