-- case.heap over the leaky samples: the object graph against what the Go
-- program planted (samples/*/leaky*/facts.json), never against numbers
-- copied from our own output.
local tap = require "hs.tap"
local hs = require "hs"

local json = dofile("tests/lib/json.lua")
local function facts_of(dir) return json.read(dir .. "/facts.json") end

local function hex(s) return tonumber(s) end

-- The dump of a sample directory (heap.dump.xz; heap.dump while samples/gen.sh runs).
local function load_dump(dir)
  for _, name in ipairs({ "heap.dump.xz", "heap.dump" }) do
    local f = io.open(dir .. "/" .. name)
    if f then
      f:close()
      return hs.load(dir .. "/" .. name)
    end
  end
end

hs.open_options = { nocache = true }  -- never write index files into samples/

local function check_leaky(dir)
  local facts = facts_of(dir)
  if not facts then
    tap.skip(dir .. ": no facts.json (samples not generated)")
    return
  end
  local c = load_dump(dir)
  local h = c and c.heap
  if not h then
    tap.skip(dir .. ": no heap dump loaded")
    return
  end
  local v = dir:match("go1%.%d+")

  -- params as the program reported them
  tap.is(h.params.go_version, facts.go_version, v .. ": go_version")
  tap.is(h.params.ptr_size, facts.ptr_size, v .. ": ptr_size")
  tap.is(h.params.arch, facts.goarch, v .. ": arch")
  tap.is(h.params.ncpu, facts.ncpu, v .. ": ncpu")
  tap.is(#h.graph, #h.objects, v .. ": heap.graph has a row per object")

  -- every byte is either reachable or counted as unreachable
  tap.is(h.stats.reachable_bytes + h.unreachable.bytes, h.objects:sum("size"),
         v .. ": reachable + unreachable bytes = all object bytes")

  -- the ring: the head dominates all 1000 sessions and their 1 KiB buffers
  local rs, rb = facts.ring_sessions, facts.ring_buffers
  local head = h:object(facts.ring_head_addr)
  tap.ok(head and head.addr == hex(facts.ring_head_addr), v .. ": ring head resolves to its own object")
  tap.ge(head.retained, rs.count * 1024, v .. ": ring head retains at least N sessions x 1 KiB")
  tap.ge(head.retained, facts.ring_retained_bytes, v .. ": ring head retains ring_retained_bytes")
  tap.ge(head.count, rs.count + rb.count, v .. ": the ring head's subtree counts every session and buffer")
  tap.is(head:word(8), 0, v .. ": head Session.id is 0")
  local el = h:object(facts.ring_element_addr)
  tap.is(el:word(8), facts.ring_element_index, v .. ": element 500's Session.id")
  tap.is(#el:string(16), rb.size, v .. ": o:string() follows Session.buf's (ptr, len)")
  local d, steps = el:dominator(), 0
  while d and d ~= head and steps < 2000 do d, steps = d:dominator(), steps + 1 end
  tap.ok(d == head, v .. ": the ring head dominates element 500")
  local p = el:path()
  tap.ok(#p > 1 and p[#p].object == el, v .. ": a root path reaches element 500")
  tap.ok(p[1].kind == "data" or p[1].kind == "bss", v .. ": ... starting at a global")
  tap.like(p[1].root, "^global [db][as][ts]%+0x%x+$", v .. ": ... described as global data+0x../bss+0x..")
  local r = h:root(p[1].root_index)
  tap.is(r.from, hex(facts.globals[rs.global]), v .. ": ... the global is " .. rs.global)
  tap.is(p[1].object, head, v .. ": ... main.ring points at the head")
  tap.is(p[2] and p[2].offset, 0, v .. ": ... then Session.next at offset 0")

  -- the pinned 1 MiB buffers: each kept by a 16-byte subslice at +4096
  local pb = facts.pinned_buffers
  local n, allok, sumret, holder = 0, true, 0, nil
  for _, a in ipairs(pb.addrs) do
    local o = h:object(a)
    local inner = h:object(hex(a) + 4096)
    local refs = o and o:referrers() or {}
    local ok = o and o.addr == hex(a) and o.size >= pb.size and inner == o and #refs == 1
    if ok then
      local ref, off = refs[1], refs.offsets[1]
      ok = ref:word(off) == hex(a) + 4096 and ref:word(off + 8) == 16
      holder = holder or ref
      ok = ok and ref == holder and o:dominator() == holder
    end
    if ok then n = n + 1 end
    sumret = sumret + (o and o.retained or 0)
  end
  tap.is(n, pb.count, v .. ": every pinned buffer is held by one 16-byte slice at +4096, in one backing array")
  tap.ge(sumret, pb.total_bytes, v .. ": the pinned buffers retain total_bytes")
  tap.is(h:object(facts.pinned_first_kept_addr), h:object(pb.first_addr),
         v .. ": the kept interior pointer resolves to the first buffer")
  local hp = holder and holder:path()
  tap.is(hp and h:root(hp[1].root_index).from, hex(facts.globals[pb.global]),
         v .. ": the slices' backing array is rooted at " .. pb.global)
  local top = h:top_retainers(3)
  tap.is(#top, 3, v .. ": top_retainers(3) has 3 rows")
  tap.is(top[1].id, holder and holder.id, v .. ": the top retainer is main.pinned's backing array")
  tap.ge(top[1].retained, pb.total_bytes, v .. ": ... retaining the 40 MiB")
  tap.like(top[1].root, "^global ", v .. ": ... rooted at a global")

  -- Bigs: with Go 1.22+ malloc headers the Go pointer is slot + 8
  local bg = facts.bigs
  local off = facts.malloc_header and 8 or 0
  local nb = 0
  for k, a in ipairs(bg.addrs) do
    local o = h:object(a)
    if o and o.addr == hex(a) - off and o.size == bg.alloc_size then nb = nb + 1 end
  end
  tap.is(nb, #bg.addrs, v .. ": every Big resolves to its slot (addr - " .. off .. ")")
  -- Big.next points at the previous Big (an interior base+8 pointer in 1.23)
  local nn = 0
  for k = 2, #bg.addrs do
    local prev, cur = h:object(bg.addrs[k - 1]), h:object(bg.addrs[k])
    local found = false
    for _, r2 in ipairs(prev:referrers()) do if r2 == cur then found = true end end
    if found and cur:word(off) == hex(bg.addrs[k - 1]) then nn = nn + 1 end
  end
  tap.is(nn, #bg.addrs - 1, v .. ": Big.next resolves to the previous Big")
  local ints = h:object(facts.big_ints_addr)
  local from_bigs = 0
  for _, r2 in ipairs(ints:referrers()) do
    if r2.size == bg.alloc_size then from_bigs = from_bigs + 1 end
  end
  tap.is(from_bigs, bg.count, v .. ": every Big.p resolves into the one []int")
  if facts.malloc_header then
    local tb = h:by_type():where("type_addr", h:object(bg.addrs[1]).type_addr)
    tap.is(#tb, 1, v .. ": by_type has one row for main.Big's type word")
    tap.is(tb[1] and tb[1].count, bg.count, v .. ": ... counting every Big")
    tap.is(tb[1] and tb[1].bytes, bg.total_bytes, v .. ": ... and their bytes")
  else
    tap.skip(v .. ": no type words before Go 1.22 (by_type of main.Big)")
    tap.skip(v .. ": no type words before Go 1.22")
    tap.skip(v .. ": no type words before Go 1.22")
  end

  -- scratch buffers live only through goroutine stacks: the root is a frame
  -- of a goroutine running main.leakyWorker (the argument may sit in the
  -- frame of the closure that called it)
  local sc = facts.leaky_worker_scratch
  local workers = {}
  local fg, ff = h.frames:column("goroutine"), h.frames
  for i = 1, #ff do
    if ff:get(i, "func") == "main.leakyWorker" then workers[tonumber(fg[i - 1])] = true end
  end
  local nf, gs = 0, {}
  for _, a in ipairs(sc.addrs) do
    local sp = h:object(a):path()
    local r = sp[1] and h:root(sp[1].root_index)
    if r and r.kind == "frame" and workers[r.goroutine] and
       sp[1].root:find("^goroutine " .. r.goroutine .. " frame ") and #sp == 1 then
      nf = nf + 1
      gs[r.goroutine] = true
    end
  end
  local ng = 0
  for _ in pairs(gs) do ng = ng + 1 end
  tap.is(nf, #sc.addrs, v .. ": scratch buffers are rooted in frames of main.leakyWorker goroutines")
  tap.is(ng, #sc.addrs, v .. ": ... one goroutine each")

  -- finalizer cycles: a is kept only by its finalizer, b only by a
  local fc = facts.finalizer_cycles
  local nfin = 0
  for _, a in ipairs(fc.addrs) do
    local o = h:object(a)
    local fp = o and o:path()
    if fp and fp[1] and (fp[1].kind == "finalizer" or fp[1].kind == "queued_finalizer") and
       fp[1].object == o then
      nfin = nfin + 1
    end
  end
  tap.is(nfin, fc.count, v .. ": finalizer-cycle objects are rooted by their finalizer")

  -- the 256 KiB string behind a 16-byte substring at offset 1000
  local ps = facts.pinned_string
  local cs = h:object(facts.config_name_addr)
  tap.ok(cs and cs.addr == hex(facts.config_name_addr) - 1000 and cs.size >= ps.size,
         v .. ": the config substring resolves to the 256 KiB string")
  local cp = cs and cs:path()
  tap.is(cp and cp[1] and h:root(cp[1].root_index).from, hex(facts.globals[ps.global]),
         v .. ": ... rooted at " .. ps.global)

  -- registry entries: Entry.id of entry 0
  tap.is(h:object(facts.registry_entry0_addr):word(0), 0, v .. ": registry entry 0 has id 0")

  -- zero-copy column agrees with the object view
  local ret = h.graph:column("retained")
  tap.is(tonumber(ret[head.id - 1]), head.retained, v .. ": heap.graph retained column is zero-copy")
  tap.is(h:object(1), nil, v .. ": an address outside the heap resolves to nil")
  return c
end

-- The dominator tree's lists against their definition, from the top down
-- (about 3000 nodes): a node's count is itself plus its children's
-- counts, its retained bytes its size plus theirs, and its children come
-- largest retained first, the lower id first on a tie.
local function check_tree(h, v)
  local nSeen, bad = 0, nil
  local function visit(o)
    local kids = o:dominated(1e9)
    local n, bytes = 1, o.size
    for k, x in ipairs(kids) do
      n, bytes = n + x.count, bytes + x.retained
      local p = kids[k - 1]
      if p and not (p.retained > x.retained or (p.retained == x.retained and p.id < x.id)) then
        bad = bad or ("children of " .. o.id .. " out of order at " .. k)
      end
    end
    if #kids ~= kids.total then bad = bad or ("not every child of " .. o.id .. " listed") end
    if n ~= o.count then bad = bad or ("count of " .. o.id .. ": " .. o.count .. ", children say " .. n) end
    if bytes ~= o.retained then bad = bad or ("retained of " .. o.id .. " is not its size plus its children's") end
    nSeen = nSeen + 1
    for _, x in ipairs(kids) do
      if nSeen >= 3000 then break end
      visit(x)
    end
  end
  for _, o in ipairs(h:dominated(20)) do visit(o) end
  tap.ok(not bad and nSeen > 100, v .. ": dominator tree lists: counts, retained sums and order (" ..
         nSeen .. " nodes)", bad)
  -- The top level (found without building the tree) is every object the
  -- idom column puts there, in the same order, and their counts add up
  -- to every reachable object.
  local top, idom, want, n, bad2 = h:dominated(1e9), h.graph:column("idom"), {}, #h.objects, nil
  for i = 0, n - 1 do
    if tonumber(idom[i]) == n then want[#want + 1] = i + 1 end
  end
  local sum = 0
  for k, x in ipairs(top) do
    sum = sum + x.count
    local p = top[k - 1]
    if p and not (p.retained > x.retained or (p.retained == x.retained and p.id < x.id)) then
      bad2 = bad2 or ("top level out of order at " .. k)
    end
  end
  table.sort(want)
  local ids = {}
  for k, x in ipairs(top) do ids[k] = x.id end
  table.sort(ids)
  tap.ok(not bad2 and top.total == #want and table.concat(ids, ",") == table.concat(want, ","),
         v .. ": the top level is every object only roots dominate (" .. #want .. "), in order", bad2)
  tap.is(sum, n - h.unreachable.count, v .. ": the top level's counts add up to every reachable object")
end

local function check_sites(dir)
  local facts = facts_of(dir)
  local c = facts and load_dump(dir)
  local h = c and c.heap
  if not h then
    tap.skip(dir .. ": no heap dump")
    return
  end
  local v = dir:match("go1%.%d+")
  -- memprofilerate 1: every allocation is sampled, so every planted object has a site
  local pb, rs = facts.pinned_buffers, facts.ring_sessions
  local st = h:object(pb.addrs[1]):site()
  tap.is(st and st.func, pb.site, v .. " rate1: a pinned buffer's site is " .. pb.site)
  local hs_ = h:object(facts.ring_head_addr):site()
  tap.is(hs_ and hs_.func, rs.site, v .. " rate1: the ring head's site is " .. rs.site)
  local bysite = h:by_site()
  tap.is(bysite:sum("count"), #h.objects, v .. " rate1: by_site puts every object in one group")
  tap.is(bysite:sum("bytes"), h.objects:sum("size"), v .. " rate1: ... and every byte")
  local bytype = h:by_type()
  tap.is(bytype:sum("count"), #h.objects, v .. " rate1: by_type puts every object in one group")
  local cnt, bytes = 0, 0
  for i = 1, #bysite do
    local row = bysite[i]
    if row.site == pb.site then cnt, bytes = cnt + row.count, bytes + row.bytes end
  end
  tap.ge(cnt, pb.count, v .. " rate1: by_site counts the pinned buffers at " .. pb.site)
  tap.ge(bytes, pb.total_bytes, v .. " rate1: ... and their bytes")
  local ns = 0
  for i = 1, #bysite do
    local row = bysite[i]
    if row.site == rs.site then ns = ns + row.count end
  end
  tap.ge(ns, rs.count + facts.ring_buffers.count, v .. " rate1: by_site counts sessions and buffers at " .. rs.site)
  -- a group's retained bytes count each dominated byte once: the 1000
  -- sessions of the ring retain the ring (not 1000 nested copies of it)
  local best = 0
  for i = 1, #bysite do
    local row = bysite[i]
    if row.site == rs.site and row.retained > best then best = row.retained end
  end
  tap.ge(best, facts.ring_retained_bytes, v .. " rate1: the sessions' group retains the ring")
  tap.ok(best < 2 * facts.ring_retained_bytes, v .. " rate1: ... counting it once (got " .. best .. ")")
end

for _, v in ipairs({ "go1.19", "go1.23" }) do
  check_leaky("samples/" .. v .. "/leaky")
  collectgarbage()
  local c = load_dump("samples/" .. v .. "/retain")
  if c and c.heap then check_tree(c.heap, v) end
  collectgarbage()
  check_sites("samples/" .. v .. "/leaky-rate1")
  collectgarbage()
end

os.exit(tap.done() == 0 and 0 or 1)
