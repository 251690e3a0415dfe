/*
 * The Go log reader shared by the text loaders (gctrace.c, goroutines.c):
 * logical lines without container framing, and the tests that tell a
 * gctrace line and a goroutine dump header from other text.  See golog.h
 * for the framing this removes.
 */
#include <stdlib.h>
#include <string.h>

#include "golog.h"

/* ------------------------------------------------------------------ */
/* The line reader. */

void hs_logreader_init(hs_logreader *r, const uint8_t *p, size_t n) {
  memset(r, 0, sizeof *r);
  r->p = (const char *)p;
  r->n = n;
}

void hs_logreader_free(hs_logreader *r) {
  free(r->aBuf);
  r->aBuf = NULL;
  r->nBuf = r->nBufCap = 0;
}

/* Make room for n more bytes in aBuf; 0 if it cannot (record too long or
** out of memory: the caller drops the bytes and bNoMem says so). */
static int buf_room(hs_logreader *r, size_t n) {
  if (r->nBuf + n <= r->nBufCap) return 1;
  if (r->nBuf + n > HS_LOG_MAX_RECORD) {
    r->bNoMem = 1;
    return 0;
  }
  size_t nCap = r->nBufCap ? r->nBufCap * 2 : 4096;
  while (nCap < r->nBuf + n) nCap *= 2;
  char *a = realloc(r->aBuf, nCap);
  if (!a) {
    r->bNoMem = 1;
    return 0;
  }
  r->aBuf = a;
  r->nBufCap = nCap;
  return 1;
}

static void buf_add(hs_logreader *r, const char *z, size_t n) {
  if (n && buf_room(r, n)) {
    memcpy(r->aBuf + r->nBuf, z, n);
    r->nBuf += n;
  }
}

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* A CRI line: "<RFC3339 time> <stdout|stderr> <F|P> <content>".  Returns 1
** and the split points, 0 if z[0..n) is not one. */
static int cri_split(const char *z, size_t n, size_t *pnTime, size_t *piBody, int *pbPartial,
                     char *pcStream) {
  if (n < 20 || !is_digit(z[0]) || !is_digit(z[3]) || z[4] != '-' || z[7] != '-' || z[10] != 'T')
    return 0;
  size_t i = 11;
  while (i < n && i < 48 && z[i] != ' ') i++;
  if (i >= n || z[i] != ' ') return 0;
  *pnTime = i;
  i++;
  if (i + 8 > n) return 0; /* "stdout " and the tag */
  if (memcmp(z + i, "stdout ", 7) != 0 && memcmp(z + i, "stderr ", 7) != 0) return 0;
  *pcStream = z[i + 3]; /* 'o' or 'e' */
  i += 7;
  if (z[i] != 'F' && z[i] != 'P') return 0;
  *pbPartial = z[i] == 'P';
  i++;
  if (i < n && z[i] != ' ') return 0;
  *piBody = i < n ? i + 1 : n;
  return 1;
}

/* `kubectl logs --timestamps`: "<RFC 3339 time> <line>".  Returns the
** length of the time (the line follows one space later), 0 if z is not
** such a line. */
static size_t ts_split(const char *z, size_t n) {
  static const char azShape[] = "dddd-dd-ddTdd:dd:dd";
  if (n < 21) return 0;
  for (size_t i = 0; i < 19; i++)
    if (azShape[i] == 'd' ? !is_digit(z[i]) : z[i] != azShape[i]) return 0;
  size_t i = 19;
  if (z[i] == '.' || z[i] == ',')
    for (i++; i < n && is_digit(z[i]); i++) {}
  if (i < n && z[i] == 'Z') i++;
  else if (i + 6 <= n && (z[i] == '+' || z[i] == '-') && is_digit(z[i + 1]) && z[i + 3] == ':') i += 6;
  else return 0;
  return i < n && z[i] == ' ' ? i : 0;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int hex4(const char *z, size_t n, size_t i, unsigned *pv) {
  if (i + 4 > n) return 0;
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(z[i + k]);
    if (h < 0) return 0;
    v = v * 16 + (unsigned)h;
  }
  *pv = v;
  return 1;
}

static void buf_utf8(hs_logreader *r, unsigned u) {
  char a[4];
  size_t n;
  if (u < 0x80) { a[0] = (char)u; n = 1; }
  else if (u < 0x800) { a[0] = (char)(0xC0 | (u >> 6)); a[1] = (char)(0x80 | (u & 0x3F)); n = 2; }
  else if (u < 0x10000) {
    a[0] = (char)(0xE0 | (u >> 12)); a[1] = (char)(0x80 | ((u >> 6) & 0x3F));
    a[2] = (char)(0x80 | (u & 0x3F)); n = 3;
  } else {
    a[0] = (char)(0xF0 | (u >> 18)); a[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    a[2] = (char)(0x80 | ((u >> 6) & 0x3F)); a[3] = (char)(0x80 | (u & 0x3F)); n = 4;
  }
  buf_add(r, a, n);
}

/* Decode the JSON string that starts at z[i] (after its opening quote) into
** aBuf; returns the index just past the closing quote (n if unterminated). */
static size_t json_string(hs_logreader *r, const char *z, size_t n, size_t i) {
  while (i < n) {
    size_t j = i;
    while (j < n && z[j] != '"' && z[j] != '\\') j++;
    buf_add(r, z + i, j - i);
    if (j >= n) return n;
    if (z[j] == '"') return j + 1;
    if (j + 1 >= n) return n;
    char e = z[j + 1];
    i = j + 2;
    switch (e) {
      case 'n': buf_add(r, "\n", 1); break;
      case 't': buf_add(r, "\t", 1); break;
      case 'r': buf_add(r, "\r", 1); break;
      case 'b': buf_add(r, "\b", 1); break;
      case 'f': buf_add(r, "\f", 1); break;
      case 'u': {
        unsigned u, u2;
        if (!hex4(z, n, i, &u)) { buf_add(r, "\\u", 2); break; }
        i += 4;
        if (u >= 0xD800 && u < 0xDC00 && i + 6 <= n && z[i] == '\\' && z[i + 1] == 'u' &&
            hex4(z, n, i + 2, &u2) && u2 >= 0xDC00 && u2 < 0xE000) {
          u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
          i += 6;
        } else if (u >= 0xD800 && u < 0xE000) {
          u = 0xFFFD;
        }
        buf_utf8(r, u);
        break;
      }
      default: buf_add(r, &e, 1); break; /* \" \\ \/ and unknown escapes */
    }
  }
  return n;
}

/* Index just past the JSON string whose opening quote is z[i]; 0 if it is
** not terminated on this line. */
static size_t skip_string(const char *z, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (z[i] == '\\') i++;
    else if (z[i] == '"') return i + 1;
  }
  return 0;
}

static size_t skip_ws(const char *z, size_t n, size_t i) {
  while (i < n && (z[i] == ' ' || z[i] == '\t' || z[i] == '\r')) i++;
  return i;
}

/* Index just past the JSON value at z[i] (objects and arrays by depth,
** strings skipped whole); 0 if it does not end on this line. */
static size_t skip_value(const char *z, size_t n, size_t i) {
  if (i >= n) return 0;
  if (z[i] == '"') return skip_string(z, n, i);
  if (z[i] == '{' || z[i] == '[') {
    int nDepth = 0;
    while (i < n) {
      if (z[i] == '"') {
        if (!(i = skip_string(z, n, i))) return 0;
        continue;
      }
      if (z[i] == '{' || z[i] == '[') nDepth++;
      else if ((z[i] == '}' || z[i] == ']') && --nDepth == 0) return i + 1;
      i++;
    }
    return 0;
  }
  size_t i0 = i;                              /* number, true, false, null */
  while (i < n && z[i] != ',' && z[i] != '}' && z[i] != ']' && z[i] != ' ' && z[i] != '\t') i++;
  return i > i0 ? i : 0;
}

int hs_golog_json_record(const char *z, size_t n, hs_logjson *pOut) {
  static const char *const azKey[] = {"log", "message", "msg"}; /* in order of preference */
  static const char *const azTime[] = {"time", "timestamp", "@timestamp"};
  int iBest = 3;
  memset(pOut, 0, sizeof *pOut);
  size_t i = skip_ws(z, n, 0);
  if (i >= n || z[i] != '{') return 0;
  i = skip_ws(z, n, i + 1);
  while (i < n && z[i] == '"') {
    size_t iKey = i + 1, iEnd = skip_string(z, n, i);
    if (!iEnd) return 0;
    size_t nKey = iEnd - 1 - iKey;
    i = skip_ws(z, n, iEnd);
    if (i >= n || z[i] != ':') return 0;
    i = skip_ws(z, n, i + 1);
    size_t iVal = i;
    if (!(i = skip_value(z, n, i))) return 0;
    for (int k = 0; k < 3 && z[iVal] == '"'; k++) {
      if (nKey == strlen(azKey[k]) && memcmp(z + iKey, azKey[k], nKey) == 0 && k < iBest) {
        iBest = k;
        pOut->iText = iVal + 1;
        pOut->bLog = k == 0;
      }
      if (nKey == strlen(azTime[k]) && memcmp(z + iKey, azTime[k], nKey) == 0 && !pOut->nTime) {
        pOut->iTime = iVal + 1;
        pOut->nTime = i - iVal - 2;
      }
    }
    i = skip_ws(z, n, i);
    if (i < n && z[i] == ',') i = skip_ws(z, n, i + 1);
    else break;
  }
  if (i >= n || z[i] != '}' || iBest == 3) return 0;
  return skip_ws(z, n, i + 1) == n;
}

/* Emit the joined record in aBuf. */
static void emit_pending(hs_logreader *r, hs_logline *pL, int bCut) {
  pL->z = r->aBuf ? r->aBuf : "";
  pL->n = r->nBuf;
  pL->iLine = r->iPendLine;
  pL->iOff = r->iPendOff;
  pL->zTime = r->zTime;
  pL->nTime = r->nTime;
  pL->bCut = bCut;
  r->bPending = 0;
}

/* Emit one physical line z[0..n) that starts at iOff; the next starts at
** iNext.  Returns 1. */
static int emit_line(hs_logreader *r, hs_logline *pL, size_t iNext, const char *z, size_t n,
                     uint64_t iOff, const char *zTime, size_t nTime, int bCut) {
  r->iPos = iNext;
  r->iLine++;
  pL->z = z;
  pL->n = n;
  pL->iLine = r->iLine;
  pL->iOff = iOff;
  pL->zTime = zTime;
  pL->nTime = nTime;
  pL->bCut = bCut;
  return 1;
}

static int next_record(hs_logreader *r, hs_logline *pL) {
  for (;;) {
    if (r->iPos >= r->n) {
      if (r->bPending) {
        emit_pending(r, pL, 1);
        return 1;
      }
      return 0;
    }
    size_t iStart = r->iPos;
    const char *z = r->p + iStart;
    size_t nAvail = r->n - iStart;
    const char *e = memchr(z, '\n', nAvail);
    size_t nLine = e ? (size_t)(e - z) : nAvail;
    size_t iNext = e ? iStart + nLine + 1 : r->n;
    if (nLine && z[nLine - 1] == '\r') nLine--;

    size_t nTime = 0, iBody = 0;
    int bPartial = 0, eForm = 0; /* 0 plain, 1 CRI, 2 JSON, 3 timestamped */
    char cStream = 'd';
    hs_logjson js;
    if (nLine >= 8 && (z[0] == '{' || z[0] == ' ' || z[0] == '\t') &&
        hs_golog_json_record(z, nLine, &js))
      eForm = 2;
    else if (nLine >= 20 && is_digit(z[0])) {
      if (cri_split(z, nLine, &nTime, &iBody, &bPartial, &cStream)) eForm = 1;
      else if ((nTime = ts_split(z, nLine)) > 0) eForm = 3;
    }

    if (r->bPending && eForm == 1 && cStream != r->cStream && !bPartial) {
      /* the other stream's whole record amid a partial one: read it alone
      ** (it lies in the input) and keep joining the partial */
      return emit_line(r, pL, iNext, z + iBody, nLine - iBody, iStart, z, nTime, 0);
    }
    if (r->bPending && (eForm == 0 || eForm == 3 || cStream != r->cStream)) {
      /* a partial record followed by a plain line or by the other stream's
      ** record: the partial ends here, this line is read next */
      emit_pending(r, pL, 0);
      return 1;
    }
    if (eForm == 0 || eForm == 3) {
      size_t iSkip = eForm == 3 ? nTime + 1 : 0;
      return emit_line(r, pL, iNext, z + iSkip, nLine - iSkip, iStart, eForm == 3 ? z : NULL,
                       eForm == 3 ? nTime : 0, e == NULL);
    }

    r->iPos = iNext;
    r->iLine++;
    if (!r->bPending) {
      r->nBuf = 0;
      r->cStream = cStream;
      r->iPendLine = r->iLine;
      r->iPendOff = iStart;
      r->zTime = NULL;
      r->nTime = 0;
    }
    if (eForm == 1) {
      buf_add(r, z + iBody, nLine - iBody);
      if (!r->zTime) { r->zTime = z; r->nTime = nTime; }
    } else {
      json_string(r, z, nLine, js.iText);
      if (js.nTime && !r->zTime) { r->zTime = z + js.iTime; r->nTime = js.nTime; }
      if (r->nBuf && r->aBuf[r->nBuf - 1] == '\n') {
        r->nBuf--;
        if (r->nBuf && r->aBuf[r->nBuf - 1] == '\r') r->nBuf--;
        bPartial = 0;
      } else {
        bPartial = js.bLog;       /* Docker's json-file: a "log" without \n continues */
      }
    }
    if (bPartial) {
      r->bPending = 1;
      continue;
    }
    emit_pending(r, pL, 0);
    return 1;
  }
}

int hs_logreader_next(hs_logreader *r, hs_logline *pL) {
  if (!next_record(r, pL)) return 0;
  if (r->c && (++r->nRecord & 0xFFFF) == 0 && hs_checkpoint()) {
    hs_case_diag(r->c, HS_WARNING, r->in->zName, pL->iOff, pL->iLine,
                 "interrupted; the %s rows before this line were kept", r->zWhat);
    return 0;
  }
  return 1;
}

void hs_logreader_init_input(hs_logreader *r, hs_case *c, const hs_input *in, const char *zWhat) {
  hs_logreader_init(r, in->p, in->n);
  r->c = c;
  r->in = in;
  r->zWhat = zWhat;
}

uint32_t hs_golog_source_id(hs_case *c, const hs_input *in) {
  uint32_t id = hs_str_internz(c->pStr, in->zName);
  return id == UINT32_MAX ? 0 : id;
}

/* ------------------------------------------------------------------ */
/* Line classification, used by the sniffers and to hand over content. */

static int has_prefix(const char *z, size_t n, const char *zP, size_t nP) {
  return n >= nP && memcmp(z, zP, nP) == 0;
}
#define PREFIX(z, n, lit) has_prefix(z, n, lit, sizeof(lit) - 1)

/* "gc N @...": the cycle number is followed by " @", or by the end of the
** line or glued text when another writer tore the line right there; "gc 3
** workers started" is someone else's. */
int hs_golog_is_gc_start(const char *z, size_t n) {
  if (n < 4 || z[0] != 'g' || z[1] != 'c' || z[2] != ' ') return 0;
  size_t i = 3;
  if (i < n && z[i] == '#') i++;
  if (i >= n || !is_digit(z[i])) return 0;
  while (i < n && is_digit(z[i])) i++;
  return i == n || z[i] != ' ' || (i + 1 < n && z[i + 1] == '@') || i + 1 == n;
}

int hs_golog_is_gc_line(const char *z, size_t n) {
  if (n < 5) return 0;
  switch (z[0]) {
    case 'g': return hs_golog_is_gc_start(z, n);
    case 's': return (n > 5 && PREFIX(z, n, "scav ") && is_digit(z[5])) || PREFIX(z, n, "scvg");
    case 'p': return PREFIX(z, n, "pacer: ");
    case 'G': return PREFIX(z, n, "GC forced");
  }
  return 0;
}

int hs_golog_is_goroutine_line(const char *z, size_t n) {
  if (n < 13 || z[0] != 'g' || !PREFIX(z, n, "goroutine ")) return 0;
  if (PREFIX(z, n, "goroutine profile: total ")) return 1;
  size_t i = 10;
  if (!is_digit(z[i])) return 0;
  while (i < n && is_digit(z[i])) i++;
  return (n - i >= 2 && z[i] == ' ' && z[i + 1] == '[') || (n - i >= 4 && memcmp(z + i, " gp=", 4) == 0);
}
