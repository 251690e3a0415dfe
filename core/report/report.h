/*
 * Report writers: one interface, one registry (DESIGN.md "report").
 *
 * The rule engine hands over each case's result as one msgpack map, the same
 * bytes whether the case ran in this process or in a worker:
 *
 *   {"name": str, "inputs": [{"name","kind","size"}], "errors": [str],
 *    "skipped": [{"input","reason"}], "notes": [str],
 *    "detectors": [{"id","status","reason"}],      status: ran|skipped|error
 *    "findings": [{"case","detector","severity","title","message","bytes",
 *                  "count","site","evidence"}],     already in report order
 *    "gc_sparkline": str,                          --format text only
 *    "charts": {...}}                              --format html only
 *                                                  (core/lua/charts.lua)
 *
 * and the run's description before the first case:
 *
 *   {"pack": str, "detectors": [id], "absent": [id], "fail_on": str}
 *
 * hs_report_* drive a writer over them and keep the summary.  A new format
 * is one writer file and one line in hs_writers (report.c).
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <stdio.h>
#include <msgpack.h>

enum { HS_SEV_NONE = 0, HS_SEV_INFO = 1, HS_SEV_WARNING = 2, HS_SEV_ERROR = 3,
       HS_SEV_NEVER = 4 };

/* What a run found so far (hs_report_case adds to it). */
typedef struct hs_summary {
  int nCase;            /* cases reported */
  int nCaseError;       /* cases with an input that could not be loaded */
  int anSev[4];         /* findings by HS_SEV_* (index 0 unused) */
  int eWorst;           /* highest severity seen, HS_SEV_NONE if none */
} hs_summary;

typedef struct hs_report hs_report;

typedef struct hs_writer {
  const char *zName;    /* --format NAME */
  const char *zDesc;    /* one line for --help */
  /* Each returns 0, or -1 after a write error (errno set).  pRun is the
  ** run map above; pCase one case map; pSummary the summary map that ends
  ** the json document (see hs_report_end). */
  int (*xBegin)(hs_report *, const msgpack_object *pRun);
  int (*xCase)(hs_report *, const msgpack_object *pCase);
  int (*xEnd)(hs_report *, const msgpack_object *pSummary);
} hs_writer;

struct hs_report {
  const hs_writer *pWriter;
  FILE *out;
  int bColour;          /* ANSI colours (text writer, only on a terminal) */
  int nWidth;           /* text writer: wrap lines at this column (0: never) */
  int eFailOn;          /* HS_SEV_*: findings at or above fail the run */
  hs_summary sum;
  msgpack_zone zone;    /* holds the run map for the writers */
  msgpack_object run;
  void *pState;         /* the writer's own */
};

/* Every writer, NULL-terminated. */
extern const hs_writer *const hs_writers[];
const hs_writer *hs_writer_find(const char *zName);

/* "info" "warning" "error" "never" -> HS_SEV_*; 0 for anything else. */
int hs_severity(const char *z, size_t n);
const char *hs_severity_name(int eSev);

/* Start a report on out with the run map (msgpack bytes, copied).  Returns
** 0 or -1. */
int hs_report_begin(hs_report *, const hs_writer *, FILE *out, int eFailOn,
                    const char *pRun, size_t nRun);
/* One case's result (msgpack bytes, see above); updates the summary.
** Returns 0, -1 on a write error, -2 if the bytes are not a case map. */
int hs_report_case(hs_report *, const char *p, size_t n);
/* Write the summary and finish; returns the exit status of DESIGN.md
** (0, 1 findings at or above fail-on, 2 a case with load errors) or -1
** after a write error. */
int hs_report_end(hs_report *);

/* Helpers for writers: field of a map by name (NULL if absent), a string
** field's bytes, an integer field. */
const msgpack_object *hs_mp_get(const msgpack_object *pMap, const char *zKey);
int hs_mp_str(const msgpack_object *pMap, const char *zKey, const char **pz, size_t *pn);
int64_t hs_mp_int(const msgpack_object *pMap, const char *zKey, int64_t iDefault);
/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
size_t hs_utf8_len(const unsigned char *p, size_t n);
/* JSON text of an object (UTF-8 kept, invalid bytes as U+FFFD). */
int hs_json_write(FILE *, const msgpack_object *);

/* Lua: mpack(value) -> msgpack bytes (core/report/mpack.c). */
struct lua_State;
int hsL_mpack(struct lua_State *L);

#endif
