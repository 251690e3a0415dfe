-- Names from the program's binary (core/binary) against what the sample
-- programs wrote about themselves in facts.json: each planted object's
-- reflect.TypeOf(x).String() (`types`) and each global's address (`global_vars`),
-- on the Go 1.19 and Go 1.23 dumps with the binary committed beside them;
-- and a binary of another build refused, not used.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local files = dofile("tests/lib/files.lua")
local read, exists = files.read, files.exists

hs.open_options = { nocache = true } -- never write index files into samples/

local function global_named(desc, name)
  return desc == name or desc:sub(1, #name + 1) == name .. "." or desc:sub(1, #name + 1) == name .. "["
end

-- Which sampled sites hold inlined code varies from run to run (the default
-- rate samples one allocation per 512 KiB), so the count is over all cases.
local nInlineCompared, nWithBinary = 0, 0

for _, v in ipairs({ "go1.19", "go1.23" }) do
  for _, prog in ipairs({ "leaky", "healthy" }) do
    local dir = ("samples/%s/%s"):format(v, prog)
    local facts = json.decode(read(dir .. "/facts.json"))
    if not exists(("%s/%s.bin.xz"):format(dir, prog)) or not facts.types then
      tap.skip(dir .. ": no committed binary or facts.json types", 1)
    else
      local c = hs.load(dir)
      local b = c.binary
      nWithBinary = nWithBinary + 1
      tap.ok(b and #b == 1, dir .. ": the binary among the inputs is recognised by content")
      if b then
        tap.is(b[1].go_version, facts.go_version, dir .. ": its build info says " .. facts.go_version)
        tap.is(b[1].matches, "yes", dir .. ": it is the binary that wrote the dump")
        tap.is(b[1].dwarf, 1, dir .. ": it has DWARF")
      end
      local h = c.heap
      for _, t in ipairs(facts.types) do
        local o = h:object(tonumber(t.addr))
        tap.is(o and o.type, t.type, ("%s: %s (%s of %s%s) is named %s"):format(dir, t.addr,
          t.what, t.global or "?", t.via or "", t.type))
      end
      -- Every pointer slot of a planted global is a root named after it.
      local roots = h.roots
      local from, desc = roots:column("from"), roots:column("desc")
      local named = {}
      for r = 0, #roots - 1 do
        local a = tonumber(from[r])
        for name, g in pairs(facts.global_vars or {}) do
          local ga = tonumber(g.addr)
          if a >= ga and a < ga + g.size then
            local d = roots:get(r + 1, "desc")
            named[name] = (named[name] == nil or named[name]) and global_named(d, name)
          end
        end
      end
      for name in pairs(facts.global_vars or {}) do
        if named[name] ~= nil then tap.ok(named[name], dir .. ": roots in " .. name .. " are named " .. name .. "...") end
      end
      -- Objects reached from a planted global through the path API name it.
      for _, t in ipairs(facts.types) do
        if t.global and t.what ~= "map header" then
          local p = h:object(tonumber(t.addr)):path()
          if #p > 0 then
            tap.ok(p[1].root:find(t.global, 1, true), ("%s: the path to %s starts at %s (got %s)"):format(
              dir, t.addr, t.global, p[1].root))
            break
          end
        end
      end
      -- Field names in paths: an object the program says it reached through
      -- one field (facts "via" = ".buf") is reached through that field.
      for _, t in ipairs(facts.types) do
        if t.via and t.via:match("^%.[%w_]+$") then
          local p = h:object(tonumber(t.addr)):path()
          tap.is(#p > 1 and p[#p].field, t.via, ("%s: the path to %s ends with field %s"):format(dir, t.addr, t.via))
        end
      end
      -- Inline chains against pprof's own: allocs.raw.txt (go tool pprof
      -- -raw of the program's allocs profile; Go 1.23 adds :column) lists each location's inlined
      -- functions, innermost first.  Every memprof frame of the dump at such
      -- a position gets exactly that chain from the binary.
      local raw = read(dir .. "/pprof-top/allocs.raw.txt")
      if raw and h.memprof_frames then
        local want, cur = {}, nil
        for line in raw:gmatch("[^\n]+") do
          local fn, pos = line:match("^%s+%d+: 0x%x+ M=%d+ (.-) (%S-:%d+):?%d* s=%d+$")
          if fn then
            cur = { pos = pos, fn }
            want[#want + 1] = cur
          else
            local fn2 = line:match("^%s+(.-) %S-:%d+:?%d* s=%d+$")
            if fn2 and cur then cur[#cur + 1] = fn2 end
          end
        end
        local byKey = {}
        for _, w in ipairs(want) do if #w > 1 then byKey[w.pos .. "@" .. w[#w]] = table.concat(w, " <- ") end end
        local got = {}
        for b = 1, #h.memprof do
          local st = h:_stack(b)
          local f = h.memprof_frames
          for i = 1, #f do
            if f:get(i, "memprof") == b then
              local key = ("%s:%d@%s"):format(f:get(i, "file"), f:get(i, "line"), f:get(i, "func"))
              if byKey[key] then got[key] = got[key] or st end
            end
          end
        end
        local n = 0
        for key, chainText in pairs(byKey) do
          local st = got[key]
          if st then
            n = n + 1
            local names = {}
            for _, fr in ipairs(st) do names[#names + 1] = fr.func end
            local text = table.concat(names, " <- ")
            tap.ok(text:find(chainText, 1, true), ("%s: the inlined site at %s reads %s (got %s)"):format(
              dir, key, chainText, text))
          end
        end
        nInlineCompared = nInlineCompared + n
      end
      -- Objects only a stack frame holds, typed from the frame's DWARF
      -- variables: each parked main.leakyWorker's scratch []byte argument.
      -- Go 1.19's location list for that argument has four 8-byte pieces
      -- for a 24-byte slice (the pointer's slot twice), which cannot be
      -- placed, so there the buffers must stay unnamed rather than be
      -- named wrongly.
      local scratch = facts.leaky_worker_scratch
      if scratch and b then
        local nTyped, nWrong, nFrameOnly = 0, {}, 0
        for _, a in ipairs(scratch.addrs) do
          local o = h:object(tonumber(a))
          local onlyFrames = o and #o:referrers() == 0 and #o:roots() > 0
          for _, r in ipairs(o and o:roots() or {}) do onlyFrames = onlyFrames and r.kind == "frame" end
          if onlyFrames then nFrameOnly = nFrameOnly + 1 end
          if o and o.type == "[]uint8" then nTyped = nTyped + 1
          elseif o and o.type then nWrong[#nWrong + 1] = a .. " " .. o.type end
        end
        tap.is(nFrameOnly, #scratch.addrs, dir .. ": each worker's scratch buffer is held by stack frames only")
        tap.is(#nWrong, 0, dir .. ": no scratch buffer gets another name than []uint8 " .. table.concat(nWrong, ", "))
        if facts.go_version:match("^go1%.19") then
          tap.skip(dir .. ": Go 1.19's DWARF cannot place the argument (" .. nTyped .. " named)", 1)
        else
          tap.is(nTyped, #scratch.addrs, dir .. ": every scratch buffer is named []uint8 (" .. scratch.type .. ") from its frame")
        end
      end
      -- sync.Pool's per-P arrays (unsafe.Pointer in sync.Pool.local and
      -- victim) and its queues (sync.eface slots): the pooled chunks' data.
      local chunks = facts.pool_chunks
      if chunks and b then
        local nTyped = 0
        for _, a in ipairs(chunks.addrs) do
          local o = h:object(tonumber(a))
          if o and o.type == "[]uint8" then nTyped = nTyped + 1 end
        end
        tap.is(nTyped, #chunks.addrs, dir .. ": every pooled chunk's data is named []uint8 (" .. chunks.type .. ") through " .. chunks.global)
      end
      if b then
        -- the goal: 90% of the reachable bytes typed (reachable: depth > 0 in the graph)
        local depth, size, tn = h:_gcol("depth"), h.objects:column("size"), h.objects:column("type_name")
        local reach, typed = 0, 0
        for i = 0, #h.objects - 1 do
          if depth[i] > 0 then
            reach = reach + tonumber(size[i])
            if tn[i] ~= 0 then typed = typed + tonumber(size[i]) end
          end
        end
        tap.ge(typed / reach, 0.9, ("%s: %.1f%% of reachable bytes typed (goal: 90%%)"):format(dir, 100 * typed / reach))
      end
      c = nil
      collectgarbage()
    end
  end
end

-- A real third-party server library (github.com/miekg/dns, Debian's
-- golang-github-miekg-dns-dev) run by samples/dnsserver/dnsserver.go: its
-- zone's records hang from a composite literal the compiler placed in bss
-- (`var zoneStore = &store{...}`, no DWARF variable of its own), reached
-- through main.zoneStore.  Every record the program counted by
-- reflect type is named so, and the typed share holds there too.
for _, v in ipairs({ "go1.19", "go1.23" }) do
  local dir = "samples/dnsserver/" .. v
  if not exists(dir .. "/dnsserver.bin.xz") then
    tap.skip(dir .. ": not committed", 1)
  else
    local facts = json.decode(read(dir .. "/facts.json"))
    local c = hs.load(dir)
    local b = c.binary and c.binary[1]
    tap.is(b and b.matches, "yes", dir .. ": its own binary matches the dump")
    local h = c.heap
    local depth, size, tn = h:_gcol("depth"), h.objects:column("size"), h.objects:column("type_name")
    local count, reach, typed = {}, 0, 0
    for i = 0, #h.objects - 1 do
      if depth[i] > 0 then
        reach = reach + tonumber(size[i])
        if tn[i] ~= 0 then
          typed = typed + tonumber(size[i])
          local t = h:object_at(i + 1).type
          count[t] = (count[t] or 0) + 1
        end
      end
    end
    local names = {}
    for t in pairs(facts.records_by_type) do names[#names + 1] = t end
    table.sort(names)
    for _, t in ipairs(names) do
      local n = facts.records_by_type[t]
      tap.is(count[t] or 0, n, ("%s: %d reachable %s records, as the program counted"):format(dir, n, t))
    end
    tap.ge(typed / reach, 0.9, ("%s: %.1f%% of reachable bytes typed (goal: 90%%)"):format(dir, 100 * typed / reach))
    c = nil
    collectgarbage()
  end
end

if nWithBinary > 0 then
  tap.ge(nInlineCompared, 1, "inlined allocation sites compared with pprof's, over all cases")
end

-- A binary from another build (the same program, Go 1.22) is refused: the
-- case says why and no object gets a name from it.
local other = "samples/mismatch/leaky-go1.22.bin.xz"
if not exists(other) then
  tap.skip("no " .. other, 3)
else
  local dir = "samples/go1.23/leaky"
  local facts = json.decode(read(dir .. "/facts.json"))
  local c = hs.load(dir .. "/heap.dump.xz", other)
  tap.is(c.binary and c.binary[1].matches, "no", other .. " does not match " .. dir)
  local msg
  for _, e in ipairs(c.errors) do if e.text:find("not the binary that wrote", 1, true) then msg = e.text end end
  tap.ok(msg and msg:find("leaky-go1.22", 1, true), "... an error names the binary and says why: " .. tostring(msg))
  local named = 0
  for _, t in ipairs(facts.types or {}) do
    local o = c.heap:object(tonumber(t.addr))
    if o and o.type and tonumber(c.heap.objects:get(o.id, "type")) == 0 then named = named + 1 end
  end
  tap.is(named, 0, "... and no planted object is named from it")
end

-- Same Go version, other program: caught by the data and bss segments.
local healthy = "samples/go1.23/healthy/healthy.bin.xz"
if not exists(healthy) then
  tap.skip("no " .. healthy, 2)
else
  local c = hs.load("samples/go1.23/leaky/heap.dump.xz", healthy)
  tap.is(c.binary and c.binary[1].matches, "no", healthy .. " does not match the leaky dump of the same Go version")
  local msg
  for _, e in ipairs(c.errors) do if e.text:find("not the binary that wrote", 1, true) then msg = e.text end end
  tap.like(msg or "", "%.[bd][sa][st]a? section is %d+ bytes at 0x%x+, the dump's", "... told by a segment: " .. tostring(msg))
end

os.exit(tap.done() == 0 and 0 or 1)
