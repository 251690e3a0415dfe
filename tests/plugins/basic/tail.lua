-- Sorts after the broken ones: proves the others still run.
return {
  id = "tail",
  summary = "test: always emits one info finding",
  run = function(case, emit)
    emit{ severity = "info", title = "tail ran", message = case.name }
  end,
}
