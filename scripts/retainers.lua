-- heapscope run scripts/retainers.lua DUMP... [-- N]
-- The N (default 5) biggest retainers of each case's heap dump, each with
-- where its retained size accumulates and its path from a GC root.
local n = tonumber(arg and arg[1]) or 5
for _, c in ipairs(cases) do
  local h = c.heap
  if not h then
    print(("%s: no heap dump"):format(c.name))
  else
    print(("%s: %s"):format(c.name, tostring(h)))
    local top = h:top_retainers(n)
    for i = 1, #top do
      local r = top[i]
      local acc, len = r:accumulation()
      print(("\n%d. %s"):format(i, tostring(r:object())))
      if acc ~= r:object() or len > 1 then
        print(("   accumulates at %s%s"):format(tostring(acc),
          len > 1 and (", a chain of %d like objects"):format(len) or ""))
      end
      print(tostring(r:path()))
    end
  end
end
