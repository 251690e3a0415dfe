-- alloc-hotspot on the samples: main.churn allocates churn_bytes of 32 KiB
-- garbage chunks (facts.json churn_function, churn_bytes) in every sample
-- program; the site and the bytes (within 10%) come from the allocs
-- profile, the heap profile or the debug=1 heap profile text alone.  The
-- healthy control churns too, but its GC is cheap: info, never a warning.
local tap = require "hs.tap"
local hs = require "hs"
local json = dofile("tests/lib/json.lua")
local D = dofile("tests/lib/detect.lua")
local ID = "alloc-hotspot"

local files = dofile("tests/lib/files.lua")
local exists = files.exists

local ran = 0
for _, prog in ipairs { "leaky", "leaky-rate1", "healthy" } do
  for _, go in ipairs { "go1.19", "go1.23" } do
    local dir = ("samples/%s/%s"):format(go, prog)
    local facts = json.read(dir .. "/facts.json")
    if facts and facts.churn_function then
      ran = ran + 1
      local inputs = { dir }
      for _, f in ipairs { "allocs.pb.gz", "heap.pb.gz", "heap-debug1.txt", "heap-debug1.txt.gz" } do
        if exists(dir .. "/" .. f) then inputs[#inputs + 1] = dir .. "/" .. f end
      end
      for _, p in ipairs(inputs) do
        local fs = D.run(hs.load(p), ID)
        local f = D.at_site(fs, facts.churn_function)
        tap.ok(f, p .. ": a finding at " .. facts.churn_function)
        if f then
          tap.ok(D.near(f.bytes, facts.churn_bytes), ("%s: %s B within 10%% of churn_bytes %d"):format(p,
            tostring(f.bytes), facts.churn_bytes))
          tap.ok(D.near(f.count, facts.churn_bytes / 32768), p .. ": count of 32 KiB chunks within 10%")
          tap.is(f.severity, "info", p .. ": info (the GC is cheap here)")
          tap.ok(type(f.evidence.stack) == "table" and #f.evidence.stack > 0, p .. ": with a stack")
        end
      end
      -- a stricter GC threshold makes the same site a warning: the severity
      -- follows the GC's cost, not the volume alone
      local fs = D.run(hs.load(dir), ID, { gc_cpu_warn = 0 })
      local f = D.at_site(fs, facts.churn_function)
      tap.is(f and f.severity, "warning", dir .. ": gc_cpu_warn=0 makes it a warning")
    end
  end
end
if ran == 0 then tap.skip("no samples with churn facts") end

for _, dir in ipairs { "samples/go1.19/healthy", "samples/go1.23/healthy", "samples/thirdparty/prometheus" } do
  if exists(dir) then
    tap.is(#D.at_least(D.run(hs.load(dir), ID), "warning"), 0, dir .. ": nothing at warning or above")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
