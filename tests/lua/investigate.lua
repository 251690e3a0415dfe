-- The investigation API (overview, rows that are objects, the dominator
-- tree, paths, contents, goroutines once, units, errors that teach) over
-- the leaky samples, against what the Go program planted (facts.json).
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")

hs.open_options = { nocache = true }  -- never write index files into samples/

local files = dofile("tests/lib/files.lua")
local slurp = files.read
local function nlines(s) return select(2, s:gsub("\n", "")) + 1 end

local function check_heap(dir, facts)
  local v = dir:match("(go1%.%d+/[%w-]+)$")
  local c = hs.load(dir .. "/heap.dump.xz")
  local h = c.heap

  -- the ring: its head is the accumulation point, the chain its length
  local rs = facts.ring_sessions
  local head = h:object(tonumber(rs.first_addr))
  local acc, len = head:accumulation()
  tap.is(acc, head, v .. ": the ring's accumulation point is its head")
  tap.is(len, rs.count, v .. ": ... and its chain is ring_sessions.count long")
  local row
  local top = h:top_retainers(20)
  for i = 1, #top do if top[i].addr == head.addr then row = top[i] end end
  tap.ok(row, v .. ": the ring head is a top retainer (none inside another)")
  tap.is(row and row.chain, rs.count, v .. ": its row's chain column is the planted count")
  tap.is(row and row:object(), head, v .. ": a top_retainers row is the object (row:object())")
  tap.is(row and #row:path(), #head:path(), v .. ": row:path() works on the row")
  local clash = {}
  for _, col in ipairs(top:columns()) do
    if type(require("hs.heap").Object[col]) == "function" then clash[#clash + 1] = col end
  end
  tap.is(table.concat(clash, ", "), "", v .. ": no column hides a method of the row's object")
  local tree = tostring(h:tree(head))
  local _, nchain = tree:gsub("%[chain of " .. rs.count, "")
  tap.is(nchain, 1, v .. ": heap:tree collapses the ring to one line")
  tap.ok(nlines(tree) < 10, v .. ": ... so the tree stays short (" .. nlines(tree) .. " lines)")
  tap.like(tree, ("%d x like"):format(facts.ring_buffers.count),
    v .. ": ... with the members' ring_buffers.count buffers summed under it")
  local kids = head:dominated()
  tap.is(#kids, 2, v .. ": the head dominates the next session and its own buffer")
  tap.ok(kids[1].retained >= kids[2].retained, v .. ": o:dominated() is by retained size")

  -- paths: one step per line; a singly linked ring has one way in
  local el = h:object(tonumber(facts.ring_element_addr))
  local p = el:path()
  tap.is(#p, facts.ring_element_index + 1, v .. ": element 500's path walks the ring from its head")
  tap.is(nlines(tostring(p)), #p + 1, v .. ": a path prints its root and one line per step")
  tap.is(p[2].size, rs.alloc_size, v .. ": a step stands for its object (step.size)")
  tap.is(#p[#p]:referrers(), 1, v .. ": ... and answers its methods (step:referrers())")
  local alt = el:path { exclude = { p[#p - 1] } }
  tap.is(#alt, 0, v .. ": excluding the previous session leaves no path (singly linked)")
  alt = el:path { exclude = { { p[#p - 1], p[#p] } } }
  tap.is(#alt, 0, v .. ": excluding the edge into it does the same")
  tap.like(tostring(head:roots()), "0x%x+", v .. ": o:roots() prints addresses in hex")
  tap.is(head:roots()[1].from, tonumber(facts.globals[rs.global]), v .. ": ... the root is main.ring")

  -- contents
  tap.is(head:word(8), 0, v .. ": o:word(8) is the head Session's id, exactly")
  tap.is(el:word(8), facts.ring_element_index, v .. ": and element 500's")
  tap.raises(function() return head:word(2) end, "not a multiple of the pointer size",
    v .. ": a misaligned word is an error that says why")
  tap.is(head:word(0), el and head:referents()[1].addr, v .. ": the next pointer is exact")
  local words = head:words()
  tap.is(#words, rs.alloc_size / h.params.ptr_size, v .. ": o:words() has one row per word")
  tap.like(hs.format(words), "0xc0", v .. ": ... with addresses in hex")
  local dump = tostring(head:hexdump())
  tap.is(nlines(dump), math.ceil(rs.alloc_size / 16), v .. ": o:hexdump() of a small object is all of it")
  local pb = facts.pinned_buffers
  local big = h:object(tonumber(pb.first_addr))
  tap.like(tostring(big:hexdump()), "more bytes", v .. ": a 1 MiB hexdump stops and says how to go on")
  tap.ok(#tostring(big:hexdump()) < 4096, v .. ": ... bounded")

  -- Session{next *Session; id int; buf []byte}: buf's header at 16
  local rb = facts.ring_buffers
  local hs16 = head:slice(16)
  tap.is(hs16.len, rb.size, v .. ": o:slice(16) of a Session is its ring_buffers.size buf")
  tap.is(hs16.target and hs16.target.size, rb.alloc_size, v .. ": ... whose target is the buffer")
  tap.is(hs16.target, head:dominated()[2], v .. ": ... the one the session dominates")
  local gs = head:str(16)
  tap.is(gs.len, rb.size, v .. ": o:str reads a (ptr, len) header")
  tap.like(tostring(gs), ("%d bytes"):format(rb.size), v .. ": a string prints its length")
  tap.ok(#tostring(gs) < 400, v .. ": ... and only its start")

  -- o:slice of the pinned subslice: planted len 16 at offset 4096
  local kept = tonumber(facts.pinned_first_kept_addr)
  local buf = h:object(kept)
  local holders = buf:referrers()
  local holder, off = holders[1], holders.offsets[1]
  local s = holder:slice(off)
  local plen, poff = pb.notes:match("(%d+)%-byte subslice at offset (%d+)")
  tap.is(s.len, tonumber(plen), v .. ": o:slice gives the planted len")
  -- readRecord returns buf[4096 : 4096+16 : 4096+16]: cap is the planted length too
  tap.is(s.cap, tonumber(plen), v .. ": ... and cap (a three-index subslice)")
  tap.like(s.target:bytes(s.offset, s.len), "^record%-", v .. ": ... over the record readRecord wrote")
  tap.is(s.target, buf, v .. ": ... and its target is the pinned buffer")
  tap.is(s.offset, tonumber(poff), v .. ": ... at the planted offset")
  tap.is(holder:ptr(off), buf, v .. ": o:ptr(off) is the object pointed into")
  tap.like(tostring(s), "len " .. plen, v .. ": a slice prints its len")

  -- group rows give their objects; by_site(n) honours n
  tap.is(#h:by_site(2), 2, v .. ": by_site(n) has n rows")
  tap.is(#h:by_type(3), 3, v .. ": by_type(n) has n rows")
  local bt = h:by_type()
  local r1 = bt[1]
  tap.is(#r1:objects(), r1.count, v .. ": row:objects() lists the group's count objects")

  -- lists print in index order
  local refs = holder:referents()
  local text = tostring(refs)
  local first = {}
  for l in text:gmatch("[^\n]+") do first[#first + 1] = tonumber(l:match("^%s*(%d+)")) end
  local inorder = #first >= 10
  for k = 1, #first do if first[k] ~= k then inorder = false end end
  tap.ok(inorder, v .. ": a list of objects prints 1, 2, ... 10, 11 in order")

  -- overview: the ring collapsed, the top retainer named
  local ov = tostring(overview(c))
  tap.like(ov, "chain of " .. rs.count, v .. ": overview() shows the ring collapsed")
  tap.like(ov, ("object %d"):format(buf:dominator().id), v .. ": overview() names main.pinned's array")
end

local function check_goroutines(dir, facts)
  local v = dir:match("(go1%.%d+/[%w-]+)$")
  local c = hs.load(dir)
  local g = c.goroutines
  local sources = {}
  for _, r in g:each() do sources[r.source] = true end
  local n = 0
  for _ in pairs(sources) do n = n + 1 end
  tap.is(n, 1, v .. ": case.goroutines is one snapshot, none counted twice")
  local best = 0
  for _, s in ipairs(c.goroutine_snapshots) do
    if s.form ~= "debug=1 (counted groups)" then best = math.max(best, s.goroutines) end
    tap.is(s.rows:sum("count"), s.goroutines, v .. ": " .. s.source .. " counts its own rows")
  end
  tap.is(g:sum("count"), best, v .. ": the default is the most complete snapshot")
  tap.ok(#c.goroutine_snapshots >= 3, v .. ": the other snapshots stay reachable")
  local d2
  for _, s in ipairs(c.goroutine_snapshots) do if s.form == "debug=2" then d2 = s end end
  tap.is(d2 and d2.goroutines, facts.goroutines_total, v .. ": the debug=2 snapshot has goroutines_total")
  local want = facts.goroutines[1]
  local st = c:goroutine_stacks()
  local row
  for _, r in st:each() do if r.where == want["function"] then row = row or r end end
  tap.is(row and row.count, want.count, v .. ": goroutine_stacks groups the planted leak by stack")
  tap.is(row and row.states, facts.go_version:match("go1%.19") and want.state_go1_19 or want.state,
    v .. ": ... in its planted state")
  -- bug: group_by on a column beside count, then sum("count")
  local ok, sums = pcall(function() return c:table("goroutines"):group_by("source"):sum("count") end)
  tap.ok(ok, v .. ": group_by(\"source\"):sum(\"count\") works " .. (ok and "" or tostring(sums)))
  if ok then
    local total = 0
    for _, r in sums:each() do total = total + r.count end
    tap.is(total, c:table("goroutines"):sum("count"), v .. ": ... and adds every row's count")
  end
  -- units
  tap.like(hs.format(c.gc:head(1)), "%d MB", v .. ": gctrace MB columns say MB")
  local ms = c.memstats
  local last = -1
  local inorder = true
  for _, r in ms:each() do
    local t = r.time > 0 and r.time or tonumber(r.LastGC) / 1e9
    if t < last then inorder = false end
    last = t
  end
  tap.ok(inorder, v .. ": case.memstats is in time order")
  tap.like(hs.format(ms:select("PauseTotalNs"):head(#ms)), "%d+%.%d+ [mu]?s",
    v .. ": PauseTotalNs prints as a duration")
end

local n = 0
for _, dir in ipairs({ "samples/go1.19/leaky", "samples/go1.23/leaky" }) do
  local text = slurp(dir .. "/facts.json")
  if text then
    n = n + 1
    local facts = json.decode(text)
    check_heap(dir, facts)
    check_goroutines(dir, facts)
  end
end
if n == 0 then tap.skip("no samples/go1.*/leaky/facts.json") end

-- errors that teach: a case without a heap dump
local c = hs.load("samples/go1.23/leaky/gctrace.log")
local saved = rawget(_G, "case")
_G.case = c
local ok, err = pcall(function() return case.heap.objects end)
local msg = hs.explain(tostring(err))
tap.ok(not ok, "case.heap on a gctrace-only case fails")
tap.like(msg, "has no heap dump", "... and the error says the case has no heap dump")
tap.like(msg, "it has gc", "... what it has")
tap.like(msg, "hs%.load", "... and how to load more")
_G.case = saved

-- a truncated dump without roots says why nothing is reachable
local cut = hs.load("tests/fuzz/corpus/heapdump/cut-in-object.dump")
local hc = cut.heap
tap.is(#hc.roots, 0, "cut-in-object.dump has no roots")
tap.like(tostring(hc:object_at(1):path()), "no GC roots", "a path says the dump has no roots")
tap.raises(function() return hc:top_retainers() end, "no GC roots",
  "top_retainers says why instead of listing 0 B rows")
tap.like(tostring(overview(cut)), "cut short", "overview() says the dump was cut short")

-- the each() example of help: (i, row)
local nrow = 0
for i, r in hs.load("samples/go1.23/leaky/gctrace.log").gc:each() do
  if r.num and i == nrow + 1 then nrow = i end
end
tap.ok(nrow > 0, "for i, r in t:each() yields the index and the row")

-- a Lua table with numbers past 9 prints them in order
local t = {}
for i = 1, 12 do t[i] = i end
t.x = "y"
tap.like(hs.format(t, { width = 1000 }), "^{%[1%] = 1, %[2%] = 2, %[3%] = 3.-%[10%] = 10, %[11%] = 11, %[12%] = 12, x",
  "table keys print in number order, then names")

os.exit(tap.done() == 0 and 0 or 1)
