-- case.gc over the samples' gctrace logs, against a plain reading of the
-- same files (Lua patterns, not the loader) and facts.json: one row per
-- "gc N @" line with the line's numbers, scav and pacer lines in
-- gc.scav / gc.pacer, container-wrapped logs give the same rows.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local read = files.read
local ls = files.ls
local lines = files.lines
local files = {}
for _, grp in ipairs { "samples/go1.19", "samples/go1.23", "samples/thirdparty" } do
  for _, d in ipairs(ls(grp)) do
    local p = grp .. "/" .. d .. "/gctrace.log"
    if read(p) then files[#files + 1] = { path = p, dir = grp .. "/" .. d } end
  end
end

if #files == 0 then
  tap.skip("no samples/*/*/gctrace.log")
else
  for _, f in ipairs(files) do
    local text = read(f.path)
    local gc, forced, scav, pacer = {}, 0, 0, 0
    for _, l in ipairs(lines(text)) do
      if l:match("^gc %d+ @") then
        local num, t = l:match("^gc (%d+) @([%d.]+)s")
        local h0, h1, h2, goal = l:match(" ms cpu, (%d+)%->(%d+)%->(%d+) MB, (%d+) MB goal")
        gc[#gc + 1] = { num = tonumber(num), t = tonumber(t), h0 = tonumber(h0), h1 = tonumber(h1),
                        h2 = tonumber(h2), goal = tonumber(goal),
                        forced = l:find("(forced)", 1, true) and 1 or 0 }
        forced = forced + gc[#gc].forced
      elseif l:match("^scav %d") or l:match("^scvg") then
        scav = scav + 1
      elseif l:match("^pacer: ") then
        pacer = pacer + 1
      end
    end

    local c = hs.load(f.path)
    tap.ok(c.gc ~= nil, f.path .. ": case.gc exists")
    tap.is(#c.gc, #gc, f.path .. ": one case.gc row per gc line")
    tap.is(#c.gc:where(function(r) return r.forced == 1 end), forced, f.path .. ": forced cycles")
    tap.is(c:table("gc.scav") and #c:table("gc.scav") or 0, scav, f.path .. ": gc.scav rows")
    tap.is(c:table("gc.pacer") and #c:table("gc.pacer") or 0, pacer, f.path .. ": gc.pacer rows")
    local bad
    for i, want in ipairs(gc) do
      local r = c.gc[i]
      if r.num ~= want.num or math.abs(r.t - want.t) > 1e-9 or
         (want.h0 and (r.heap_start ~= want.h0 or r.heap_end ~= want.h1 or
                       r.heap_live ~= want.h2 or r.goal ~= want.goal)) then
        bad = ("row %d: gc %s"):format(i, tostring(r.num))
        break
      end
    end
    tap.ok(not bad, f.path .. ": every row holds its line's numbers" .. (bad and (" (" .. bad .. ")") or ""))
    -- zero-copy column access agrees with rows
    local p = c.gc:column("num")
    tap.is(tonumber(p[#gc - 1]), gc[#gc].num, f.path .. ": column('num') is the same data, 0-based")

    -- the program disabled GC after writing its evidence, so the log holds
    -- exactly MemStats.NumGC cycles, NumForcedGC of them forced
    local facts = read(f.dir .. "/facts.json")
    if facts then
      local numgc = tonumber(facts:match('"num_gc":%s*(%d+)'))
      local nforced = tonumber(facts:match('"num_forced_gc":%s*(%d+)'))
      if numgc then
        tap.is(#c.gc, numgc, f.path .. ": facts.num_gc cycles")
        tap.is(c.gc:max("num"), numgc, f.path .. ": the last cycle is number num_gc")
      end
      if nforced then
        tap.is(#c.gc:where(function(r) return r.forced == 1 end), nforced, f.path .. ": facts.num_forced_gc")
      end
    end

    -- the same log as Kubernetes CRI lines gives the same rows, with wall times
    local out = {}
    for i, l in ipairs(lines(text)) do
      out[#out + 1] = ("2024-05-01T10:00:%02d.%06dZ stderr F %s"):format(i % 60, i, l)
    end
    local cc = hs.case_from_buffer("cri.log", table.concat(out, "\n") .. "\n")
    tap.is(#cc.gc, #gc, f.path .. " as CRI: same row count")
    local same = true
    for i = 1, #gc do
      local a, b = cc.gc[i], c.gc[i]
      if a.num ~= b.num or a.heap_end ~= b.heap_end or a.goal ~= b.goal or a.wall < 1714521600 then
        same = false
        break
      end
    end
    tap.ok(same, f.path .. " as CRI: same rows, wall from the timestamps")
  end

  -- the prometheus log also carries a SIGQUIT dump: both kinds from one file
  local p = "samples/thirdparty/prometheus/gctrace.log"
  local text = read(p)
  if text then
    local c = hs.load(p)
    local n = 0
    for _, l in ipairs(lines(text)) do if l:match("^goroutine %d+ %[") then n = n + 1 end end
    tap.ok(c.goroutines ~= nil and #c.goroutines == n, p .. ": its goroutine dump is in case.goroutines")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
