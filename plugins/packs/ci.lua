-- The ci pack: the stock detectors with stricter thresholds, for a CI job
-- that should fail early.  Parameters are filled in by each detector's
-- author as the detector lands (a pack may only set declared parameters).
return {
  name = "ci",
  summary = "stock detectors, stricter thresholds, for CI gates",
  detectors = {
    ["slice-retention"] = {},
    ["goroutine-leak"] = {},
    ["http-body-leak"] = {},
    ["pool-misuse"] = {},
    ["finalizer-cycle"] = {},
    ["dominant-retainer"] = {},
    ["heap-growth"] = {},
    ["gc-thrash"] = {},
    ["gc-pause"] = {},
    ["rss-gap"] = {},
    ["alloc-hotspot"] = {},
  },
}
