/* Fuzz target for the gctrace loader: any bytes, loaded as kind "gctrace" (no
** sniffing, so every input reaches the parser, and through it the shared
** line reader and the other text-log extractor).  Built with the replay
** driver by `scons check`, or with clang -fsanitize=fuzzer. */
#include <stddef.h>
#include <stdint.h>
#include "heapscope/heapscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  hs_case_load_buffer(c, "fuzz", p, n, "gctrace");
  hs_case_free(c);
  return 0;
}
