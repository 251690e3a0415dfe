/*
 * Sources: every input becomes named byte buffers.
 *
 *   plain file          mmap (read-only, private); zero bytes -> empty buffer
 *   compressed file     gz, xz, zst, bz2, lz4, lzma: libarchive "raw" format
 *                       with all filters, decoded into memory
 *   archive             tar (any filter), zip, 7z, cpio, ar: every regular
 *                       member decoded into memory; nothing touches the disk,
 *                       so a member named "../../x" is only a name
 *   directory           every regular file below it, sorted, dotfiles skipped
 *
 * Which of these a file is is decided by its first bytes, never its name.
 * Decoded sizes are bounded by hs_limits (a bomb stops with a clear error
 * naming the member and the limit).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"


void hs_open_opts_init(hs_open_opts *o) {
  memset(o, 0, sizeof *o);
  o->limits.nMaxBytes = 16ull << 30;
  o->limits.nMaxTotal = 64ull << 30;
  o->limits.nMaxMembers = 100000;
}

typedef enum { SRC_PLAIN, SRC_COMPRESSED, SRC_ARCHIVE } src_kind;

/* Classify by magic bytes.  Compressed streams may still hold a tar; that
** is found out after decoding the first block (see read_archive). */
static src_kind classify(const uint8_t *p, size_t n) {
  static const struct { const char *z; size_t n; src_kind k; } aMagic[] = {
      {"\x1f\x8b", 2, SRC_COMPRESSED},                 /* gzip */
      {"\xfd" "7zXZ\x00", 6, SRC_COMPRESSED},          /* xz */
      {"\x28\xb5\x2f\xfd", 4, SRC_COMPRESSED},         /* zstd */
      {"BZh", 3, SRC_COMPRESSED},                      /* bzip2 */
      {"\x04\x22\x4d\x18", 4, SRC_COMPRESSED},         /* lz4 */
      {"\x5d\x00\x00", 3, SRC_COMPRESSED},             /* lzma */
      {"PK\x03\x04", 4, SRC_ARCHIVE},                  /* zip */
      {"PK\x05\x06", 4, SRC_ARCHIVE},                  /* empty zip */
      {"7z\xbc\xaf\x27\x1c", 6, SRC_ARCHIVE},          /* 7z */
      {"070707", 6, SRC_ARCHIVE},                      /* cpio odc */
      {"070701", 6, SRC_ARCHIVE},                      /* cpio newc */
      {"!<arch>\n", 8, SRC_ARCHIVE},                   /* ar */
  };
  for (size_t i = 0; i < sizeof aMagic / sizeof aMagic[0]; i++)
    if (n >= aMagic[i].n && memcmp(p, aMagic[i].z, aMagic[i].n) == 0) return aMagic[i].k;
  if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0) return SRC_ARCHIVE;
  return SRC_PLAIN;
}

static hs_input *input_new(const char *zName, const char *zPath, const struct stat *st) {
  hs_input *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->zName = hs_strdup(zName);
  in->zPath = hs_strdup(zPath);
  if (st) {
    in->iMtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec;
    in->iFileSize = (uint64_t)st->st_size;
  }
  if (!in->zName || !in->zPath) {
    hs_input_free(in);
    return NULL;
  }
  return in;
}

/* Read the current libarchive entry's data into a malloc'd buffer, bounded
** by nMax bytes.  Returns HS_OK, HS_ELIMIT or HS_ERR with *pzErr set. */
static int read_entry(struct archive *a, const char *zName, uint64_t nMax,
                      uint8_t **ppOut, uint64_t *pnOut, char **pzErr) {
  uint64_t nCap = 1 << 16, n = 0;
  uint8_t *p = malloc(nCap);
  if (!p) return HS_ENOMEM;
  for (;;) {
    if (n == nCap) {
      if (nCap >= nMax + 1) {
        free(p);
        *pzErr = hs_mprintf("%s: decompressed size exceeds the limit of %llu bytes "
                            "(a decompression bomb?); raise it with --max-bytes",
                            zName, (unsigned long long)nMax);
        return HS_ELIMIT;
      }
      uint64_t nNew = nCap * 2 > nMax + 1 ? nMax + 1 : nCap * 2;
      uint8_t *pNew = realloc(p, nNew);
      if (!pNew) {
        free(p);
        return HS_ENOMEM;
      }
      p = pNew;
      nCap = nNew;
    }
    la_ssize_t r = archive_read_data(a, p + n, nCap - n);
    if (r == 0) break;
    if (r < 0) {
      *pzErr = hs_mprintf("%s: corrupt compressed data after %llu decoded bytes: %s",
                          zName, (unsigned long long)n, archive_error_string(a));
      /* Keep what decoded: a truncated .gz still yields its complete part. */
      if (n == 0) {
        free(p);
        return HS_ERR;
      }
      break;
    }
    n += (uint64_t)r;
  }
  if (n > nMax) {
    free(p);
    *pzErr = hs_mprintf("%s: decompressed size exceeds the limit of %llu bytes "
                        "(a decompression bomb?); raise it with --max-bytes",
                        zName, (unsigned long long)nMax);
    return HS_ELIMIT;
  }
  *ppOut = p;
  *pnOut = n;
  return HS_OK;
}

/* Decode a single compressed file (raw format). */
static int read_compressed(const char *zPath, const char *zRel, const uint8_t *pMap, size_t nMap,
                           const struct stat *st, const hs_limits *lim,
                           hs_input_fn xOn, void *pArg, char **pzErr) {
  struct archive *a = archive_read_new();
  if (!a) return HS_ENOMEM;
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  int rc = HS_OK;
  struct archive_entry *e;
  if (archive_read_open_memory(a, pMap, nMap) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) != ARCHIVE_OK) {
    *pzErr = hs_mprintf("%s: cannot decode compressed file: %s", zPath,
                        archive_error_string(a));
    rc = HS_EFORMAT;
    goto done;
  }
  uint8_t *p = NULL;
  uint64_t n = 0;
  char *zWarn = NULL;
  rc = read_entry(a, zPath, lim->nMaxBytes, &p, &n, &zWarn);
  if (rc != HS_OK) {
    *pzErr = zWarn;
    goto done;
  }
  hs_input *in = input_new(zPath, zPath, st);
  if (!in) {
    free(p);
    free(zWarn);
    rc = HS_ENOMEM;
    goto done;
  }
  in->p = p;
  in->n = n;
  /* A truncated stream: keep the decoded part and pass the warning on. */
  if (zWarn) *pzErr = zWarn;
  rc = xOn(pArg, in, zRel);
done:
  archive_read_free(a);
  return rc;
}

static int read_archive(const char *zPath, const char *zRel, const uint8_t *pMap, size_t nMap,
                        const struct stat *st, const hs_limits *lim,
                        hs_input_fn xOn, void *pArg, char **pzErr) {
  struct archive *a = archive_read_new();
  if (!a) return HS_ENOMEM;
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  int rc = HS_OK;
  uint64_t nTotal = 0;
  uint32_t nMember = 0;
  struct archive_entry *e;
  if (archive_read_open_memory(a, pMap, nMap) != ARCHIVE_OK) {
    *pzErr = hs_mprintf("%s: cannot open archive: %s", zPath, archive_error_string(a));
    rc = HS_EFORMAT;
    goto done;
  }
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      *pzErr = hs_mprintf("%s: archive is corrupt after %u members: %s; the members "
                          "before it were loaded", zPath, nMember, archive_error_string(a));
      rc = nMember ? HS_ETRUNC : HS_EFORMAT;
      break;
    }
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    const char *zMember = archive_entry_pathname(e);
    if (!zMember) continue;
    while (zMember[0] == '.' && zMember[1] == '/') zMember += 2;
    const char *zBase = strrchr(zMember, '/');
    if ((zBase ? zBase[1] : zMember[0]) == '.') continue; /* dotfiles */
    if (++nMember > lim->nMaxMembers) {
      *pzErr = hs_mprintf("%s: more than %u members; the rest were skipped "
                          "(the member limit guards against archive bombs)", zPath, lim->nMaxMembers);
      rc = HS_ELIMIT;
      break;
    }
    char *zName = hs_mprintf("%s:%s", zPath, zMember);
    if (!zName) {
      rc = HS_ENOMEM;
      break;
    }
    uint8_t *p = NULL;
    uint64_t n = 0;
    char *zErr = NULL;
    uint64_t nLeft = lim->nMaxTotal > nTotal ? lim->nMaxTotal - nTotal : 0;
    r = read_entry(a, zName, nLeft < lim->nMaxBytes ? nLeft : lim->nMaxBytes, &p, &n, &zErr);
    if (r != HS_OK) {
      free(zName);
      *pzErr = zErr;
      rc = r;
      break;
    }
    nTotal += n;
    hs_input *in = input_new(zName, zPath, st);
    free(zName);
    if (!in) {
      free(p);
      free(zErr);
      rc = HS_ENOMEM;
      break;
    }
    in->p = p;
    in->n = n;
    in->bFound = 1;
    /* Inside a directory walk the member's path continues the archive's. */
    char *zRelMember = zRel ? hs_mprintf("%s/%s", zRel, zMember) : hs_strdup(zMember);
    if (zErr) { /* a truncated member: keep what decoded, warn, stop */
      *pzErr = zErr;
      xOn(pArg, in, zRelMember);
      free(zRelMember);
      rc = HS_ETRUNC;
      break;
    }
    rc = xOn(pArg, in, zRelMember);
    free(zRelMember);
    if (rc != HS_OK) break;
  }
done:
  archive_read_free(a);
  return rc;
}

static int read_file(const char *zPath, const char *zRel, const hs_limits *lim,
                     hs_input_fn xOn, void *pArg, char **pzErr) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *pzErr = hs_mprintf("%s: cannot open: %s", zPath, strerror(errno));
    return HS_ERR;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *pzErr = hs_mprintf("%s: not a regular file", zPath);
    close(fd);
    return HS_ERR;
  }
  const uint8_t *p = NULL;
  size_t n = (size_t)st.st_size;
  if (n > 0) {
    p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      *pzErr = hs_mprintf("%s: cannot map: %s", zPath, strerror(errno));
      close(fd);
      return HS_ERR;
    }
    madvise((void *)p, n, MADV_SEQUENTIAL);
  }
  close(fd);
  src_kind k = classify(p, n);
  int rc;
  if (k == SRC_PLAIN) {
    hs_input *in = input_new(zPath, zPath, &st);
    if (!in) {
      if (p) munmap((void *)p, n);
      return HS_ENOMEM;
    }
    in->p = p;
    in->n = n;
    in->bMapped = p != NULL;
    return xOn(pArg, in, zRel);
  }
  /* A compressed stream: a tar inside becomes an archive, anything else a
  ** single decoded buffer.  Ask libarchive with every format first. */
  if (k == SRC_COMPRESSED) {
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_cpio(a);
    struct archive_entry *e;
    int bTar = a && archive_read_open_memory(a, p, n) == ARCHIVE_OK &&
               archive_read_next_header(a, &e) == ARCHIVE_OK;
    if (a) archive_read_free(a);
    k = bTar ? SRC_ARCHIVE : SRC_COMPRESSED;
  }
  if (k == SRC_ARCHIVE)
    rc = read_archive(zPath, zRel, p, n, &st, lim, xOn, pArg, pzErr);
  else
    rc = read_compressed(zPath, zRel, p, n, &st, lim, xOn, pArg, pzErr);
  munmap((void *)p, n);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a directory in sorted order; zRel is the path below the argument. */
static int read_dir(const char *zPath, const char *zRel, int nDepth, const hs_limits *lim,
                    hs_input_fn xOn, void *pArg, char **pzErr) {
  if (nDepth > 64) {
    *pzErr = hs_mprintf("%s: directories nested deeper than 64 levels; stopped there", zPath);
    return HS_ELIMIT;
  }
  DIR *d = opendir(zPath);
  if (!d) {
    *pzErr = hs_mprintf("%s: cannot read directory: %s", zPath, strerror(errno));
    return HS_ERR;
  }
  char **az = NULL;
  int n = 0, nCap = 0, rc = HS_OK;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    if (n == nCap) {
      nCap = nCap ? nCap * 2 : 32;
      char **azNew = realloc(az, nCap * sizeof *az);
      if (!azNew) {
        rc = HS_ENOMEM;
        goto done;
      }
      az = azNew;
    }
    az[n] = hs_strdup(de->d_name);
    if (!az[n]) {
      rc = HS_ENOMEM;
      goto done;
    }
    n++;
  }
  qsort(az, n, sizeof *az, cmp_str);
  for (int i = 0; i < n && rc != HS_ENOMEM; i++) {
    char *zChild = hs_mprintf("%s/%s", zPath, az[i]);
    char *zChildRel = zRel[0] ? hs_mprintf("%s/%s", zRel, az[i]) : hs_strdup(az[i]);
    struct stat st;
    if (!zChild || !zChildRel) {
      free(zChild);
      free(zChildRel);
      rc = HS_ENOMEM;
      break;
    }
    char *zErr = NULL;
    int r = HS_OK;
    if (stat(zChild, &st) == 0 && S_ISDIR(st.st_mode))
      r = read_dir(zChild, zChildRel, nDepth + 1, lim, xOn, pArg, &zErr);
    else if (stat(zChild, &st) == 0 && S_ISREG(st.st_mode))
      r = read_file(zChild, zChildRel, lim, xOn, pArg, &zErr);
    if (zErr) { /* one bad file does not stop the walk: report it as an input */
      hs_input *in = input_new(zChild, zChild, NULL);
      if (in) {
        in->zError = zErr;
        xOn(pArg, in, zChildRel);
      } else
        free(zErr);
    }
    if (r == HS_ENOMEM) rc = r;
    free(zChild);
    free(zChildRel);
  }
done:
  for (int i = 0; i < n; i++) free(az[i]);
  free(az);
  closedir(d);
  return rc;
}

int hs_source_read(const char *zPath, const hs_limits *lim, hs_input_fn xOn, void *pArg,
                   char **pzErr) {
  struct stat st;
  *pzErr = NULL;
  if (stat(zPath, &st) != 0) {
    *pzErr = hs_mprintf("%s: %s", zPath, strerror(errno));
    return HS_ERR;
  }
  if (S_ISDIR(st.st_mode)) return read_dir(zPath, "", 0, lim, xOn, pArg, pzErr);
  return read_file(zPath, NULL, lim, xOn, pArg, pzErr);
}
