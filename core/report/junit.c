/*
 * --format junit: JUnit XML as CI systems read it (Jenkins, GitLab, GitHub
 * test reporters):
 *
 *   <testsuites name="heapscope check" tests failures errors skipped>
 *     <testsuite name=CASE tests failures errors skipped>      one per case
 *       <testcase classname=CASE name=DETECTOR>                one per detector
 *         <failure type=SEVERITY message=TITLE>details</failure>  per finding
 *                                                         at or above --fail-on
 *         <skipped message="needs heap"/>               evidence was missing
 *         <system-out>findings below --fail-on</system-out>
 *       </testcase>
 *       <testcase classname=CASE name="load"><error .../></testcase>
 *                                     inputs that could not be loaded, if any
 *
 * The totals come first in the XML, so the document is built in memory
 * (open_memstream) and written at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "report/report.h"

typedef struct junit {
  char *zBuf;           /* the testsuite elements so far */
  size_t nBuf;
  FILE *mem;
  int nTests, nFail, nError, nSkip;
} junit;

/* XML text: markup characters as entities, characters XML 1.0 forbids and
** invalid UTF-8 as U+FFFD. */
static void xml_text(FILE *f, const char *z, size_t n) {
  const unsigned char *p = (const unsigned char *)z;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    if (c == '&') fputs("&amp;", f), i++;
    else if (c == '<') fputs("&lt;", f), i++;
    else if (c == '>') fputs("&gt;", f), i++;
    else if (c == '"') fputs("&quot;", f), i++;
    else if (c == '\n' || c == '\t' || c == '\r') putc((int)c, f), i++;
    else if (c < 0x20 || c == 0x7f) fputs("\xef\xbf\xbd", f), i++;
    else if (c < 0x80) putc((int)c, f), i++;
    else {
      size_t len = hs_utf8_len(p + i, n - i);
      if (len == 0) {
        fputs("\xef\xbf\xbd", f);
        i++;
      } else {
        fwrite(p + i, 1, len, f);
        i += len;
      }
    }
  }
}

static void xml_field(FILE *f, const msgpack_object *m, const char *zKey) {
  const char *z;
  size_t n;
  hs_mp_str(m, zKey, &z, &n);
  xml_text(f, z, n);
}

static int str_eq(const msgpack_object *m, const char *zKey, const char *zWant) {
  const char *z;
  size_t n;
  return hs_mp_str(m, zKey, &z, &n) && n == strlen(zWant) && memcmp(z, zWant, n) == 0;
}

/* The finding's details as text: message, bytes, count, site, evidence. */
static void finding_text(FILE *f, const msgpack_object *fd) {
  xml_field(f, fd, "message");
  const msgpack_object *b = hs_mp_get(fd, "bytes");
  if (b && b->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    char z[32];
    hs_fmt_bytes(b->via.u64, z, sizeof z);
    fprintf(f, "\nbytes: %llu (%s)", (unsigned long long)b->via.u64, z);
  }
  int64_t nCount = hs_mp_int(fd, "count", -1);
  if (nCount >= 0) fprintf(f, "\ncount: %lld", (long long)nCount);
  const char *z;
  size_t n;
  if (hs_mp_str(fd, "site", &z, &n)) {
    fputs("\nsite: ", f);
    xml_text(f, z, n);
  }
  const msgpack_object *ev = hs_mp_get(fd, "evidence");
  if (ev && ev->type == MSGPACK_OBJECT_MAP && ev->via.map.size) {
    char *zJson = NULL;
    size_t nJson = 0;
    FILE *m = open_memstream(&zJson, &nJson);
    if (m) {
      hs_json_write(m, ev);
      fclose(m);
      fputs("\nevidence: ", f);
      xml_text(f, zJson, nJson);
    }
    free(zJson);
  }
}

static int junit_begin(hs_report *r, const msgpack_object *pRun) {
  (void)pRun;
  junit *j = calloc(1, sizeof *j);
  if (!j) return -1;
  j->mem = open_memstream(&j->zBuf, &j->nBuf);
  if (!j->mem) {
    free(j);
    return -1;
  }
  r->pState = j;
  return 0;
}

static int junit_case(hs_report *r, const msgpack_object *c) {
  junit *j = r->pState;
  FILE *f = j->mem;
  const msgpack_object *dets = hs_mp_get(c, "detectors");
  const msgpack_object *fs = hs_mp_get(c, "findings");
  const msgpack_object *errs = hs_mp_get(c, "errors");
  uint32_t nDet = dets && dets->type == MSGPACK_OBJECT_ARRAY ? dets->via.array.size : 0;
  uint32_t nF = fs && fs->type == MSGPACK_OBJECT_ARRAY ? fs->via.array.size : 0;
  uint32_t nErr = errs && errs->type == MSGPACK_OBJECT_ARRAY ? errs->via.array.size : 0;
  /* Count first: a test case fails if it has a finding at or above fail-on. */
  int nTests = nDet + (nErr > 0), nFail = 0, nSkip = 0;
  for (uint32_t d = 0; d < nDet; d++) {
    const msgpack_object *det = &dets->via.array.ptr[d];
    const msgpack_object *id = hs_mp_get(det, "id");
    if (str_eq(det, "status", "skipped")) nSkip++;
    for (uint32_t i = 0; id && i < nF; i++) {
      const msgpack_object *fd = &fs->via.array.ptr[i];
      const msgpack_object *fid = hs_mp_get(fd, "detector");
      const char *z;
      size_t n;
      hs_mp_str(fd, "severity", &z, &n);
      if (fid && fid->type == MSGPACK_OBJECT_STR && id->type == MSGPACK_OBJECT_STR &&
          fid->via.str.size == id->via.str.size &&
          memcmp(fid->via.str.ptr, id->via.str.ptr, id->via.str.size) == 0 &&
          hs_severity(z, n) >= r->eFailOn) {
        nFail++;
        break;
      }
    }
  }
  j->nTests += nTests;
  j->nFail += nFail;
  j->nError += nErr > 0;
  j->nSkip += nSkip;
  fputs("  <testsuite name=\"", f);
  xml_field(f, c, "name");
  fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n", nTests, nFail,
          nErr > 0, nSkip);
  if (nErr) {
    fputs("    <testcase classname=\"", f);
    xml_field(f, c, "name");
    fputs("\" name=\"load\">\n      <error type=\"load\" message=\"inputs that could not be loaded\">", f);
    for (uint32_t i = 0; i < nErr; i++) {
      const msgpack_object *e = &errs->via.array.ptr[i];
      if (i) putc('\n', f);
      if (e->type == MSGPACK_OBJECT_STR) xml_text(f, e->via.str.ptr, e->via.str.size);
    }
    fputs("</error>\n    </testcase>\n", f);
  }
  for (uint32_t d = 0; d < nDet; d++) {
    const msgpack_object *det = &dets->via.array.ptr[d];
    const msgpack_object *id = hs_mp_get(det, "id");
    fputs("    <testcase classname=\"", f);
    xml_field(f, c, "name");
    fputs("\" name=\"", f);
    xml_field(f, det, "id");
    fputs("\">\n", f);
    if (str_eq(det, "status", "skipped")) {
      fputs("      <skipped message=\"", f);
      xml_field(f, det, "reason");
      fputs("\"/>\n", f);
    }
    int bOut = 0;
    for (int pass = 0; pass < 2; pass++) {   /* failures, then the rest as output */
      for (uint32_t i = 0; id && i < nF; i++) {
        const msgpack_object *fd = &fs->via.array.ptr[i];
        const msgpack_object *fid = hs_mp_get(fd, "detector");
        if (!fid || fid->type != MSGPACK_OBJECT_STR || id->type != MSGPACK_OBJECT_STR ||
            fid->via.str.size != id->via.str.size ||
            memcmp(fid->via.str.ptr, id->via.str.ptr, id->via.str.size) != 0)
          continue;
        const char *z;
        size_t n;
        hs_mp_str(fd, "severity", &z, &n);
        int bFail = hs_severity(z, n) >= r->eFailOn;
        if (pass == 0 && bFail) {
          fputs("      <failure type=\"", f);
          xml_field(f, fd, "severity");
          fputs("\" message=\"", f);
          xml_field(f, fd, "title");
          fputs("\">", f);
          finding_text(f, fd);
          fputs("</failure>\n", f);
        } else if (pass == 1 && !bFail) {
          fputs(bOut++ ? "\n\n" : "      <system-out>", f);
          xml_field(f, fd, "severity");
          fputs(": ", f);
          xml_field(f, fd, "title");
          putc('\n', f);
          finding_text(f, fd);
        }
      }
    }
    if (bOut) fputs("</system-out>\n", f);
    fputs("    </testcase>\n", f);
  }
  fputs("  </testsuite>\n", f);
  return ferror(f) ? -1 : 0;
}

static int junit_end(hs_report *r, const msgpack_object *pSummary) {
  (void)pSummary;
  junit *j = r->pState;
  int rc = fclose(j->mem) == 0 ? 0 : -1;
  fprintf(r->out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites name=\"heapscope check\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
          "skipped=\"%d\">\n",
          j->nTests, j->nFail, j->nError, j->nSkip);
  if (j->zBuf) fwrite(j->zBuf, 1, j->nBuf, r->out);
  fputs("</testsuites>\n", r->out);
  free(j->zBuf);
  free(j);
  r->pState = NULL;
  return rc == 0 && !ferror(r->out) ? 0 : -1;
}

const hs_writer hs_writer_junit = {
    "junit", "JUnit XML: a test suite per case, a test case per detector, a failure per "
    "finding at or above --fail-on",
    junit_begin, junit_case, junit_end,
};
