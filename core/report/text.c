/*
 * --format text, for people: findings grouped by case, worst first (the
 * engine already ordered them), sizes human, colour only on a terminal, and
 * each finding's evidence in a few lines.
 *
 *   case go1.23/leaky (5 inputs)
 *     live heap per GC cycle ▁▁▂▃▅▇█ 0..45 MB over 61 cycles
 *     WARNING  slice-retention  40 buffers kept alive by 16-byte subslices
 *              40.0 MiB in 40, at main.readRecord
 *              Copy the subslice (bytes.Clone) so the buffer can be freed.
 *              evidence: wasted_bytes=40.0 MiB
 *
 *   2 cases: 1 warning, 2 info. Exit status 1 (--fail-on warning).
 *
 * With a width (a terminal's, or $COLUMNS), each case is written to memory
 * first and its lines wrapped at spaces: a finding's title and message
 * continue under the title, an evidence line two columns further in.  A
 * word longer than the line (a long symbol or path) stays whole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "report/report.h"

#define EVIDENCE_LINES 6   /* lines of evidence per finding, then "... N more" */
#define LIST_ITEMS 5       /* items of a list shown inline */
#define SKIPPED_LINES 3  /* skipped inputs named per case, then a count */
#define INDENT "           "

static const char *colour(const hs_report *r, int eSev) {
  static const char *const az[] = {"", "\033[36m", "\033[33m", "\033[1;31m"};
  return r->bColour && eSev >= 1 && eSev <= 3 ? az[eSev] : "";
}
static const char *reset(const hs_report *r) { return r->bColour ? "\033[0m" : ""; }
static const char *bold(const hs_report *r) { return r->bColour ? "\033[1m" : ""; }

static void put(FILE *f, const msgpack_object *o) {
  if (!o) return;
  if (o->type == MSGPACK_OBJECT_STR)
    fwrite(o->via.str.ptr, 1, o->via.str.size, f);
  else if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
    /* 0.088, not 0.087999999999999995 (--format json keeps every digit) */
    fprintf(f, fabs(o->via.f64) >= 1e4 ? "%.0f" : "%.4g", o->via.f64);
  else
    hs_json_write(f, o);
}

/* A key that holds a byte count is shown human ("41.9 MiB"). */
static int is_bytes_key(const msgpack_object *k) {
  if (k->type != MSGPACK_OBJECT_STR) return 0;
  size_t n = k->via.str.size;
  const char *z = k->via.str.ptr;
  return (n >= 5 && memcmp(z + n - 5, "bytes", 5) == 0) ||
         (n >= 4 && memcmp(z + n - 4, "size", 4) == 0) ||
         (n == 8 && memcmp(z, "retained", 8) == 0);
}

static void put_scalar(FILE *f, const msgpack_object *k, const msgpack_object *v) {
  if (k && is_bytes_key(k) && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    char z[32];
    hs_fmt_bytes(v->via.u64, z, sizeof z);
    fputs(z, f);
  } else
    put(f, v);
}

static int is_scalar(const msgpack_object *v) {
  return v->type != MSGPACK_OBJECT_ARRAY && v->type != MSGPACK_OBJECT_MAP;
}

/* A map on one line: k=v k=v, nested values as JSON. */
static void put_inline_map(FILE *f, const msgpack_object *m) {
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object_kv *kv = &m->via.map.ptr[i];
    if (i) putc(' ', f);
    put(f, &kv->key);
    putc('=', f);
    if (is_scalar(&kv->val)) put_scalar(f, &kv->key, &kv->val);
    else hs_json_write(f, &kv->val);
  }
}

/* Evidence: scalars together on the first line, then each list or map on
** its own lines (lists of records one item per line), at most
** EVIDENCE_LINES lines in all. */
static void put_evidence(FILE *f, const msgpack_object *ev) {
  if (!ev || ev->type != MSGPACK_OBJECT_MAP || ev->via.map.size == 0) return;
  int nLine = 0, nScalar = 0;
  for (uint32_t i = 0; i < ev->via.map.size; i++) {
    const msgpack_object_kv *kv = &ev->via.map.ptr[i];
    if (!is_scalar(&kv->val)) continue;
    fputs(nScalar++ ? " " : INDENT "evidence: ", f);
    put(f, &kv->key);
    putc('=', f);
    put_scalar(f, &kv->key, &kv->val);
  }
  if (nScalar) putc('\n', f), nLine++;
  for (uint32_t i = 0; i < ev->via.map.size; i++) {
    const msgpack_object_kv *kv = &ev->via.map.ptr[i];
    const msgpack_object *v = &kv->val;
    if (is_scalar(v)) continue;
    if (v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 0) continue;
    if (nLine >= EVIDENCE_LINES) {
      fputs(INDENT "...\n", f);
      return;
    }
    fputs(INDENT, f);
    put(f, &kv->key);
    fputs(": ", f);
    if (v->type == MSGPACK_OBJECT_MAP) {
      put_inline_map(f, v);
      putc('\n', f), nLine++;
      continue;
    }
    uint32_t n = v->via.array.size;
    int bRecords = n > 0 && !is_scalar(&v->via.array.ptr[0]);
    if (!bRecords) {                          /* a, b, c (+N more) */
      for (uint32_t j = 0; j < n && j < LIST_ITEMS; j++) {
        if (j) fputs(", ", f);
        put(f, &v->via.array.ptr[j]);
      }
      if (n > LIST_ITEMS) fprintf(f, " (+%u more)", n - LIST_ITEMS);
      putc('\n', f), nLine++;
      continue;
    }
    fprintf(f, "%u\n", n);
    nLine++;
    for (uint32_t j = 0; j < n; j++) {
      if (nLine >= EVIDENCE_LINES || j >= LIST_ITEMS) {
        fprintf(f, INDENT "  ... %u more\n", n - j);
        nLine++;
        break;
      }
      const msgpack_object *it = &v->via.array.ptr[j];
      fputs(INDENT "  ", f);
      if (it->type == MSGPACK_OBJECT_MAP) put_inline_map(f, it);
      else hs_json_write(f, it);
      putc('\n', f), nLine++;
    }
  }
}

static void put_finding(hs_report *r, const msgpack_object *fd) {
  FILE *f = r->out;
  const char *z;
  size_t n;
  hs_mp_str(fd, "severity", &z, &n);
  int eSev = hs_severity(z, n);
  char zSev[16];
  snprintf(zSev, sizeof zSev, "%.*s", (int)n, z);
  for (char *p = zSev; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
  fprintf(f, "  %s%-8s%s ", colour(r, eSev), zSev, reset(r));
  put(f, hs_mp_get(fd, "detector"));
  fprintf(f, "  %s", bold(r));
  put(f, hs_mp_get(fd, "title"));
  fprintf(f, "%s\n", reset(r));
  /* 40.0 MiB in 40, at main.readRecord */
  const msgpack_object *b = hs_mp_get(fd, "bytes"), *c = hs_mp_get(fd, "count");
  int bAny = 0;
  if (b && b->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    char zb[32];
    hs_fmt_bytes(b->via.u64, zb, sizeof zb);
    fprintf(f, INDENT "%s", zb);
    bAny = 1;
  }
  if (c && c->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    fprintf(f, bAny ? " in %llu" : INDENT "count %llu", (unsigned long long)c->via.u64);
    bAny = 1;
  }
  if (hs_mp_str(fd, "site", &z, &n) && n) {
    fprintf(f, "%sat %.*s", bAny ? ", " : INDENT, (int)n, z);
    bAny = 1;
  }
  if (bAny) putc('\n', f);
  if (hs_mp_str(fd, "message", &z, &n) && n) {
    fputs(INDENT, f);
    for (size_t i = 0; i < n; i++) {          /* indent continuation lines */
      putc(z[i], f);
      if (z[i] == '\n' && i + 1 < n) fputs(INDENT, f);
    }
    putc('\n', f);
  }
  put_evidence(f, hs_mp_get(fd, "evidence"));
}

static void put_strings(hs_report *r, const msgpack_object *c, const char *zKey,
                        const char *zLabel) {
  const msgpack_object *a = hs_mp_get(c, zKey);
  if (!a || a->type != MSGPACK_OBJECT_ARRAY) return;
  for (uint32_t i = 0; i < a->via.array.size; i++) {
    const msgpack_object *it = &a->via.array.ptr[i];
    fprintf(r->out, "  %s", zLabel);
    if (it->type == MSGPACK_OBJECT_MAP) put_inline_map(r->out, it);
    else put(r->out, it);
    putc('\n', r->out);
  }
}

/* Columns z[0..n) takes on a terminal: ANSI colour sequences take none. */
static int visible(const char *z, size_t n) {
  int w = 0;
  for (size_t i = 0; i < n; i++) {
    if (z[i] == '\033') {
      while (i < n && z[i] != 'm') i++;
    } else if (((unsigned char)z[i] & 0xC0) != 0x80) {
      w++;                                    /* one per UTF-8 character */
    }
  }
  return w;
}

/* How far a line's continuation is indented, from what the line is: a
** finding's first line continues under its title, "key: ..." evidence and
** list items two columns in from where they start, anything else (a
** message) at its own indent. */
static int cont_indent(const char *z, size_t n) {
  size_t lead = 0;
  while (lead < n && z[lead] == ' ') lead++;
  if (lead == 2 && n > 2 && z[2] >= 'A' && z[2] <= 'Z') return (int)strlen(INDENT);
  if (lead == 2 || lead > strlen(INDENT)) return (int)lead + 2;
  size_t i = lead;
  while (i < n && ((z[i] >= 'a' && z[i] <= 'z') || z[i] == '_')) i++;
  if (i > lead && i + 1 < n && z[i] == ':' && z[i + 1] == ' ') return (int)lead + 2;
  return (int)lead;
}

/* The end of the word at z[i]: a number keeps its unit ("300.7 MiB",
** "45.0 ms") on the same line. */
static size_t word_end(const char *z, size_t n, size_t i) {
  static const char *const azUnit[] = {"B", "KiB", "MiB", "GiB", "TiB", "ms", "s", NULL};
  size_t j = i;
  while (j < n && z[j] != ' ') j++;
  if (j == i || j + 1 >= n || z[j - 1] < '0' || z[j - 1] > '9' || z[j + 1] == ' ') return j;
  size_t e = j + 1;
  while (e < n && z[e] != ' ') e++;
  size_t nUnit = e - j - 1;
  if (nUnit > 0 && strchr(",.;:)", z[e - 1])) nUnit--;  /* "MiB)," */
  if (nUnit > 0 && strchr(",.;:)", z[j + nUnit])) nUnit--;
  for (int u = 0; azUnit[u]; u++)
    if (strlen(azUnit[u]) == nUnit && memcmp(z + j + 1, azUnit[u], nUnit) == 0) return e;
  return j;
}

/* Write one line (no newline in z[0..n)) to f wrapped at nWidth columns:
** breaks only at spaces, keeping the spacing between words that stay on a
** line; a continuation starts with cont_indent() spaces. */
static void put_wrapped(FILE *f, const char *z, size_t n, int nWidth) {
  int nCont = cont_indent(z, n), col = 0;
  size_t i = 0;
  while (i < n && z[i] == ' ') putc(' ', f), col++, i++;
  while (i < n) {
    size_t j = word_end(z, n, i);
    int w = visible(z + i, j - i);
    fwrite(z + i, 1, j - i, f);
    col += w;
    size_t k = j;                             /* the spaces before the next word */
    while (k < n && z[k] == ' ') k++;
    if (k >= n) break;
    size_t e = word_end(z, n, k);
    int wNext = visible(z + k, e - k);
    if (col + (int)(k - j) + wNext > nWidth && col > nCont) {
      putc('\n', f);
      for (col = 0; col < nCont; col++) putc(' ', f);
    } else {
      fwrite(z + j, 1, k - j, f);
      col += (int)(k - j);
    }
    i = k;
  }
  putc('\n', f);
}

/* Every line of z[0..n) through put_wrapped. */
static void put_lines_wrapped(FILE *f, const char *z, size_t n, int nWidth) {
  size_t i = 0;
  while (i < n) {
    const char *e = memchr(z + i, '\n', n - i);
    size_t j = e ? (size_t)(e - z) : n;
    put_wrapped(f, z + i, j - i, nWidth);
    i = j + 1;
  }
}

static int text_begin(hs_report *r, const msgpack_object *pRun) {
  (void)pRun;
  return 0;
}

static int text_case(hs_report *r, const msgpack_object *pCase) {
  FILE *pOut = r->out, *f = pOut;
  char *zBuf = NULL;
  size_t nBuf = 0;
  if (r->nWidth > 0 && (f = open_memstream(&zBuf, &nBuf)) != NULL)
    r->out = f;                               /* wrapped below */
  else
    f = pOut;
  const msgpack_object *in = hs_mp_get(pCase, "inputs");
  const msgpack_object *fs = hs_mp_get(pCase, "findings");
  uint32_t nIn = in && in->type == MSGPACK_OBJECT_ARRAY ? in->via.array.size : 0;
  uint32_t nF = fs && fs->type == MSGPACK_OBJECT_ARRAY ? fs->via.array.size : 0;
  if (r->sum.nCase > 1) putc('\n', f);
  fprintf(f, "%scase ", bold(r));
  put(f, hs_mp_get(pCase, "name"));
  fprintf(f, "%s (%u input%s, %u finding%s)\n", reset(r), nIn, nIn == 1 ? "" : "s", nF,
          nF == 1 ? "" : "s");
  const char *zSpark;
  size_t nSpark;
  if (hs_mp_str(pCase, "gc_sparkline", &zSpark, &nSpark) && nSpark)
    fprintf(f, "  %.*s\n", (int)nSpark, zSpark);
  put_strings(r, pCase, "errors", "load error: ");
  put_strings(r, pCase, "warnings", "load warning: ");
  for (uint32_t i = 0; i < nF; i++) put_finding(r, &fs->via.array.ptr[i]);
  const msgpack_object *sk = hs_mp_get(pCase, "skipped");
  uint32_t nSk = sk && sk->type == MSGPACK_OBJECT_ARRAY ? sk->via.array.size : 0;
  for (uint32_t i = 0; i < nSk && i < SKIPPED_LINES; i++) {
    const char *zName, *zWhy;
    size_t nName, nWhy;
    hs_mp_str(&sk->via.array.ptr[i], "input", &zName, &nName);
    hs_mp_str(&sk->via.array.ptr[i], "reason", &zWhy, &nWhy);
    fprintf(f, "  skipped %.*s: %.*s\n", (int)nName, zName, (int)nWhy, zWhy);
  }
  if (nSk > SKIPPED_LINES)
    fprintf(f, "  skipped %u more inputs that are not evidence (--format json lists them)\n",
            nSk - SKIPPED_LINES);
  put_strings(r, pCase, "notes", "note: ");
  if (f != pOut) {
    r->out = pOut;
    int bErr = ferror(f) || fclose(f) != 0;
    if (!bErr) put_lines_wrapped(pOut, zBuf, nBuf, r->nWidth);
    free(zBuf);
    if (bErr) return -1;
  }
  return ferror(pOut) ? -1 : 0;
}

static int text_end(hs_report *r, const msgpack_object *pSummary) {
  FILE *f = r->out;
  const hs_summary *s = &r->sum;
  if (s->nCase) putc('\n', f);
  fprintf(f, "%d case%s: ", s->nCase, s->nCase == 1 ? "" : "s");
  int nF = s->anSev[1] + s->anSev[2] + s->anSev[3];
  if (nF == 0) fputs("no findings", f);
  static const char *const az[] = {"", "info", "warning", "error"};
  for (int i = HS_SEV_ERROR, nOut = 0; i >= HS_SEV_INFO; i--) {
    if (!s->anSev[i]) continue;
    fprintf(f, "%s%s%d %s%s%s", nOut++ ? ", " : "", colour(r, i), s->anSev[i], az[i],
            s->anSev[i] > 1 && i != HS_SEV_INFO ? "s" : "", reset(r));
  }
  if (s->nCaseError)
    fprintf(f, "; %d case%s with inputs that could not be loaded", s->nCaseError,
            s->nCaseError == 1 ? "" : "s");
  fprintf(f, ". Exit status %d (--fail-on %s).\n", (int)hs_mp_int(pSummary, "status", 0),
          hs_severity_name(r->eFailOn));
  const msgpack_object *a = hs_mp_get(pSummary, "absent");
  if (a && a->type == MSGPACK_OBJECT_ARRAY && a->via.array.size) {
    fputs("Not installed, so not run: ", f);
    for (uint32_t i = 0; i < a->via.array.size; i++) {
      if (i) fputs(", ", f);
      put(f, &a->via.array.ptr[i]);
    }
    fputs(".\n", f);
  }
  return ferror(f) ? -1 : 0;
}

const hs_writer hs_writer_text = {
    "text", "for people: grouped by case, worst first (the default)",
    text_begin, text_case, text_end,
};
