-- case.metrics and case.memstats from three real /metrics scrapes of a
-- Debian prometheus server (samples/thirdparty/prometheus/metrics.prom):
-- one row per sample line, the scrapes our capture script marked, the Go
-- version go_info reports equal to the binary's (VERSION.txt, from
-- `go version -m`), and a memstats row per scrape under Go's names.
local tap = require "hs.tap"
local hs = require "hs"

local dir = "samples/thirdparty/prometheus/"
local f = io.open(dir .. "metrics.prom", "rb")
if not f then
  tap.skip("no samples/thirdparty/prometheus/metrics.prom")
  os.exit(tap.done() == 0 and 0 or 1)
end
local text = f:read("*a")
f:close()

local nsample, ncapture, goroutines = 0, 0, {}
for line in text:gmatch("[^\n]*") do
  if line:match("^# heapscope%-capture:") then ncapture = ncapture + 1
  elseif line ~= "" and not line:match("^#") then
    nsample = nsample + 1
    local v = line:match("^go_goroutines (%S+)$")
    if v then goroutines[#goroutines + 1] = tonumber(v) end
  end
end

local c = hs.load(dir .. "metrics.prom")
local m = c.metrics
tap.ok(m ~= nil, "case.metrics exists")
tap.is(#m, nsample, "one row per non-comment line")
local scrapes = m:group_by("scrape"):count()
tap.is(#scrapes, ncapture, "one scrape per capture marker")

local g = m:where("name", "go_goroutines")
tap.is(#g, #goroutines, "go_goroutines once per scrape")
for i = 1, #g do tap.is(g[i].value, goroutines[i], "go_goroutines value, scrape " .. i) end
tap.is(g[1].type, "gauge", "type from # TYPE")

local vf = io.open(dir .. "VERSION.txt", "rb")
local goversion = vf and vf:read("*a"):match("go version:%s*(go[%d.]+)")
if vf then vf:close() end
local info = m:where("name", "go_info")[1]
tap.is(info.labels, ('{version="%s"}'):format(goversion), "go_info says the binary's Go version")

local sum = m:where("name", "go_gc_duration_seconds_sum")
tap.is(sum[1].type, "summary", "_sum takes the summary's type")
local q = m:where("name", "go_gc_duration_seconds"):where(function(r) return r.scrape == 1 end)
tap.is(#q, 5, "five quantiles per scrape")

local ms = c.memstats
tap.is(#ms, ncapture, "a memstats row per scrape")
local ha = m:where("name", "go_memstats_heap_alloc_bytes")
for i = 1, #ms do
  tap.is(tonumber(ms[i].HeapAlloc), ha[i].value, "HeapAlloc = go_memstats_heap_alloc_bytes, scrape " .. i)
  tap.is(tonumber(ms[i].NumGC), m:where("name", "go_gc_duration_seconds_count")[i].value,
         "NumGC = go_gc_duration_seconds_count, scrape " .. i)
  tap.ge(ms[i].time, 1577836800, "scrape time from the capture marker, scrape " .. i)
end
tap.ok(ms[3].TotalAlloc >= ms[1].TotalAlloc, "TotalAlloc only grows between scrapes")
os.exit(tap.done() == 0 and 0 or 1)
