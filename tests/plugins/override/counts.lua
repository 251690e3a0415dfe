return {
  id = "counts",
  summary = "test: overrides basic/counts.lua",
  params = { scale = 1 },
  run = function(case, emit)
    emit{ severity = "info", title = "the override ran" }
  end,
}
