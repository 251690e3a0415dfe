-- hs.table's query helpers on a table whose contents we know.
local tap = require "hs.tap"

local spec = { { "name", "str" }, { "size", "u64", "bytes" }, { "addr", "u64", "hex" },
               { "t", "f64", "seconds" } }
local rows = {}
for i = 1, 1000 do
  rows[i] = { i % 3 == 0 and "fizz" or "other", i * 16, 0xc000000000 + i * 16, i / 4 }
end
local t = hs.table_from("demo", spec, rows)

tap.is(#t, 1000, "#t counts rows")
tap.is(t[1].name, "other", "t[i] reads a string column")
tap.is(t[3].name, "fizz", "string ids resolve per row")
tap.is(t[1000].size, 16000, "t[i] reads a u64 column")
tap.is(t[1001], nil, "a row past the end is nil")
tap.is(t[0], nil, "row 0 is nil (rows are 1-based)")
tap.is(t:get(10, "t"), 2.5, "t:get(i, col)")

local fizz = t:where(function(r) return r.name == "fizz" end)
tap.is(#fizz, 333, "where(fn) keeps the matching rows")
tap.is(fizz[1].size, 48, "a view reads its base rows")
tap.is(#t:where("name", "fizz"), 333, "where(col, value)")
tap.is(#fizz:where(function(r) return r.size > 8000 end), 167, "where on a view")

local s = t:sort("size", true)
tap.is(s[1].size, 16000, "sort descending")
tap.is(s[1000].size, 16, "sort descending, last")
tap.is(t:sort("size")[1].size, 16, "sort ascending")
tap.is(t:sort("name")[1].name, "fizz", "sort by a string column")

local top = t:top(5, "size")
tap.is(#top, 5, "top(n) has n rows")
tap.is(top[1].size, 16000, "top(n) largest first")
tap.is(top[5].size, 16000 - 4 * 16, "top(n) fifth")
tap.is(#t:top(5000, "size"), 1000, "top(n) with n > rows")

local sel = t:select("size", "name")
tap.is(table.concat(sel:columns(), ","), "size,name", "select keeps the named columns in order")
tap.is(sel[3].name, "fizz", "select copies string ids (shared pool)")
tap.is(#fizz:select("size"), 333, "select of a view materialises its rows")
tap.raises(function() return t:select("nope") end, "no column \"nope\"", "unknown columns are named")

local g = t:group_by("name"):count()
tap.is(#g, 2, "group_by:count has one row per key")
tap.is(g[1].name, "other", "largest group first")
tap.is(g[1].count, 667, "group counts")
local gs = t:group_by("name"):sum("size")
local want = 0
for i = 3, 1000, 3 do want = want + i * 16 end
local got
for _, r in t:group_by("name"):sum("size"):each() do if r.name == "fizz" then got = r.size end end
tap.is(got, want, "group_by:sum adds the column per group")
tap.is(#gs:columns(), 3, "sum table has key, sum and count")
local parity = t:group_by(function(r) return r.size % 32 == 0 and "even" or "odd" end):count()
tap.is(parity[1].count, 500, "group_by(fn)")

local n = 0
for i, r in t:each() do n = n + 1 end
tap.is(n, 1000, "each() visits every row")
tap.is(t:sum("size"), 16 * 1000 * 1001 / 2, "sum(col)")
tap.is(t:max("size"), 16000, "max(col)")
tap.is(t:min("t"), 0.25, "min(col)")

-- zero-copy: the column pointer reads the same values as rows
local a = t:column("size")
tap.is(tonumber(a[9]), 160, "column() is the C array, 0-based")
local idx = fizz:index()
tap.is(tonumber(a[idx[0]]), 48, "a view's index() gives base rows")
tap.is(t:index(), nil, "a base table has no index")

-- 64-bit values beyond 2^53 stay exact
local big = hs.table_from("big", { { "v", "u64" } }, { { 0ULL + 18446744073709551615ULL } })
tap.is(tostring(big[1].v), "18446744073709551615ULL", "u64 beyond 2^53 stays exact")

-- printing: aligned, human sizes, hex addresses, truncated with a count
local text = hs.format(t, { rows = 5, width = 100 })
tap.like(text, "1000 rows", "printing gives the row count")
tap.like(text, "995 more", "printing says how many rows were left out")
tap.like(text, "0xc000000010", "hex columns print as addresses")
tap.like(hs.format(t:sort("size", true), { rows = 1 }), "15.6 KiB", "byte columns print human sizes")
local narrow = hs.format(t:head(2), { width = 30 })
for line in narrow:gmatch("[^\n]+") do
  if #line > 30 then tap.ok(false, "a line is wider than the terminal: " .. line) end
end
tap.like(narrow, "1 column hidden", "columns that do not fit are counted")
tap.is(hs.bytes(41943040), "40.0 MiB", "hs.bytes")

os.exit(tap.done() == 0 and 0 or 1)
