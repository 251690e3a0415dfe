-- plugins/lib/stack.lua: the site rule (first frame outside the runtime and
-- the standard library) on names of every shape Go prints, and on the
-- goroutine stacks of the samples, where facts.json names the planted
-- function of each goroutine group.
package.path = "plugins/?.lua;" .. package.path
local tap = require "hs.tap"
local hs = require "hs"
local stack = require "lib.stack"
local json = dofile("tests/lib/json.lua")

local pkgs = {
  { "main.main", "main" },
  { "runtime.gopark", "runtime" },
  { "runtime/debug.WriteHeapDump", "runtime/debug" },
  { "net/http.(*conn).serve", "net/http" },
  { "github.com/prometheus/prometheus/scrape.(*scrapeLoop).run", "github.com/prometheus/prometheus/scrape" },
  { "gopkg.in/yaml%2ev2.(*decoder).unmarshal", "gopkg.in/yaml.v2" },  -- as the linker spells it
  { "main.(*Cache[go.shape.string]).Get", "main" },
  { "example.com/m.Map[go.shape.*uint8,github.com/x/y.T].Load", "example.com/m" },
  { "main.init.func1", "main" },
  { "sync.(*Pool).Get", "sync" },
}
for _, c in ipairs(pkgs) do tap.is(stack.package(c[1]), c[2], "package of " .. c[1]) end

local user = {
  { "main.leakyWorker", true },
  { "main.glob..func1", true },
  { "heapscope/samples/internal/evidence.(*Case).HeapDump", true },  -- a dotless module path
  { "github.com/oklog/run.(*Group).Run", true },
  { "runtime.chanrecv1", false },
  { "internal/poll.runtime_pollWait", false },
  { "vendor/golang.org/x/net/http2/hpack.(*Decoder).Write", false },
  { "type:.eq.main.Session", false },
  { "type..hash.main.Key", false },
  { "gcWriteBarrier", false },
  { "", false },
}
for _, c in ipairs(user) do tap.is(stack.is_user(c[1]), c[2], "is_user " .. c[1]) end

tap.is(stack.site { "runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.leakyWorker", "runtime.goexit" },
       "main.leakyWorker", "site of a parked worker")
local name, k = stack.site { { func = "sync.runtime_SemacquireMutex" }, { func = "sync.(*Mutex).Lock" }, { func = "main.mutexWaiter" } }
tap.is(name, "main.mutexWaiter", "site of frames given as tables")
tap.is(k, 3, "... at its index")
tap.is(stack.site { "runtime.gopark", "net/http.(*conn).serve" }, nil, "no site in a std-only stack")
tap.is(stack.short("github.com/a/b.(*T).M"), "b.(*T).M", "short drops the package directory")
tap.is(stack.short("main.f"), "main.f", "short keeps a dirless name")
local lines = stack.lines({ { func = "main.f", file = "/src/m.go", line = 7 }, "main.g", "main.h" }, 2)
tap.is(lines[1], "main.f (/src/m.go:7)", "lines: func and place")
tap.is(lines[3], "... 1 more frames", "lines: what was left out")

-- The samples: group goroutines.frames by goroutine, the site of each
-- goroutine is the planted function facts.json names.
for _, dir in ipairs { "samples/go1.19/leaky", "samples/go1.23/leaky" } do
  local facts = json.read(dir .. "/facts.json")
  local p = dir .. "/goroutines-debug2.txt"
  if not facts or not io.open(p) then
    tap.skip(dir .. ": no goroutines-debug2.txt")
  else
    local c = hs.load(p)
    local stacks = stack.group(c:table("goroutines.frames"), "goroutine", "func", "file", "line")
    local sites = {}
    for _, fr in pairs(stacks) do
      local s = stack.site(fr)
      if s then sites[s] = (sites[s] or 0) + 1 end
    end
    for _, g in ipairs(facts.goroutines) do
      tap.is(sites[g["function"]], g.count, ("%s: %d goroutines with site %s"):format(p, g.count, g["function"]))
    end
    local _, fr = next(stacks)
    tap.ok(fr[1].file ~= nil and fr[1].line ~= nil and fr[1].depth == 0, p .. ": frames carry file, line, depth 0 first")
  end
end

os.exit(tap.done() == 0 and 0 or 1)
