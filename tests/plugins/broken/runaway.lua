return {
  id = "runaway",
  summary = "test: an infinite loop",
  run = function(case, emit)
    local x = 0
    while true do x = x + 1 end
  end,
}
