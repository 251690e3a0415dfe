-- case.gc over the hand-written fixtures of older gctrace formats (taken
-- from the Go runtime's format strings) and over interrupted lines.
local tap = require "hs.tap"
local hs = require "hs"

local c = hs.load("tests/fuzz/corpus/gctrace/go1.5.log")
tap.is(#c.gc, 3, "go1.5: three cycles")
tap.is(c.gc[1].clock_sweep_term, 0.054, "go1.5: first of five clock phases is sweep termination")
tap.is(c.gc[1].clock_mark_term, 0.24, "go1.5: last clock phase is mark termination")
tap.is(c.gc[2].periodic, 1, "\"GC forced\" marks the next cycle periodic")
tap.is(c.gc[3].forced, 1, "(forced)")
local scav = c:table("gc.scav")
tap.is(#scav, 3, "go1.5: scvg lines")
tap.is(scav[1].inuse, 3, "scvg inuse MB")

c = hs.load("tests/fuzz/corpus/gctrace/go1.21.log")
tap.is(c.gc[2].stacks, 1, "go1.21: MB stacks")
tap.is(c.gc[2].globals, 2, "go1.21: MB globals")
local pacer = c:table("gc.pacer")
tap.is(#pacer:where("kind", "cpu"), 2, "pacer CPU lines")
tap.is(pacer[2].heap_live, 4339432, "pacer heap_live in bytes")

-- another writer's line in the middle of a runtime line: the row is whole
local text = "gc 7 @1.000s 2%: 0.1+0.2+0.3 ms clock, 0.1+0.1/0.2/0.3+0.1 ms cpu, 2026/01/02 03:04:05 hello\n" ..
             "8->9->4 MB, 10 MB goal, 0 MB stacks, 0 MB globals, 4 P\n" ..
             "scav 02026/01/02 03:04:06 again\n KiB work (bg), 0 KiB work (eager), 3024 KiB now, 52% util\n"
c = hs.case_from_buffer("interleaved.log", text)
tap.is(#c.gc, 1, "interrupted gc line: one row")
tap.is(c.gc[1].heap_end, 9, "interrupted gc line: rest found on the next line")
tap.is(c.gc[1].procs, 4, "interrupted gc line: P count")
tap.is(c:table("gc.scav")[1].released, 3024 * 1024, "interrupted scav line glued to a date")
tap.is(#c.warnings, 0, "no warnings for rejoined lines")

-- gctrace lines inside log shippers' JSON lines: any key order and spacing,
-- "log", "message" or "msg"
local gcline = "gc 3 @2.500s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.1/0.2/0.3+0.1 ms cpu, 8->9->4 MB, 10 MB goal, 0 MB stacks, 0 MB globals, 4 P"
local shipped = table.concat({
  ('{"stream":"stderr","log":"%s\\n"}'):format(gcline),
  ('{ "message" : "%s", "kubernetes": {"pod_name": "api-0"} }'):format(gcline:gsub("gc 3", "gc 4")),
  ('{"level":"info","msg":"%s"}'):format(gcline:gsub("gc 3", "gc 5")),
}, "\n") .. "\n"
c = hs.case_from_buffer("shipped.log", shipped)
tap.is(#c.gc, 3, "JSON lines from log shippers: one row per wrapped gc line")
tap.is(c.gc[2].num, 4, "the \"message\" form's cycle number")
tap.is(c.gc[3].heap_end, 9, "the \"msg\" form's heap after the cycle")

os.exit(tap.done() == 0 and 0 or 1)
