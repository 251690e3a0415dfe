-- Needs a heap dump: skipped on cases without one.
return {
  id = "heap-only",
  summary = "test: runs only where there is a heap dump",
  needs = { "heap" },
  run = function(case, emit)
    emit{ severity = "info", title = "has a heap", count = #case.heap.objects }
  end,
}
