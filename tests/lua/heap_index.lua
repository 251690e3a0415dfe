-- The heap graph's index file, end to end: written next to a dump on first
-- use, reused by the next session, rebuilt silently when the dump changed
-- or the index is damaged, and never touched with nocache (--no-cache).
-- Works on a copy of a sample dump in a temporary directory.
local tap = require "hs.tap"
local hs = require "hs"

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end

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
local dump = dir .. "/" .. src:match("[^/]+$")
local idx = dump .. ".hsidx"
do
  local f = assert(io.open(src, "rb"))
  local data = f:read("*a")
  f:close()
  f = assert(io.open(dump, "wb"))
  f:write(data)
  f:close()
end

-- What we compare between sessions: a few graph answers that depend on
-- every array of the index (retained, idom, parent/depth, edges).
local function answers(c)
  local h = c.heap
  local top = h:top_retainers(5)
  local out = { from_index = h.stats.from_index, unreachable = h.unreachable.count }
  for i = 1, #top do
    local o = h:object_at(top[i].id)
    local d = o:dominator()
    out[#out + 1] = ("%d %d %d %s %d %d"):format(o.id, o.retained, #o:path(), d and d.id or "-",
      #o:referrers(), #o:referents())
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
tap.ok(same(first, second), "... and answers the same")

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

-- stale: the dump's mtime changes
tap.is(session().from_index, true, "index current again")
os.execute("touch -d '2001-02-03 04:05:06' '" .. dump .. "'")
local stale = session()
tap.is(stale.from_index, false, "a dump with a new mtime gets a new index")
tap.ok(same(first, stale), "... with the same answers")

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
