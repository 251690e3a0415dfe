-- case.memstats from the samples' MemStats JSON, expvar and JSON lines,
-- against what the Go program wrote: one row per snapshot (the JSON-lines
-- file's line count, facts.json's memstats_snapshots), Go's field names,
-- integers exactly as the file spells them (LastGC is beyond 2^53, so it
-- reaches Lua as a uint64_t cdata), NumGC/NumForcedGC as facts.json says,
-- and the pause ring as min(NumGC, 256) rows.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local slurp = files.read
local function digits(v) return (tostring(v):gsub("ULL$", "")) end

local fields = { "Alloc", "TotalAlloc", "Sys", "Lookups", "Mallocs", "Frees", "HeapAlloc",
  "HeapSys", "HeapIdle", "HeapInuse", "HeapReleased", "HeapObjects", "StackInuse", "StackSys",
  "MSpanInuse", "MSpanSys", "MCacheInuse", "MCacheSys", "BuckHashSys", "GCSys", "OtherSys",
  "NextGC", "LastGC", "PauseTotalNs", "NumGC", "NumForcedGC" }

local ndirs = 0
for _, v in ipairs({ "go1.19", "go1.23" }) do
  for _, name in ipairs({ "leaky", "leaky-rate1", "healthy" }) do
    local dir = "samples/" .. v .. "/" .. name .. "/"
    local json, vars, jsonl = slurp(dir .. "memstats.json"), slurp(dir .. "vars.json"),
                              slurp(dir .. "memstats.jsonl")
    local facts = slurp(dir .. "facts.json")
    if json and vars and jsonl and facts then
      ndirs = ndirs + 1
      local c = hs.load(dir .. "memstats.jsonl", dir .. "memstats.json", dir .. "vars.json")
      local ms = c.memstats
      tap.ok(ms ~= nil, dir .. ": case.memstats exists")
      local _, nlines = jsonl:gsub("\n", "")
      tap.is(#ms, nlines + 2, dir .. ": one row per JSON line, plus memstats.json and vars.json")
      tap.is(#ms:where("source", dir .. "memstats.jsonl"), tonumber(facts:match('"memstats_snapshots":%s*(%d+)')),
             dir .. ": JSON-lines rows = facts.memstats_snapshots")
      local row = ms:where("source", dir .. "memstats.json")[1]
      tap.is(digits(row.LastGC), json:match('"LastGC":%s*(%d+)'), dir .. ": LastGC exact (> 2^53)")
      tap.is(digits(row.HeapAlloc), json:match('"HeapAlloc":%s*(%d+)'), dir .. ": HeapAlloc exact")
      -- facts.num_gc is taken at exit; a last GC may follow memstats.json
      local num_gc = tonumber(facts:match('"num_gc":%s*(%d+)'))
      tap.ok(row.NumGC > 0 and row.NumGC <= num_gc, dir .. ": 0 < NumGC <= facts.num_gc")
      tap.is(row.NumForcedGC, tonumber(facts:match('"num_forced_gc":%s*(%d+)')),
             dir .. ": NumForcedGC = facts.num_forced_gc")
      local vrow = ms:where("source", dir .. "vars.json")[1]
      tap.is(digits(vrow.LastGC), vars:match('"LastGC":%s*(%d+)'), dir .. ": expvar LastGC exact")
      tap.like(vrow.cmdline, vars:match('"cmdline":%s*%[%s*"([^"]+)"'):gsub("%p", "%%%0"),
               dir .. ": expvar cmdline kept")
      -- the first JSON line, field by field
      local first = jsonl:match("^[^\n]*")
      local r1 = ms:where("line", 1):where("source", dir .. "memstats.jsonl")[1]
      local bad, nchecked = 0, 0
      for _, k in ipairs(fields) do
        local d = first:match('"' .. k .. '":(%d+)')
        if d then
          nchecked = nchecked + 1
          if digits(r1[k]) ~= d then bad = bad + 1 end
        end
      end
      tap.is(bad, 0, dir .. ": every integer field of line 1 equals the file")
      tap.ge(nchecked, 26, dir .. ": ... all 26 of them")
      tap.ge(r1.time, 1577836800, dir .. ": line 1 has its RFC 3339 time")
      -- the pause ring of memstats.json: min(NumGC, 256) cycles, oldest first
      local pauses = c:table("memstats.pauses")
      local snap = 0
      for i = 1, #ms do if ms[i].source == dir .. "memstats.json" then snap = i end end
      local mine = pauses:where("snapshot", snap)
      tap.is(#mine, math.min(row.NumGC, 256), dir .. ": pauses = min(NumGC, 256)")
      tap.is(mine[#mine].gc, row.NumGC, dir .. ": the last pause is cycle NumGC")
      tap.is(digits(mine[#mine].end_ns), digits(row.LastGC), dir .. ": its end is LastGC")
    end
  end
end
if ndirs == 0 then tap.skip("no samples with memstats.json yet (samples/gen.sh)") end
os.exit(tap.done() == 0 and 0 or 1)
