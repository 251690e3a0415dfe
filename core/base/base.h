/*
 * core/base: utilities shared by every folder of core/ that are not part of
 * the public C API (those, hs_strdup and friends, are in heapscope.h).  Base
 * depends on nothing else in heapscope.
 */
#ifndef HS_BASE_H
#define HS_BASE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Time.  The one RFC 3339 parser of the project ("2026-11-21T22:05:41.6239Z",
** "...+02:00"; a space may replace the T).
**
** HS_TIME_STRICT (JSON documents, Prometheus comments): z[0..n) must be
** exactly one timestamp with a zone ("Z", "z" or "+hh:mm"), the date and
** clock in range, and a '.' fraction with at least one digit.
**
** HS_TIME_PREFIX (container log framing, where the timestamp was written by a
** machine and only its start matters): a missing or malformed zone counts as
** UTC, ',' may introduce the fraction, and text after it is ignored.
**
** Returns 1 and *pT = seconds since the Unix epoch, or 0 (*pT untouched). */
enum { HS_TIME_STRICT = 0, HS_TIME_PREFIX = 1 };
int hs_parse_rfc3339(const char *z, size_t n, int flags, double *pT);

#endif
