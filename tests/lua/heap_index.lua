-- The heap graph's index file, end to end: written next to a dump on first
-- use, reused by the next session, rebuilt silently when the dump changed
-- or the index is damaged, and never touched with nocache (--no-cache).
-- Works on a copy of a sample dump in a temporary directory.
local tap = require "hs.tap"
local hs = require "hs"

local files = dofile("tests/lib/files.lua")
local exists = files.exists
local src
for _, p in ipairs({ "samples/go1.23/leaky/heap.dump.xz", "samples/go1.23/leaky/heap.dump",
                     "samples/go1.19/leaky/heap.dump.xz", "samples/go1.19/leaky/heap.dump" }) do
  if exists(p) then src = p break end
end
if not src then
  tap.skip("no sample heap dump (samples not generated)")
  os.exit(tap.done() == 0 and 0 or 1)
end

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'") == 0 or true)
-- a plain copy (decompressed: the test edits bytes of the dump in place)
local dump = dir .. "/heap.dump"
local idx = dump .. ".hsidx"
if src:match("%.xz$") then
  assert(os.execute("xz -dc '" .. src .. "' > '" .. dump .. "'") == 0)
else
  assert(os.execute("cp '" .. src .. "' '" .. dump .. "'") == 0)
end

-- What we compare between sessions: a few graph answers that depend on
-- every array of the index (retained, count, idom, parent/depth, edges).
local function answers(c)
  local h = c.heap
  local top = h:top_retainers(5)
  local st = h.stats
  local out = { from_index = st.from_index, objects_from_index = st.objects_from_index,
                unreachable = h.unreachable.count }
  -- what the object columns give: sites per object, contents, the histogram
  local sites = h:by_site()
  out[#out + 1] = ("%d objects, %d sites, first %s"):format(#h.objects, #sites,
    #sites > 0 and tostring(sites[1].count) or "-")
  for i = 1, #top do
    local o = h:object_at(top[i].id)
    local d = o:dominator()
    out[#out + 1] = ("%d %d %d %d %s %d %d %x %s"):format(o.id, o.retained, o.count, #o:path(), d and d.id or "-",
      #o:referrers(), #o:referents(), o.addr, o:bytes(0, math.min(o.size, 64)))
  end
  return out
end

local function session(label)
  collectgarbage()
  local c = hs.load(dump)
  if not (c and c.heap) then return nil end
  local a = answers(c)
  c = nil
  collectgarbage()
  return a
end

local function same(a, b)
  if not a or not b or #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return a.unreachable == b.unreachable
end

hs.open_options = {}
local first = session()
if not first then
  tap.skip("the heap dump did not load")
  os.exit(tap.done() == 0 and 0 or 1)
end
tap.is(first.from_index, false, "first session builds the graph")
tap.ok(exists(idx), "... and writes <dump>.hsidx next to it")

local second = session()
tap.is(second.from_index, true, "second session reads the index")
tap.is(second.objects_from_index, true, "... object columns included (the object records are skipped)")
tap.is(first.objects_from_index, false, "(the first session parsed them)")
tap.ok(same(first, second), "... and answers the same: sites, contents, graph")

-- damage: bytes in the middle of the arrays
do
  local f = assert(io.open(idx, "r+b"))
  local size = f:seek("end")
  f:seek("set", math.floor(size / 2))
  f:write(("\170"):rep(64))
  f:close()
end
local third = session()
tap.is(third.from_index, false, "a damaged index is rebuilt, not trusted")
tap.ok(same(first, third), "... with the same answers")
tap.is(session().from_index, true, "... and rewritten")

-- damage in the graph's first section (fwd_start, right after the header):
-- a reopen checks the object columns at once and the graph on first use,
-- so the objects still come from the index and the graph is rebuilt
do
  local f = assert(io.open(idx, "r+b"))
  f:seek("set", 8)
  local b = { f:read(4):byte(1, 4) }
  local nHead = b[1] + b[2] * 256 + b[3] * 65536 + b[4] * 16777216
  local iData = math.floor((20 + nHead + 63) / 64) * 64
  f:seek("set", iData + 8)
  f:write(("\170"):rep(16))
  f:close()
end
local lazy = session()
tap.is(lazy.objects_from_index, true, "graph damaged: the object columns are still the index's")
tap.is(lazy.from_index, false, "... the graph is rebuilt when first used")
tap.ok(same(first, lazy), "... with the same answers")
local after = session()
tap.ok(after.from_index and after.objects_from_index, "... and the index rewritten whole")

-- damage: truncated to half, and to 10 bytes
for _, frac in ipairs({ 0.5, 0 }) do
  local f = assert(io.open(idx, "rb"))
  local data = f:read("*a")
  f:close()
  f = assert(io.open(idx, "wb"))
  f:write(frac > 0 and data:sub(1, math.floor(#data * frac)) or data:sub(1, 10))
  f:close()
  local s = session()
  tap.is(s.from_index, false, ("an index truncated to %s is rebuilt"):format(frac > 0 and "half" or "10 bytes"))
  tap.ok(same(first, s), "... with the same answers")
end

-- header damage: the magic, the header length, the msgpack header
for _, at in ipairs({ 0, 9, 20 }) do
  local f = assert(io.open(idx, "r+b"))
  f:seek("set", at)
  f:write("\255\254")
  f:close()
  local s = session()
  tap.is(s.from_index, false, ("damage at byte %d: rebuilt"):format(at))
end

-- the key is the content, not the file's metadata: a new mtime alone keeps it
tap.is(session().from_index, true, "index current again")
os.execute("touch -d '2001-02-03 04:05:06' '" .. dump .. "'")
tap.is(session().from_index, true, "a dump touched but unchanged keeps its index")

-- the middle of the dump changes while its size, mtime, first and last
-- 64 KiB stay (cp -p, rsync -a and tar keep mtime): the object with most
-- referents gets zeroed contents, and the index must not answer for it
do
  local c = hs.load(dump)
  local h = c.heap
  -- candidates: the top retainers and what they dominate, most referents
  -- first; the first whose bytes lie in the dump's middle is zeroed
  local cands = {}
  local top = h:top_retainers(20)
  for i = 1, #top do
    cands[#cands + 1] = top[i]:object()
    for _, o in ipairs(top[i]:dominated(20)) do cands[#cands + 1] = o end
  end
  for k, o in ipairs(cands) do cands[k] = { o = o, n = #o:referents() } end
  table.sort(cands, function(a, b) return a.n > b.n end)
  local f = assert(io.open(dump, "rb"))
  local data = f:read("*a")
  f:close()
  local addr, head, at, nbest
  for _, x in ipairs(cands) do
    if x.o.size <= 65536 then
      local b = x.o:bytes(0, x.o.size)
      local a = data:find(b, 65537, true)
      if a and a < #data - 65536 then
        addr, head, at, nbest = x.o.addr, b, a, x.n
        break
      end
    end
  end
  c, h, top, cands = nil, nil, nil, nil
  collectgarbage()
  tap.ok(at and nbest > 0,
    ("an object with referents (%d) has its contents in the dump's middle"):format(nbest or 0))
  local ref = dump .. ".ref"
  os.execute("touch -r '" .. dump .. "' '" .. ref .. "'")
  f = assert(io.open(dump, "r+b"))
  f:seek("set", at - 1)
  f:write(("\0"):rep(#head))
  f:close()
  os.execute("touch -r '" .. ref .. "' '" .. dump .. "'")
  os.remove(ref)
  local c2 = hs.load(dump)
  tap.is(c2.heap.stats.from_index, false, "a dump changed in the middle gets a new graph")
  tap.is(#c2.heap:object(addr):referents(), 0, "... which sees the zeroed contents")
  c2 = nil
  collectgarbage()
  -- put the original bytes back for what follows
  f = assert(io.open(dump, "wb"))
  f:write(data)
  f:close()
end

-- nocache: neither read nor written
os.remove(idx)
hs.open_options = { nocache = true }
local nc = session()
tap.is(nc.from_index, false, "nocache builds in memory")
tap.ok(not exists(idx), "... and writes no index file")
hs.open_options = {}

os.remove(idx)
os.remove(dump)
os.remove(dir)
os.exit(tap.done() == 0 and 0 or 1)
