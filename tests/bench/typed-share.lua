-- The share of reachable objects and bytes that got a type name from the
-- program's binary: reachable = depth > 0 in the graph.  Used by
-- tests/bench/typing.sh and for the sample figures in RESULTS.md:
--   heapscope run tests/bench/typed-share.lua CASE...
local out = {}
for _, c in ipairs(cases) do
  local h, b = c.heap, c.binary and c.binary[1]
  if h and b and b.matches == "yes" then
    local depth, size, tn = h:_gcol("depth"), h.objects:column("size"), h.objects:column("type_name")
    local n, nb, typed, typedb = 0, 0, 0, 0
    for i = 0, #h.objects - 1 do
      if depth[i] > 0 then
        n, nb = n + 1, nb + tonumber(size[i])
        if tn[i] ~= 0 then typed, typedb = typed + 1, typedb + tonumber(size[i]) end
      end
    end
    out[#out + 1] = ("%s: %s, reachable %d objects (%s): typed %d objects (%.1f%%), %s (%.1f%% of bytes)"):format(
      c.name, b.go_version, n, hs.bytes(nb), typed, 100 * typed / n, hs.bytes(typedb), 100 * typedb / nb)
  end
end
print(table.concat(out, "\n"))
