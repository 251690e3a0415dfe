/*
 * A case as bytes on a file descriptor (wire.c): check.c sends each case
 * to a long-lived worker process this way.
 */
#ifndef HS_CLI_WIRE_H
#define HS_CLI_WIRE_H

#include <stddef.h>

#include "heapscope/heapscope.h"

/* Write all n bytes to fd (a socket: without SIGPIPE); 0, or -1 with
** errno set. */
int hs_wire_write(int fd, const void *p, size_t n);
/* Read exactly n bytes from fd; 0, 1 at end of file before any byte, or
** -1 (errno set, or the end came midway). */
int hs_wire_read(int fd, void *p, size_t n);
/* Write case c (grouped, not loaded: HS_CASE_DEFER) to fd, its inputs'
** bytes straight from where they are.  0, or -1 when fd took not all. */
int hs_wire_send_case(int fd, const hs_case *c);
/* Read the next case written by hs_wire_send_case from fd; its inputs get
** memory of their own (the caller frees the case).  NULL at the end of fd
** (*pbEnd set) or when what came is not a whole case. */
hs_case *hs_wire_recv_case(int fd, int *pbEnd);

#endif
