-- The ci pack: the stock detectors with stricter thresholds, for a CI job
-- that should fail early.  Parameters are filled in by each detector's
-- author as the detector lands (a pack may only set declared parameters).
return {
  name = "ci",
  summary = "stock detectors, stricter thresholds, for CI gates",
  detectors = {
    ["slice-retention"] = { min_wasted = 16384 },
    ["goroutine-leak"] = { min_count = 10 },
    ["http-body-leak"] = { min_unclosed = 5, max_idle = 100, min_transports = 5 },
    ["pool-misuse"] = { max_object = 262144, min_oversized = 262144, new_share = 0.1 },
    ["finalizer-cycle"] = { queue_warn = 10 },
    ["dominant-retainer"] = { warn_share = 0.3, warn_objects = 500 },
    ["heap-growth"] = { min_growth = 4 * 2^20, min_ratio = 0.1 },
    ["gc-thrash"] = { cpu_share = 0.15 },
    ["gc-pause"] = {}, -- the 10 ms default: healthy runs on a busy 2-core machine reach 5-7 ms
    ["rss-gap"] = { min_gap = 32 * 2^20, ratio = 1.5 },
    ["alloc-hotspot"] = { min_share = 0.1, gc_cpu_warn = 0.15 },
  },
}
