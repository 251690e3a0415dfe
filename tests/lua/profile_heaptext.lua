-- Heap profile text (heap?debug=1): one sample per record line of the file,
-- the MemStats tail in `memstats` with Go's names and the values the file
-- printed, and, when a Go toolchain is at hand, the same samples and totals
-- as `go tool pprof -raw` reads from the file (pprof scales legacy heap text
-- exactly as we do).
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local read_lines = files.read_lines
local exists = files.exists
local paths = {}
for _, v in ipairs({ "go1.19", "go1.23" }) do
  for _, c in ipairs({ "leaky", "leaky-rate1", "healthy" }) do
    paths[#paths + 1] = "samples/" .. v .. "/" .. c .. "/heap-debug1.txt"
  end
end
paths[#paths + 1] = "samples/thirdparty/prometheus/heap-debug1.txt.gz"
paths[#paths + 1] = "samples/thirdparty/caddy/heap-debug1.txt.gz"

local go
for _, g in ipairs({ os.getenv("GO") or "", "/usr/lib/go-1.23/bin/go", "/usr/lib/go-1.19/bin/go" }) do
  if g ~= "" and exists(g) then go = g break end
end

-- `go tool pprof -raw` samples: the value lines, in order.
local function pprof_raw(path)
  local f = io.popen(go .. " tool pprof -raw -symbolize=none " .. path .. " 2>/dev/null")
  local out, on = {}, false
  for l in f:lines() do
    if l:match("^Samples:") then on = true
    elseif l:match("^Locations") then on = false
    elseif on then
      local vals = l:match("^%s*(%-?%d[%d%s%-]*):")
      if vals then out[#out + 1] = vals:gsub("^%s+", ""):gsub("%s+", " ") end
    end
  end
  f:close()
  return out
end

for _, path in ipairs(paths) do
  if not exists(path) and exists(path .. ".gz") then path = path .. ".gz" end
  local lines = exists(path) and read_lines(path)
  if not lines then
    tap.skip(path .. " is not there (samples/gen.sh makes it)")
  else
    local case = hs.load(path)
    local p = case.profiles and case.profiles.heap_text
    if tap.ok(p, path .. ": loaded as case.profiles.heap_text") then
      -- the file's own facts, read here independently of the loader
      local nrec, fields, msline = 0, {}, nil
      for i, l in ipairs(lines) do
        if l:match("^%d+: %d+ %[%d+: %d+%] @") then nrec = nrec + 1 end
        if l == "# runtime.MemStats" then msline = i end
        local k, v = l:match("^# (%a+) = (.*)$")
        if msline and k then fields[k] = v end
      end
      tap.is(#p.samples, nrec, path .. ": one sample per record line")
      tap.is(#p.sample_types, 4, path .. ": four sample types")
      local ms = case.memstats
      if tap.ok(ms and #ms == 1, path .. ": one memstats row") then
        local r = ms[1]
        local bad
        for k, v in pairs(fields) do
          local want, got
          local a, b = v:match("^(%d+) / (%d+)$")
          if a then
            got = tostring(r[k .. "Inuse"]) .. " / " .. tostring(r[k .. "Sys"])
            want = a .. " / " .. b
          elseif v == "true" or v == "false" then
            got, want = r[k], v == "true" and 1 or 0
          elseif k == "GCCPUFraction" then
            got, want = r[k], tonumber(v)
          elseif v:match("^%d+$") then
            got, want = tostring(r[k]):gsub("ULL$", ""), v
          end
          if want ~= nil and tostring(got) ~= tostring(want) then
            bad = ("%s = %s, want %s"):format(k, tostring(got), tostring(want))
            break
          end
        end
        tap.ok(bad == nil, path .. ": every `# Name = value` of the MemStats tail is in memstats" ..
               (bad and (" -- " .. bad) or ""))
        tap.is(r.line, msline, path .. ": memstats.line is the `# runtime.MemStats` line")
        tap.is(r.source, path, path .. ": memstats.source names the file")
        local pauses = case:table("memstats.pauses")
        local numgc = tonumber(fields.NumGC)
        tap.is(pauses and #pauses or 0, math.min(numgc, 256), path .. ": min(NumGC, 256) pauses")
      end
      if not go then
        tap.skip("no Go toolchain to compare with `go tool pprof -raw`", 2)
      else
        local raw = pprof_raw(path)
        local bad
        local cols = { "alloc_objects", "alloc_space", "inuse_objects", "inuse_space" }
        local n = 0
        for i = 1, #p.samples do
          local v = {}
          for k, c in ipairs(cols) do v[k] = tostring(p.samples:get(i, c)) end
          local mine = table.concat(v, " ")
          n = n + 1
          if raw[n] ~= mine then
            bad = ("sample %d: %s, pprof: %s"):format(i, mine, tostring(raw[n]))
            break
          end
        end
        tap.is(#raw, #p.samples, path .. ": as many samples as go tool pprof -raw")
        tap.ok(bad == nil, path .. ": scaled values equal go tool pprof -raw, in order" ..
               (bad and (" -- " .. bad) or ""))
      end
    end
  end
end

-- A file cut inside a line keeps the complete records and warns with the line.
do
  local lines = read_lines("samples/go1.23/leaky/heap-debug1.txt")
  if not lines then
    tap.skip("samples/go1.23/leaky/heap-debug1.txt is not there", 3)
  else
    -- cut inside the first non-blank line from line 41 on (which line is
    -- blank depends on the sample run)
    local k = 41
    while lines[k]:match("^%s*$") do k = k + 1 end
    local text = table.concat(lines, "\n", 1, k - 1) .. "\n" .. lines[k]:sub(1, 10)
    local nrec = 0
    for i = 1, k - 1 do
      if lines[i]:match("^%d+: %d+ %[") then nrec = nrec + 1 end
    end
    local cut_in_record = not lines[k]:match("^%d+:")
    local case = hs.case_from_buffer("cut.txt", text, "heaptext")
    local p = case.profiles.heap_text
    tap.is(#p.samples, cut_in_record and nrec - 1 or nrec, "cut file: the complete records are kept")
    local w = case.warnings[1]
    tap.ok(w and w.text:find("line " .. k) ~= nil, "cut file: the warning names line " .. k)
    local bad = hs.case_from_buffer("bad.txt", "heap profile: oops\n", "heaptext")
    tap.ok(bad.errors[1] and bad.errors[1].text:find("bad.txt:1:", 1, true) and
           bad.errors[1].text:find("heap profile: N: N", 1, true),
           "a bad header is an error naming the file, line 1 and what was expected")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
