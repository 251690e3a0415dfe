-- heap-growth: the live heap rising across GC cycles or snapshots, with the
-- rate and, where the evidence allows, the sites that grew; goroutine
-- counts rising too.
--
-- Series, best first:
--   gctrace           the marked (live) heap after each cycle, "A->B->C MB"
--   MemStats series   HeapAlloc of the snapshots of one source, by time
--   heap dumps        case.heaps: bytes in use per dump, sites by by_site()
--   heap profiles     inuse_space of profiles with distinct times
-- Points in the process's first `warmup` (30%) of its age at the last
-- point, or in its first warmup_secs (10 s), are its warm-up and not
-- judged, where the evidence says its age (gctrace, scrapes with
-- process_start_time_seconds, MemStats snapshots by their NumGC against
-- gctrace); dumps and profiles do not, and are judged whole.
-- A long series (min_points or more) is cut by position into 4 to 8
-- windows of three or more points, each judged by its minimum, which is
-- close to the live heap a GC left (a snapshot between GCs holds garbage
-- too): growth when the minima of the last three windows rise one after
-- the other (each step by 2% of the last, more than noise), by min_growth
-- bytes and by min_ratio in all.  A start-up that fills a cache and then
-- stays flat does not rise through the last windows.  Fewer snapshots
-- (dumps, profiles, scrapes) must rise at every step, and are judged only
-- when no better series is long: HeapAlloc counts garbage too, and three
-- scrapes (idle, then under load) see a service warm up, which its
-- gctrace over the same time shows to be flat.  The rate is bytes
-- per second between the minima; with a cgroup memory.max, the time left
-- until the limit at that rate.
--
-- Goroutine counts: several goroutine profiles or scrapes of go_goroutines
-- that rise at every step by min_goroutines and min_ratio.
local stack = require "lib.stack"
local ev = require "lib.evidence"

local MB = 1048576

-- {t =, v =} points of the best gctrace source (live heap after each GC)
local function gctrace_points(c)
  local src = ev.best(c.gc)
  if not src then return nil end
  local t, v = ev.nums(c.gc, "t", src.rows), ev.nums(c.gc, "heap_live", src.rows)
  local out = {}
  for k = 1, #t do out[k] = { t = t[k], v = v[k] * MB, age = t[k] } end
  return out, "gctrace live heap (" .. src.name .. ")"
end

-- the process's start (unix seconds) from process_start_time_seconds
local function process_start(c)
  local m = c.metrics
  if not m or #m == 0 or not ev.has(m, "name") then return nil end
  local val, name = m:column("value"), ev.text(m, "name")
  for i, r in m:rows() do
    if name(i, r) == "process_start_time_seconds" then return tonumber(val[r]) end
  end
end

-- age (seconds since start) at each GC cycle number, from the best gctrace
local function gc_ages(c)
  local src = ev.best(c.gc)
  if not src then return nil end
  local num, t = ev.nums(c.gc, "num", src.rows), ev.nums(c.gc, "t", src.rows)
  local out = { [0] = 0 }
  for k = 1, #num do out[num[k]] = t[k] end
  return out
end

-- HeapAlloc of the memstats source with the most timed snapshots, with the
-- process's age at each when the evidence says it: the scrapes' start time,
-- or the gctrace time of the snapshot's last GC (NumGC; 0 before the first)
local function memstats_points(c)
  local m = c.memstats
  if not m or #m == 0 or not ev.has(m, "time") then return nil end
  local tc = m:column("time")
  local src = ev.best(m, function(s)
    local n = 0
    for _, r in ipairs(s.rows) do if tonumber(tc[r]) > 0 then n = n + 1 end end
    return n
  end)
  if not src then return nil end
  local ha = m:column("HeapAlloc")
  local ngc = ev.has(m, "NumGC") and m:column("NumGC")
  local ages = ngc and gc_ages(c)
  local out = {}
  for _, r in ipairs(src.rows) do
    if tonumber(tc[r]) > 0 then
      out[#out + 1] = { t = tonumber(tc[r]), v = tonumber(ha[r]), age = ages and ages[tonumber(ngc[r])] }
    end
  end
  table.sort(out, function(a, b) return a.t < b.t end)
  for _, p in ipairs(out) do
    if p.age == nil then ages = nil end
  end
  if not ages then
    for _, p in ipairs(out) do p.age = nil end
  end
  local start = process_start(c)
  if start and start > 0 and start <= out[1].t then
    for _, p in ipairs(out) do p.age = p.t - start end
  end
  return out, "MemStats HeapAlloc (" .. src.name .. ")"
end

-- heap profiles with a time, one per distinct time (heap.pb and
-- heap.pb.gz of one moment are one snapshot), oldest first
local function heap_profiles(c)
  -- a series of heap profiles: already in time order, one per moment
  local series = c.profile_series and c.profile_series.heap
  if series and #series >= 2 and series[1].units.inuse_space then
    local out = {}
    for _, p in ipairs(series) do   -- a profile without a time has no place on the axis
      if p.time and p.time > 0 then out[#out + 1] = p end
    end
    return out
  end
  local out, seen = {}, {}
  for kind, p in pairs(c.profiles or {}) do
    if kind:find("^heap") and p.time and p.time > 0 and p.units.inuse_space and not seen[p.time] then
      seen[p.time] = true
      out[#out + 1] = p
    end
  end
  table.sort(out, function(a, b) return a.time < b.time end)
  return out
end

local function profile_points(c)
  local ps = heap_profiles(c)
  if #ps < 2 then return nil end
  local out = {}
  for k, p in ipairs(ps) do out[k] = { t = p.time, v = p:total("inuse_space") } end
  return out, "heap profiles inuse_space", ps
end

local function dump_points(c)
  local hs_ = c.heaps
  if type(hs_) ~= "table" or #hs_ < 2 then return nil end
  local out = {}
  for k, h in ipairs(hs_) do out[k] = { t = k, v = h.objects:sum("size") } end
  return out, "heap dumps", nil, hs_
end

-- Objects matched between the dumps of a series (hs.diff): with three or
-- more, those the second-to-last dump added that the last still holds
-- (leak candidates) and those it added that were gone (temporary garbage);
-- with two, what the last added.  nil without a series.
local function dump_diff(c)
  local d = type(c.heaps) == "table" and #c.heaps >= 2 and c.heaps or nil
  if not d then return nil end
  local n = #d
  if n >= 3 then
    local x = hs.diff(d[n - 2], d[n - 1], d[n])
    return { dumps = n, kept_bytes = x.kept.bytes, kept_objects = x.kept.objects,
             garbage_bytes = x.garbage.bytes, garbage_objects = x.garbage.objects }
  end
  local x = hs.diff(d[1], d[2])
  return { dumps = n, new_bytes = x.new.bytes, new_objects = x.new.objects }
end

-- The points after the process's warm-up: where the evidence says how old
-- the process was at each point (gctrace's @t, a scrape against
-- process_start_time_seconds), those younger than `warmup` of its age at
-- the last point are start-up (caches filling, pools and connections
-- opening, a service going from idle to its load) and are not judged;
-- nor are those in its first warmup_secs: a process a few seconds old
-- cannot show a leak apart from its start.
local function after_warmup(pts, params)
  local last = pts[#pts]
  if not last or not last.age then return pts end
  local out = {}
  for _, p in ipairs(pts) do
    if p.age >= params.warmup * last.age and p.age >= params.warmup_secs then out[#out + 1] = p end
  end
  return out
end

-- The trend of a series: nil, or {from, to, t0, t1, n (points judged)}.
local function rising(pts, params)
  pts = after_warmup(pts, params)
  local n = #pts
  if n < 2 then return nil end
  if n < params.min_points then
    for k = 2, n do if pts[k].v <= pts[k - 1].v then return nil end end
    local a, b = pts[1], pts[n]
    return { from = a.v, to = b.v, t0 = a.t, t1 = b.t, n = n }
  end
  -- W windows of at least three points where the series allows (4 to 8),
  -- by position, each represented by its minimum
  local W = math.max(4, math.min(8, math.floor(n / 3)))
  local q = {}
  for k, p in ipairs(pts) do
    local w = 1 + math.floor(W * (k - 1) / n)
    if not q[w] or p.v < q[w].v then q[w] = p end
  end
  local a, b, c = q[W - 2], q[W - 1], q[W]
  local step = 0.02 * c.v
  if not (b.v - a.v >= step and c.v - b.v >= step) then return nil end
  return { from = a.v, to = c.v, t0 = a.t, t1 = c.t, n = n }
end

-- sites whose in-use bytes grew between the first and last snapshot
local function grown_sites(ps, dumps, max)
  local first, last = {}, {}
  if ps then
    for _, g in ipairs(stack.profile_sites(ps[1], "inuse_space")) do first[g.site] = g end
    for _, g in ipairs(stack.profile_sites(ps[#ps], "inuse_space")) do last[g.site] = g end
  elseif dumps then
    local function sites(h)
      local out = {}
      local t = h:by_site()
      local site, bc = ev.text(t, "site"), t:column("bytes")
      for i, r in t:rows() do
        local s = site(i, r)
        out[s] = { site = s, user = stack.is_user(s), inuse_space = tonumber(bc[r]) }
      end
      return out
    end
    first, last = sites(dumps[1]), sites(dumps[#dumps])
  else
    return nil
  end
  local out = {}
  for s, g in pairs(last) do
    local d = g.inuse_space - (first[s] and first[s].inuse_space or 0)
    if d > 0 then out[#out + 1] = { site = s, user = g.user, grew = d, now = g.inuse_space } end
  end
  table.sort(out, function(a, b)
    if a.grew ~= b.grew then return a.grew > b.grew end
    return a.site < b.site
  end)
  while #out > max do out[#out] = nil end
  return out
end

local function cgroup_max(c)
  local t = c.proc
  if not t then return nil end
  local v, kind = t:column("value"), ev.text(t, "kind")
  for i, r in t:rows() do
    if kind(i, r) == "memory.max" then
      local x = tonumber(v[r])
      if x < 2 ^ 62 then return x end
    end
  end
  return nil
end

-- goroutine counts over time: goroutine profiles with distinct times, else
-- the go_goroutines gauge of each scrape
local function goroutine_points(c)
  local out, seen = {}, {}
  for kind, p in pairs(c.profiles or {}) do
    if kind:find("^goroutine") and p.time and p.time > 0 and not seen[p.time] then
      seen[p.time] = true
      out[#out + 1] = { t = p.time, v = p:total() }
    end
  end
  if #out >= 2 then
    table.sort(out, function(a, b) return a.t < b.t end)
    return out, "goroutine profiles"
  end
  local m = c.metrics
  if not m or #m == 0 or not ev.has(m, "scrape") then return nil end
  out = {}
  local sc, val, ts, name = m:column("scrape"), m:column("value"), m:column("timestamp"), ev.text(m, "name")
  for i, r in m:rows() do
    if name(i, r) == "go_goroutines" then
      out[#out + 1] = { t = tonumber(ts[r]), s = tonumber(sc[r]), v = tonumber(val[r]) }
    end
  end
  table.sort(out, function(a, b) return a.s < b.s end)
  return out, "go_goroutines"
end

return {
  id = "heap-growth",
  summary = "live heap (or goroutine count) rising across GC cycles or snapshots, with the rate and the sites that grew",
  needs = { "gc", "memstats", "heap", "profiles.heap", "profiles.goroutine", "metrics" },
  params = { min_growth = 8 * MB, min_ratio = 0.2, min_points = 8, min_goroutines = 100, max_sites = 5,
             warmup = 0.3, warmup_secs = 10 },
  run = function(case, emit, params)
    local pts, source, ps, dumps
    for _, f in ipairs { gctrace_points, memstats_points, dump_points, profile_points } do
      local a, b, c_, d = f(case)
      if a and #a >= 2 then
        local tr = rising(a, params)
        if tr or not pts then pts, source, ps, dumps = a, b, c_, d end
        -- a long series decides: a flat one is not overruled by the few,
        -- noisier snapshots after it (scrapes that caught the warm-up)
        if tr or #a >= params.min_points then break end
      end
    end
    local tr = pts and rising(pts, params)
    if tr and tr.to - tr.from >= params.min_growth and tr.to >= tr.from * (1 + params.min_ratio) then
      local secs = tr.t1 - tr.t0
      local rate = secs > 0 and (tr.to - tr.from) / secs or nil
      if not ps and not dumps then
        local hp = heap_profiles(case)
        if #hp >= 2 then ps = hp end
        if type(case.heaps) == "table" and #case.heaps >= 2 then dumps = case.heaps end
      end
      local sites = grown_sites(ps, dumps, params.max_sites)
      local top
      for _, s in ipairs(sites or {}) do if s.user then top = s; break end end
      local limit = cgroup_max(case)
      local eta
      if limit and rate and rate > 0 and limit > tr.to then eta = (limit - tr.to) / rate end
      local where = ""
      if top then
        where = (" The site that grew most is %s (+%s, %s in use now)."):format(top.site, hs.bytes(top.grew), hs.bytes(top.now))
      elseif not sites then
        where = " Two heap profiles or dumps taken apart in time would show which sites grew (heapscope diff)."
      end
      local e = { source = source, points = tr.n, from = tr.from, to = tr.to, seconds = ev.round(secs),
                  rate_bytes_per_sec = rate and math.floor(rate + 0.5), cgroup_max = limit,
                  seconds_to_limit = eta and ev.round(eta) }
      if sites then
        e.sites = {}
        for k, s in ipairs(sites) do e.sites[k] = { site = s.site, grew = s.grew, now = s.now } end
      end
      local dd = dump_diff(case)
      if dd then
        e.dump_diff = dd
        if dd.kept_bytes then
          where = where .. (" Of what the heap dump before the last added, %s is still held in the last"
            .. " (leak candidates) and %s was temporary (heapscope diff shows where).")
            :format(hs.bytes(dd.kept_bytes), hs.bytes(dd.garbage_bytes))
        end
      end
      emit {
        severity = (eta and eta < 3600) and "error" or "warning",
        title = ("live heap grew from %s to %s%s"):format(hs.bytes(tr.from), hs.bytes(tr.to),
          rate and (" (%s/s)"):format(hs.bytes(rate)) or ""),
        message = ("The heap that survives GC rose from %s to %s over %s (%s, %d points), rising through the end of the evidence.%s%s "
          .. "Memory that only grows is held by something that keeps growing: bound the map or cache (an LRU, a size cap, expiry), "
          .. "delete entries when their work ends, and stop goroutines that hold data (see goroutine-leak)."):format(
          hs.bytes(tr.from), hs.bytes(tr.to), ev.fmt_secs(secs), source, tr.n,
          eta and (" At this rate the cgroup limit %s is reached in %s."):format(hs.bytes(limit), ev.fmt_secs(eta)) or "",
          where),
        bytes = tr.to - tr.from,
        count = tr.n,
        site = top and top.site or nil,
        evidence = e,
      }
    end

    local gp, gsrc = goroutine_points(case)
    if gp and #gp >= 2 then
      local ok = true
      for k = 2, #gp do if gp[k].v <= gp[k - 1].v then ok = false end end
      local a, b = gp[1].v, gp[#gp].v
      if ok and b - a >= params.min_goroutines and b >= a * (1 + params.min_ratio) then
        emit {
          severity = "warning",
          title = ("goroutines grew from %d to %d"):format(a, b),
          message = ("The number of goroutines rose at every one of %d snapshots (%s), from %d to %d. "
            .. "Goroutines that are started faster than they end are leaking: see goroutine-leak on a goroutine dump for where they wait."):format(
            #gp, gsrc, a, b),
          count = b - a,
          bytes = (b - a) * 2048, -- at least 2 KiB of stack each
          evidence = { source = gsrc, points = #gp, from = a, to = b },
        }
      end
    end
  end,
}
