/* Fuzz target for the heaptext loader: any bytes, loaded as kind "heaptext" (no
** sniffing, so every input reaches the parser), and once more through the
** sniffer so the sniff path sees hostile bytes too.  Built with the replay
** driver by `scons check`, or with clang -fsanitize=fuzzer. */
#include <stddef.h>
#include <stdint.h>
#include "heapscope/heapscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  hs_case_load_buffer(c, "fuzz", p, n, "heaptext");
  hs_case_free(c);
  const hs_loader *l = hs_loader_find("heaptext");
  if (l) l->xSniff(p, n < 65536 ? n : 65536);
  return 0;
}
