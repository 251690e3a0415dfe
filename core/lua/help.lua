-- hs.help: the text of help(), as data.
--
-- Each section lists what exists, one entry per table, field, method or
-- function: { signature, what it is, example }.  Every example is a line a
-- user can type as it stands, run in order with `case` the bundled
-- samples/go1.23/leaky (tests/lua/help_examples.lua runs them all, so help
-- shows nothing that fails); examples that set a variable (o = ..., p = ...)
-- prepare the ones after them.  help() prints every section; help("heap")
-- one; help(x) picks x's section by its kind (repl.lua).
local M = {}

M.intro = [[
heapscope: where is the memory of a Go process going, and why is it not coming back?
Start with overview(), then follow the calls it names.  Rows, ids and indexes are
1-based everywhere (o.id is the object's row in heap.objects, a root's index its row
in heap.roots); only the C arrays of t:column() count from 0.]]

M.sections = {
  { name = "start", title = "Start here", entries = {
    { "overview([c])", "what each case holds and its headline numbers", "overview()" },
    { "case", "the first case loaded: all evidence about one process", "case" },
    { "cases", "every case loaded", "#cases" },
    { "help([x])", "this text; help(x) says what x is and what to do with it", "help(case.gc)" },
    { "hs.load(path...)", "load files, a directory or an archive as another case",
      'c2 = hs.load("samples/go1.23/leaky/gctrace.log")' },
    { "hs.open(path...)", "every case the paths make (a directory of cases gives several)",
      '#hs.open("samples/go1.23/leaky/gctrace.log")' },
  } },
  { name = "case", title = "A case (fields are nil when that evidence was not loaded)", entries = {
    { "case.name, case.inputs", "what was loaded: name, kind, size of each input", "case.inputs[1]" },
    { "case.warnings, case.errors", "problems met while loading, with file:line or offset", "#case.warnings" },
    { "case.tables, case:table(name)", "every table by name", 'case:table("heap.roots")' },
    { "case:has(name)", "whether the case has that table", 'case:has("gc")' },
    { "case:summary()", "inputs and tables with row counts", "case:summary()" },
    { "case.heap", "the heap dump (see help(\"heap\"))", "case.heap" },
    { "case.heaps", "all heap dumps, oldest first (earlier ones load when used)",
      "#case.heaps" },
    { "case.profiles.KIND", "pprof profiles: heap allocs goroutine mutex block cpu threadcreate",
      "case.profiles.heap" },
    { "case.profile_series.KIND", "profiles of one kind loaded more than once, oldest first",
      "case.profile_series" },
    { "case.gc", "gctrace, one row per GC cycle (heap columns in MB as Go prints them)",
      'case.gc:top(5, "heap_end")' },
    { "case.memstats", "runtime.MemStats snapshots in time order, each with its source",
      "case.memstats[#case.memstats].HeapInuse" },
    { "case.goroutines", "goroutines of one snapshot (the most complete), each row with its source",
      'case.goroutines:group_by("state"):count()' },
    { "case.goroutine_snapshots", "every goroutine snapshot: source, form, goroutines, rows",
      "case.goroutine_snapshots" },
    { "case:goroutine_stacks([snap])", "goroutines grouped by full stack, as pprof -traces",
      "case:goroutine_stacks()" },
    { "case.metrics, case.proc", "Prometheus metrics; /proc and cgroup memory", 'case.proc:where("key", "VmRSS")' },
  } },
  { name = "heap", title = "The heap dump h = case.heap", entries = {
    { "h.objects, .roots, .goroutines, .frames, .finalizers, .memprof ...",
      "the dump's tables (case.tables lists all heap.*)", "#case.heap.objects" },
    { "h.params", "go_version, arch, ptr_size, ncpu ...", "case.heap.params.go_version" },
    { "h.unreachable, h.stats", "garbage not yet swept; graph counts", "case.heap.unreachable.count" },
    { "h:top_retainers([n])", "the top of the dominator tree; rows are objects",
      "case.heap:top_retainers(5)" },
    { "h:dominated([n])", "the objects only GC roots dominate, largest retained first",
      "case.heap:dominated(3)" },
    { "h:tree([o] [, depth])", "the dominator tree, chains (lists, rings) collapsed to one line",
      "case.heap:tree(2)" },
    { "h:by_type([n]), h:by_site([n])", "count, bytes, retained per type / allocation site",
      "case.heap:by_site(5)" },
    { "row:objects()", "the objects of a by_type / by_site row", "#case.heap:by_site(1)[1]:objects()" },
    { "h:object(addr)", "the object at or inside addr", "case.heap:object(case.heap.objects[1].addr)" },
    { "h:object_at(id)", "the object with that id (its heap.objects row)", "case.heap:object_at(1)" },
    { "h:root(i)", "root i (heap.roots row) named for people", "case.heap:root(1)" },
    { "h:scan_slices([min_size])", "slice and string headers using a small part of large objects",
      "#case.heap:scan_slices()" },
    { "h:accumulation(ids [, ratio])", "accumulation points below objects ids, in C (detectors)",
      "case.heap:accumulation({case.heap:top_retainers(1)[1].id})" },
    { "h:dominated_summary(ids)", "what each of ids dominates, by site and type (detectors)",
      "case.heap:dominated_summary({1})[1].objects" },
    { "h:scan_pools(), h:pool_aliases(ids)", "sync.Pools found by shape; their buffers held elsewhere",
      "#case.heap:scan_pools()" },
    { "h:reaches_self(ids [, budget])", "whether each object reaches itself (1, 0, -1: undecided)",
      "case.heap:reaches_self({1})" },
    { "h.graph", "retained, count, idom, parent, depth per object: zero-copy, for detectors",
      'case.heap.graph:top(3, "retained")' },
  } },
  { name = "object", title = "An object o (rows of top_retainers, paths and object lists are objects too)", entries = {
    { "o = ...", "take one: the second top retainer", "o = case.heap:top_retainers(3)[2]:object()" },
    { "o.id o.addr o.size o.retained o.count", "identity, bytes, bytes and objects it keeps alive", "o.retained" },
    { "o.type o.type_addr o.depth o.bucket o.site_name",
      "type (when known), hops from a root, heap.memprof row and function of its allocation", "o.depth" },
    { "o:path([{exclude = {x, {a, b}}}])", "shortest path from a GC root, one step per line; exclude objects or edges for another",
      "o:path()" },
    { "o:paths([n])", "up to n paths, each through a different referrer", "o:paths(2)" },
    { "o:referrers(), o:referents()", "objects pointing at it / it points at, with field offsets", "o:referents()" },
    { "o:roots()", "GC roots pointing straight at it", "o:roots()" },
    { "o:dominator(), o:dominated([n])", "who keeps it alive alone; what it alone keeps alive", "o:dominated(3)" },
    { "o:accumulation()", "where its retained size spreads out (a list's head), chain length", "o:accumulation()" },
    { "o:site()", "allocation stack when the allocation was sampled", "o:site()" },
    { "o:hexdump([off [, n]])", "bytes with offsets and ASCII, 256 at most unless n says", "o:hexdump(0, 32)" },
    { "o:word(off), o:words([off [, n]])", "pointer-sized words, exact, addresses in hex", "o:words()" },
    { "o:bytes([off [, n]])", "raw bytes as a Lua string", "#o:bytes()" },
    { "o:ptr(off)", "the object the pointer at off points into", "o:ptr(8)" },
    { "o:slice(off), o:str(off), o:iface(off)", "Go slice / string / interface headers; .target is the object",
      "o:slice(16)" },
    { "o:string([off])", "the Go string at off as a Lua string", "o:string(16)" },
  } },
  { name = "profile", title = "A profile p = case.profiles.heap (or .allocs, .goroutine ...)", entries = {
    { "p = ...", "take one", "p = case.profiles.heap" },
    { "p:top([n [, type [, by]]])", "like go tool pprof -top (by function, file or address)", 'p:top(5, "inuse_space")' },
    { "p:diff(base [, type [, by]])", "what grew against another profile", 'p:diff(case.profiles.heap, "inuse_space")' },
    { "p:diff_top(base [, n [, type [, by]]])", "like go tool pprof -top -diff_base base p",
      'p:diff_top(case.profiles.heap, 5, "inuse_space")' },
    { "p:diff_stacks(base [, n [, type [, by]]])", "what grew per whole stack, frames by \"function\" or \"line\"",
      'p:diff_stacks(case.profiles.heap, 5, nil, "line")' },
    { "p:stack(i [, by]), p:total(type)", "frames of sample i, leaf first; the sum of a sample type", 'p:total("inuse_space")' },
    { "p.sample_types, p.units, p.samples ...", "the profile's parts as tables", "p.sample_types" },
  } },
  { name = "table", title = "Every table t (columnar, rows 1-based)", entries = {
    { "t = ...", "take one", "t = case.gc" },
    { "#t, t[i], t:get(i, col)", "row count; row i as a Lua table; one cell", "t[1].heap_end" },
    { "t:columns(), t:coltype(col), t:name()", "column names and types", "t:columns()" },
    { "t:where(fn) / t:where(col, v)", "rows where fn(row) is true / col equals v",
      "t:where(function(r) return r.heap_end > 100 end)" },
    { "t:sort(col [, desc]), t:top(n, col), t:head(n)", "views in another order or shorter", 't:sort("heap_end", true)' },
    { "t:select(col, ...)", "only these columns", 't:select("num", "heap_end")' },
    { "t:group_by(col | fn)", "then :count(), :sum(col), :keys(), :each()", 't:group_by("source"):count()' },
    { "t:sum(col), t:max(col), t:min(col), t:values(col)", "aggregates", 't:max("heap_end")' },
    { "t:each()", "for i, row in t:each() do ... end", "for i, r in t:each() do x = r.num end" },
    { "t:rows(), t:column(col), t:index()", "zero-copy C arrays (0-based, read-only, bounds-checked) for fast loops",
      'for i, b in t:rows() do x = t:column("num")[b] end' },
    { "t:unsafe_column(col)", "the raw C pointer: no bounds, writable; for passing to C through the FFI",
      'local p = t:unsafe_column("num")' },
    { "hs.table_from(name, spec, rows)", "a table from Lua data",
      'hs.table_from("t", {{"name", "str"}, {"n", "u64"}}, {{"a", 1}, {"b", 2}})' },
  } },
  { name = "hs", title = "The hs module", entries = {
    { "hs.format(v [, opts])", "the text the REPL prints for v", "hs.format(case.gc:head(2))" },
    { "hs.bytes(n)", "a size for people", "hs.bytes(41943040)" },
    { "hs.has(c)", "the evidence fields a case has", "hs.has(case)" },
    { "hs.loaders()", "the evidence kinds heapscope reads", "hs.loaders()" },
    { "hs.case_from_buffer(name, bytes [, kind])", "a case from bytes in memory",
      'hs.case_from_buffer("x.log", "gc 1 @0.010s 2%: 0.1+1.0+0.01 ms clock, 0.4+0.1/0.9/1.5+0.04 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\\n").gc' },
    { "hs.check(c [, opts])", "run the detectors on a case: findings as a table (opts: detector, pack, set)",
      'hs.check(case, {detector = "goroutine-leak"})' },
    { "hs.detectors()", "the detectors: id, summary, evidence they use, parameters", "hs.detectors()" },
    { "hs.diff(a, b [, c])", "what grew between heap dumps of one process (cases or heaps): new objects by site, type and holder; with c, only what b added and c still holds",
      "hs.diff(case, case).new" },
    { "hs.diff(c)", "a case's series: dumps (3: as hs.diff(a, b, c)), profiles, growth",
      "hs.diff(case).growth:head(3)" },
    { "hs.checkpoint()", "raises \"interrupted\" after Ctrl-C: call it in long loops", "hs.checkpoint()" },
    { "hs.version, hs.types, hs.flags, hs.is_table(x)", "version; column types and display flags", "hs.version" },
  } },
}

M.repl = [[
REPL: each line is tried as `return <line>` first, then as a statement; an
unfinished statement continues (prompt ..>).  Tab completes globals, fields,
methods and column names; _ is the last result.  History: ~/.heapscope_history
(or $XDG_STATE_HOME/heapscope/history).  Ctrl-C stops a running chunk (a second
one ends heapscope, history saved); Ctrl-D leaves.  help("repl") says more.]]

local function render_section(s)
  local out = { s.title .. ":" }
  for _, e in ipairs(s.entries) do
    local line = #e[1] <= 34 and ("  %-34s %s"):format(e[1], e[2])
                 or ("  %s\n%s%s"):format(e[1], (" "):rep(37), e[2])
    local lastlen = #line:match("[^\n]*$")
    if e[3] then
      local ex = "  e.g. " .. e[3]
      if lastlen + #ex <= 100 then line = line .. ex
      else line = line .. "\n" .. (" "):rep(37) .. "e.g. " .. e[3] end
    end
    out[#out + 1] = line
  end
  return table.concat(out, "\n")
end

function M.section(name)
  for _, s in ipairs(M.sections) do
    if s.name == name then return render_section(s) end
  end
  return nil
end

function M.text()
  local out = { M.intro, "" }
  for _, s in ipairs(M.sections) do
    out[#out + 1] = render_section(s)
    out[#out + 1] = ""
  end
  out[#out + 1] = M.repl
  return table.concat(out, "\n") .. "\n"
end

-- every example, in order (tests run them)
function M.examples()
  local out = {}
  for _, s in ipairs(M.sections) do
    for _, e in ipairs(s.entries) do
      if e[3] then out[#out + 1] = e[3] end
    end
  end
  return out
end

return M
