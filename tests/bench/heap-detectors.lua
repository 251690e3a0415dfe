-- Run every detector plugin of plugins/ on the first case and print the
-- CPU seconds each took, heap detectors first; the graph is built before
-- the first one runs and timed apart.  Used by tests/bench/heap-detectors.sh
-- while `heapscope check` is not there; reads plugins from the source tree.
--   heapscope run tests/bench/heap-detectors.lua DUMP
package.path = "plugins/?.lua;" .. package.path
local ids = { "slice-retention", "dominant-retainer", "finalizer-cycle", "pool-misuse",
              "http-body-leak", "goroutine-leak", "heap-growth", "gc-thrash", "gc-pause",
              "rss-gap", "alloc-hotspot" }
local c = case
local t0 = os.clock()
local s = c.heap and c.heap.stats
local out = { ("graph           %6.2f s cpu (%d objects, %d edges)"):format(os.clock() - t0,
  s and s.objects or 0, s and s.edges or 0) }
local total = 0
for _, id in ipairs(ids) do
  local f = io.open("plugins/" .. id .. ".lua")
  if f then
    f:close()
    local p = dofile("plugins/" .. id .. ".lua")
    local params = {}
    for k, v in pairs(p.params or {}) do params[k] = v end
    local n = 0
    local t1 = os.clock()
    p.run(c, function() n = n + 1 end, params)
    local dt = os.clock() - t1
    total = total + dt
    out[#out + 1] = ("%-17s %6.2f s cpu, %d findings"):format(id, dt, n)
  end
end
out[#out + 1] = ("all detectors     %6.2f s cpu"):format(total)
print(table.concat(out, "\n"))
