-- case.goroutines from the forms a dump takes in the wild: inside Kubernetes
-- CRI and Docker json-file logs, next to gctrace lines, cut short.
local tap = require "hs.tap"
local hs = require "hs"

local dump = table.concat({
  "2026/01/02 03:04:05 starting",
  "panic: boom",
  "",
  "goroutine 7 [running]:",
  "main.crash(0x1)",
  "\t/src/app/main.go:12 +0x1d",
  "created by main.main in goroutine 1",
  "\t/src/app/main.go:20 +0x45",
  "",
  "goroutine 1 [chan receive, 3 minutes, locked to thread]:",
  "main.main()",
  "\t/src/app/main.go:22 +0x9a",
  "exit status 2",
}, "\n") .. "\n"

local function check(c, what)
  tap.is(#c.goroutines, 2, what .. ": two goroutines")
  local g = c.goroutines
  tap.is(g[1].id, 7, what .. ": id")
  tap.is(g[1].top, "main.crash", what .. ": leaf function")
  tap.is(g[1].created_by, "main.main", what .. ": creator")
  tap.is(g[1].created_by_goroutine, 1, what .. ": creator goroutine")
  tap.is(g[1].reason, "panic: boom", what .. ": reason")
  tap.is(g[2].wait_minutes, 3, what .. ": wait minutes")
  tap.is(g[2].locked, 1, what .. ": locked to thread")
  local f = c:table("goroutines.frames")
  tap.is(f[1].file, "/src/app/main.go", what .. ": frame file")
  tap.is(f[1].line, 12, what .. ": frame line")
end

check(hs.case_from_buffer("plain.log", dump), "plain")

local cri, docker, i = {}, {}, 0
for l in dump:gmatch("([^\n]*)\n") do
  i = i + 1
  local ts = ("2024-05-01T10:00:00.%06dZ"):format(i)
  if #l > 10 then -- split long lines into a partial and a final record
    cri[#cri + 1] = ts .. " stderr P " .. l:sub(1, 10)
    cri[#cri + 1] = ts .. " stderr F " .. l:sub(11)
  else
    cri[#cri + 1] = ts .. " stderr F " .. l
  end
  local j = l:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\t", "\\t")
  docker[#docker + 1] = ('{"log":"%s\\n","stream":"stderr","time":"%s"}'):format(j, ts)
end
check(hs.case_from_buffer("cri.log", table.concat(cri, "\n") .. "\n"), "CRI")
check(hs.case_from_buffer("docker.log", table.concat(docker, "\n") .. "\n"), "Docker")

-- Log shippers write JSON lines their own way: keys in any order, blanks
-- anywhere JSON allows them, the text under "log" (Fluent Bit), "message"
-- (Vector, Logstash) or "msg" (zap, slog), other members nested or not.
local forms = {
  ["Fluent Bit"] = function(j, ts) return ('{"date":1714557600.5, "stream":"stderr", "time":"%s", "log":"%s\\n"}'):format(ts, j) end,
  Vector = function(j, ts) return ('{ "timestamp" : "%s" , "message" : "%s" , "source_type" : "kubernetes_logs" }'):format(ts, j) end,
  slog = function(j, ts) return ('\t{"level":"ERROR","attrs":{"log":1,"x":[1,{"msg":"no"}]},"msg":"%s","time":"%s"}  '):format(j, ts) end,
}
for name, form in pairs(forms) do
  local lines, k = {}, 0
  for l in dump:gmatch("([^\n]*)\n") do
    k = k + 1
    local j = l:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\t", "\\t")
    lines[#lines + 1] = form(j, ("2024-05-01T10:00:00.%06dZ"):format(k))
  end
  check(hs.case_from_buffer(name .. ".log", table.concat(lines, "\n") .. "\n"), name)
end
-- "log" only inside a nested member, or a line that is not one JSON object:
-- not a wrapper, so nothing is unwrapped from it
local c0 = hs.case_from_buffer("nested.log", '{"a":{"log":"goroutine 1 [running]:\\n"}}\n' ..
  '{"log":"goroutine 1 [running]:\\n"} trailing\n', "goroutines")
tap.is(c0.goroutines and #c0.goroutines or 0, 0, "JSON that only nests a log key, or is followed by text, is not unwrapped")

-- with gctrace lines around it: both tables, whichever loader is asked
local mixed = "gc 1 @0.006s 1%: 0.024+1.3+0.011 ms clock, 0.049+0.16/0/0+0.023 ms cpu, " ..
              "3->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" .. dump
for _, kind in ipairs { "gctrace", "goroutines" } do
  local c = hs.case_from_buffer("mixed.log", mixed, kind)
  tap.is(c.gc and #c.gc or 0, 1, "mixed log as " .. kind .. ": the gc line")
  tap.is(c.goroutines and #c.goroutines or 0, 2, "mixed log as " .. kind .. ": the goroutines")
end

-- cut inside a frame: the complete goroutines and a warning with the line
local cut = dump:sub(1, dump:find("main.main()", 1, true) + 4)
local c = hs.case_from_buffer("cut.log", cut)
tap.is(#c.goroutines, 2, "cut dump: both goroutines kept")
local w = c.warnings[1]
tap.ok(w ~= nil, "cut dump: a warning")
if w then tap.like(tostring(w.message or w), "ends inside", "cut dump: says the file ends inside a stack") end

os.exit(tap.done() == 0 and 0 or 1)
