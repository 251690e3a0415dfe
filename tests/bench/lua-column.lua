-- Benchmark: a Lua loop over a 10-million-row u64 column, zero-copy through
-- the FFI, against the same loop in C (tests/bench/lua-column.sh runs both).
-- Prints one line per figure: name, seconds, ns per row.
local ffi = require "ffi"
local core = require "hs.core"
local N = tonumber(arg and arg[1]) or 10000000

local t = core.new_table("bench", { { name = "v", type = hs.types.u64, flags = 0 } }, N)
local a = t:unsafe_column("v")  -- filled here, before seal
local t0 = os.clock()
for i = 0, N - 1 do a[i] = i * 3 end
core.seal(t)
local function report(name, secs) print(("%-34s %8.3f s  %6.2f ns/row"):format(name, secs, secs * 1e9 / N)) end
report("fill through the FFI", os.clock() - t0)

t0 = os.clock()
local s = 0ULL
for i = 0, N - 1 do s = s + a[i] end
report("sum: for loop, t:unsafe_column()", os.clock() - t0)
assert(s == 3ULL * (N - 1) * N / 2, "wrong sum")

local c = t:column("v")              -- read-only and bounds-checked
t0 = os.clock()
s = 0ULL
for i = 0, N - 1 do s = s + c[i] end
report("sum: for loop over t:column()", os.clock() - t0)
assert(s == 3ULL * (N - 1) * N / 2, "wrong sum")

t0 = os.clock()
local s2 = t:sum("v")
report("sum: t:sum() (checkpoints)", os.clock() - t0)
assert(s2 == 3 * (N - 1) * N / 2)

t0 = os.clock()
local n = 0
for _, r in t:rows() do if c[r] % 2ULL == 0ULL then n = n + 1 end end
report("count: t:rows() + column", os.clock() - t0)

local M = math.min(N, 1000000)
t0 = os.clock()
local s3 = 0
for i = 1, M do s3 = s3 + t[i].v end
print(("%-34s %8.3f s  %6.2f ns/row  (first %d rows)"):format("sum: t[i].v row objects", os.clock() - t0,
      (os.clock() - t0) * 1e9 / M, M))
