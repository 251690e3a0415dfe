-- alloc-hotspot: sites that dominate allocation volume.
--
-- From an allocs profile (else the heap profile, which carries the same
-- alloc_space/alloc_objects counters since the program started, else the
-- debug=1 heap profile text), allocated bytes are summed per site: the
-- first frame in the user's code.  Each site with at least min_share of all
-- allocated bytes and min_bytes is a finding.  Allocation is not a fault by
-- itself: it is info, and a warning only when the GC is costly too (a GC
-- CPU share of gc_cpu_warn or more, from MemStats GCCPUFraction or the last
-- gctrace line; 25% by default, since Go 1.19 counts idle mark workers in
-- GCCPUFraction and small busy programs reach 10%) and the site has
-- warn_share of the volume.
local stack = require "lib.stack"
local ev = require "lib.evidence"

local function pick_profile(c)
  local ps = c.profiles or {}
  for _, k in ipairs { "allocs", "heap", "heap_text" } do
    local p = ps[k]
    if p and p.samples and #p.samples > 0 and p.units.alloc_space then return p end
  end
  return nil
end

-- The GC's share of CPU since the program started, or nil.
local function gc_cpu(c)
  local m = c.memstats
  if m and #m > 0 and ev.has(m, "GCCPUFraction") then
    local tot, fr = m:column("TotalAlloc"), m:column("GCCPUFraction")
    local best, v
    for _, r in m:rows() do
      if not best or tonumber(tot[r]) > best then best, v = tonumber(tot[r]), tonumber(fr[r]) end
    end
    if v and v > 0 then return v, "MemStats GCCPUFraction" end
  end
  local src = ev.best(c.gc)
  if src then
    local pct = ev.nums(c.gc, "cpu_pct", src.rows)
    return pct[#pct] / 100, "gctrace"
  end
  return nil
end

return {
  id = "alloc-hotspot",
  summary = "sites that dominate allocation volume in an allocs profile",
  needs = { "profiles.allocs", "profiles.heap", "profiles.heap_text" },
  params = { min_share = 0.2, min_bytes = 16 * 1048576, warn_share = 0.5, gc_cpu_warn = 0.25, max_sites = 3,
             max_frames = 12 },
  run = function(case, emit, params)
    local p = pick_profile(case)
    if not p then return end
    local sites = stack.profile_sites(p, "alloc_space", "alloc_objects")
    local total = 0
    for _, g in ipairs(sites) do total = total + g.alloc_space end
    if total <= 0 then return end
    local cpu, cpu_src = gc_cpu(case)
    local n = 0
    for _, g in ipairs(sites) do
      local share = g.alloc_space / total
      if n >= params.max_sites or share < params.min_share then break end
      if g.alloc_space >= params.min_bytes then
        n = n + 1
        local avg = g.alloc_objects > 0 and g.alloc_space / g.alloc_objects or 0
        local lever
        if g.alloc_objects == 0 then
          lever = "Reuse buffers (a sync.Pool, or one buffer per worker), preallocate slices and maps with their final size, and check what escapes to the heap with go build -gcflags=-m"
        elseif avg >= 32768 then
          lever = ("Objects average %s: reuse the buffers (a sync.Pool, or one buffer per worker reset with buf[:0] or bytes.Buffer.Reset) instead of allocating one per use"):format(hs.bytes(avg))
        else
          lever = ("Many small objects (%s on average): preallocate slices and maps with their final size, avoid string/[]byte conversions and fmt in hot paths, and check what escapes to the heap with go build -gcflags=-m"):format(hs.bytes(avg))
        end
        local costly = cpu and cpu >= params.gc_cpu_warn
        emit {
          severity = (g.user and costly and share >= params.warn_share) and "warning" or "info",
          title = ("%s allocates %s of all allocated bytes (%s)"):format(stack.short(g.site), ev.pct(share), hs.bytes(g.alloc_space)),
          message = ("%s allocated %s%s, %s of the %s the %s profile records%s. Every allocated byte is work for the GC. %s."):format(
            g.site, hs.bytes(g.alloc_space), g.alloc_objects > 0 and (" in %d objects"):format(g.alloc_objects) or "",
            ev.pct(share), hs.bytes(total), p.kind,
            cpu and ("; the GC takes %s of the CPU (%s)"):format(ev.pct(cpu), cpu_src) or "", lever),
          bytes = g.alloc_space,
          count = g.alloc_objects > 0 and g.alloc_objects or nil,
          site = g.user and g.site or nil,
          evidence = { profile = p.kind, source = p.source, share = ev.round(share), total_bytes = total,
                       average_bytes = g.alloc_objects > 0 and math.floor(avg + 0.5) or nil,
                       gc_cpu_fraction = ev.round(cpu),
                       stack = stack.lines(p:stack(g.sample), params.max_frames) },
        }
      end
    end
  end,
}
