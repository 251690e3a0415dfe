/*
 * The program binary as an evidence kind: an ELF file with Go build info,
 * among a case's inputs or named with --binary.  Loading opens it and hangs
 * it on the case; the naming itself runs when the case is sealed (every
 * input loaded, so the dump may come before or after the binary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binint.h"

static int gobinary_sniff(const uint8_t *p, size_t n) {
  /* The build info sits far past the first 64 KiB; any ELF is offered to
  ** us, and xLoad says so when it is not a Go program. */
  return hs_binary_is_elf(p, n) ? 60 : 0;
}

static void binary_free(hs_binary *b) { hs_binary_free(b); }

static int gobinary_load(hs_case *c, hs_input *in) {
  hs_binary *b;
  char *zErr = NULL, *zWarn = NULL;
  if (hs_binary_is_elf(in->p, in->n) && !hs_binary_is_go(in->p, in->n)) {
    /* Some other ELF (a core file, a C program): not evidence at all. */
    free(in->zKind);
    in->zKind = NULL;
    if (in->bFound) {
      hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                   "skipped: an ELF file without Go build info, not Go evidence");
      return HS_OK;
    }
    hs_case_diag(c, HS_ERROR, in->zName, 0, 0,
                 "not recognised as Go evidence: it looks like an ELF binary without Go build "
                 "info (a core file? heapscope reads WriteHeapDump output, and Go executables "
                 "for names) (tried: %s)", c->zKinds ? c->zKinds : "?");
    return HS_EFORMAT;
  }
  int rc = hs_binary_open(in->zName, in->p, in->n, &b, &zErr, &zWarn);
  if (rc != HS_OK) {
    /* A non-Go ELF found beside the evidence (a .so, a core file) is not
    ** an error of the case: skip it with a note. */
    int bSkip = in->bFound && rc == HS_EFORMAT;
    hs_case_diag(c, bSkip ? HS_INFO : HS_ERROR, in->zName, UINT64_MAX, 0, "%s%s",
                 bSkip ? "skipped: " : "", zErr ? zErr + strlen(in->zName) + 2 : "out of memory");
    free(zErr);
    free(zWarn);
    if (bSkip) {
      free(in->zKind);
      in->zKind = NULL;
      return HS_OK;
    }
    return rc;
  }
  if (zWarn) {
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0, "%s", zWarn + strlen(in->zName) + 2);
    free(zWarn);
  }
  if (c->pBinary) {
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0,
                 "a second program binary in the case; using %s", c->pBinary->zFile);
    hs_binary_free(b);
    return HS_OK;
  }
  c->pBinary = b;
  c->xBinaryFree = binary_free;
  c->xBinaryName = hs_binary_name_case;
  if (!(b->flags & HS_BIN_DWARF))
    hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                 "no DWARF (a stripped binary): objects are typed only by malloc headers "
                 "and runtime type descriptors; globals %s",
                 b->flags & HS_BIN_SYMTAB ? "are named from the symbol table" : "stay unnamed");
  return HS_OK;
}

const hs_loader hs_loader_gobinary = {
    "gobinary", "the Go program's executable (ELF with Go build info): types, globals, inlined frames",
    gobinary_sniff, gobinary_load, "binary", NULL, 1};
