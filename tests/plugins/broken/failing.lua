return {
  id = "failing",
  summary = "test: raises an error after one finding",
  run = function(case, emit)
    emit{ severity = "info", title = "before the failure" }
    local t = nil
    return t.field   -- attempt to index a nil value
  end,
}
