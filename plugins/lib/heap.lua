-- Helpers the heap detectors share (slice-retention, dominant-retainer,
-- finalizer-cycle, pool-misuse): where an object was allocated in the
-- user's code, how it is reached, and how to say so in a finding.
--
-- (Sites in the user's code follow lib.stack's rule.)
--
--   heap.site(h, id)             user site and stack of object id, when sampled
--   heap.common_site(h, ids)     the site most of ids were allocated at
--   heap.path(h, id [, n])       the path from a GC root, one line a step
--   heap.describe(h, id)         "0xc000123000 (1.0 MiB)"
--   heap.count(n, word)          "1 array", "40 arrays"
--   heap.cycle(h, id [, n])      a path from id back to itself, one line a step
local stack = require "lib.stack"

local M = {}

-- Where object id (1-based, o.id) was allocated: the user's function (or the
-- leaf when the whole stack is standard), and the stack; nil when the
-- allocation was not sampled.
function M.site(h, id)
  local o = h:object_at(id)
  local st = o and o:site()
  if not st then return nil end
  return stack.site(st) or st.func, st
end

-- The site most of the objects ids were allocated at, its stack, and how
-- many of ids were sampled at all.  Looks at most at 1000 of them.
function M.common_site(h, ids)
  local n, best, bestn, stacks, sampled = {}, nil, 0, {}, 0
  for k, id in ipairs(ids) do
    if k > 1000 then break end
    local s, st = M.site(h, id)
    if s then
      sampled = sampled + 1
      n[s] = (n[s] or 0) + 1
      stacks[s] = stacks[s] or st
      if n[s] > bestn or (n[s] == bestn and s < best) then best, bestn = s, n[s] end
    end
  end
  return best, best and stacks[best], sampled
end

-- "0xc000123000 (1.0 MiB)" or with the type name when known.
function M.describe(h, id)
  local o = h:object_at(id)
  if not o then return "?" end
  local t = o.type
  return ("0x%x (%s%s)"):format(o.addr, hs.bytes(o.size), t and (", " .. t) or "")
end

-- The shortest path from a GC root to object id as lines: the root, then
-- one line per object with the field offset that leads to it.  Long paths
-- keep their first and last n/2 steps (default n 8).
function M.path(h, id, n)
  n = n or 8
  local half = math.floor(n / 2)
  local o = h:object_at(id)
  local p = o and o:path() or {}
  local out = {}
  for k, step in ipairs(p) do
    if #p > n and k > half and k <= #p - half then
      if k == half + 1 then out[#out + 1] = ("... %d steps"):format(#p - n) end
    elseif k == 1 then
      out[#out + 1] = ("%s -> %s"):format(step.root, M.describe(h, step.object.id))
    else
      out[#out + 1] = ("+%d -> %s"):format(step.offset, M.describe(h, step.object.id))
    end
  end
  if #out == 0 then out[1] = "(no root reaches it)" end
  return out
end

function M.count(n, word)
  return ("%d %s%s"):format(n, word, n == 1 and "" or "s")
end

-- A shortest path of at most n (default 8) steps from object id back to
-- itself, as lines ("0xc000123000 (144 B)", "+8 -> 0xc000123090 (144 B)",
-- ..., ending at id again); {} when there is none that short.  Searches
-- breadth-first over at most 10000 objects.
function M.cycle(h, id, n)
  n = n or 8
  local start = h:object_at(id)
  if not start then return {} end
  local prev, queue, head = { [id] = false }, { start }, 1
  local found
  while head <= #queue and not found and #queue < 10000 do
    local o = queue[head]
    head = head + 1
    local refs = o:referents()
    for k, r in ipairs(refs) do
      if r.id == id then
        found = { from = o, off = refs.offsets[k] }
        break
      end
      if prev[r.id] == nil then
        prev[r.id] = { from = o, off = refs.offsets[k] }
        queue[#queue + 1] = r
      end
    end
  end
  if not found then return {} end
  local steps = { found }
  local o = found.from
  while o.id ~= id do
    local p = prev[o.id]
    table.insert(steps, 1, { from = p.from, off = p.off, to = o })
    o = p.from
  end
  if #steps > n then return {} end
  local out = { M.describe(h, id) }
  for _, st in ipairs(steps) do
    out[#out + 1] = ("+%d -> %s"):format(st.off, M.describe(h, (st.to or start).id))
  end
  return out
end

-- Where a root (1-based row of heap.roots) is, for people.
function M.root_text(h, r)
  local x = h:root(r)
  return x and x.text or ("root %d"):format(r)
end

return M
