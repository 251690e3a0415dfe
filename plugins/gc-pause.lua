-- gc-pause: stop-the-world pauses over a threshold at the 99th percentile.
--
-- A GC cycle stops the world twice: sweep termination and mark
-- termination.  Per cycle the pause is their sum, as MemStats.PauseNs
-- records it.  Evidence, best first: gctrace (every cycle: the wall-clock
-- phase times "A+B+C ms clock", A and C being the pauses), MemStats PauseNs
-- (the last 256 cycles, each cycle once across snapshots), the PauseNs ring
-- of a heap dump.  Fewer than min_cycles pauses are not judged; below 100
-- the p99 is the longest pause, so a single long pause there is one event
-- (a busy machine can stretch any one stop), not a percentile: info.  A stop of error_ms or more (a second by
-- default) is an error: health checks and timeouts fail during it.  A pause puts no memory at stake, so findings
-- carry no bytes (each worst cycle's heap size is in the evidence).
local ev = require "lib.evidence"

-- pauses (ms) and per-pause detail from the best gctrace source
local function from_gctrace(c)
  local t = c.gc
  local src = ev.best(t)
  if not src then return nil end
  local num, tt = ev.nums(t, "num", src.rows), ev.nums(t, "t", src.rows)
  local a, b = ev.nums(t, "clock_sweep_term", src.rows), ev.nums(t, "clock_mark_term", src.rows)
  local heap, procs = ev.nums(t, "heap_start", src.rows), ev.nums(t, "procs", src.rows)
  local out = {}
  for k = 1, #a do
    out[k] = { ms = a[k] + b[k], sweep_term = a[k], mark_term = b[k], num = num[k], t = tt[k],
               heap = heap[k] * 1048576, procs = procs[k] }
  end
  return out, src.name
end

-- each GC cycle once, from every MemStats snapshot's PauseNs
local function from_memstats(c)
  local t = c:table("memstats.pauses")
  if not t or #t == 0 then return nil end
  local gc, ns = t:column("gc"), t:column("pause_ns")
  local seen, out = {}, {}
  for _, r in t:rows() do
    local n = tonumber(gc[r])
    if not seen[n] and tonumber(ns[r]) > 0 then
      seen[n] = true
      out[#out + 1] = { ms = tonumber(ns[r]) / 1e6, num = n }
    end
  end
  table.sort(out, function(x, y) return x.num < y.num end)
  return out, "MemStats PauseNs"
end

local function from_heapdump(c)
  local t = c.heap and c.heap.gc_pauses
  if not t or #t == 0 then return nil end
  local ns = t:column("pause_ns")
  local out = {}
  for _, r in t:rows() do
    if tonumber(ns[r]) > 0 then out[#out + 1] = { ms = tonumber(ns[r]) / 1e6 } end
  end
  return out, "heap dump MemStats.PauseNs"
end

return {
  id = "gc-pause",
  summary = "stop-the-world GC pauses over a threshold at p99",
  needs = { "gc", "memstats", "heap" },
  params = { p99_ms = 10, error_ms = 1000, min_cycles = 5 },
  run = function(case, emit, params)
    local pauses, source
    for _, f in ipairs { from_gctrace, from_memstats, from_heapdump } do
      pauses, source = f(case)
      if pauses and #pauses >= params.min_cycles then break end
      pauses = nil
    end
    if not pauses then return end
    local ms = {}
    for k, p in ipairs(pauses) do ms[k] = p.ms end
    local p50, p99, max = ev.quantile(ms, 0.5), ev.quantile(ms, 0.99), ev.quantile(ms, 1)
    if p99 <= params.p99_ms then return end
    local over, worst = {}, {}
    for _, p in ipairs(pauses) do
      if p.ms > params.p99_ms then over[#over + 1] = p end
    end
    table.sort(over, function(x, y) return x.ms > y.ms end)
    local sweep, mark = 0, 0
    for k, p in ipairs(over) do
      if k <= 5 then
        worst[k] = { gc = p.num, ms = ev.round(p.ms), t = p.t, sweep_term_ms = p.sweep_term,
                     mark_term_ms = p.mark_term, heap_bytes = p.heap }
      end
      sweep, mark = sweep + (p.sweep_term or 0), mark + (p.mark_term or 0)
    end
    local why
    if sweep > 0 or mark > 0 then
      if sweep >= mark then
        why = "Most of it is sweep termination, the wait for every goroutine to stop: a goroutine that does not reach a preemption point (a tight loop before Go 1.14, a long cgo call or syscall) holds up the whole process"
      else
        why = "Most of it is mark termination, the end of marking with the world stopped"
      end
    else
      why = "MemStats does not say which of the two stops took the time"
    end
    local sev = p99 >= params.error_ms and "error" or "warning"
    local once = ""
    if sev == "warning" and #pauses < 100 and #over < 2 then
      sev = "info"
      once = (" One long pause in %d cycles is not yet a p99: a longer gctrace shows whether it repeats."):format(#pauses)
    end
    emit {
      severity = sev,
      title = once ~= "" and ("one GC stop-the-world pause of %.1f ms in %d cycles (threshold %g ms)"):format(max, #pauses, params.p99_ms)
        or ("GC stop-the-world pauses: p99 %.1f ms (threshold %g ms)"):format(p99, params.p99_ms),
      message = ("%d of %d GC cycles stopped the world for more than %g ms (p50 %.2f ms, p99 %.1f ms, max %.1f ms, from %s). %s. "
        .. "In a container, CPU throttling stretches every pause: keep GOMAXPROCS at or below the CPU quota "
        .. "(Go 1.25 does this itself; before it, set GOMAXPROCS or use go.uber.org/automaxprocs).%s"):format(
        #over, #pauses, params.p99_ms, p50, p99, max, source, why, once),
      count = #over,
      evidence = { source = source, cycles = #pauses, p50_ms = ev.round(p50), p99_ms = ev.round(p99), max_ms = ev.round(max),
                   threshold_ms = params.p99_ms, worst = worst },
    }
  end,
}
