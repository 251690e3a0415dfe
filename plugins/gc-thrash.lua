-- gc-thrash: the GC running back to back, or taking a large share of the
-- CPU, and which knob to turn.
--
-- From gctrace (best): windows of at least `window` consecutive unforced
-- cycles spanning min_seconds or more (shorter bursts are not thrashing).  In
-- each, the GC's CPU share is the CPU time of the cycles (sweep
-- termination + assist + background + mark termination; idle workers only
-- use CPU nobody wanted, so they are left out) over the wall time between
-- the window's first and last start times the Ps: GOMAXPROCS, "N P".  The
-- worst window is judged.  The goal is pinned when the live heap is above
-- pinned_ratio of it on average: with GOGC alone the goal is live x (1 +
-- GOGC/100), so live/goal near 1 means a memory limit (GOMEMLIMIT) holds
-- the goal down (or GOGC is tiny).  That names the lever: GOMEMLIMIT (or
-- the live heap) when pinned, GOGC otherwise.  A warning: a CPU share of
-- cpu_share or more, or a pinned goal with the GC marking busy_share of
-- the wall time or more (back to back).  bytes is the window's mean goal.
-- From MemStats alone: GCCPUFraction (the share since the program
-- started) of the latest snapshot, and HeapAlloc against NextGC.
local ev = require "lib.evidence"

local function gctrace_windows(c, params)
  local t = c.gc
  local src = ev.best(t)
  if not src then return nil end
  local cols = { "t", "cpu_sweep_term", "cpu_assist", "cpu_background", "cpu_mark_term", "clock_sweep_term",
                 "clock_mark", "clock_mark_term", "heap_live", "goal", "procs", "forced", "num" }
  local v = {}
  for _, name in ipairs(cols) do v[name] = ev.nums(t, name, src.rows) end
  -- unforced cycles, with prefix sums so each window costs O(1)
  local idx = {}
  local P = { cpu = { [0] = 0 }, assist = { [0] = 0 }, busy = { [0] = 0 }, live = { [0] = 0 }, goal = { [0] = 0 } }
  for k = 1, #src.rows do
    if v.forced[k] == 0 then
      local n = #idx + 1
      idx[n] = k
      P.cpu[n] = P.cpu[n - 1] + v.cpu_sweep_term[k] + v.cpu_assist[k] + v.cpu_background[k] + v.cpu_mark_term[k]
      P.assist[n] = P.assist[n - 1] + v.cpu_assist[k]
      P.busy[n] = P.busy[n - 1] + v.clock_sweep_term[k] + v.clock_mark[k] + v.clock_mark_term[k]
      P.live[n] = P.live[n - 1] + v.heap_live[k]
      P.goal[n] = P.goal[n - 1] + v.goal[k]
    end
  end
  local worst
  local e = 1
  for s = 1, #idx do
    -- the shortest run of cycles from s with `window` cycles and
    -- min_seconds of wall time: a burst of garbage is not thrashing
    if e < s then e = s end
    while e <= #idx and (e - s + 1 < params.window or v.t[idx[e]] - v.t[idx[s]] < params.min_seconds) do e = e + 1 end
    if e > #idx then break end
    local W = e - s + 1
    local first, last = idx[s], idx[e]
    local wall = (v.t[last] - v.t[first]) * 1000 -- ms
    if wall > 0 then
      -- the CPU of cycles s .. e-1 falls between the starts of s and e
      local procs = math.max(1, v.procs[last])
      local share = (P.cpu[e - 1] - P.cpu[s - 1]) / (wall * procs)
      if not worst or share > worst.share then
        worst = { share = share, s = s, e = e, W = W, wall = wall, procs = procs }
      end
    end
  end
  if not worst then return nil, src.name, true end
  local w, s, e = worst, worst.s, worst.e
  w.rate = (w.W - 1) / (w.wall / 1000)
  w.busy = (P.busy[e - 1] - P.busy[s - 1]) / w.wall
  w.assist = (P.assist[e - 1] - P.assist[s - 1]) / (w.wall * w.procs)
  w.live, w.goal = (P.live[e] - P.live[s - 1]) / w.W, (P.goal[e] - P.goal[s - 1]) / w.W
  w.from, w.to, w.t0, w.t1 = v.num[idx[s]], v.num[idx[e]], v.t[idx[s]], v.t[idx[e]]
  w.goal_min, w.goal_max = math.huge, 0
  for j = s, e do
    w.goal_min, w.goal_max = math.min(w.goal_min, v.goal[idx[j]]), math.max(w.goal_max, v.goal[idx[j]])
  end
  w.pinned = w.goal > 0 and w.live / w.goal >= params.pinned_ratio
  return w, src.name, true
end

local function memstats_latest(c)
  local m = c.memstats
  if not m or #m == 0 then return nil end
  local tot = m:column("TotalAlloc")
  local best, br
  for _, r in m:rows() do
    if not best or tonumber(tot[r]) > best then best, br = tonumber(tot[r]), r end
  end
  local function f(name) return ev.has(m, name) and tonumber(m:column(name)[br]) or nil end
  return { share = f("GCCPUFraction"), heap = f("HeapAlloc"), next_gc = f("NextGC"), num_gc = f("NumGC") }
end

return {
  id = "gc-thrash",
  summary = "GC back to back or taking a large CPU share; says whether GOMEMLIMIT or GOGC is the lever",
  needs = { "gc", "memstats" },
  params = { cpu_share = 0.25, error_share = 0.5, window = 20, min_seconds = 1, pinned_ratio = 0.8, busy_share = 0.5 },
  run = function(case, emit, params)
    local w, src, judged = gctrace_windows(case, params)
    if judged then
      if not w then return end
      local back_to_back = w.pinned and w.busy >= params.busy_share
      if w.share < params.cpu_share and not back_to_back then return end
      local MB = 1048576
      local lever
      if w.pinned then
        lever = ("The goal stays at %.0f-%.0f MB while the live heap is %.0f MB (%s of it): a memory limit (GOMEMLIMIT) is holding the goal down (or GOGC is set very low), so the GC runs again as soon as a little is allocated. "
          .. "GOMEMLIMIT is the lever: raise it (with the container's limit) or shrink the live heap; raising GOGC changes nothing while the limit binds"):format(
          w.goal_min, w.goal_max, w.live, ev.pct(w.live / w.goal))
      else
        lever = ("The goal (%.0f MB) is about live heap x (1 + GOGC/100) (live %.0f MB): the heap is small for the allocation rate. "
          .. "GOGC is the lever: raise it (GOGC=200 or 400 halves or quarters the cycles), or set GOMEMLIMIT to the memory you can afford with GOGC=off; and allocate less (see alloc-hotspot)"):format(
          w.goal, w.live)
      end
      emit {
        severity = w.share >= params.error_share and "error" or "warning",
        title = ("GC takes %s of the CPU (%.0f cycles/s, cycles %d-%d)%s"):format(ev.pct(w.share), w.rate, w.from, w.to,
          w.pinned and ", goal pinned near a memory limit" or ""),
        message = ("Over cycles %d to %d (%s from %s), the GC used %s of %d Ps' CPU, ran %.0f cycles a second and was marking %s of the wall time%s. %s."):format(
          w.from, w.to, ev.fmt_secs(w.t1 - w.t0), src, ev.pct(w.share), w.procs, w.rate, ev.pct(math.min(1, w.busy)),
          w.assist > 0.05 and (", %s of it in assists that slow the program's own goroutines"):format(ev.pct(w.assist)) or "",
          lever),
        bytes = math.floor(w.goal * MB),
        count = w.to - w.from + 1,
        evidence = { source = src, cpu_share = ev.round(w.share), assist_share = ev.round(w.assist),
                     cycles_per_sec = ev.round(w.rate), marking_share = ev.round(w.busy), live_mb = ev.round(w.live),
                     goal_mb = ev.round(w.goal), goal_min_mb = w.goal_min,
                     goal_max_mb = w.goal_max, pinned = w.pinned, lever = w.pinned and "GOMEMLIMIT" or "GOGC",
                     cycles = { w.from, w.to }, procs = w.procs },
      }
      return
    end
    local m = memstats_latest(case)
    if not m or not m.share or m.share < params.cpu_share then return end
    emit {
      severity = m.share >= params.error_share and "error" or "warning",
      title = ("GC takes %s of the CPU since the program started"):format(ev.pct(m.share)),
      message = ("MemStats says the GC used %s of the CPU since the program started (%s cycles, heap %s of a %s goal). "
        .. "Without gctrace it cannot be told whether a memory limit pins the goal: GODEBUG=gctrace=1 shows it. "
        .. "If the live heap is close to GOMEMLIMIT, raise the limit or shrink the heap; otherwise raise GOGC and allocate less (see alloc-hotspot)."):format(
        ev.pct(m.share), tostring(m.num_gc), hs.bytes(m.heap or 0), hs.bytes(m.next_gc or 0)),
      bytes = m.next_gc,
      count = m.num_gc,
      evidence = { source = "MemStats GCCPUFraction", cpu_share = ev.round(m.share), heap_alloc = m.heap, next_gc = m.next_gc },
    }
  end,
}
