/* Fuzz target for a case on the wire (core/cli/wire.c), what check's
** long-lived workers read: hs_wire_recv_case must take any bytes, whole,
** cut short or lying about their sizes, and return a case or NULL, never
** crash, overread or leak.  A case it returns must survive the round trip:
** sent again and read back, the same name, inputs and bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/wire.h"

/* A memory file holding p[0..n), read from its start; -1 on failure. */
static int memfile(const void *p, size_t n) {
  int fd = memfd_create("wire", 0);
  if (fd < 0) return -1;
  if ((n && hs_wire_write(fd, p, n) != 0) || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  int fd = memfile(p, n), bEnd = 0;
  if (fd < 0) return 0;
  hs_case *c = hs_wire_recv_case(fd, &bEnd);
  close(fd);
  if (!c) return 0;
  int fd2 = memfd_create("wire2", 0);
  if (fd2 < 0 || hs_wire_send_case(fd2, c) != 0 || lseek(fd2, 0, SEEK_SET) != 0) abort();
  hs_case *c2 = hs_wire_recv_case(fd2, &bEnd);
  close(fd2);
  if (!c2 || strcmp(c->zName, c2->zName) != 0 || c->nInput != c2->nInput ||
      c->nDiag != c2->nDiag || c->nError != c2->nError || c->flags != c2->flags)
    abort();
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *a = c->apInput[i], *b = c2->apInput[i];
    if (strcmp(a->zName, b->zName) != 0 || !a->p != !b->p || a->n != b->n ||
        (a->p && a->n && memcmp(a->p, b->p, a->n) != 0))
      abort();
  }
  hs_case_free(c);
  hs_case_free(c2);
  return 0;
}
