return {
  id = "bad-emit",
  summary = "test: emits a finding with a bad severity, then a good one",
  run = function(case, emit)
    emit{ severity = "fatal", title = "bad severity" }
    emit{ severity = "info", title = "good after bad" }
  end,
}
