-- goroutine-leak on the samples: the 50 main.leakyWorker goroutines that
-- samples/src/leaky plants (facts.json "goroutines"[1]) and the 8 KiB
-- scratch buffers only their stacks reference (leaky_worker_scratch), from
-- the full case and from each weaker evidence alone; nothing at warning on
-- the healthy control or on prometheus.  The heap dump's wait estimate
-- (minutes since the first GC that found them blocked) stays under a
-- minute: the evidence run dumps about a second after starting them.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")
local ID = "goroutine-leak"

local files = dofile("tests/lib/files.lua")
local exists = files.exists

local function warnings_at(findings, site)
  local n = 0
  for _, f in ipairs(D.at_least(findings, "warning")) do if f.site == site then n = n + 1 end end
  return n
end

local ran = 0
for _, dir in ipairs { "samples/go1.19/leaky", "samples/go1.23/leaky", "samples/go1.23/leaky-rate1" } do
  local facts = json.read(dir .. "/facts.json")
  if facts then
    ran = ran + 1
    local is119 = facts.go_version:find("^go1%.19") ~= nil
    local want = facts.goroutines[1]
    local fn = want["function"]
    tap.is(fn, "main.leakyWorker", dir .. ": facts name the leaky worker first")
    local state = is119 and want.state_go1_19 or want.state

    -- the whole case: the heap dump is judged
    local c = hs.load(dir)
    local fs = D.run(c, ID)
    local f = D.at_site(fs, fn)
    tap.ok(f, dir .. ": a finding at " .. fn)
    if f then
      tap.is(f.severity, "warning", dir .. ": warning")
      tap.ok(D.near(f.count, want.count), ("%s: count %s within 10%% of %d"):format(dir, tostring(f.count), want.count))
      tap.ok(D.near(f.evidence.retained_bytes, facts.leaky_worker_scratch.total_bytes),
        ("%s: retained %s within 10%% of the scratch buffers' %d B"):format(dir, tostring(f.evidence.retained_bytes),
          facts.leaky_worker_scratch.total_bytes))
      tap.ok(f.bytes >= facts.leaky_worker_scratch.total_bytes, dir .. ": bytes at stake include what they retain")
      tap.is(f.evidence.state, state, dir .. ": state")
      tap.is(f.evidence.created_by, want.created_by, dir .. ": creator")
      tap.like(f.message, "ctx%.Done", dir .. ": the message names the lever")
      -- the case's sigquit.log (the same program held 65 s) shows a minute;
      -- without it the dump's own estimate is under a minute
      local wm = f.evidence.wait_minutes
      if exists(dir .. "/sigquit.log") then
        tap.ok(wm and wm.min >= 1, dir .. ": waited a minute, from the traceback beside the dump")
        if wm and wm.min >= 1 and wm.min < 2 then
          tap.like(f.message, "for 1 minute or more", dir .. ": one minute, in the singular")
        end
      else
        tap.ok(wm and wm.max < 1, dir .. ": waited under a minute, by the dump's waitsince")
      end
    end
    tap.is(warnings_at(fs, fn), 1, dir .. ": one warning for the group, not one per source")
    -- the heap dump alone: the wait from waitsince, under a minute here;
    -- the retained scratch buffers make it a warning
    local fd = D.at_site(D.run(hs.load(dir .. "/heap.dump.xz"), ID), fn)
    tap.ok(fd and fd.severity == "warning" and fd.evidence.wait_minutes and fd.evidence.wait_minutes.max < 1,
      dir .. "/heap.dump.xz alone: a warning for what they hold, waited under a minute")
    -- smaller planted groups are below min_count; lowering it finds them
    local small = D.run(c, ID, { min_count = 2 })
    for k = 2, #facts.goroutines do
      local g = facts.goroutines[k]
      local gs = D.at_site(small, g["function"])
      if g.count >= 2 and g["function"] ~= "main.sleeper" then
        tap.ok(gs and gs.count == g.count, ("%s: min_count=2 finds %d in %s"):format(dir, g.count, g["function"]))
        if gs then
          tap.is(gs.evidence.state, is119 and g.state_go1_19 or g.state, dir .. ": ... in state " .. tostring(g.state))
        end
      end
    end
    tap.is(warnings_at(fs, "main.mutexWaiter"), 0, dir .. ": 3 mutex waiters are below the default min_count")

    -- weaker evidence alone: says less, nothing wrong.  The evidence run
    -- dumps its goroutines about a second after starting them, so only
    -- sigquit.log (held 65 s: ", 1 minutes") shows they are stuck; the
    -- others give the group as info, as they would an idle worker pool.
    for _, file in ipairs { "goroutines-debug2.txt", "goroutines-debug1.txt", "goroutine.pb.gz", "sigquit.log" } do
      local p = dir .. "/" .. file
      if exists(p) then
        local w = D.run(hs.load(p), ID)
        local g = D.at_site(w, fn)
        local sev = file == "sigquit.log" and "warning" or "info"
        tap.ok(g and g.severity == sev and g.count == want.count, ("%s: 50 leaky workers, %s"):format(p, sev))
        if g then
          tap.is(g.evidence.retained_bytes, nil, p .. ": no claim about retained memory without a heap dump")
          tap.ok(g.evidence.state == nil or g.evidence.state == state, p .. ": state absent or right")
          tap.ok(g.evidence.created_by == nil or g.evidence.created_by == want.created_by, p .. ": creator absent or right")
          local wm = g.evidence.wait_minutes
          if file == "sigquit.log" then
            tap.ok(wm and wm.min >= 1, p .. ": waited a minute (held 65 s)")
          elseif file == "goroutines-debug2.txt" then
            tap.ok(wm and wm.max < 1, p .. ": less than a minute")
          else
            tap.is(wm, nil, p .. ": no wait in this form")
          end
        end
      end
    end
  end
end
if ran == 0 then tap.skip("no leaky samples") end

for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/go1.19/control",
                       "samples/go1.23/control", "samples/thirdparty/prometheus", "samples/thirdparty/caddy" } do
  if exists(dir) then
    local fs = D.run(hs.load(dir), ID)
    tap.is(#D.at_least(fs, "warning"), 0, dir .. ": nothing at warning or above")
  end
end

-- caddy's main goroutine waits for the process's lifetime in `select {}`
-- (cmd.cmdRun): an empty select blocks forever, but in main that is how a
-- server waits, not a leak.  The same stack in a goroutine of its own is.
local tb = files.read("samples/thirdparty/caddy/sigquit.log")
local main = tb and tb:match("\n(goroutine 1 %[select %(no cases%)%]:\n.-)\n\n")
if main and main:find("\nruntime%.main%(") then
  for _, name in ipairs { "sigquit.log", "goroutines-debug2.txt", "goroutines-debug1.txt" } do
    local fs = D.run(hs.load("samples/thirdparty/caddy/" .. name), ID)
    tap.is(#D.at_least(fs, "warning"), 0, "caddy " .. name .. ": main parked in select {} is no leak")
  end
  -- goroutine 1's stack as if a goroutine started in cmd.Main ran it
  local own = main:gsub("^goroutine 1 ", "goroutine 99 "):gsub("\nmain%.main%(%).-$", "")
    .. "\ncreated by github.com/caddyserver/caddy/v2/cmd.Main\n\tgithub.com/caddyserver/caddy/v2/cmd/main.go:1 +0x1\n"
  local path = os.tmpname()
  local f = io.open(path, "wb")
  f:write(own, "\n")
  f:close()
  local fs = D.run(hs.load(path), ID)
  os.remove(path)
  tap.ok(#fs == 1 and fs[1].severity == "warning" and fs[1].count == 1,
         "the same select {} outside main: a warning", fs)
else
  tap.skip("samples/thirdparty/caddy/sigquit.log: no goroutine 1 in select (no cases) from runtime.main")
end

os.exit(tap.done() == 0 and 0 or 1)
