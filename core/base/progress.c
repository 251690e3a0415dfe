/*
 * The progress line: long work (a large heap dump parsed, its graph built)
 * says on stderr what it is doing, how far it is and how fast it goes, so a
 * person at a terminal knows it is not hung.
 *
 *   resolving pointers  42%  3.5M/8.4M objects  6.1M/s
 *
 * Work calls hs_progress() where it already checkpoints for Ctrl-C (every
 * 64 K items), so the cost is one clock read per 64 K items.  Nothing is
 * printed unless the front end turned the line on (a terminal, no -q), and
 * nothing for a stage until it has run for a second: short work stays
 * silent.  The line is redrawn at most five times a second and cleared by
 * hs_progress_done().  Only the main thread reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

static int gbOn;                 /* the front end asked for the line */
static const char *gzStage;      /* the stage being timed (a literal) */
static double gtStart, gtShown;  /* its start; when the line was last drawn */
static int gbDrawn;              /* a line is on the screen */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double gtAfter = 1.0;     /* seconds a stage runs before it shows */

void hs_progress_enable(int bOn) {
  gbOn = bOn;
  /* HEAPSCOPE_PROGRESS_AFTER=0 shows every stage at once (the tests use it:
  ** their samples load in well under a second). */
  const char *z = getenv("HEAPSCOPE_PROGRESS_AFTER");
  if (z && *z) gtAfter = atof(z);
}

/* "3.5M", "812K", "93". */
static void fmt_count(char *z, size_t n, double v) {
  if (v >= 1e9) snprintf(z, n, "%.1fG", v / 1e9);
  else if (v >= 1e6) snprintf(z, n, "%.1fM", v / 1e6);
  else if (v >= 1e3) snprintf(z, n, "%.0fK", v / 1e3);
  else snprintf(z, n, "%.0f", v);
}

void hs_progress(const char *zStage, const char *zUnit, uint64_t nDone, uint64_t nTotal) {
  if (!gbOn) return;
  double t = now();
  int bNew = zStage != gzStage && (!gzStage || strcmp(zStage, gzStage) != 0);
  if (bNew) {
    gzStage = zStage;
    gtStart = t;
  }
  if (t - gtStart < gtAfter || (!bNew && gbDrawn && t - gtShown < 0.2)) return;
  gtShown = t;
  char zDone[32], zTotal[32], zRate[32];
  int bBytes = strcmp(zUnit, "B") == 0;       /* 633 MB, not 632.9 M B */
  fmt_count(zDone, sizeof zDone, (double)nDone);
  fmt_count(zTotal, sizeof zTotal, (double)nTotal);
  double tRun = t - gtStart;
  zRate[0] = 0;                               /* no rate before it means anything */
  if (tRun > 0.05) {
    memcpy(zRate, "  ", 3);
    fmt_count(zRate + 2, sizeof zRate - 2, nDone / tRun);
  }
  if (bBytes) {
    strcat(zDone, "B");
    strcat(zTotal, "B");
    if (zRate[0]) strcat(zRate, "B");
    zUnit = NULL;
  }
  if (nTotal)
    fprintf(stderr, "\r\033[K%s %3d%%  %s/%s%s%s%s%s", zStage,
            (int)(100.0 * nDone / nTotal), zDone, zTotal, zUnit ? " " : "", zUnit ? zUnit : "",
            zRate, zRate[0] ? "/s" : "");
  else
    fprintf(stderr, "\r\033[K%s  %s%s%s%s%s", zStage, zDone, zUnit ? " " : "",
            zUnit ? zUnit : "", zRate, zRate[0] ? "/s" : "");
  fflush(stderr);
  gbDrawn = 1;
}

void hs_progress_done(void) {
  gzStage = NULL;
  if (!gbDrawn) return;
  fprintf(stderr, "\r\033[K");
  fflush(stderr);
  gbDrawn = 0;
}
