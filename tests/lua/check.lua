-- hs.check and hs.detectors from Lua: the engine with tests/plugins.
local tap = require "hs.tap"
local c = hs.load("tests/fuzz/corpus/gctrace/go1.21.log")
local BASIC, BROKEN = "tests/plugins/basic", "tests/plugins/broken"

local d = hs.detectors({ rules = { BASIC } })
tap.ok(hs.is_table(d) and #d:where("id", "counts") == 1, "hs.detectors lists the plugins of --rules dirs")
tap.like(d:where("id", "counts")[1].params, "scale=1", "with their parameters and defaults")

local f = hs.check(c, { rules = { BASIC }, detector = "counts" })
tap.is(#f, 3, "hs.check returns the findings")
tap.is(f[1].title, "big warning", "worst first: the warning with more bytes")
tap.is(f[3].severity, "info", "info last")
tap.is(f[1].case, c.name, "each finding names its case")
tap.is(f[1].evidence.path[1].type, "main.T", "evidence comes back as Lua data")
tap.like(tostring(f), "big warning", "the findings print as a table")
tap.is(#f:table(), 3, ":table() gives an hs table")

local g = hs.check(c, { rules = { BASIC }, detector = { "counts" },
                        set = { ["counts.loud"] = true, ["counts.scale"] = 3 } })
tap.is(g[1].title, "loud error", "set= changes parameters (boolean)")
tap.is(g[2].bytes, 15000000, "set= changes parameters (number)")

local ok, err = pcall(hs.check, c, { rules = { BASIC }, detector = "counts", set = { ["counts.scale"] = "x" } })
tap.ok(not ok and tostring(err):find("must be a number"), "a bad parameter value is an error")
ok, err = pcall(hs.check, c, { rules = { BASIC }, detector = "nosuch" })
tap.ok(not ok and tostring(err):find("unknown detector nosuch"), "an unknown detector is an error")

local r = hs.check(c, { rules = { BASIC, BROKEN }, detector = { "runaway-pcall", "tail" }, budget = 1e6 })
tap.is(#r, 2, "a runaway detector and the one after it")
tap.like(r[1].title, "budget", "the runaway one ran out of its budget")
tap.is(r[2].title, "tail ran", "and the next one still ran")

-- The session goes on without the budget hook: a long loop is fine.
local n = 0
for i = 1, 3e7 do n = n + 1 end
tap.is(n, 3e7, "no budget outside detector runs")
tap.is(("x"):rep(3), "xxx", "string methods are back to normal")
tap.ok(type(string.dump) == "function", "and string.dump is still there for scripts")
os.exit(tap.done() == 0 and 0 or 1)
