/*
 * Process memory loader: what Linux says about a process's memory, as
 * opposed to what the Go runtime says (MemStats).  The gap between the two
 * (RSS far above HeapInuse, a cgroup near memory.max) is what the rss-gap
 * detector looks for.
 *
 * The inputs this reads (all text, one item a line)
 * --------------------------------------------------
 *   file (kind)          line format                      units
 *   -------------------  -------------------------------  ------------------
 *   /proc/PID/           `START-END PERMS OFF DEV INODE   header, skipped
 *     smaps_rollup         [rollup]`
 *                        `Key:   N kB`                    kB -> bytes
 *   /proc/PID/smaps      one header per mapping, its      summed over all
 *     (kind "smaps")       `Key: N kB` lines, VmFlags:      mappings; key
 *                                                         "mappings" counts them
 *   /proc/PID/status     `Key:\tvalue`: `N kB` (VmRSS,    kB -> bytes; a lone
 *                        RssAnon...), N (Threads), text   decimal is a count;
 *                        (State, Uid, masks)              the rest is text
 *   /proc/meminfo        `Key:   N kB` (MemTotal first),  as status; the
 *     (kind "meminfo")     HugePages_Total: N             machine, not the process
 *   cgroup v2            `key N`: anon, file, kernel_stack bytes, except the
 *     memory.stat          ..., pgfault, workingset_*      event counters
 *   cgroup v2            `key N`: low high max oom        counts
 *     memory.events        oom_kill oom_group_kill (also
 *                          memory.events.local,
 *                          memory.swap.events: high max fail)
 *   cgroup v2            one line: N, or `max`            bytes; max is
 *     memory.current,                                      UINT64_MAX
 *     memory.max, ...
 *
 * Sources: proc(5) (smaps, status), the kernel's
 * Documentation/admin-guide/cgroup-v2.rst (memory.* interface files).
 *
 * Recognising the cgroup files.  memory.stat and memory.events have
 * distinctive keys.  memory.current and memory.max are a lone number (or
 * `max`): the content cannot say which file it is, so a lone value is taken
 * with a weak sniff score (anything more specific wins) and the input's file
 * name is used as a HINT only to name it: a base name `memory.X` gives kind
 * `memory.X` (memory.max, memory.high, memory.peak, memory.swap.max, cgroup
 * v1's memory.limit_in_bytes ...); otherwise `max` means memory.max and a
 * number memory.current, which is what such a file usually is.  DESIGN.md:
 * the name is a hint at most; it never decides whether we load a file.
 *
 * Table `proc`, long form, one row per value, so a detector asks for what
 * it needs without caring which files exist:
 *   source str  input name          kind  str  smaps_rollup, smaps, status,
 *   key    str  as the file spells        memory.stat, memory.events, ...
 *               it (VmRSS, Rss, anon, oom_kill); for one-value files the
 *               kind (memory.current)
 *   value  u64  the number, kB converted to bytes; UINT64_MAX for `max`;
 *               0 for text values
 *   unit   str  bytes | count | text | max
 *   bytes  u64  value when unit is bytes, else 0 (HS_COL_BYTES: prints as
 *               41.9 MiB; column hints are per column, so the byte values
 *               get their own column)
 *   text   str  the value as written (after the key, trimmed)
 *   line   u64  1-based line
 * E.g. RSS: the row with kind "status", key "VmRSS" (bytes), or kind
 * "smaps_rollup", key "Rss"; the cgroup limit: kind "memory.max".
 *
 * Errors: a line that does not fit the file's format is reported with its
 * line and skipped.  A last line without '\n' (the kernel ends every line
 * with one) may be cut (`VmRSS:  24` of `24060 kB`), so it is dropped with a
 * warning, except in one-value files.  Cost: one pass, O(keys) memory for
 * smaps sums (keys are few; bounded by PROC_MAX_KEYS).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"

#define PROC_MAX_KEYS 256

typedef enum {
  PK_NONE = 0,
  PK_SMAPS_ROLLUP,
  PK_SMAPS,
  PK_STATUS,
  PK_MEMINFO, /* /proc/meminfo: the machine's memory, same `Key: N kB` lines */
  PK_KV,      /* `key N` lines: memory.stat, memory.events, ... */
  PK_SINGLE   /* one value: memory.current, memory.max, ... */
} proc_shape;

/* ------------------------------------------------------------------ */
/* Line shapes. */

/* `START-END PERMS ...`: an smaps mapping header. */
static int is_map_header(const char *z, size_t n) {
  size_t i = 0;
  while (i < n && isxdigit((unsigned char)z[i])) i++;
  if (i == 0 || i >= n || z[i] != '-') return 0;
  size_t j = ++i;
  while (i < n && isxdigit((unsigned char)z[i])) i++;
  if (i == j || i >= n || z[i] != ' ') return 0;
  i++;
  if (i + 4 > n) return 0;
  for (int k = 0; k < 4; k++)
    if (!strchr("rwxps-", z[i + k])) return 0;
  return 1;
}

/* `key N` (memory.stat style): key [a-z_][a-z0-9_.]*, one space, digits. */
static int kv_line(const char *z, size_t n, size_t *pnKey, uint64_t *pV) {
  size_t i = 0;
  if (n == 0 || !(islower((unsigned char)z[0]) || z[0] == '_')) return 0;
  while (i < n && (islower((unsigned char)z[i]) || isdigit((unsigned char)z[i]) ||
                   z[i] == '_' || z[i] == '.'))
    i++;
  if (i >= n || z[i] != ' ') return 0;
  *pnKey = i;
  i++;
  if (i >= n || !isdigit((unsigned char)z[i])) return 0;
  uint64_t v = 0;
  while (i < n && isdigit((unsigned char)z[i])) {
    uint64_t d = (uint64_t)(z[i] - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    i++;
  }
  while (i < n && (z[i] == ' ' || z[i] == '\r')) i++;
  if (i != n) return 0;
  *pV = v;
  return 1;
}

static int is_event_key(const char *z, size_t n) {
  static const char *const az[] = {"low", "high", "max", "oom", "oom_kill", "oom_group_kill",
                                   "fail", NULL};
  for (int i = 0; az[i]; i++)
    if (strlen(az[i]) == n && memcmp(az[i], z, n) == 0) return 1;
  return 0;
}

/* memory.stat keys that are event counters rather than bytes
** (cgroup-v2.rst: pgfault, workingset_*, thp_*, ...; v1: pgpgin, total_pg*). */
static int is_count_key(const char *z, size_t n) {
  static const char *const azPre[] = {"pg", "total_pg", "workingset_", "total_workingset_",
                                      "pswp", "thp_", "numa_", "zswpin", "zswpout", "zswpwb",
                                      "swpin", "swpout", "hierarchical_pg", NULL};
  for (int i = 0; azPre[i]; i++) {
    size_t k = strlen(azPre[i]);
    if (n >= k && memcmp(z, azPre[i], k) == 0) return 1;
  }
  return 0;
}

/* Next line of z[*pi..n): sets *pz,*pn (without '\n' or '\r'); returns 0 at
** the end, 1 for a full line, 2 for a last line without '\n'. */
static int next_line(const char *z, size_t n, size_t *pi, const char **pz, size_t *pn) {
  if (*pi >= n) return 0;
  const char *e = memchr(z + *pi, '\n', n - *pi);
  size_t iEnd = e ? (size_t)(e - z) : n;
  *pz = z + *pi;
  *pn = iEnd - *pi;
  if (*pn > 0 && (*pz)[*pn - 1] == '\r') (*pn)--;
  *pi = e ? iEnd + 1 : n;
  return e ? 1 : 2;
}

/* Classify a buffer (the sniffer sees <= 64 KiB; the loader all of it).
** *piScore gets the sniff confidence. */
static proc_shape classify(const char *z, size_t n, int *piScore) {
  size_t i = 0, nl;
  const char *zl;
  int r;
  *piScore = 0;
  /* skip leading blank lines */
  size_t j = 0;
  while (j < n && (z[j] == '\n' || z[j] == '\r' || z[j] == ' ')) j++;
  if (j >= n) return PK_NONE;
  i = j;
  r = next_line(z, n, &i, &zl, &nl);
  if (is_map_header(zl, nl)) {
    int bRollup = memmem(zl, nl, "[rollup]", 8) != NULL;
    const char *z2;
    size_t n2;
    if (next_line(z, n, &i, &z2, &n2) && n2 > 4 && (memcmp(z2, "Rss:", 4) == 0 ||
                                                    memcmp(z2, "Size:", 5) == 0)) {
      *piScore = bRollup ? 95 : 90;
      return bRollup ? PK_SMAPS_ROLLUP : PK_SMAPS;
    }
    return PK_NONE;
  }
  if (nl > 6 && memcmp(zl, "Name:\t", 6) == 0) {
    size_t nLook = n < 8192 ? n : 8192;
    if (memmem(z, nLook, "\nPid:\t", 6) || memmem(z, nLook, "\nTgid:\t", 7) ||
        memmem(z, nLook, "\nVmRSS:\t", 8)) {
      *piScore = 95;
      return PK_STATUS;
    }
    return PK_NONE;
  }
  if (nl > 9 && memcmp(zl, "MemTotal:", 9) == 0) {
    size_t nLook = n < 8192 ? n : 8192;
    if (memmem(z, nLook, "\nMemFree:", 9) || memmem(z, nLook, "\nMemAvailable:", 14)) {
      *piScore = 90;
      return PK_MEMINFO;
    }
    return PK_NONE;
  }
  /* one value: digits or "max" on the only line */
  {
    size_t k = 0;
    while (k < nl && isdigit((unsigned char)zl[k])) k++;
    int bValue = (k == nl && nl > 0 && nl <= 20) || (nl == 3 && memcmp(zl, "max", 3) == 0);
    if (bValue) {
      size_t i2 = i;
      const char *z3;
      size_t n3;
      int bMore = 0;
      while (next_line(z, n, &i2, &z3, &n3))
        if (n3 > 0) bMore = 1;
      if (!bMore) {
        *piScore = 10; /* weak: a lone number could be anything */
        return PK_SINGLE;
      }
      return PK_NONE;
    }
  }
  /* `key N` lines */
  {
    size_t i2 = j, nKey;
    uint64_t v;
    int nLine = 0, nBad = 0, bAllEvents = 1, bStat = 0, rr;
    while ((rr = next_line(z, n, &i2, &zl, &nl)) != 0) {
      if (nl == 0) continue;
      if (!kv_line(zl, nl, &nKey, &v)) {
        if (rr == 2) break; /* a cut last line of the sniff window */
        if (++nBad > 64) return PK_NONE;
        continue;
      }
      nLine++;
      if (!is_event_key(zl, nKey)) bAllEvents = 0;
      if ((nKey == 4 && memcmp(zl, "anon", 4) == 0) || (nKey == 4 && memcmp(zl, "file", 4) == 0) ||
          (nKey == 5 && memcmp(zl, "cache", 5) == 0) || (nKey == 3 && memcmp(zl, "rss", 3) == 0))
        bStat = 1;
    }
    if (nLine >= 2 && (bAllEvents || bStat) && nBad * 4 <= nLine) {
      *piScore = nBad ? 70 : 90; /* a stray line among many is reported, not fatal */
      return PK_KV;
    }
    if (nLine >= 1 && nBad * 4 <= nLine) return PK_KV; /* loadable when forced, never sniffed */
  }
  (void)r;
  return PK_NONE;
}

/* The base name of an input ("a.tar.gz:x/memory.max" -> "memory.max"). */
static const char *base_name(const char *z) {
  const char *b = z;
  for (const char *q = z; *q; q++)
    if (*q == '/' || *q == ':') b = q + 1;
  return b;
}

/* A name hint `memory.X` (letters, digits, '.', '_'), or NULL. */
static const char *memory_hint(const char *zName) {
  const char *b = base_name(zName);
  if (strncmp(b, "memory.", 7) != 0 || !b[7]) return NULL;
  for (const char *q = b; *q; q++)
    if (!(isalnum((unsigned char)*q) || *q == '.' || *q == '_')) return NULL;
  return b;
}

/* ------------------------------------------------------------------ */
/* Loading. */

enum { P_SOURCE, P_KIND, P_KEY, P_VALUE, P_UNIT, P_BYTES, P_TEXT, P_LINE, P_NCOL };
static const hs_colspec aProcCol[P_NCOL] = {
    {"source", HS_STR, 0}, {"kind", HS_STR, 0}, {"key", HS_STR, 0},
    {"value", HS_U64, 0},  {"unit", HS_STR, 0}, {"bytes", HS_U64, HS_COL_BYTES},
    {"text", HS_STR, 0},   {"line", HS_U64, 0}};

typedef struct proc_load {
  hs_case *c;
  hs_input *in;
  hs_table *t;
  int aiCol[P_NCOL];    /* column indices by P_x */
  uint64_t nRow;
} proc_load;

static int add_row(proc_load *p, const char *zKind, const char *zKey, size_t nKey, uint64_t v,
                   const char *zUnit, const char *zText, size_t nText, uint64_t iLine) {
  hs_table *t = p->t;
  uint64_t r = hs_table_add_row(t);
  if (r == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(t, p->aiCol[P_SOURCE], r, p->in->zName);
  hs_table_set_strz(t, p->aiCol[P_KIND], r, zKind);
  hs_table_set_str(t, p->aiCol[P_KEY], r, zKey, nKey);
  hs_table_set_u64(t, p->aiCol[P_VALUE], r, v);
  hs_table_set_strz(t, p->aiCol[P_UNIT], r, zUnit);
  hs_table_set_u64(t, p->aiCol[P_BYTES], r, strcmp(zUnit, "bytes") == 0 ? v : 0);
  hs_table_set_str(t, p->aiCol[P_TEXT], r, zText, nText);
  hs_table_set_u64(t, p->aiCol[P_LINE], r, iLine);
  p->nRow++;
  return HS_OK;
}

static void pdiag(proc_load *p, hs_level lvl, uint64_t iLine, const char *zMsg) {
  hs_case_diag(p->c, lvl, p->in->zName, UINT64_MAX, iLine, "%s", zMsg);
}

/* Parse a decimal u64 from z[0..n) entirely; 1 on success. */
static int parse_u64(const char *z, size_t n, uint64_t *pV) {
  uint64_t v = 0;
  if (n == 0 || n > 20) return 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)z[i])) return 0;
    uint64_t d = (uint64_t)(z[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *pV = v;
  return 1;
}

/* `Key:  value` of smaps and status: value N kB -> bytes, N -> count,
** else text.  Returns HS_OK, or HS_EFORMAT for a line without ':'. */
static int colon_line(proc_load *p, const char *zKind, const char *z, size_t n, uint64_t iLine,
                      uint64_t *aSum, const char **azKey, size_t *anKey, int *pnKey) {
  const char *colon = memchr(z, ':', n);
  if (!colon || colon == z) return HS_EFORMAT;
  size_t nKey = (size_t)(colon - z), i = nKey + 1;
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  size_t nEnd = n;
  while (nEnd > i && (z[nEnd - 1] == ' ' || z[nEnd - 1] == '\t')) nEnd--;
  const char *zVal = z + i;
  size_t nVal = nEnd - i;
  uint64_t v = 0;
  const char *zUnit = "text";
  if (nVal > 3 && memcmp(zVal + nVal - 3, " kB", 3) == 0) {
    size_t k = nVal - 3;
    while (k > 0 && zVal[k - 1] == ' ') k--;
    if (parse_u64(zVal, k, &v)) {
      v = v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
      zUnit = "bytes";
    }
  } else if (parse_u64(zVal, nVal, &v) && !(nVal > 1 && zVal[0] == '0')) {
    zUnit = "count"; /* a leading 0 is octal (Umask) or a mask: text */
  }
  if (aSum) {
    /* smaps: sum byte values per key over mappings */
    if (strcmp(zUnit, "bytes") != 0) return HS_OK;
    for (int k = 0; k < *pnKey; k++)
      if (anKey[k] == nKey && memcmp(azKey[k], z, nKey) == 0) {
        aSum[k] += v;
        return HS_OK;
      }
    if (*pnKey < PROC_MAX_KEYS) {
      azKey[*pnKey] = z;
      anKey[*pnKey] = nKey;
      aSum[(*pnKey)++] = v;
    }
    return HS_OK;
  }
  if (strcmp(zUnit, "text") == 0) v = 0;
  return add_row(p, zKind, z, nKey, v, zUnit, zVal, nVal, iLine);
}


static int make_table(proc_load *p) {
  p->t = hs_table_open(p->c, "proc", "one row per value of /proc/PID/{smaps_rollup,smaps,status} "
                       "and cgroup memory.* files: kind (which file), key, value (kB converted to "
                       "bytes; max = UINT64_MAX), unit bytes|count|text|max, bytes (value if "
                       "bytes)", aProcCol, P_NCOL, p->aiCol);
  return p->t ? HS_OK : HS_ENOMEM;
}

static int load(hs_case *c, hs_input *in) {
  proc_load s = {.c = c, .in = in};
  const char *z = (const char *)in->p;
  size_t n = in->n, i = 0, nl;
  const char *zl;
  int score, rc = HS_OK, bCut = 0, r;
  uint64_t iLine = 0;
  uint64_t *aSum = NULL;
  const char **azKey = NULL;
  size_t *anKey = NULL;
  int nKey = 0;
  uint64_t nMap = 0;
  proc_shape shape = classify(z, n, &score);
  const char *zHint = memory_hint(in->zName);
  if (shape == PK_NONE) {
    hs_case_diag(c, HS_ERROR, in->zName, 0, 0,
                 "not a process memory file: expected /proc/PID/smaps_rollup (a mapping header "
                 "then `Rss: N kB`), /proc/PID/status (`Name:\\tcomm`, `VmRSS: N kB`), or a "
                 "cgroup memory.* file (`anon N` lines, or one number or `max`)");
    return HS_EFORMAT;
  }
  if ((rc = make_table(&s)) != HS_OK) goto done;
  const char *zKind = shape == PK_SMAPS_ROLLUP ? "smaps_rollup"
                    : shape == PK_SMAPS        ? "smaps"
                    : shape == PK_STATUS       ? "status"
                    : shape == PK_MEMINFO      ? "meminfo"
                                               : NULL;
  if (shape == PK_SMAPS) {
    aSum = calloc(PROC_MAX_KEYS, sizeof *aSum);
    azKey = calloc(PROC_MAX_KEYS, sizeof *azKey);
    anKey = calloc(PROC_MAX_KEYS, sizeof *anKey);
    if (!aSum || !azKey || !anKey) {
      rc = HS_ENOMEM;
      goto done;
    }
  }
  if (shape == PK_SINGLE) {
    while (next_line(z, n, &i, &zl, &nl)) {
      iLine++;
      size_t k = 0;
      while (k < nl && zl[k] == ' ') k++;
      if (k == nl) continue;
      int bMax = nl - k == 3 && memcmp(zl + k, "max", 3) == 0;
      zKind = zHint ? zHint : bMax ? "memory.max" : "memory.current";
      uint64_t v = UINT64_MAX;
      if (!bMax && !parse_u64(zl + k, nl - k, &v)) v = UINT64_MAX;
      rc = add_row(&s, zKind, zKind, strlen(zKind), v, bMax ? "max" : "bytes", zl + k, nl - k,
                   iLine);
      break;
    }
    goto finish;
  }
  if (shape == PK_KV) {
    /* memory.stat (bytes, counters) or memory.events (counts); a name hint
    ** `memory.X` names it, else the keys do. */
    int bEvents = 1;
    size_t i2 = 0, nk;
    uint64_t v;
    while (next_line(z, n, &i2, &zl, &nl))
      if (kv_line(zl, nl, &nk, &v) && !is_event_key(zl, nk)) bEvents = 0;
    zKind = zHint ? zHint : bEvents ? "memory.events" : "memory.stat";
    int bStat = strstr(zKind, "stat") != NULL && !bEvents;
    while ((r = next_line(z, n, &i, &zl, &nl)) != 0) {
      iLine++;
      if (nl == 0) continue;
      if (r == 2) {
        pdiag(&s, HS_WARNING, iLine, "the last line has no newline (file truncated?); "
                                     "its value may be cut short and was not loaded");
        bCut = 1;
        break;
      }
      if (!kv_line(zl, nl, &nk, &v)) {
        pdiag(&s, HS_ERROR, iLine, "expected `key N` (a lower-case key, one space, a decimal "
                                   "number) as in cgroup memory.stat/memory.events; line skipped");
        continue;
      }
      const char *zUnit = bStat && !is_count_key(zl, nk) ? "bytes" : "count";
      if ((rc = add_row(&s, zKind, zl, nk, v, zUnit, zl + nk + 1, nl - nk - 1, iLine)) != HS_OK)
        goto done;
    }
    goto finish;
  }
  /* smaps_rollup, smaps, status: `Key: value` lines (plus mapping headers) */
  while ((r = next_line(z, n, &i, &zl, &nl)) != 0) {
    iLine++;
    if (nl == 0) continue;
    if ((iLine & 0xffff) == 0 && hs_checkpoint()) {
      pdiag(&s, HS_WARNING, iLine, "interrupted; the values before this line were kept");
      break;
    }
    if (r == 2) {
      pdiag(&s, HS_WARNING, iLine, "the last line has no newline (file truncated?); "
                                   "its value may be cut short and was not loaded");
      bCut = 1;
      break;
    }
    if (shape != PK_STATUS && is_map_header(zl, nl)) {
      nMap++;
      continue;
    }
    rc = colon_line(&s, zKind, zl, nl, iLine, aSum, azKey, anKey, &nKey);
    if (rc == HS_EFORMAT) {
      pdiag(&s, HS_ERROR, iLine, shape == PK_STATUS
                                     ? "expected `Key:\\tvalue` as in /proc/PID/status; line skipped"
                                     : "expected `Key: N kB` or a mapping header as in "
                                       "/proc/PID/smaps; line skipped");
      rc = HS_OK;
    } else if (rc != HS_OK) {
      goto done;
    }
  }
  if (shape == PK_SMAPS) {
    for (int k = 0; k < nKey && rc == HS_OK; k++)
      rc = add_row(&s, zKind, azKey[k], anKey[k], aSum[k], "bytes", "", 0, 0);
    if (rc == HS_OK) rc = add_row(&s, zKind, "mappings", 8, nMap, "count", "", 0, 0);
    if (rc != HS_OK) goto done;
  }
finish:
  if (rc != HS_OK) goto done;
  if (s.nRow == 0) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "no values found in this %s file (expected `Key: N kB` or `key N` lines)",
                 zKind ? zKind : "process memory");
    rc = HS_EFORMAT;
    goto done;
  }
  rc = bCut ? HS_ETRUNC : HS_OK;
done:
  if (rc == HS_ENOMEM)
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "out of memory while loading");
  else if (rc == HS_ERR)
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "the proc table is sealed; load inputs before use");
  free(aSum);
  free(azKey);
  free(anKey);
  return rc;
}

static int sniff(const uint8_t *p, size_t n) {
  int score;
  classify((const char *)p, n, &score);
  return score;
}

const hs_loader hs_loader_proc = {
    "proc", "/proc/PID/smaps_rollup, /proc/PID/status, cgroup memory.* files", sniff, load,
    "proc", NULL, 0};
