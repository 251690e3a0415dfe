-- Every example help() shows runs, in order, against the case help() is
-- written for (samples/go1.23/leaky); help() names every field and method
-- of hs, of a case, a heap, an object, a profile and a table.
local tap = require "hs.tap"
local hs = require "hs"
local help = require "hs.help"
local repl = require "hs.repl"

hs.open_options = { nocache = true }  -- never write index files into samples/

local dir = "samples/go1.23/leaky"
if not io.open(dir .. "/facts.json") then
  tap.skip("no " .. dir)
  os.exit(tap.done() == 0 and 0 or 1)
end
local list = hs.open(dir)
_G.cases, _G.case = list, list[1]

-- help(x) and friends print: their output is captured, the TAP stream
-- stays clean
local real_write = io.write
local captured = {}
local function capture(fn, ...)
  captured = {}
  io.write = function(...) for _, s in ipairs({ ... }) do captured[#captured + 1] = tostring(s) end end
  local r = { pcall(fn, ...) }
  io.write = real_write
  return unpack(r)
end

local function run(ex)
  local f = loadstring("return " .. ex, "=example") or loadstring(ex, "=example")
  if not f then return false, "does not compile" end
  return capture(function() return hs.format((f())) end)
end

local examples = help.examples()
for _, ex in ipairs(examples) do
  local ok, err = run(ex)
  tap.ok(ok, "help example runs: " .. ex .. (ok and "" or ("  -- " .. tostring(err))))
end
-- the Lua examples README.md shows run too
local f = io.open("README.md")
local readme = f and f:read("*a") or ""
if f then f:close() end
local nreadme = 0
for block in readme:gmatch("```lua\n(.-)```") do
  for line in block:gmatch("[^\n]+") do
    nreadme = nreadme + 1
    local ok, err = run(line)
    tap.ok(ok, "README example runs: " .. line .. (ok and "" or ("  -- " .. tostring(err))))
  end
end
tap.ok(nreadme >= 5, ("README shows Lua examples (%d)"):format(nreadme))
tap.ok(#examples >= 60, ("help() has an example per entry (%d)"):format(#examples))

-- help() mentions every public name of what it documents
local text = help.text()
local function names_of(t, skip)
  local out = {}
  for k, v in pairs(t) do
    if type(k) == "string" and not k:match("^_") and not (skip and skip[k]) then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end
local function documented(what, names, prefix)
  local missing = {}
  for _, k in ipairs(names) do
    local pat = prefix .. k:gsub("%p", "%%%0") .. "%f[^%w_]"
    if not text:find(pat) then missing[#missing + 1] = k end
  end
  tap.is(table.concat(missing, ", "), "", what .. ": help() names every one")
end
-- internals that scripts do not call: the machinery hs.load and the C side use
local internal = { wrap_case = true, attachers = true, open_options = true, explain = true,
                   evidence = true, evidence_order = true, cases = true, Case = true }
documented("hs", names_of(hs, internal), "hs%.")
documented("case methods", names_of(hs.Case, { __index = true, __tostring = true }), "case:")
local heap = require "hs.heap"
documented("heap methods", names_of(heap.Heap, { __index = true, __tostring = true }), "h:")
documented("object methods", names_of(heap.Object, { __index = true, __tostring = true, __eq = true }), "o:")
documented("object fields", names_of(heap.getters), "o%.")
documented("profile methods", names_of(require("hs.profile").Profile, { __index = true }), "p:")
documented("table methods", names_of(require("hs.table").methods), "t:")

-- help(x) says what x is and shows its section
local o = case.heap:top_retainers(1)[1]:object()
for _, x in ipairs({ { case, "A case" }, { case.heap, "The heap dump" }, { o, "An object" },
                     { case.heap:top_retainers(1)[1]:path()[1], "An object" },
                     { case.heap:top_retainers(1)[1], "An object" },
                     { case.profiles.heap, "A profile" }, { case.gc, "Every table" } }) do
  capture(repl.help, x[1])
  tap.like(table.concat(captured), x[2], "help(x) on " .. x[2]:lower() .. " shows its section")
end
tap.ok(not text:find("heapscope check") and not text:find("heapscope detectors"),
  "help() advertises no command that does not exist")

os.exit(tap.done() == 0 and 0 or 1)
