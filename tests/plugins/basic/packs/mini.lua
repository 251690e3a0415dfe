return {
  name = "mini",
  summary = "test pack: counts with scale 2, and a detector that is not installed",
  detectors = {
    counts = { scale = 2 },
    ["not-installed"] = {},
  },
}
