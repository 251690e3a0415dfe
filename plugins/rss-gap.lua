-- rss-gap: process or cgroup memory far above what the Go heap explains.
--
-- The process's resident memory (smaps_rollup Rss, status VmRSS, else
-- Prometheus' process_resident_memory_bytes; cgroup v2 memory.current and
-- memory.max beside it) against the latest MemStats snapshot (the one with
-- the largest TotalAlloc, which only grows) or a heap dump's MemStats.
-- Resident memory beyond the live heap (HeapAlloc) is split into:
--   fragmentation   HeapInuse - HeapAlloc: spans partly used
--   idle            HeapIdle - HeapReleased: freed heap not yet returned
--   stacks          StackSys
--   runtime         MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys
--   non-Go          anonymous resident memory beyond all Go has mapped and
--                   kept (Sys - HeapReleased): cgo's malloc, mmap by hand
--   file-backed     Rss - Anonymous: the executable's text and mmapped
--                   files (the kernel can drop these pages under pressure)
--   non-Go or file  with a resident total and no Anonymous figure
--                   (process_resident_memory_bytes alone), the two above
--                   cannot be told apart: info, asking for smaps_rollup
-- A gap of min_gap bytes or more where resident memory is at least ratio
-- times the live heap is a finding (bytes: the gap), named for its largest
-- part.  The Go parts are what Go has mapped (not all of it resident), so
-- non-Go is a lower bound; a gap that
-- is mostly file-backed pages is info, since they are reclaimable; with
-- the cgroup at near_limit of memory.max or more it is an error.  With only
-- cgroup files, memory.current stands for resident memory and memory.stat
-- anon for the anonymous part.
local ev = require "lib.evidence"

-- proc[kind][key] = bytes (or count), read through the columns
local function proc_values(c)
  local t = c.proc
  local out = {}
  if not t then return out end
  local val, kinds, keys = t:column("value"), ev.text(t, "kind"), ev.text(t, "key")
  for i, r in t:rows() do
    local kind, key = kinds(i, r), keys(i, r)
    out[kind] = out[kind] or {}
    out[kind][key] = tonumber(val[r])
  end
  return out
end

local function metric(c, name)
  local t = c.metrics
  if not t or #t == 0 or not ev.has(t, "name") then return nil end
  local v, scrape = nil, -1
  local vals, sc, names = t:column("value"), t:column("scrape"), ev.text(t, "name")
  for i, r in t:rows() do
    if tonumber(sc[r]) >= scrape and names(i, r) == name then
      v, scrape = tonumber(vals[r]), tonumber(sc[r])
    end
  end
  return v
end

local fields = { "HeapAlloc", "HeapInuse", "HeapIdle", "HeapReleased", "Sys", "StackSys",
                 "MSpanSys", "MCacheSys", "BuckHashSys", "GCSys", "OtherSys", "TotalAlloc" }

-- the latest MemStats: {field = value, source = name}
local function latest_memstats(c)
  local best
  for _, t in ipairs { c.memstats, c.heap and c.heap.memstats } do
    if t and #t > 0 then
      local tot = t:column("TotalAlloc")
      for i, r in t:rows() do
        if not best or tonumber(tot[r]) > best.TotalAlloc then
          best = { source = ev.has(t, "source") and t:get(i, "source") or "heap dump" }
          for _, f in ipairs(fields) do
            best[f] = ev.has(t, f) and tonumber(t:column(f)[r]) or 0
          end
        end
      end
    end
  end
  return best
end

local causes = {
  fragmentation = "heap spans are only partly used (long-lived small objects among freed ones keep whole spans): allocate long-lived data together, or copy a few survivors out of big short-lived structures",
  idle = "the heap shrank and Go has not yet returned the freed pages: set GOMEMLIMIT so the scavenger returns them when memory gets tight, or call debug.FreeOSMemory() after a known spike (Go 1.12 to 1.15 freed with MADV_FREE, which RSS keeps counting until the kernel needs the pages: GODEBUG=madvdontneed=1)",
  stacks = "goroutine stacks: many goroutines or deep recursion (see goroutine-leak)",
  runtime = "the runtime's own metadata (GC bitmaps, spans, profiling buckets), which grows with the heap's peak",
  non_go = "memory outside the Go runtime: cgo allocations (C malloc) or mmap'd regions; MemStats never sees it. Find the mappings in /proc/PID/smaps, free C memory (C.free, the library's close/destroy), munmap what is no longer needed, and leave room for it below GOMEMLIMIT",
  file = "file-backed pages: the executable and mmap'd files, which the kernel can reclaim under pressure",
  non_go_or_file = "memory outside the Go runtime (cgo, mmap) or file-backed pages of the executable and mapped files, which the kernel can reclaim: add /proc/PID/smaps_rollup to the evidence, whose Anonymous line tells them apart",
}

return {
  id = "rss-gap",
  summary = "process or cgroup memory far above what the Go heap explains, and why",
  needs = { "proc", "memstats", "metrics" },
  params = { min_gap = 64 * 1048576, ratio = 2, near_limit = 0.9 },
  run = function(case, emit, params)
    local m = latest_memstats(case)
    if not m or m.HeapAlloc == 0 then return end
    local p = proc_values(case)
    local roll, status = p.smaps_rollup or {}, p.status or {}
    local cg_cur = (p["memory.current"] or {})["memory.current"]
    local cg_max = (p["memory.max"] or {})["memory.max"]
    if cg_max and cg_max >= 2 ^ 62 then cg_max = nil end
    local rss = roll.Rss or status.VmRSS or (p.smaps or {}).Rss or metric(case, "process_resident_memory_bytes")
    local anon = roll.Anonymous or status.RssAnon
    local measured = "resident"
    if not rss and cg_cur then
      -- only the cgroup's view: its usage counts page cache too, which
      -- memory.stat's anon leaves out
      rss, anon, measured = cg_cur, (p["memory.stat"] or {}).anon, "cgroup"
    end
    if not rss then return end
    local gap = rss - m.HeapAlloc
    if gap < params.min_gap or rss < params.ratio * m.HeapAlloc then return end
    local go_kept = m.Sys - m.HeapReleased
    local parts = {
      fragmentation = math.max(0, m.HeapInuse - m.HeapAlloc),
      idle = math.max(0, m.HeapIdle - m.HeapReleased),
      stacks = m.StackSys,
      runtime = m.MSpanSys + m.MCacheSys + m.BuckHashSys + m.GCSys + m.OtherSys,
    }
    if anon then
      parts.non_go = math.max(0, anon - go_kept)
      parts.file = math.max(0, rss - anon)
    else
      -- a resident total alone (process_resident_memory_bytes, VmRSS
      -- without RssAnon) cannot tell memory outside Go from the
      -- executable's and mapped files' pages
      parts.non_go_or_file = math.max(0, rss - go_kept)
    end
    local order = { "non_go", "non_go_or_file", "file", "idle", "fragmentation", "stacks", "runtime" }
    local cause = order[1]
    -- without an anonymous/file split (only a resident total, as from
    -- process_resident_memory_bytes) there is no file part
    for _, k in ipairs(order) do
      if (parts[k] or 0) > (parts[cause] or 0) then cause = k end
    end
    local list = {}
    for _, k in ipairs(order) do
      if (parts[k] or 0) > 0 then list[#list + 1] = ("%s %s"):format(k:gsub("_", "-"), hs.bytes(parts[k])) end
    end
    local cgroup, near = "", false
    if cg_cur and cg_max then
      near = cg_cur >= params.near_limit * cg_max
      cgroup = (" The cgroup uses %s of its %s limit (%s)%s."):format(hs.bytes(cg_cur), hs.bytes(cg_max),
        ev.pct(cg_cur / cg_max), near and ": the kernel's OOM killer is close" or "")
    end
    local sev = "warning"
    if cause == "file" or cause == "non_go_or_file" then sev = "info" elseif near then sev = "error" end
    emit {
      severity = sev,
      title = ("%s memory %s is %.1fx the live Go heap %s; most of the gap is %s (%s)"):format(measured,
        hs.bytes(rss), rss / m.HeapAlloc, hs.bytes(m.HeapAlloc), cause:gsub("_", "-"), hs.bytes(parts[cause])),
      message = ("The process holds %s (%s) but only %s of it is live Go heap; the %s gap is: %s (Go's parts are what it has mapped, not all of which need be resident).%s "
        .. "The largest part is %s: %s."):format(hs.bytes(rss), measured, hs.bytes(m.HeapAlloc), hs.bytes(gap),
        table.concat(list, ", "), cgroup, cause:gsub("_", "-"), causes[cause]),
      bytes = gap,
      evidence = { rss = rss, measured = measured, anonymous = anon, heap_alloc = m.HeapAlloc, heap_inuse = m.HeapInuse,
                   heap_idle = m.HeapIdle, heap_released = m.HeapReleased, sys = m.Sys, gap = gap,
                   parts = parts, cause = cause, memstats_source = m.source,
                   cgroup_current = cg_cur, cgroup_max = cg_max },
    }
  end,
}
