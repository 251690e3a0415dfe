-- Iteration helpers call the C checkpoint every 64K rows: after a Ctrl-C
-- (simulated by sending SIGINT to ourselves) they stop with "interrupted".
local tap = require "hs.tap"
local ffi = require "ffi"
ffi.cdef [[ int getpid(void); int kill(int pid, int sig); ]]

local rows = {}
for i = 1, 200000 do rows[i] = { i } end
local t = hs.table_from("n", { { "v", "u64" } }, rows)
local seen = 0
local ok, err = pcall(function()
  return t:where(function(r)
    seen = seen + 1
    if seen == 1000 then ffi.C.kill(ffi.C.getpid(), 2) end
    return true
  end)
end)
tap.ok(not ok, "a where() over 200K rows stops after Ctrl-C")
tap.like(tostring(err), "interrupted", "with an 'interrupted' error")
tap.ok(seen < 200000, "before the end of the table (" .. seen .. " rows)")
-- and the session goes on: the next call runs normally
tap.is(#t:where(function(r) return r.v <= 10 end), 10, "the next query runs normally")
os.exit(tap.done() == 0 and 0 or 1)
