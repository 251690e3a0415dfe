-- hs.overview: overview([case]), the first question of an investigation
-- (Eclipse MAT's overview): per case what was loaded and the headline
-- numbers -- live heap and objects, reachable against unreachable, the top
-- retainers collapsed to their accumulation points, goroutine groups, GC
-- rate and CPU share, RSS against the heap when both are known.  Every
-- line names the call that shows more.
local core = require "hs.core"

local M = {}
local fmt_bytes = core.fmt_bytes

local Text = { __tostring = function(t) return t.text end }

local function heap_lines(c, out, short)
  local h = c.heap
  if not h then return end
  local live = h.objects:sum("size")
  out[#out + 1] = ("heap dump   %s in %d objects (%s %s)\tcase.heap:by_type(10)"):format(
    fmt_bytes(live), #h.objects, h.params.go_version, h.params.arch)
  if short then return end      -- what follows needs the object graph
  local why = h:_unreachable_why()
  if why then
    out[#out + 1] = "            " .. why
    return
  end
  local u = h.unreachable
  out[#out + 1] = ("            reachable %s, unreachable %s in %d objects (garbage not yet swept)")
    :format(fmt_bytes(live - u.bytes), fmt_bytes(u.bytes), u.count)
  out[#out + 1] = "top retainers, collapsed to their accumulation points\tcase.heap:tree()"
  local top = h:top_retainers(5)
  for i = 1, #top do
    local r = top[i]
    local acc = r.accumulates_at ~= r.addr and (" -> accumulates at 0x%x"):format(r.accumulates_at) or ""
    local ch = r.chain > 1 and (" [chain of %d]"):format(r.chain) or ""
    out[#out + 1] = ("  %10s  object %d 0x%x%s%s%s  held by %s"):format(fmt_bytes(r.retained),
      r.id, r.addr, r.type ~= "" and (" " .. r.type) or "", ch, acc, r.root)
  end
end

local function goroutine_lines(c, out, short)
  local g = c.goroutines
  if not g then return end
  local snaps = c.goroutine_snapshots or {}
  local total = g:sum("count")
  out[#out + 1] = ("goroutines  %d in %s%s\tcase:goroutine_stacks()"):format(total,
    snaps[1] and snaps[1].source:match("[^/]*$") or "?",
    #snaps > 1 and (" (%d snapshots; case.goroutine_snapshots)"):format(#snaps) or "")
  if short then return end
  local st = c:goroutine_stacks()
  for i = 1, math.min(3, #st) do
    local r = st[i]
    out[#out + 1] = ("  %6d  %s in %s%s"):format(r.count, r.states ~= "" and r.states or "?",
      r.where, r.wait_minutes > 0 and (", up to %d minutes"):format(r.wait_minutes) or "")
  end
end

-- sparkline(values [, width]) -> "▁▂▃▅█": one bar per value, lowest ▁ to
-- highest █; more values than width (default 60) are taken in groups,
-- each bar the group's largest
local BARS = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }
function M.sparkline(vals, width)
  width = width or 60
  local per = math.max(1, math.ceil(#vals / width))
  local pts = {}
  for i = 1, #vals, per do
    local m = vals[i]
    for j = i + 1, math.min(i + per - 1, #vals) do m = math.max(m, vals[j]) end
    pts[#pts + 1] = m
  end
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(pts) do lo, hi = math.min(lo, v), math.max(hi, v) end
  local out = {}
  for k, v in ipairs(pts) do
    out[k] = BARS[hi > lo and 1 + math.floor((v - lo) / (hi - lo) * 7 + 0.5) or 1]
  end
  return table.concat(out)
end

-- The live heap per GC cycle of the case's first gctrace log as a
-- sparkline line (at most width bars, default 60), or nil without one
function M.gc_sparkline(c, width)
  local gc = c.gc
  if not gc or #gc == 0 then return end
  local one = gc:where("source", gc:get(1, "source"))
  local vals = {}
  for i = 1, #one do vals[i] = one:get(i, "heap_live") end
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(vals) do lo, hi = math.min(lo, v), math.max(hi, v) end
  return ("live heap per GC cycle %s %d..%d MB over %d cycles"):format(
    M.sparkline(vals, width), lo, hi, #vals)
end

local function gc_lines(c, out)
  local gc = c.gc
  if not gc or #gc == 0 then return end
  -- one log's cycles (the same log in several framings is one run)
  local src = gc:get(1, "source")
  local one = gc:where("source", src)
  local n = #one
  local t0, t1 = one:get(1, "t"), one:get(n, "t")
  local rate = t1 > t0 and ("%.1f per minute"):format((n - 1) / (t1 - t0) * 60) or "?"
  out[#out + 1] = ("gc          %d cycles over %.1f s (%s), GC CPU share %d%%, heap peak %d MB\tcase.gc:top(5, \"heap_end\")")
    :format(n, t1, rate, one:get(n, "cpu_pct"), one:max("heap_end"))
  out[#out + 1] = "            " .. M.gc_sparkline(c)
end

local function memory_lines(c, out)
  local rss
  if c.proc then
    for _, key in ipairs({ "VmRSS", "Rss", "memory.current" }) do
      local r = c.proc:where("key", key)
      if #r > 0 then rss = { r:get(1, "bytes"), key }; break end
    end
  end
  local ms = c.memstats
  local heap = ms and #ms > 0 and ms:get(#ms, "HeapInuse") or nil
  local sys = ms and #ms > 0 and ms:get(#ms, "Sys") or nil
  if not rss and not heap then return end
  local parts = {}
  if rss then parts[#parts + 1] = ("RSS %s (%s)"):format(fmt_bytes(rss[1]), rss[2]) end
  if heap then
    parts[#parts + 1] = ("HeapInuse %s, Sys %s (last MemStats)"):format(fmt_bytes(heap),
      fmt_bytes(sys))
  end
  if rss and heap and rss[1] > 0 then
    parts[#parts + 1] = ("heap is %d%% of RSS"):format(math.floor(100 * heap / rss[1] + 0.5))
  end
  out[#out + 1] = "memory      " .. table.concat(parts, "; ") .. "\tcase.memstats, case.proc"
end

-- overview([c] [, short]) -> printable text for case c (default: every
-- case); short leaves out what needs the object graph or stack grouping
-- (the REPL's first screen)
function M.overview(c, short)
  local hs = require "hs"
  local list = c and { c } or hs.cases or {}
  local out = {}
  for _, x in ipairs(list) do
    local kinds, seen = {}, {}
    for _, i in ipairs(x.inputs) do
      if i.kind ~= "unknown" and not seen[i.kind] then
        seen[i.kind] = true
        kinds[#kinds + 1] = i.kind
      end
    end
    if #kinds == 0 and #x.errors == 0 then
      -- the record of an argument's files that are not evidence: one line
      out[#out + 1] = ("case %s: %d file%s, none read (info says why)")
        :format(x.name, #x.inputs, #x.inputs == 1 and "" or "s")
    else
      out[#out + 1] = ("case %s: %d inputs (%s)%s"):format(x.name, #x.inputs,
        table.concat(kinds, ", "), #x.errors > 0 and (", %d errors"):format(#x.errors) or "")
      local before = #out
      heap_lines(x, out, short)
      goroutine_lines(x, out, short)
      gc_lines(x, out)
      memory_lines(x, out)
      if #out == before then out[#out + 1] = "  (no evidence heapscope recognised)" end
    end
    if not short then out[#out + 1] = "" end
  end
  if #list == 0 then out[1] = "no case loaded: hs.load(path) loads one" end
  -- each line's hint (after a tab) goes on its own line, or away when short
  for k, l in ipairs(out) do
    local text, hint = l:match("^(.-)\t(.*)$")
    if text then out[k] = short and text or (text .. "\n" .. (" "):rep(12) .. "more: " .. hint) end
  end
  return setmetatable({ text = table.concat(out, "\n"):gsub("\n$", "") }, Text)
end

return M
