-- The default pack: every detector installed, with its own defaults.
-- The stock ids are listed so that a missing one is reported as absent.
return {
  name = "default",
  summary = "every installed detector with its default parameters",
  all = true,
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
