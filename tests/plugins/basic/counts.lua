-- Reports what the case holds, at each severity, so ordering can be tested.
local util = require "lib.util"
return {
  id = "counts",
  summary = "test: one finding per severity, sized by the case's inputs",
  needs = {},
  params = { scale = 1, label = "inputs", loud = false },
  run = function(case, emit, params)
    local n = #case.inputs
    emit{ severity = "info", title = "inputs counted", message = util.plural(n, params.label),
          count = n, evidence = { scale = params.scale, loud = params.loud, label = params.label } }
    emit{ severity = "warning", title = "small warning", bytes = 1000 * params.scale, count = 1,
          site = "main.small", message = "a warning with fewer bytes" }
    emit{ severity = "warning", title = "big warning", bytes = 5000000 * params.scale, count = 2,
          site = "main.big", message = "a warning with more bytes",
          evidence = { path = { { step = 1, type = "main.T" }, { step = 2, type = "[]byte" } },
                       wasted_bytes = 4000000 } }
    if params.loud then
      emit{ severity = "error", title = "loud error", bytes = 1, message = "only with loud=true" }
    end
  end,
}
