-- Comparing a number heapscope found with one a sample program planted
-- (facts.json): equal within a tenth, the slack the runtime's own
-- allocations around the planted ones need.
--
--   facts.near(tap, got, want, what) -> a TAP line; true when near
local M = {}

function M.near(tap, got, want, what)
  return tap.ok(math.abs(got - want) <= 0.1 * want,
    ("%s: %d within 10%% of the planted %d"):format(what, got, want))
end

return M
