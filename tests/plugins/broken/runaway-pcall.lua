-- Tries to survive the budget by catching its error, again and again.
return {
  id = "runaway-pcall",
  summary = "test: an infinite loop that pcalls its way around the budget",
  run = function(case, emit)
    while true do
      pcall(function() while true do end end)
      pcall(error, "again")
    end
  end,
}
