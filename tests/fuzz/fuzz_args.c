/* Fuzz target for the command line: the input split at NUL bytes is argv
** (at most 64 words).  hs_cli_parse must accept or refuse every word list
** with a message, never crash, wrap a size or leak.  Every verb's options
** are reached: the common ones, check/report/detectors' (check.c, which
** returns a bad value as a usage error) and diff's operand count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  char *z = malloc(n + 1);
  char *az[66];
  if (!z) return 0;
  memcpy(z, p, n);
  z[n] = 0;
  int argc = 0;
  az[argc++] = "heapscope";
  for (size_t i = 0; i <= n && argc < 65;) {
    az[argc++] = z + i;
    i += strlen(z + i) + 1;
  }
  az[argc] = NULL;
  hs_cli a;
  char *zErr = NULL;
  int rc = hs_cli_parse(argc, az, &a, &zErr);
  if (rc == HS_CLI_USAGE && !zErr) abort();   /* every refusal says why */
  if (rc == HS_CLI_RUN && a.nInput + a.nArg > argc) abort();
  free(zErr);
  hs_cli_free(&a);
  uint64_t nSize;
  double rSecs;
  if (hs_parse_size(z, &nSize) == 0 && (nSize == 0 || nSize > (UINT64_C(1) << 62))) abort();
  if (hs_parse_seconds(z, &rSecs) == 0 && !(rSecs > 0)) abort();
  free(z);
  return 0;
}
