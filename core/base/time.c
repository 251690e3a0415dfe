/*
 * RFC 3339 timestamps (see base.h for the two modes).  No libc time zone
 * functions: the civil date becomes a day count with Howard Hinnant's
 * days_from_civil, so the result does not depend on TZ.
 */
#include "base/base.h"

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* The nDigit-digit number at z[i..], or 0 when the bytes are not digits. */
static int digits(const char *z, size_t n, size_t i, int nDigit, int *pV) {
  int v = 0;
  if (i + nDigit > n) return 0;
  for (int k = 0; k < nDigit; k++) {
    if (!is_digit(z[i + k])) return 0;
    v = v * 10 + (z[i + k] - '0');
  }
  *pV = v;
  return 1;
}

/* Days since 1970-01-01 of a civil date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int hs_parse_rfc3339(const char *z, size_t n, int flags, double *pT) {
  int bStrict = !(flags & HS_TIME_PREFIX);
  int Y, M, D, h, m, s;
  if (!z || n < 19 || !digits(z, n, 0, 4, &Y) || z[4] != '-' || !digits(z, n, 5, 2, &M) ||
      z[7] != '-' || !digits(z, n, 8, 2, &D) ||
      (z[10] != 'T' && z[10] != ' ' && !(bStrict && z[10] == 't')) ||
      !digits(z, n, 11, 2, &h) || z[13] != ':' || !digits(z, n, 14, 2, &m) || z[16] != ':' ||
      !digits(z, n, 17, 2, &s))
    return 0;
  if (M < 1 || M > 12 || D < 1 || D > 31) return 0;
  if (bStrict && (h > 23 || m > 59 || s > 60)) return 0;
  size_t i = 19;
  double frac = 0, scale = 0.1;
  if (i < n && (z[i] == '.' || (!bStrict && z[i] == ','))) {
    i++;
    if (bStrict && (i >= n || !is_digit(z[i]))) return 0;
    for (; i < n && is_digit(z[i]); i++, scale /= 10) frac += (z[i] - '0') * scale;
  }
  long off = 0;
  if (i < n && (z[i] == 'Z' || z[i] == 'z')) {
    i++;
  } else if (i < n && (z[i] == '+' || z[i] == '-')) {
    int oh, om;
    if (digits(z, n, i + 1, 2, &oh) && i + 3 < n && z[i + 3] == ':' && digits(z, n, i + 4, 2, &om)) {
      off = (oh * 3600L + om * 60L) * (z[i] == '-' ? -1 : 1);
      i += 6;
    } else if (bStrict) {
      return 0;
    }
  } else if (bStrict) {
    return 0; /* RFC 3339 requires a zone */
  }
  if (bStrict && i != n) return 0;
  *pT = (double)(days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + s) -
        (double)off + frac;
  return 1;
}
