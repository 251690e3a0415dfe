-- hs.rules: the engine that runs detector plugins over cases (DESIGN.md
-- "rules"; the plugin contract is in plugins/README.md).
--
--   discover(opts)            -> registry of plugins, libraries and packs
--   select(reg, opts)         -> which detectors run, with which params
--   run_case(case, sel, opts) -> one case's result (the map report.h
--                                describes), findings in report order
--   check(case, opts)         -> hs.check: the findings as a list
--   detectors(opts)           -> hs.detectors: a table of what is installed
--
-- Where plugins come from, later overriding earlier by id: the compiled-in
-- set, the user's config directory ($XDG_CONFIG_HOME/heapscope/plugins or
-- ~/.config/heapscope/plugins), each directory of HEAPSCOPE_PATH (colon
-- separated), then each --rules DIR in the order given.  In every directory:
-- *.lua are detectors, lib/*.lua libraries, packs/*.lua packs; names sorted,
-- dotfiles skipped.
--
-- Each plugin is loaded afresh for every case in its own environment (see
-- make_env), so nothing carries over between cases and a -j N run gives
-- what a -j 1 run gives.  Loading and running it happen under the budget of
-- core.rules_run (core/rules/sandbox.c).
local core = require "hs.core"
local hs = require "hs"

local R = {}
R.default_budget = 1e9        -- VM instructions per detector and case
R.memory_budget = 2048        -- MiB of Lua heap a detector may grow by

local SPARK_BARS = 24           -- so check's sparkline line fits 80 columns
local SEVERITY = { info = 1, warning = 2, error = 3 }
R.severity = SEVERITY

-- Ordered maps and arrays for core.mpack (core/report/mpack.c).
local function keyed(...) return { __keys = { ... } } end
local ARRAY = { __array = true }
local FINDING = keyed("case", "detector", "severity", "title", "message", "bytes",
                      "count", "site", "evidence")
local CASE = keyed("name", "inputs", "errors", "warnings", "skipped", "notes",
                   "detectors", "findings", "gc_sparkline", "charts")
local INPUT = keyed("name", "kind", "size")
local SKIPPED = keyed("input", "reason")
local DETECTOR = keyed("id", "status", "reason")
local RUN = keyed("pack", "detectors", "absent", "fail_on")
local function array(t) return setmetatable(t or {}, ARRAY) end

local function usage(fmt, ...) error({ usage = fmt:format(...) }, 0) end
local function note(fmt, ...) io.stderr:write("heapscope: ", fmt:format(...), "\n") end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

------------------------------------------------------------------ sandbox

-- A read-only view of a table: reads go through, writes are refused, and
-- nested tables come back as read-only views too.
local readonly
do
  local views = setmetatable({}, { __mode = "k" })
  function readonly(t)
    local v = views[t]
    if v then return v end
    v = setmetatable({}, {
      __index = function(_, k)
        local x = t[k]
        if type(x) == "table" and getmetatable(x) == nil then return readonly(x) end
        return x
      end,
      __newindex = function(_, k) error(("%s is read-only"):format(tostring(k)), 2) end,
      __metatable = false,
    })
    views[t] = v
    return v
  end
end

-- The hs API as plugins see it: no internals (_init), no way to run
-- detectors from a detector, and nothing that opens files: hs.load and
-- hs.open would read any path (a finding can carry what it read) and
-- write an index file beside a dump.  A plugin sees the case it is given.
local NOT_FOR_PLUGINS = { check = true, detectors = true, load = true, open = true, open_options = true }
local plugin_hs
local function get_plugin_hs()
  if plugin_hs then return plugin_hs end
  local t = {}
  for k, v in pairs(hs) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not NOT_FOR_PLUGINS[k] then
      t[k] = v
    end
  end
  plugin_hs = readonly(t)
  return plugin_hs
end

local SAFE = { "pairs", "ipairs", "select", "type", "tostring", "tonumber", "pcall",
               "error", "assert", "setmetatable", "rawget", "rawset", "rawequal",
               "next", "unpack" }
local safe_string = copy(string)
safe_string.dump = nil
local real_string = string

-- getmetatable for plugins: strings' metatable (the string library, shared
-- with everything) and userdata's are not theirs to see.
local function safe_getmetatable(x)
  if type(x) ~= "table" then return nil end
  return getmetatable(x)
end

-- One fresh environment: the safe base functions, copies of the pure
-- libraries, hs, and require for the plugin libraries only.
local function make_env(reg, trusted)
  local env = {}
  for _, k in ipairs(SAFE) do env[k] = _G[k] end
  env.getmetatable = safe_getmetatable
  env.string = copy(safe_string)
  env.table = copy(table)
  env.math = copy(math)
  env.bit = copy(bit)
  env.hs = get_plugin_hs()
  env._G = env
  env._VERSION = _VERSION
  local loaded = {}
  env.require = function(name)
    if type(name) ~= "string" then error("require expects a string", 2) end
    if loaded[name] ~= nil then return loaded[name] end
    local lib = name:match("^lib%.([%w_%-]+)$")
    local src = lib and reg.libs[lib]
    if not src then
      if lib then error(("no plugin library %q (looked for lib/%s.lua)"):format(name, lib), 2) end
      error(("require %q: plugins can only require their libraries (\"lib.NAME\" for lib/NAME.lua)")
        :format(name), 2)
    end
    loaded[name] = true                     -- a cycle sees true, as Lua's require
    local chunk = R.compile(src, make_env(reg, trusted and src.trusted))
    local m = chunk(name)
    if m == nil then m = true end
    loaded[name] = m
    return m
  end
  return env
end

-- Compile a source {text, chunkname, trusted} into a function with env.
-- Only text is loaded (bytecode could crash the VM).  Code from disk runs in
-- the interpreter, where the budget hook fires (see sandbox.c).
function R.compile(src, env)
  if src.text:byte(1) == 27 then
    error(("%s: precompiled chunks are not loaded; give the source"):format(src.origin), 0)
  end
  local chunk, err = loadstring(src.text, src.chunkname)
  if not chunk then error(err, 0) end
  setfenv(chunk, env)
  if not src.trusted then jit.off(chunk, true) end
  return chunk
end

-- Run fn(...) under the budget with the sandbox's string methods in place
-- (("").dump must not reach string.dump).  Returns core.rules_run's values.
local function sandboxed(opts, fn, ...)
  local smt = getmetatable("")
  smt.__index = safe_string
  local r = { core.rules_run(opts.budget or R.default_budget, R.memory_budget, fn, ...) }
  smt.__index = real_string
  return unpack(r, 1, table.maxn(r))
end

------------------------------------------------------------------ discovery

-- The traceback of a failed run, cut where the engine's own frames begin.
local function traceback_lines(msg)
  local lines = array()
  local first = true
  for line in tostring(msg):gmatch("[^\n]+") do
    if first then
      first = false
    else
      if line:find("core/rules/rules.lua", 1, true) or line:find("'rules_run'", 1, true) then break end
      local l = line:gsub("^%s+", "")
      if l ~= "stack traceback:" and l ~= "[C]: in function 'error'" then lines[#lines + 1] = l end
    end
  end
  return lines
end


local function source_dirs(opts)
  local dirs = {}
  local cfg = os.getenv("XDG_CONFIG_HOME")
  if cfg and cfg ~= "" then
    cfg = cfg .. "/heapscope/plugins"
  else
    local home = os.getenv("HOME")
    cfg = home and home ~= "" and home .. "/.config/heapscope/plugins"
  end
  if cfg and core.isdir(cfg) then dirs[#dirs + 1] = cfg end
  for d in (os.getenv("HEAPSCOPE_PATH") or ""):gmatch("[^:]+") do
    if core.isdir(d) then dirs[#dirs + 1] = d end
  end
  for _, d in ipairs(opts.rules or {}) do
    if not core.isdir(d) then usage("--rules %s: not a directory", d) end
    dirs[#dirs + 1] = d
  end
  return dirs
end

-- Every source of one kind: (folder, "plugins/" or "plugins/lib/" ...).
local function each_source(dirs, sub, fn)
  local prefix = "plugins/" .. sub
  for _, path in ipairs(core.embedded(prefix)) do
    local stem = path:sub(#prefix + 1):match("^([^/]+)%.lua$")
    if stem and stem:sub(1, 1) ~= "." then
      fn(stem, { text = core.embedded_source(path), chunkname = "@" .. path,
                 origin = path, trusted = true })
    end
  end
  for _, d in ipairs(dirs) do
    local dir = sub == "" and d or d .. "/" .. sub:sub(1, -2)
    for _, e in ipairs(core.isdir(dir) and core.listdir(dir) or {}) do
      local stem = not e.dir and e.name:match("^(.+)%.lua$")
      if stem then
        local path = dir .. "/" .. e.name
        local text, err = read_file(path)
        if text then
          fn(stem, { text = text, chunkname = "@" .. path, origin = path, trusted = false })
        else
          note("cannot read %s: %s", path, err)
        end
      end
    end
  end
end

-- What a plugin file declares, checked; nil and a message if it is broken.
local function check_plugin(p, origin)
  if type(p) ~= "table" then return nil, "does not return a table" end
  if type(p.id) ~= "string" or not p.id:match("^[%w][%w_%-]*$") then
    return nil, "needs an id (a kebab-case string)"
  end
  if type(p.run) ~= "function" then return nil, "needs a run function" end
  local needs = p.needs or {}
  if type(needs) ~= "table" then return nil, "needs must be a list of evidence names" end
  local meta = { id = p.id, summary = type(p.summary) == "string" and p.summary or "",
                 needs = {}, needs_all = needs.all == true, params = {}, origin = origin }
  for _, n in ipairs(needs) do
    if type(n) ~= "string" then return nil, "needs must be a list of evidence names" end
    meta.needs[#meta.needs + 1] = n
  end
  for k, v in pairs(p.params or {}) do
    local tv = type(v)
    if type(k) ~= "string" or (tv ~= "number" and tv ~= "boolean" and tv ~= "string") then
      return nil, ("param %s: defaults must be numbers, booleans or strings"):format(tostring(k))
    end
    meta.params[k] = v
  end
  return meta
end

-- discover(opts) -> reg = { plugins = {[id] = entry}, ids = {sorted},
--   libs = {[name] = src}, packs = {[name] = src} }.  An entry is the
-- checked metadata plus src, or {id, src, broken = message}.
function R.discover(opts)
  opts = opts or {}
  local dirs = source_dirs(opts)
  local reg = { plugins = {}, libs = {}, packs = {}, ids = {} }
  each_source(dirs, "lib/", function(stem, src) reg.libs[stem] = src end)
  each_source(dirs, "packs/", function(stem, src) reg.packs[stem] = src end)
  each_source(dirs, "", function(stem, src)
    local status, p = sandboxed(opts, function()
      return R.compile(src, make_env(reg, src.trusted))()
    end)
    local entry, err
    if status == "ok" then entry, err = check_plugin(p, src.origin) end
    if not entry then
      entry = { id = type(p) == "table" and type(p.id) == "string" and p.id or stem,
                broken = err or tostring(p):match("^[^\n]*"),
                traceback = not err and traceback_lines(p) or nil,
                summary = "", needs = {}, params = {}, origin = src.origin }
    end
    entry.src = src
    local old = reg.plugins[entry.id]
    if old then
      if not opts.quiet then
        note("detector %s from %s overrides the one from %s", entry.id, src.origin, old.origin)
      end
    else
      reg.ids[#reg.ids + 1] = entry.id
    end
    reg.plugins[entry.id] = entry
  end)
  table.sort(reg.ids)
  return reg
end

------------------------------------------------------------------ selection

-- A parameter value for declared default `def`, from the command line
-- (text) or Lua; nil and what was expected if it does not fit.
local SUFFIX = { K = 2 ^ 10, M = 2 ^ 20, G = 2 ^ 30, T = 2 ^ 40 }
local function param_value(def, v)
  local want = type(def)
  if type(v) == want then return v end
  if type(v) ~= "string" then return nil, "a " .. want end
  if want == "number" then
    local num, suf = v:match("^%s*([-+%d.eExX]+)%s*([KMGT]?)i?B?%s*$")
    local n = tonumber(num or "")
    if n then return n * (SUFFIX[suf] or 1) end
    return nil, "a number (suffixes K, M, G, T for powers of 1024)"
  elseif want == "boolean" then
    if v == "true" then return true elseif v == "false" then return false end
    return nil, "true or false"
  end
  return v
end

local function load_pack(reg, name, opts)
  local src = reg.packs[name]
  if not src and (name:find("/", 1, true) or name:match("%.lua$")) then
    local text, err = read_file(name)
    if not text then usage("--pack %s: %s", name, err) end
    src = { text = text, chunkname = "@" .. name, origin = name, trusted = false }
  end
  if not src then
    local names = {}
    for k in pairs(reg.packs) do names[#names + 1] = k end
    table.sort(names)
    usage("no pack named %s (packs: %s; or give a pack file)", name, table.concat(names, ", "))
  end
  local status, p = sandboxed(opts, function() return R.compile(src, make_env(reg, src.trusted))() end)
  if status ~= "ok" then usage("pack %s: %s", src.origin, tostring(p)) end
  if type(p) ~= "table" or type(p.detectors or {}) ~= "table" then
    usage("pack %s: must return { name = ..., detectors = { [id] = { param = value } } }", src.origin)
  end
  p.origin = src.origin
  p.name = type(p.name) == "string" and p.name or name
  return p
end

-- select(reg, opts) -> sel = { pack = name, entries = { {id, entry, params} },
--   absent = {ids} }.  opts: pack (name or file; "default" when neither it
-- nor detector is given), detector (id or list), set ({["id.param"] = v}
-- or a list of "id.param=value").  Bad names or values raise {usage = msg}.
function R.select(reg, opts)
  local ids = opts.detector
  if type(ids) == "string" then ids = { ids } end
  if ids and #ids == 0 then ids = nil end
  local pack = (opts.pack or not ids) and load_pack(reg, opts.pack or "default", opts) or nil
  local sel = { pack = pack and pack.name or nil, entries = {}, absent = array() }
  local chosen, order = {}, {}
  local function want(id, overrides, from)
    if chosen[id] then return end
    local entry = reg.plugins[id]
    if not entry then
      if from then sel.absent[#sel.absent + 1] = id return end
      usage("unknown detector %s (heapscope detectors lists them)", id)
    end
    local params = copy(entry.params)
    for k, v in pairs(overrides or {}) do
      if entry.params[k] == nil then
        usage("%s: detector %s has no parameter %s", from or "--detector", id, tostring(k))
      end
      local val, expected = param_value(entry.params[k], v)
      if val == nil then usage("%s: %s.%s must be %s", from, id, k, expected) end
      params[k] = val
    end
    chosen[id] = { id = id, entry = entry, params = params }
    order[#order + 1] = id
  end
  if pack then
    local listed = {}
    for id in pairs(pack.detectors or {}) do listed[#listed + 1] = id end
    table.sort(listed)
    for _, id in ipairs(listed) do
      local ov = pack.detectors[id]
      if type(ov) ~= "table" then usage("pack %s: detectors[%q] must be a table", pack.origin, id) end
      if not ids then want(id, ov, "pack " .. pack.name) end
    end
    if pack.all and not ids then
      for _, id in ipairs(reg.ids) do want(id, nil, "pack " .. pack.name) end
    end
  end
  for _, id in ipairs(ids or {}) do
    if not reg.plugins[id] then usage("unknown detector %s (heapscope detectors lists them)", id) end
    want(id, pack and pack.detectors and pack.detectors[id] or nil, pack and "pack " .. pack.name)
  end
  -- --set ID.PARAM=VALUE
  local sets = {}
  for k, v in pairs(opts.set or {}) do
    if type(k) == "number" then
      local key, val = tostring(v):match("^([^=]+)=(.*)$")
      if not key then usage("--set %s: expected ID.PARAM=VALUE", tostring(v)) end
      sets[#sets + 1] = { key, val }
    else
      sets[#sets + 1] = { k, v }
    end
  end
  table.sort(sets, function(a, b) return a[1] < b[1] end)
  for _, kv in ipairs(sets) do
    local id, param = kv[1]:match("^([^.]+)%.(.+)$")
    if not id then usage("--set %s: expected ID.PARAM=VALUE", kv[1]) end
    local entry = reg.plugins[id]
    if not entry then usage("--set %s: unknown detector %s", kv[1], id) end
    local def = entry.params[param]
    if def == nil then
      local names = {}
      for k in pairs(entry.params) do names[#names + 1] = k end
      table.sort(names)
      usage("--set %s: detector %s has no parameter %s (it has: %s)", kv[1], id, param,
            #names > 0 and table.concat(names, ", ") or "none")
    end
    local val, expected = param_value(def, kv[2])
    if val == nil then usage("--set %s=%s: %s.%s must be %s", kv[1], tostring(kv[2]), id, param, expected) end
    if chosen[id] then chosen[id].params[param] = val end
  end
  table.sort(order)
  for i, id in ipairs(order) do sel.entries[i] = chosen[id] end
  table.sort(sel.absent)
  return sel
end

------------------------------------------------------------------ running

-- Evidence as plain data: tables copied (at most MAX_ITEMS entries each,
-- MAX_DEPTH deep), 64-bit cdata as numbers, hs tables as their first rows,
-- functions dropped, anything else as text.
local MAX_DEPTH, MAX_ITEMS, MAX_ROWS = 8, 1000, 50
local function plain(v, depth)
  local tv = type(v)
  if tv == "string" or tv == "boolean" then return v end
  if tv == "number" then return v == v and v or nil end
  if tv == "cdata" then return tonumber(v) end
  if tv == "function" or tv == "thread" then return nil end
  if hs.is_table(v) then
    local out, cols = array(), v:columns()
    for i = 1, math.min(#v, MAX_ROWS) do
      local r, row = {}, v[i]
      for _, c in ipairs(cols) do r[c] = plain(row[c], depth + 1) end
      out[i] = r
    end
    return out
  end
  if tv ~= "table" then return tostring(v) end
  if depth >= MAX_DEPTH then return "..." end
  local mt = getmetatable(v)
  if mt and mt.__tostring and not mt.__table then return tostring(v) end
  local out, n = {}, 0
  for k, x in pairs(v) do
    n = n + 1
    if n > MAX_ITEMS then break end
    if type(k) == "string" or type(k) == "number" then out[k] = plain(x, depth + 1) end
  end
  return out
end

local FIELDS = { severity = true, title = true, message = true, bytes = true, count = true,
                 site = true, evidence = true }

-- A finding from what a plugin emitted, or nil and what is wrong with it.
local function make_finding(casename, id, f)
  if type(f) ~= "table" then return nil, "emit expects a table" end
  for k in pairs(f) do
    if not FIELDS[k] then return nil, ("unknown field %s"):format(tostring(k)) end
  end
  if not SEVERITY[f.severity] then
    return nil, ("severity must be info, warning or error, not %s"):format(tostring(f.severity))
  end
  if type(f.title) ~= "string" or f.title == "" then return nil, "title must be a non-empty string" end
  for _, k in ipairs({ "message", "site" }) do
    if f[k] ~= nil and type(f[k]) ~= "string" then return nil, k .. " must be a string" end
  end
  local out = setmetatable({ case = casename, detector = id, severity = f.severity,
                             title = f.title, message = f.message or "", site = f.site },
                           FINDING)
  for _, k in ipairs({ "bytes", "count" }) do
    local v = f[k]
    if type(v) == "cdata" then v = tonumber(v) end
    if v ~= nil then
      if type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
        return nil, k .. " must be a number >= 0"
      end
      out[k] = math.floor(v)
    end
  end
  if f.evidence ~= nil and type(f.evidence) ~= "table" then return nil, "evidence must be a table" end
  out.evidence = plain(f.evidence or {}, 0)
  return out
end

local function error_finding(casename, id, title, message, evidence)
  return setmetatable({ case = casename, detector = id, severity = "error", title = title,
                        message = message, evidence = evidence or {} }, FINDING)
end

local FAILED = { error = "detector failed", budget = "detector ran out of its instruction budget",
                 memory = "detector ran out of its memory budget",
                 interrupted = "detector interrupted (Ctrl-C)" }

local function has(c, need)
  local v = c
  for part in need:gmatch("[^.]+") do
    if type(v) ~= "table" then return false end
    v = v[part]
  end
  if v == nil or v == false then return false end
  if hs.is_table(v) then return #v > 0 end
  return true
end

local function needs_met(c, entry)
  if #entry.needs == 0 then return true end
  for _, n in ipairs(entry.needs) do
    local ok = has(c, n)
    if ok and not entry.needs_all then return true end
    if not ok and entry.needs_all then return false end
  end
  return entry.needs_all
end

local function compare(a, b)
  if a.severity ~= b.severity then return SEVERITY[a.severity] > SEVERITY[b.severity] end
  local ab, bb = a.bytes or -1, b.bytes or -1
  if ab ~= bb then return ab > bb end
  if a.detector ~= b.detector then return a.detector < b.detector end
  if a.title ~= b.title then return a.title < b.title end
  if a.message ~= b.message then return a.message < b.message end
  local ac, bc = a.count or -1, b.count or -1
  if ac ~= bc then return ac > bc end
  if (a.site or "") ~= (b.site or "") then return (a.site or "") < (b.site or "") end
  return a._seq < b._seq
end

-- A case as plugins see it: fields read through, assignments refused.
local function case_view(c)
  return setmetatable({}, { __index = c, __tostring = function() return tostring(c) end,
    __newindex = function(_, k) error(("case.%s is read-only"):format(tostring(k)), 2) end })
end

-- Run one detector on one case; appends to findings and returns the
-- detector's status record.
local function run_detector(c, view, sel_entry, findings, opts)
  local entry, id = sel_entry.entry, sel_entry.id
  local seq = #findings
  local function add(f)
    seq = seq + 1
    f._seq = seq
    findings[#findings + 1] = f
  end
  if entry.broken then
    add(error_finding(c.name, id, ("detector could not be loaded (%s)"):format(entry.origin),
                      entry.broken, { traceback = entry.traceback }))
    return setmetatable({ id = id, status = "error", reason = "could not be loaded" }, DETECTOR)
  end
  if not needs_met(c, entry) then
    local what = table.concat(entry.needs, entry.needs_all and " and " or " or ")
    return setmetatable({ id = id, status = "skipped", reason = "needs " .. what }, DETECTOR)
  end
  local function emit(f)
    local fd, problem = make_finding(c.name, id, f)
    if not fd then
      fd = error_finding(c.name, id, "detector emitted an invalid finding",
                         ("%s: %s"):format(id, problem),
                         { title = type(f) == "table" and type(f.title) == "string" and f.title or nil })
    end
    add(fd)
  end
  local params = copy(sel_entry.params)
  local status, msg = sandboxed(opts, function()
    local env = make_env(opts.reg, entry.src.trusted)
    local p = R.compile(entry.src, env)()
    p.run(view, emit, params)
  end)
  if status == "ok" then
    return setmetatable({ id = id, status = "ran" }, DETECTOR)
  end
  add(error_finding(c.name, id, FAILED[status], (tostring(msg):match("^[^\n]*")),
                    { traceback = traceback_lines(msg) }))
  return setmetatable({ id = id, status = "error", reason = FAILED[status] }, DETECTOR)
end

-- run_case(c, sel, opts) -> the case map of report.h.  opts.reg is the
-- registry sel came from; opts.budget the instruction budget; opts.format
-- the writer's name: the text writer gets the case's gc_sparkline line, the
-- html writer its chart data (hs.charts), the others neither.
function R.run_case(c, sel, opts)
  local res = setmetatable({ name = c.name, inputs = array(), errors = array(),
                             warnings = array(), skipped = array(), notes = array(),
                             detectors = array(), findings = array() }, CASE)
  local reasons = {}
  for _, d in ipairs(c.diags or {}) do
    if d.level == "error" then res.errors[#res.errors + 1] = d.text
    elseif d.level == "warning" then res.warnings[#res.warnings + 1] = d.text
    elseif d.file and not reasons[d.file] then reasons[d.file] = d.message end
  end
  for _, i in ipairs(c.inputs) do
    res.inputs[#res.inputs + 1] = setmetatable({ name = i.name, kind = i.kind, size = i.size }, INPUT)
    if i.kind == "unknown" and i.size and not i.error then
      res.skipped[#res.skipped + 1] = setmetatable(
        { input = i.name, reason = ((reasons[i.name] or "not recognised as evidence"):gsub("^skipped: ", "")) },
        SKIPPED)
    end
  end
  local view = case_view(c)
  local findings = {}
  for _, e in ipairs(sel.entries) do
    res.detectors[#res.detectors + 1] = run_detector(c, view, e, findings, opts)
  end
  table.sort(findings, compare)
  for i, f in ipairs(findings) do
    f._seq = nil
    res.findings[i] = f
  end
  if opts.format == "text" then
    local ok, line = pcall(require("hs.overview").gc_sparkline, c, SPARK_BARS)
    res.gc_sparkline = ok and line or nil
  elseif opts.format == "html" then
    res.charts = require("hs.charts").case(c)
  end
  return res
end

------------------------------------------------------------------ front ends

-- The registry for a set of --rules dirs, discovered once per state (so
-- override notes are printed once).
local cache = {}
local function registry(opts)
  local key = table.concat(opts.rules or {}, "\0")
  if not cache[key] then cache[key] = R.discover(opts) end
  return cache[key]
end

-- Call fn(...) turning a usage error into nil, message.
local function catch(fn, ...)
  local r = { pcall(fn, ...) }
  if r[1] then return unpack(r, 2, table.maxn(r)) end
  local e = r[2]
  if type(e) == "table" and e.usage then return nil, e.usage end
  error(e, 0)
end

-- The CLI (core/cli/check.c): begin(opts) -> run map bytes, or nil and a
-- usage message.
local cli
function R.cli_begin(opts)
  return catch(function()
    opts.reg = R.discover(opts)
    local sel = R.select(opts.reg, opts)
    if #sel.absent > 0 and not opts.quiet then
      note("pack %s names detectors that are not installed, skipped: %s", sel.pack,
           table.concat(sel.absent, ", "))
    end
    cli = { sel = sel, opts = opts }
    local ids = array()
    for i, e in ipairs(sel.entries) do ids[i] = e.id end
    return core.mpack(setmetatable({ pack = sel.pack or "", detectors = ids, absent = sel.absent,
                                     fail_on = opts.fail_on }, RUN))
  end)
end

-- case(ud): the case map bytes for a case userdata loaded by the CLI.
function R.cli_case(ud)
  return core.mpack(R.run_case(hs.wrap_case(ud), cli.sel, cli.opts))
end

-- hs.check(case or cases [, {detector=, pack=, set=, rules=, budget=}])
-- -> the findings, a list (worst first) that prints as a table; :table()
-- gives it as an hs table, .results the case maps.
local Findings = {}
Findings.__index = Findings
function Findings:table()
  local rows = {}
  for i, f in ipairs(self) do
    rows[i] = { f.case, f.severity, f.detector, f.title, f.bytes or 0, f.count or 0, f.site or "" }
  end
  return hs.table_from("findings", { { "case", "str" }, { "severity", "str" }, { "detector", "str" },
    { "title", "str" }, { "bytes", "u64", "bytes" }, { "count", "u64" }, { "site", "str" } }, rows)
end
function Findings:__tostring()
  if #self == 0 then return "no findings" end
  return hs.format(self:table())
end

function R.check(c, opts)
  opts = copy(opts or {})
  if opts.detectors and not opts.detector then opts.detector = opts.detectors end
  local list = c
  if type(c) ~= "table" or c.name then list = { c } end
  local reg = registry(opts)
  local sel, err = catch(R.select, reg, opts)
  if not sel then error(err, 2) end
  opts.reg = reg
  local out = setmetatable({ results = {} }, Findings)
  for _, one in ipairs(list) do
    local res = R.run_case(one, sel, opts)
    out.results[#out.results + 1] = res
    for _, f in ipairs(res.findings) do out[#out + 1] = f end
  end
  return out
end

local function describe_params(params)
  local names = {}
  for k in pairs(params) do names[#names + 1] = k end
  table.sort(names)
  for i, k in ipairs(names) do names[i] = ("%s=%s"):format(k, tostring(params[k])) end
  return table.concat(names, " ")
end

-- hs.detectors([opts]) -> a table: id, summary, needs, params (defaults), from
function R.detectors(opts)
  local reg = registry(opts or {})
  local rows = {}
  for _, id in ipairs(reg.ids) do
    local e = reg.plugins[id]
    rows[#rows + 1] = { id, e.broken and ("(could not be loaded: %s)"):format(e.broken) or e.summary,
                        table.concat(e.needs, e.needs_all and " and " or " or "),
                        describe_params(e.params), e.origin }
  end
  return hs.table_from("detectors", { { "id", "str" }, { "summary", "str" }, { "needs", "str" },
                                      { "params", "str" }, { "from", "str" } }, rows)
end

-- `heapscope detectors`: the text it prints.
function R.cli_detectors(opts)
  return catch(function()
    local reg = R.discover(opts)
    local out = {}
    for _, id in ipairs(reg.ids) do
      local e = reg.plugins[id]
      out[#out + 1] = ("%s\n    %s"):format(id, e.broken and ("could not be loaded: " .. e.broken) or e.summary)
      if #e.needs > 0 then
        out[#out + 1] = "    evidence: " .. table.concat(e.needs, e.needs_all and " and " or " or ")
      end
      local names = {}
      for k in pairs(e.params) do names[#names + 1] = k end
      table.sort(names)
      for _, k in ipairs(names) do
        out[#out + 1] = ("    --set %s.%s=%s  (%s)"):format(id, k, tostring(e.params[k]), type(e.params[k]))
      end
      out[#out + 1] = "    from " .. e.origin
    end
    if #reg.ids == 0 then out[#out + 1] = "no detectors installed" end
    local packs = {}
    for name in pairs(reg.packs) do packs[#packs + 1] = name end
    table.sort(packs)
    out[#out + 1] = ""
    out[#out + 1] = "packs (--pack NAME): " .. (#packs > 0 and table.concat(packs, ", ") or "none")
    return table.concat(out, "\n")
  end)
end

return R
