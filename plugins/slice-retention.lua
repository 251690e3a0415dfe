-- slice-retention: small slices and substrings keeping large backing arrays
-- alive.  In Go, b[i:j] and s[i:j] share the array of b or s, so a 16-byte
-- key cut from a 1 MiB read buffer keeps the whole MiB for as long as the
-- key lives.
--
-- From a heap dump: every large object whose only references are slice or
-- string headers (pointer, len[, cap] words in objects, globals and stack
-- frames; see include/heapscope/scan.h), and whose headers use a small part
-- of it.  The waste is what no header uses.  A pointer array (a []*T) whose
-- unused slots -- before the slice's start or past its len -- are the only
-- thing keeping objects alive is the same problem one level down.
-- Arrays are grouped by where they were allocated (when the allocation was
-- sampled) or else by what holds their headers, one finding per group.
local lib = require "lib.heap"
local stack = require "lib.stack"

local M = {
  id = "slice-retention",
  summary = "small slices or strings keeping large backing arrays alive",
  needs = { "heap" },
  params = {
    min_size = 4096,        -- arrays smaller than this are not looked at
    min_wasted = 65536,     -- a group wasting less is not reported
    min_waste_share = 0.5,  -- an array counts when at least this share of it is unused
  },
}

local function group_hits(h, hits, params)
  -- the site of each sampled array; a holder takes its arrays' site
  local holder_site, groups, order = {}, {}, {}
  local sites = {}
  for _, x in ipairs(hits) do
    local s, st = lib.site(h, x.obj)
    sites[x] = s and { s, st }
    local hk = (x.root and "root " or "obj ") .. x.holder
    if s and not holder_site[hk] then holder_site[hk] = s end
  end
  for _, x in ipairs(hits) do
    local hk = (x.root and "root " or "obj ") .. x.holder
    local site = sites[x] and sites[x][1] or holder_site[hk]
    local key = (x.pointers and "slots " or "bytes ") .. (site and ("site " .. site) or hk)
    local g = groups[key]
    if not g then
      g = { site = site, pointers = x.pointers, hits = {}, wasted = 0, size = 0, slot_objects = 0 }
      groups[key] = g
      order[#order + 1] = key
    end
    if sites[x] and not g.stack then g.stack = sites[x][2] end
    g.hits[#g.hits + 1] = x
    g.wasted = g.wasted + x.wasted
    g.size = g.size + h:object_at(x.obj).size
    g.slot_objects = g.slot_objects + x.slot_objects
  end
  local out = {}
  for _, k in ipairs(order) do out[#out + 1] = groups[k] end
  return out
end

-- One line on the first header: what it is, where it is, what it uses.
local function header_text(h, x)
  local o = h:object_at(x.obj)
  local kind = x.string and "string" or "slice"
  local where
  if x.root then
    where = lib.root_text(h, x.holder)
  else
    where = ("object %s field +%d"):format(lib.describe(h, x.holder), x.holder_off)
  end
  local lens = x.string and ("len %d"):format(x.len) or ("len %d, cap %d"):format(x.len, x.cap)
  return ("a %s header (%s) at %s points at +%d of %s"):format(kind, lens, where, x.ptr - o.addr,
    lib.describe(h, x.obj))
end

function M.run(case, emit, params)
  local h = case.heap
  if not h then return end
  local hits = h:scan_slices(params.min_size)
  local kept = {}
  for _, x in ipairs(hits) do
    local size = h:object_at(x.obj).size
    if x.pointers or x.wasted >= size * params.min_waste_share then kept[#kept + 1] = x end
  end
  for _, g in ipairs(group_hits(h, kept, params)) do
    if g.wasted >= params.min_wasted then
      local first = g.hits[1]
      local n = #g.hits
      local ev = {
        arrays = n,
        array_bytes = g.size,
        wasted_bytes = g.wasted,
        used_bytes = g.size - g.wasted,
        example = header_text(h, first),
        path = lib.path(h, first.obj),
        stack = g.stack and stack.lines(g.stack, 8) or nil,
      }
      local at = g.site and (" allocated in %s"):format(g.site) or ""
      if g.pointers then
        ev.slot_objects = g.slot_objects
        emit {
          severity = "warning",
          title = ("%s%s %s %s alive through slots outside %s"):format(
            lib.count(n, "pointer array"), at, n == 1 and "keeps" or "keep", hs.bytes(g.wasted),
            n == 1 and "its slice" or "their slices"),
          message = ("%d objects (%s) are reachable only through slots of a []T's backing array "
            .. "that the slice no longer covers (before its start after s = s[1:], or past its len "
            .. "after s = s[:n]). Set those slots to nil before reslicing, or copy the live part "
            .. "into a new slice."):format(g.slot_objects, hs.bytes(g.wasted)),
          bytes = g.wasted, count = g.slot_objects, site = g.site, evidence = ev,
        }
      else
        local what = first.string and "substrings" or "small slices"
        local fix = first.string and "strings.Clone(s[i:j])" or "bytes.Clone(b[i:j])"
        emit {
          severity = "warning",
          title = ("%s%s (%s) %s kept alive by %s using %s of %s"):format(lib.count(n, "array"),
            at, hs.bytes(g.size), n == 1 and "is" or "are", what, hs.bytes(g.size - g.wasted),
            n == 1 and "it" or "them"),
          message = ("%s of backing arrays is wasted: each array is held only by %s that use a "
            .. "small part of it. Copy the part you keep (%s) so the array can be freed."):format(
            hs.bytes(g.wasted), what, fix),
          bytes = g.wasted, count = n, site = g.site, evidence = ev,
        }
      end
    end
  end
end

return M
