-- case.goroutines over the samples' goroutine dumps, against a plain
-- reading of the same files and the goroutines facts.json says the Go
-- program planted (50 main.leakyWorker parked on a channel, ...).
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local read = files.read
local ls = files.ls
local lines = files.lines
-- facts.json's planted goroutines: function, count, state (1.19 spelling
-- when the sample is Go 1.19), created_by, locked_to_thread
local function planted(dir)
  local facts = read(dir .. "/facts.json")
  if not facts then return nil end
  local is119 = facts:match('"go_version":%s*"go1%.19') ~= nil
  local block = facts:match('"goroutines":%s*(%b[])')
  if not block then return nil end
  local out = {}
  for obj in block:gmatch("%b{}") do
    local g = {
      func = obj:match('"function":%s*"([^"]+)"'),
      count = tonumber(obj:match('"count":%s*(%d+)')),
      state = is119 and obj:match('"state_go1_19":%s*"([^"]+)"') or obj:match('"state":%s*"([^"]+)"'),
      created_by = obj:match('"created_by":%s*"([^"]+)"'),
      locked = obj:match('"locked_to_thread":%s*true') ~= nil,
    }
    out[#out + 1] = g
  end
  return out, tonumber(facts:match('"goroutines_total":%s*(%d+)'))
end

-- rows (1-based) of case.goroutines whose stack has a frame in func
local function rows_with(c, func)
  local seen, out = {}, {}
  for _, f in c:table("goroutines.frames"):where("func", func):each() do
    local g = tonumber(f.goroutine) + 1
    if not seen[g] then seen[g] = true; out[#out + 1] = g end
  end
  return out
end

local dirs = {}
for _, grp in ipairs { "samples/go1.19", "samples/go1.23" } do
  for _, d in ipairs(ls(grp)) do dirs[#dirs + 1] = grp .. "/" .. d end
end

local nDebug2 = 0
for _, dir in ipairs(dirs) do
  local p = dir .. "/goroutines-debug2.txt"
  local text = read(p)
  if text then
    nDebug2 = nDebug2 + 1
    local nHead = 0
    for _, l in ipairs(lines(text)) do if l:match("^goroutine %d+ %[.*%]:$") then nHead = nHead + 1 end end
    local c = hs.load(p)
    tap.is(#c.goroutines, nHead, p .. ": one row per goroutine block")
    local want, total = planted(dir)
    if total then tap.is(#c.goroutines, total, p .. ": facts.goroutines_total") end
    for _, g in ipairs(want or {}) do
      local rows = rows_with(c, g.func)
      tap.is(#rows, g.count, ("%s: %d goroutines in %s"):format(p, g.count, g.func))
      local st, cr, lk = true, true, 0
      for _, i in ipairs(rows) do
        local r = c.goroutines[i]
        if r.state ~= g.state then st = false end
        if g.created_by and r.created_by ~= g.created_by then cr = false end
        lk = lk + r.locked
      end
      tap.ok(st, ("%s: %s in state %q"):format(p, g.func, g.state))
      tap.ok(cr, ("%s: %s created by %s"):format(p, g.func, tostring(g.created_by)))
      if g.locked then tap.is(lk, g.count, p .. ": " .. g.func .. " locked to thread") end
    end
    -- grouping by leaf function, as a user would ask "what are they doing"
    local counts = c.goroutines:group_by("top"):count()
    if want and want[1] and want[1].func == "main.leakyWorker" then
      tap.is(counts[1].top or counts[1].key, "main.leakyWorker", p .. ": most goroutines sit in main.leakyWorker")
      tap.is(counts[1].count, want[1].count, p .. ": ... that many")
    end
  end

  p = dir .. "/goroutines-debug1.txt"
  text = read(p)
  if text then
    local total = tonumber(text:match("^goroutine profile: total (%d+)"))
    local c = hs.load(p)
    local sum = 0
    for _, r in c.goroutines:each() do sum = sum + r.count end
    tap.is(sum, total, p .. ": counts add up to the profile's total")
    for _, g in ipairs(planted(dir) or {}) do
      local n = 0
      for _, i in ipairs(rows_with(c, g.func)) do n = n + c.goroutines[i].count end
      tap.is(n, g.count, ("%s: %d goroutines in %s"):format(p, g.count, g.func))
    end
  end

  p = dir .. "/panic.log"
  text = read(p)
  if text then
    local c = hs.load(p)
    local facts = read(dir .. "/facts.json") or ""
    local pf = facts:match('"panic_log":%s*(%b{})') or ""
    local r = c.goroutines[1]
    tap.is(r.state, "running", p .. ": the panicking goroutine runs")
    tap.is(r.top, pf:match('"function":%s*"([^"]+)"'), p .. ": it panicked in facts.panic_log.function")
    tap.is(r.created_by, pf:match('"created_by":%s*"([^"]+)"'), p .. ": created by facts.panic_log.created_by")
    tap.like(r.reason, "^panic: ", p .. ": reason is the panic line")
  end
end
if nDebug2 == 0 then tap.skip("no samples/go1.*/*/goroutines-debug2.txt") end

-- prometheus: counted dumps and a SIGQUIT traceback
local P = "samples/thirdparty/prometheus"
local text = read(P .. "/sigquit.log")
if text then
  local n = 0
  for _, l in ipairs(lines(text)) do if l:match("^goroutine %d+ %[") then n = n + 1 end end
  local c = hs.load(P .. "/sigquit.log")
  tap.is(#c.goroutines, n, "prometheus sigquit.log: every goroutine")
  tap.is(#c.goroutines:where("reason", "SIGQUIT: quit"), n, "prometheus sigquit.log: reason")
  tap.ge(#c.goroutines:where("locked", 1), 1, "prometheus sigquit.log: ensureSigM is locked to its thread")
end

-- caddy: its dump comes from SIGABRT (caddy exits on SIGQUIT without one)
text = read("samples/thirdparty/caddy/sigquit.log")
if text then
  local n = 0
  for _, l in ipairs(lines(text)) do if l:match("^goroutine %d+ %[") then n = n + 1 end end
  local c = hs.load("samples/thirdparty/caddy/sigquit.log")
  tap.is(#c.goroutines, n, "caddy sigquit.log (SIGABRT): every goroutine")
  tap.is(#c.goroutines:where("reason", "SIGABRT: abort"), n, "caddy sigquit.log: reason")
  tap.is(#c.goroutines:where("state", "select (no cases)"), 1, "caddy sigquit.log: main parked in select {}")
end

os.exit(tap.done() == 0 and 0 or 1)
