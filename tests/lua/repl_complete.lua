-- The REPL's tab completion, called directly: globals, fields, methods,
-- columns, nested paths, the cursor in mid-line, and never a metamethod.
local tap = require "hs.tap"
local repl = require "hs.repl"
local complete = repl.complete

local function has(list, word)
  for _, w in ipairs(list) do if w == word then return true end end
  return false
end
local function all_start(list, prefix)
  for _, w in ipairs(list) do
    if w:sub(1, #prefix) ~= prefix then return false end
  end
  return true
end
local function same(list, want)
  return table.concat(list, " ") == table.concat(want, " ")
end
local function show(list) return "{" .. table.concat(list, ", ") .. "}" end

-- globals and keywords
local g = complete("pri")
tap.ok(has(g, "print"), "globals: pri -> print " .. show(g))
tap.ok(all_start(g, "pri"), "globals: every candidate starts with the word")
tap.ok(has(complete("fun"), "function"), "keywords: fun -> function")
tap.ok(has(complete(""), "hs"), "empty word lists the globals")

-- fields of a module table
local h = complete("hs.lo")
tap.ok(has(h, "hs.load"), "fields: hs.lo -> hs.load " .. show(h))
tap.ok(all_start(h, "hs.lo"), "fields: candidates are full replacement words")
tap.ok(same(complete("string.fo"), { "string.format" }), "fields: string.fo -> string.format")
tap.ok(not has(complete("hs."), "hs._init"), "names starting with _ are hidden")
tap.ok(has(complete("hs._"), "hs._init"), "... unless the word asks for them")

-- nested paths and __index tables (including a hidden metatable)
_G.deep = { b = { c = { delta = 1, deep = 2, other = 3 } } }
tap.ok(same(complete("deep.b.c.de"), { "deep.b.c.deep", "deep.b.c.delta" }), "nested path a.b.c.de")
_G.obj = setmetatable({ own = 1 }, { __index = setmetatable({ inherited = 2 },
                                     { __index = { grand = 3 } }), __metatable = false })
local o = complete("obj.")
tap.ok(has(o, "obj.own") and has(o, "obj.inherited") and has(o, "obj.grand"),
       "fields through an __index chain, despite __metatable " .. show(o))
tap.ok(same(complete("nosuch.x"), {}), "an unknown path gives nothing")
tap.ok(same(complete("deep.b.nope.x"), {}), "a path that ends early gives nothing")
tap.ok(same(complete("1.5"), {}), "a number is not a path")
tap.ok(same(complete('print("hs.lo'), {}), "nothing inside a string literal")

-- the cursor in mid-line: only the text before it counts
local line = "print(hs.lo) + 1"
tap.ok(has(complete(line, #"print(hs.lo"), "hs.load"), "cursor in mid-line")

-- methods: after ':' only functions
_G.c = hs.case_from_buffer("repl-test", "", nil)
local m = complete("c:su")
tap.ok(has(m, "c:summary"), "methods of a case: c:su -> c:summary " .. show(m))
tap.ok(not has(complete("c:na"), "c:name"), "':' offers no plain fields (c.name is a string)")
tap.ok(has(complete("c.na"), "c.name"), "'.' offers the fields")

-- hs.table: methods and column names
_G.t = hs.table_from("objects", { { "name", "str" }, { "heap_end", "u64", "bytes" },
                                   { "heap_start", "u64", "bytes" }, { "num", "u32" } },
                     { { "a", 10, 1, 1 }, { "b", 20, 2, 2 } })
tap.ok(same(complete("t:so"), { "t:sort" }), "table methods: t:so -> t:sort")
tap.ok(has(complete("t:gr"), "t:group_by"), "table methods: t:gr -> t:group_by")
tap.ok(same(repl.columns_of(t), { "name", "heap_end", "heap_start", "num" }), "columns_of lists the columns")
tap.ok(same(complete('t:sort("he'), { "heap_end", "heap_start" }), "columns in a string argument")
tap.ok(same(complete("t:top(5, 'nu"), { "num" }), "columns after another argument, single quotes")
tap.ok(same(complete('x = t:sort("heap_e") + 1', #'x = t:sort("heap_e'), { "heap_end" }),
       "columns with the cursor in mid-line")
tap.ok(same(complete('t:where(function(r) return r.num > 1 end):sort("heap_end"):top(3, "n'), { "name", "num" }),
       "columns through a chain of where/sort/top calls (none of them run)")
tap.ok(same(complete('t:group_by("name"):sum("heap_s'), { "heap_start" }), "columns for :sum after group_by")
tap.ok(same(complete('t:select("name"):sort("n'), {}), "no guess after select (columns change)")
tap.ok(same(complete('f().t:sort("n'), {}), "no columns for a field of a call result")
_G.nested = { tab = t }
tap.ok(same(complete('nested.tab:where("na'), { "name" }), "columns of a table reached by a path")
tap.ok(same(complete('print("he'), {}), "no columns for a call on nothing")

-- never a metamethod
local calls = 0
local function trap() calls = calls + 1; error("metamethod called") end
_G.bomb = setmetatable({ safe = 1 }, { __index = trap, __newindex = trap, __len = trap,
                                        __call = trap, __pairs = trap, __tostring = trap })
_G.wrap = { inner = bomb }
local ok, r = pcall(complete, "bomb.")
tap.ok(ok and same(r, { "bomb.safe" }), "a table whose __index errors: raw fields only")
ok, r = pcall(complete, "bomb.x.y")
tap.ok(ok and same(r, {}), "no lookup through an erroring __index")
ok, r = pcall(complete, "wrap.inner:f")
tap.ok(ok and same(r, {}), "methods of it: nothing, no call")
ok, r = pcall(complete, 'bomb:sort("a')
tap.ok(ok and same(r, {}), "string-argument completion on it: nothing, no call")
local u = newproxy(true)
getmetatable(u).__index = trap
_G.ud = u
ok, r = pcall(complete, "ud.x")
tap.ok(ok and same(r, {}), "a userdata whose __index is a function")
tap.is(calls, 0, "no metamethod ran")

-- a class whose __index is a function reading a methods table and lazy
-- getters (heap.lua's shape): names from its upvalues, nothing runs
local ran = 0
local Class, getters = {}, { retained = function() ran = ran + 1; return 1 end }
function Class:referrers() ran = ran + 1 end
Class.__index = function(o, k)
  ran = ran + 1
  local m = Class[k]
  if m ~= nil then return m end
  local g = getters[k]
  if g then return g(o) end
end
_G.lazy = setmetatable({ addr = 1 }, Class)
tap.ok(same(complete("lazy."), { "lazy.addr", "lazy.referrers", "lazy.retained" }),
       "fields served by an __index function, from its upvalue tables " .. show(complete("lazy.")))
tap.ok(same(complete("lazy:"), { "lazy:referrers" }), "after ':' only its methods, not lazy fields")
tap.ok(same(complete("lazy.retained.x"), {}), "a lazy field is not computed to go deeper")
tap.is(ran, 0, "neither __index nor a getter ran")
tap.ok(same(complete("hs.format.x"), {}), "a function is not a path")

-- help and the result display
tap.like(repl.overview, "hs%.load", "help() text names hs.load")
tap.like(repl.overview, "case%.gc", "help() text names case.gc")
local out = {}
local write = io.write
io.write = function(...) for _, s in ipairs({ ... }) do out[#out + 1] = s end end
local okh, errh = pcall(function()
  repl.help(setmetatable({}, { __index = { __help = "the help of a thing" } }))
  repl.help({ _help = function() return "computed help" end })
  repl.help(t)
  repl.help()
end)
io.write = write
local text = table.concat(out)
tap.ok(okh, "help runs " .. tostring(errh))
tap.like(text, "the help of a thing", "help(x) prints x.__help")
tap.like(text, "computed help", "help(x) calls a _help function")
tap.like(text, "columns: name, heap_end, heap_start, num", "help(table) lists its columns")
tap.like(text, "t:where%(fn%)", "help() prints the overview")
tap.is(repl.show({ width = 80 }, 1, "a", nil), "1\ta\tnil", "results are tab-separated")
local big = ("x"):rep(300000)
local shown = repl.show({ width = 80 }, big)
tap.ok(#shown < 4096 and shown:find("300000 bytes", 1, true),
  "a 300000-byte string prints its start and its length, not all of it")
local bad = setmetatable({}, { __tostring = function() error("no text for me") end })
local okb, sb = pcall(repl.show, {}, bad, 2)
tap.ok(okb and sb:find("no text for me", 1, true) and sb:find("\t2$"),
       "a value that cannot be formatted still prints, with the reason: " .. tostring(sb))

os.exit(tap.done() == 0 and 0 or 1)
