/*
 * Sources: every input becomes named byte buffers.
 *
 *   plain file          read into memory when small (a directory of 70,000
 *                       files must not need 70,000 mappings: vm.max_map_count
 *                       is 65530), mmapped (read-only, private) otherwise
 *   compressed file     gz, xz, zst, bz2, lz4, lzma: libarchive "raw" format
 *                       with all filters, decoded into memory
 *   archive             tar (any filter), zip, 7z, cpio, ar: every regular
 *                       member decoded into memory; nothing touches the disk,
 *                       so a member named "../../x" is only a name
 *   nested              a compressed member (gctrace.log.gz, heap.dump.gz) or
 *                       an archive inside an archive is decoded the same way,
 *                       to hs_limits.nMaxDepth levels
 *   directory           every regular file below it, sorted, dotfiles
 *                       skipped; each directory and file is read once (by
 *                       device and inode), so symbolic link loops end; FIFOs,
 *                       devices and sockets are skipped with a warning
 *   named FIFO          read to its end (`heapscope <(zcat x.gz)`); never
 *                       opened in a way that blocks when nobody writes
 *
 * Which of these a file is is decided by its first bytes, never its name.
 *
 * Memory: every byte a decoder produces is counted twice, against the
 * input's budget (hs_limits.nMaxBytes, --max-bytes) and the run's
 * (hs_limits.nMaxTotal, --max-total: decoded bytes held at once, in
 * hs_decoded_held).  Both default to a share of the machine's memory.
 * Exceeding either is an error for that input naming it and the flag.  A
 * decoded stream whose first 64 KiB no loader recognises (and that is not
 * itself compressed or an archive) is not decoded further: sniffing never
 * looks past 64 KiB, so the rest could not change the verdict.
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
#include <xxhash.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "source/gunzip.h"
#include "base/base.h"

#define SNIFF_WINDOW (64 * 1024)   /* what hs_sniff looks at */
#define SMALL_FILE (256 * 1024)    /* read, not mapped, up to this size */

void hs_open_opts_init(hs_open_opts *o) {
  memset(o, 0, sizeof *o);
  uint64_t nMem = hs_machine_memory();
  o->limits.nMaxBytes = nMem / 4;
  o->limits.nMaxTotal = nMem / 2;
  o->limits.nMaxMembers = 100000;
  o->limits.nMaxDepth = 4;
}

typedef enum { SRC_PLAIN, SRC_COMPRESSED, SRC_ARCHIVE } src_kind;

/* Classify by magic bytes.  Compressed streams may still hold a tar; that
** is found out after decoding the first block (see read_bytes). */
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

/* One walk: limits, where inputs go, and the directories and files seen. */
typedef struct seen {
  dev_t dev;
  ino_t ino;
} seen;

typedef struct walk {
  const hs_limits *lim;
  hs_input_fn xOn;
  void *pArg;
  seen *aSeen;        /* directories and files already read, by identity */
  int nSeen, nSeenCap;
  const char *zKey;   /* inside an archive member: the case key its content
                         (a nested archive or stream) inherits; else NULL */
  int fdTop;          /* the file being read at depth 0, or -1: an archive in
                         it is read from the descriptor, not the mapping, so
                         a 2 GB archive's pages never count as our memory */
  /* Where the walk is, for hs_input.iWalkPos: */
  uint64_t nDone;     /* bytes of the files read completely */
  uint64_t nCur;      /* the size of the file being read */
  struct archive *aTop; /* the archive read from that file (its raw bytes
                         consumed so far are the place), or NULL */
  /* The outermost archive being read (see scan_later): */
  uint8_t *abLater;   /* per member: its case has members after other cases'
                         (NULL: every case's members are contiguous) */
  uint32_t nLater;    /* entries of abLater */
  uint32_t iMember;   /* the member being read, from 1 (its entry: iMember-1) */
} walk;

/* Hand an input to the walk's consumer with its case key (hs_input.zCase):
** the key set by an enclosing archive member, else the directory of zRel
** below the argument ("" for the argument itself); none for a path named
** alone (zRel NULL). */
static int emit(walk *w, hs_input *in, const char *zRel) {
  if (w->zKey)
    in->zCase = hs_strdup(w->zKey);
  else if (zRel) {
    const char *zSlash = strrchr(zRel, '/');
    in->zCase = zSlash ? hs_mprintf("%.*s", (int)(zSlash - zRel), zRel) : hs_strdup("");
  }
  if (zRel && !in->zCase) {
    hs_input_free(in);
    return HS_ENOMEM;
  }
  uint64_t nIn = w->nCur;
  if (w->aTop) {
    la_int64_t nRaw = archive_filter_bytes(w->aTop, -1);
    if (nRaw >= 0 && (uint64_t)nRaw < nIn) nIn = (uint64_t)nRaw;
  }
  in->iWalkPos = w->nDone + nIn;
  in->bCaseLater = w->abLater && w->iMember >= 1 && w->iMember <= w->nLater &&
                   w->abLater[w->iMember - 1];
  return w->xOn(w->pArg, in, zRel);
}

/* 1 if (dev, ino) was seen before; otherwise remember it and return 0.
** Linear: a walk holds as many entries as it has files. */
static int seen_before(walk *w, const struct stat *st) {
  for (int i = 0; i < w->nSeen; i++)
    if (w->aSeen[i].ino == st->st_ino && w->aSeen[i].dev == st->st_dev) return 1;
  if (w->nSeen == w->nSeenCap && HS_GROW(w->aSeen, w->nSeenCap, 64)) return 0;
  w->aSeen[w->nSeen].dev = st->st_dev;
  w->aSeen[w->nSeen].ino = st->st_ino;
  w->nSeen++;
  return 0;
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

/* Hand over an input that holds only a note (a skipped FIFO, a directory
** seen before): nothing is loaded, the note is shown. */
static int note_input(walk *w, const char *zPath, const char *zRel, int iLevel, char *zNote) {
  hs_input *in = zNote ? input_new(zPath, zPath, NULL) : NULL;
  if (!in) {
    free(zNote);
    return zNote ? HS_ENOMEM : HS_OK;
  }
  in->zNote = zNote;
  in->iNoteLevel = iLevel;
  in->bSkip = 1;
  return emit(w, in, zRel);
}

/* libarchive's message, which may be NULL. */
static const char *aerr(struct archive *a) {
  const char *z = archive_error_string(a);
  return z && z[0] ? z : "no reason given by the decoder";
}

static void fmt_size(uint64_t n, char *z, size_t nz) { hs_fmt_bytes(n, z, nz); }

/* Where read_entry's bytes come from: a libarchive entry, or a gzip stream
** inflated with zlib (source/gunzip.h says why not libarchive). */
typedef struct reader {
  struct archive *a;  /* libarchive entry data, or NULL: gz */
  hs_gz gz;
  uint64_t nHint;     /* the decoded size when the archive says it (tar), else 0 */
} reader;

/* Up to n decoded bytes into p: > 0 bytes, 0 at the end, -1 on an error
** (reader_error says which). */
static la_ssize_t reader_read(reader *r, uint8_t *p, size_t n) {
  return r->a ? archive_read_data(r->a, p, n) : (la_ssize_t)hs_gz_read(&r->gz, p, n);
}

static const char *aerr(struct archive *a);
static const char *reader_error(reader *r) { return r->a ? aerr(r->a) : r->gz.zErr; }

enum { ENTRY_FULL, ENTRY_PREFIX }; /* what read_entry kept */

/* Read the current libarchive entry's data into a malloc'd buffer charged
** to hs_decoded_held.  Stops early with the first 64 KiB (*piKept =
** ENTRY_PREFIX) when no loader recognises them and they are not compressed
** or an archive.  Returns HS_OK (with *pzWarn if the stream was cut short:
** what decoded is kept), HS_ELIMIT, HS_ERR or HS_ENOMEM with *pzErr. */
static int read_entry(reader *a, const char *zName, const hs_limits *lim,
                      uint8_t **ppOut, uint64_t *pnOut, int *piKept, char **pzWarn,
                      char **pzErr) {
  uint64_t nCap = SNIFF_WINDOW, n = 0;
  uint64_t nMax = lim->nMaxBytes;
  uint64_t nRun = lim->nMaxTotal > hs_decoded_held ? lim->nMaxTotal - hs_decoded_held : 0;
  int bRun = nRun < nMax;                     /* the run's budget binds first */
  if (bRun) nMax = nRun;
  /* A known size is allocated once (+1 byte to see the end): doubling
  ** would hold up to 1.5x the member while realloc copies. */
  if (a->nHint > SNIFF_WINDOW && a->nHint <= nMax) nCap = a->nHint + 1;
  int bSniffed = 0;
  uint8_t *p = malloc(nCap);
  char zLim[32], zHeld[32];
  *piKept = ENTRY_FULL;
  if (!p) return HS_ENOMEM;
  for (;;) {
    if (!bSniffed && n >= SNIFF_WINDOW) {
      bSniffed = 1;
      if (classify(p, n) == SRC_PLAIN && !hs_sniff(p, n, NULL)) {
        *piKept = ENTRY_PREFIX;               /* nothing could load the rest */
        if (nCap > n) {
          uint8_t *pSmall = realloc(p, n);
          if (pSmall) p = pSmall;
        }
        break;
      }
    }
    if (n == nCap) {
      if (nCap >= nMax + 1) goto limit;
      uint64_t nNew = nCap * 2 > nMax + 1 ? nMax + 1 : nCap * 2;
      uint8_t *pNew = realloc(p, nNew);
      if (!pNew) {
        free(p);
        return HS_ENOMEM;
      }
      p = pNew;
      nCap = nNew;
    }
    if (hs_checkpoint()) {
      free(p);
      *pzErr = hs_mprintf("%s: interrupted after %llu decoded bytes", zName,
                          (unsigned long long)n);
      return HS_ERR;
    }
    uint64_t nAsk = nCap - n;                 /* the sniff window first, on its own */
    if (!bSniffed && nAsk > SNIFF_WINDOW - n) nAsk = SNIFF_WINDOW - n;
    la_ssize_t r = reader_read(a, p + n, nAsk);
    if (r == 0) break;
    if (r < 0) {
      /* Keep what decoded: a cut .gz still yields its complete part. */
      if (n == 0) {
        free(p);
        *pzErr = hs_mprintf("%s: cannot decode: %s (at decoded offset 0)", zName,
                            reader_error(a));
        return HS_ERR;
      }
      *pzWarn = hs_mprintf("%s: the compressed stream is cut short or corrupt after %llu "
                           "decoded bytes (%s); what decoded before it is loaded",
                           zName, (unsigned long long)n, reader_error(a));
      break;
    }
    n += (uint64_t)r;
  }
  if (n > nMax) goto limit;
  hs_decoded_held += n;
  *ppOut = p;
  *pnOut = n;
  return HS_OK;
limit:
  free(p);
  fmt_size(nMax, zLim, sizeof zLim);
  fmt_size(hs_decoded_held, zHeld, sizeof zHeld);
  if (bRun)
    *pzErr = hs_mprintf("%s: not loaded: decoding it would take the memory held by decoded "
                        "inputs past --max-total (%s left of it, %s held by earlier inputs); "
                        "load fewer inputs at once or raise --max-total",
                        zName, zLim, zHeld);
  else
    *pzErr = hs_mprintf("%s: not loaded: it decodes to more than --max-bytes (%s per input; "
                        "a decompression bomb?); raise --max-bytes if the machine has the memory",
                        zName, zLim);
  return HS_ELIMIT;
}

static int read_bytes(walk *w, const char *zName, const char *zPath, const char *zRel,
                      const uint8_t *p, size_t n, const struct stat *st, int nDepth,
                      char **pzErr);

/* A decoded buffer (read_entry's): nested compressed data or archives are
** decoded in turn (and the buffer freed), anything else becomes an input. */
static int hand_over(walk *w, const char *zName, const char *zPath, const char *zRel,
                     uint8_t *p, uint64_t n, const struct stat *st, int nDepth, char *zWarn,
                     char **pzErr) {
  if (classify(p, n) != SRC_PLAIN) {
    int rc;
    if (nDepth + 1 > (int)w->lim->nMaxDepth) {
      *pzErr = hs_mprintf("%s: not loaded: compressed data or archives nested more than %u "
                          "levels deep", zName, w->lim->nMaxDepth);
      rc = HS_ELIMIT;
    } else
      rc = read_bytes(w, zName, zPath, zRel, p, n, st, nDepth + 1, pzErr);
    if (zWarn && !*pzErr)
      *pzErr = zWarn;
    else
      free(zWarn);
    free(p);
    hs_decoded_held -= n;
    return rc;
  }
  hs_input *in = input_new(zName, zPath, st);
  if (!in) {
    free(p);
    hs_decoded_held -= n;
    free(zWarn);
    return HS_ENOMEM;
  }
  in->p = p;
  in->n = n;
  in->nDecoded = n;
  if (zWarn) {
    in->zNote = zWarn;
    in->iNoteLevel = HS_WARNING;
  }
  return emit(w, in, zRel);
}

/* Decode a single compressed stream (raw format). */
static int read_compressed(walk *w, const char *zName, const char *zPath, const char *zRel,
                           const uint8_t *pIn, size_t nIn, const struct stat *st, int nDepth,
                           char **pzErr) {
  reader r;
  memset(&r, 0, sizeof r);
  int rc = HS_OK;
  if (nIn >= 2 && pIn[0] == 0x1f && pIn[1] == 0x8b) {
    if (hs_gz_init(&r.gz, pIn, nIn) != HS_OK) return HS_ENOMEM;
  } else {
    struct archive_entry *e;
    r.a = archive_read_new();
    if (!r.a) return HS_ENOMEM;
    archive_read_support_filter_all(r.a);
    archive_read_support_format_raw(r.a);
    if (archive_read_open_memory(r.a, pIn, nIn) != ARCHIVE_OK ||
        archive_read_next_header(r.a, &e) != ARCHIVE_OK) {
      *pzErr = hs_mprintf("%s: cannot decode the compressed stream: %s (at byte 0 of %zu)",
                          zName, aerr(r.a), nIn);
      rc = HS_EFORMAT;
      goto done;
    }
    if (archive_filter_code(r.a, 0) == ARCHIVE_FILTER_NONE) { /* magic bytes, no stream */
      *pzErr = hs_mprintf("%s: cannot decode: it starts like compressed data, but no "
                          "decoder accepts it (at byte 0 of %zu)", zName, nIn);
      rc = HS_EFORMAT;
      goto done;
    }
  }
  uint8_t *p = NULL;
  uint64_t n = 0;
  char *zWarn = NULL;
  int iKept;
  rc = read_entry(&r, zName, w->lim, &p, &n, &iKept, &zWarn, pzErr);
  if (rc == HS_OK) rc = hand_over(w, zName, zPath, zRel, p, n, st, nDepth, zWarn, pzErr);
done:
  if (r.a)
    archive_read_free(r.a);
  else
    hs_gz_end(&r.gz);
  return rc;
}

/* A new reader of an archive's bytes: the file at depth 0 (from its
** descriptor, rewound), else the bytes in memory.  ARCHIVE_OK or an error
** (the message in a). */
static int archive_open(walk *w, struct archive *a, const uint8_t *pIn, size_t nIn, int nDepth) {
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  int bFd = nDepth == 0 && w->fdTop >= 0 && lseek(w->fdTop, 0, SEEK_SET) == 0;
  return bFd ? archive_read_open_fd(a, w->fdTop, 1 << 20) : archive_read_open_memory(a, pIn, nIn);
}

/* The member's path as the walk names it ("./" dropped), or NULL when the
** walk passes it by: not a regular file, no name, a dotfile. */
static const char *member_path(struct archive_entry *e) {
  if (archive_entry_filetype(e) != AE_IFREG) return NULL;
  const char *zMember = archive_entry_pathname(e);
  if (!zMember) return NULL;
  while (zMember[0] == '.' && zMember[1] == '/') zMember += 2;
  const char *zBase = strrchr(zMember, '/');
  return (zBase ? zBase[1] : zMember[0]) == '.' ? NULL : zMember;
}

/* Length of the member's top-level directory in zMember; 0: a loose member. */
static size_t top_length(const char *zMember) {
  const char *zSlash = strchr(zMember, '/');
  return zSlash ? (size_t)(zSlash - zMember) : 0;
}

/* Interleaved cases.  Each top-level directory of an outermost archive is a
** case, and hs_open hands a case over once the walk leaves it -- which is
** right only when the directory's members are contiguous.  `tar cf x.tar
** a/1 b/1 a/2`, or a zip written in any order, has them apart.  So before
** the members are read, this pass reads the archive's headers alone (no
** member is decoded; a compressed tar is decompressed once more, an
** uncompressed tar or a zip skips by seeking) and marks each member whose
** directory has members further on: *pab[i] = 1 for member i+1 (counted as
** read_archive counts them).  hs_open keeps such a case open past the
** other cases' members (hs_input.bCaseLater), and hands it over after its
** last member, so it is one case however the archive is ordered.  Every
** archive can be read twice: one at depth 0 is a file (a FIFO is read into
** memory first, read_stream), a nested one is in memory.  *pab is NULL
** when every directory is contiguous (the common case: nothing is held
** longer).  Cost: a header walk, 8 bytes per member and a hash set of the
** directories; a long one shows as a stage of the progress line.  A
** corrupt archive is scanned up to the damage, as the members are read.
** HS_OK or HS_ENOMEM. */
static int scan_later(walk *w, const uint8_t *pIn, size_t nIn, int nDepth, uint8_t **pab,
                      uint32_t *pn) {
  *pab = NULL;
  *pn = 0;
  struct archive *a = archive_read_new();
  if (!a) return HS_ENOMEM;
  uint64_t *aHash = NULL;                     /* per member: its directory's hash */
  uint32_t n = 0, nCap = 0;
  uint64_t hLast = 0;                         /* the last directory met */
  int rc = HS_OK, bApart = 0;
  struct archive_entry *e;
  if (archive_open(w, a, pIn, nIn, nDepth) != ARCHIVE_OK) goto done;
  while (archive_read_next_header(a, &e) >= ARCHIVE_WARN && n < w->lim->nMaxMembers) {
    const char *zMember = member_path(e);
    if (!zMember) continue;
    if (n == nCap && HS_GROW(aHash, nCap, 256)) {
      rc = HS_ENOMEM;
      goto done;
    }
    size_t nTop = top_length(zMember);        /* 0: loose, whose case holds the rest */
    aHash[n] = nTop ? XXH3_64bits(zMember, nTop) : 0;
    if (aHash[n] && hLast && aHash[n] != hLast) bApart = 1; /* maybe */
    if (aHash[n]) hLast = aHash[n];
    n++;
    la_int64_t nRaw = archive_filter_bytes(a, -1);
    hs_progress("reading the archive's headers", "B", nRaw > 0 ? (uint64_t)nRaw : 0,
                nIn);
    if (hs_checkpoint()) break;
  }
  hs_progress_done();
  if (!bApart) goto done;
  /* Backwards: a member's directory continues when it was seen later.  A
  ** collision of two names' hashes only holds a case open longer. */
  uint8_t *ab = calloc(n, 1);
  hs_u64map dirs = {0};
  int bAny = 0;
  for (uint32_t i = n; ab && i-- > 0;) {
    if (!aHash[i]) continue;
    int bNew;
    if (!hs_u64map_upsert(&dirs, aHash[i], &bNew)) {
      free(ab);
      ab = NULL;
      break;
    }
    ab[i] = !bNew;                            /* the case's last input says */
    bAny |= ab[i];
  }
  hs_u64map_free(&dirs);
  if (!ab) {
    rc = HS_ENOMEM;
  } else if (bAny) {
    *pab = ab;
    *pn = n;
  } else
    free(ab);
done:
  free(aHash);
  archive_read_free(a);
  return rc;
}

static int read_archive(walk *w, const char *zName, const char *zPath, const char *zRel,
                        const uint8_t *pIn, size_t nIn, const struct stat *st, int nDepth,
                        char **pzErr) {
  int bOuter = !w->zKey;                      /* its members' directories are cases */
  if (bOuter) {
    int r = scan_later(w, pIn, nIn, nDepth, &w->abLater, &w->nLater);
    if (r != HS_OK) return r;
  }
  struct archive *a = archive_read_new();
  if (!a) return HS_ENOMEM;
  int rc = HS_OK;
  uint32_t nMember = 0;
  struct archive_entry *e;
  if (nDepth == 0) w->aTop = a;
  if (archive_open(w, a, pIn, nIn, nDepth) != ARCHIVE_OK) {
    *pzErr = hs_mprintf("%s: cannot open the archive: %s", zName, aerr(a));
    rc = HS_EFORMAT;
    goto done;
  }
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      *pzErr = hs_mprintf("%s: the archive is corrupt after %u members (%s); the members "
                          "before it were loaded", zName, nMember, aerr(a));
      rc = nMember ? HS_ETRUNC : HS_EFORMAT;
      break;
    }
    const char *zMember = member_path(e);
    if (!zMember) continue;
    if (bOuter) w->iMember = nMember + 1;
    if (++nMember > w->lim->nMaxMembers) {
      *pzErr = hs_mprintf("%s: more than %u members; the rest were skipped "
                          "(the member limit guards against archive bombs)", zName,
                          w->lim->nMaxMembers);
      rc = HS_ELIMIT;
      break;
    }
    char *zMemberName = hs_mprintf("%s:%s", zName, zMember);
    /* Inside a directory walk the member's path continues the archive's. */
    char *zRelMember = zRel ? hs_mprintf("%s/%s", zRel, zMember) : hs_strdup(zMember);
    if (!zMemberName || !zRelMember) {
      free(zMemberName);
      free(zRelMember);
      rc = HS_ENOMEM;
      break;
    }
    /* The case of an outermost archive's member: its top-level directory
    ** (loose members at the root: the archive's own).  Nested content keeps
    ** the key of the member that holds it. */
    char *zKey = NULL;
    if (!w->zKey) {
      size_t nTop = top_length(zMember);
      zKey = zRel ? (nTop ? hs_mprintf("%s/%.*s", zRel, (int)nTop, zMember) : hs_strdup(zRel))
                  : hs_mprintf("%.*s", (int)nTop, zMember);
      if (!zKey) {
        free(zMemberName);
        free(zRelMember);
        rc = HS_ENOMEM;
        break;
      }
      w->zKey = zKey;
    }
    uint8_t *p = NULL;
    uint64_t n = 0;
    char *zErr = NULL, *zWarn = NULL;
    int iKept;
    reader rd = {.a = a, .nHint = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                                    ? (uint64_t)archive_entry_size(e) : 0};
    r = read_entry(&rd, zMemberName, w->lim, &p, &n, &iKept, &zWarn, &zErr);
    if (r == HS_OK) r = hand_over(w, zMemberName, zPath, zRelMember, p, n, st, nDepth, zWarn, &zErr);
    if (zErr) r = note_input(w, zMemberName, zRelMember, r == HS_OK || r == HS_ETRUNC
                             ? HS_WARNING : HS_ERROR, zErr) == HS_ENOMEM ? HS_ENOMEM : r;
    free(zMemberName);
    free(zRelMember);
    if (zKey) w->zKey = NULL;
    free(zKey);
    if (r == HS_ENOMEM || hs_checkpoint()) {
      rc = r == HS_ENOMEM ? r : HS_ERR;
      break;
    }
    if (zWarn && iKept == ENTRY_FULL && r == HS_OK) break; /* a cut stream: nothing follows */
  }
done:
  if (w->aTop == a) w->aTop = NULL;
  if (bOuter) {
    free(w->abLater);
    w->abLater = NULL;
    w->nLater = w->iMember = 0;
  }
  archive_read_free(a);
  return rc;
}

/* Bytes of a file (or a decoded member) that are compressed or an archive. */
static int read_bytes(walk *w, const char *zName, const char *zPath, const char *zRel,
                      const uint8_t *p, size_t n, const struct stat *st, int nDepth,
                      char **pzErr) {
  src_kind k = classify(p, n);
  /* A compressed stream: a tar inside becomes an archive, anything else a
  ** single decoded buffer.  Ask libarchive with the tar formats first. */
  if (k == SRC_COMPRESSED) {
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    int bTar = 0;
    if (a) {
      archive_read_support_filter_all(a);
      archive_read_support_format_tar(a);
      archive_read_support_format_cpio(a);
      bTar = archive_read_open_memory(a, p, n) == ARCHIVE_OK &&
             archive_read_next_header(a, &e) == ARCHIVE_OK;
      archive_read_free(a);
    }
    k = bTar ? SRC_ARCHIVE : SRC_COMPRESSED;
  }
  if (k == SRC_ARCHIVE) return read_archive(w, zName, zPath, zRel, p, n, st, nDepth, pzErr);
  return read_compressed(w, zName, zPath, zRel, p, n, st, nDepth, pzErr);
}

/* A pipe or FIFO named on the command line: read it to its end, bounded by
** the limits.  Opened non-blocking, so a FIFO nobody writes to reads as
** empty instead of hanging in open(). */
static int read_stream(walk *w, const char *zPath, const char *zRel, char **pzErr) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *pzErr = hs_mprintf("%s: cannot open: %s", zPath, strerror(errno));
    return HS_ERR;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  uint64_t nMax = w->lim->nMaxBytes, n = 0, nCap = SNIFF_WINDOW;
  uint8_t *p = malloc(nCap);
  int rc = p ? HS_OK : HS_ENOMEM;
  while (rc == HS_OK) {
    if (n == nCap) {
      if (nCap > nMax) {
        char z[32];
        fmt_size(nMax, z, sizeof z);
        *pzErr = hs_mprintf("%s: not loaded: the stream is longer than --max-bytes (%s); "
                            "raise --max-bytes if the machine has the memory", zPath, z);
        rc = HS_ELIMIT;
        break;
      }
      uint8_t *pNew = realloc(p, nCap * 2);
      if (!pNew) {
        rc = HS_ENOMEM;
        break;
      }
      p = pNew;
      nCap *= 2;
    }
    ssize_t r = read(fd, p + n, nCap - n);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR && !hs_checkpoint()) continue;
      if (errno == EAGAIN) break;             /* nobody writes: what came is all */
      *pzErr = hs_mprintf("%s: read failed after %llu bytes: %s", zPath,
                          (unsigned long long)n, errno == EINTR ? "interrupted" : strerror(errno));
      rc = HS_ERR;
      break;
    }
    n += (uint64_t)r;
  }
  close(fd);
  if (rc != HS_OK) {
    free(p);
    return rc;
  }
  w->nCur = n;                                /* the walk's place: all of it read */
  if (classify(p, n) != SRC_PLAIN) {
    rc = read_bytes(w, zPath, zPath, zRel, p, n, NULL, 0, pzErr);
    free(p);
    return rc;
  }
  hs_input *in = input_new(zPath, zPath, NULL);
  if (!in) {
    free(p);
    return HS_ENOMEM;
  }
  in->p = p;
  in->n = n;
  in->nDecoded = n;
  hs_decoded_held += n;
  return emit(w, in, zRel);
}

static int read_file_bytes(walk *w, const char *zPath, const char *zRel, char **pzErr) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
  w->nCur = (uint64_t)st.st_size;
  const uint8_t *p = NULL;
  size_t n = (size_t)st.st_size;
  int bMapped = 0;
  if (n > 0 && n <= SMALL_FILE) {
    uint8_t *pRead = malloc(n);
    size_t nGot = 0;
    while (pRead && nGot < n) {
      ssize_t r = pread(fd, pRead + nGot, n - nGot, (off_t)nGot);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      nGot += (size_t)r;
    }
    if (!pRead || nGot < n) {
      *pzErr = hs_mprintf("%s: read failed at byte %zu of %zu: %s", zPath, nGot, n,
                          pRead ? strerror(errno) : "out of memory");
      free(pRead);
      close(fd);
      return pRead ? HS_ERR : HS_ENOMEM;
    }
    p = pRead;
  } else if (n > 0) {
    p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      *pzErr = hs_mprintf("%s: cannot map: %s", zPath, strerror(errno));
      close(fd);
      return errno == ENOMEM ? HS_ENOMEM : HS_ERR;
    }
    madvise((void *)p, n, MADV_SEQUENTIAL);
    bMapped = 1;
  }
  if (classify(p, n) == SRC_PLAIN) {
    close(fd);
    hs_input *in = input_new(zPath, zPath, &st);
    if (!in) {
      if (bMapped) munmap((void *)p, n);
      else free((void *)p);
      return HS_ENOMEM;
    }
    in->p = p;
    in->n = n;
    in->bMapped = bMapped;
    return emit(w, in, zRel);
  }
  w->fdTop = bMapped ? fd : -1;
  int rc = read_bytes(w, zPath, zPath, zRel, p, n, &st, 0, pzErr);
  w->fdTop = -1;
  close(fd);
  if (bMapped) munmap((void *)p, n);
  else free((void *)p);
  return rc;
}

/* A regular file, its bytes counted in the walk's place once read. */
static int read_file(walk *w, const char *zPath, const char *zRel, char **pzErr) {
  int rc = read_file_bytes(w, zPath, zRel, pzErr);
  w->nDone += w->nCur;
  w->nCur = 0;
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a directory entry is, for the warning when it is skipped. */
static const char *file_kind(mode_t m) {
  return S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Walk a directory in sorted order; zRel is the path below the argument. */
static int read_dir(walk *w, const char *zPath, const char *zRel, int nDepth, char **pzErr) {
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
  if (n > 1) qsort(az, n, sizeof *az, cmp_str); /* az is NULL when empty */
  for (int i = 0; i < n && rc != HS_ENOMEM; i++) {
    if (hs_checkpoint()) {
      *pzErr = hs_mprintf("%s: interrupted; the files before %s were read", zPath, az[i]);
      rc = HS_ERR;
      break;
    }
    size_t nPath = strlen(zPath);             /* "dir/" as given: no "dir//x" */
    char *zChild = hs_mprintf(nPath && zPath[nPath - 1] == '/' ? "%s%s" : "%s/%s", zPath, az[i]);
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
    if (stat(zChild, &st) != 0)                 /* a dangling link */
      r = note_input(w, zChild, zChildRel, HS_WARNING,
                     hs_mprintf("skipped: %s", strerror(errno)));
    else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
      if (seen_before(w, &st))                /* a link back up, or to a sibling */
        r = note_input(w, zChild, zChildRel, HS_INFO,
                       hs_mprintf("skipped: already read under another name (a symbolic "
                                  "link to a %s read before)",
                                  S_ISDIR(st.st_mode) ? "directory" : "file"));
      else if (S_ISDIR(st.st_mode))
        r = read_dir(w, zChild, zChildRel, nDepth + 1, &zErr);
      else
        r = read_file(w, zChild, zChildRel, &zErr);
    } else
      r = note_input(w, zChild, zChildRel, HS_WARNING,
                     hs_mprintf("skipped: %s, not a regular file", file_kind(st.st_mode)));
    if (zErr) { /* one bad file does not stop the walk: report it as an input */
      hs_input *in = input_new(zChild, zChild, NULL);
      if (in) {
        in->zError = zErr;
        emit(w, in, zChildRel);
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

/* Bytes of the regular files below directory zPath.  Directories are read
** once (w's seen set, as read_dir keeps it: link loops end); files are not
** tracked (the set is searched linearly), so a file linked twice counts
** twice -- the total is for a progress line. */
static uint64_t dir_size(walk *w, const char *zPath, int nDepth) {
  uint64_t n = 0;
  DIR *d = nDepth <= 64 ? opendir(zPath) : NULL;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    struct stat st;
    if (de->d_name[0] == '.') continue;
    char *zChild = hs_mprintf("%s/%s", zPath, de->d_name);
    if (zChild && stat(zChild, &st) == 0) {
      if (S_ISREG(st.st_mode))
        n += (uint64_t)st.st_size;
      else if (S_ISDIR(st.st_mode) && !seen_before(w, &st))
        n += dir_size(w, zChild, nDepth + 1);
    }
    free(zChild);
  }
  if (d) closedir(d);
  return n;
}

uint64_t hs_source_size(const char *zPath) {
  struct stat st;
  walk w;
  memset(&w, 0, sizeof w);
  if (stat(zPath, &st) != 0) return 0;
  if (S_ISREG(st.st_mode)) return (uint64_t)st.st_size;
  if (!S_ISDIR(st.st_mode)) return UINT64_MAX;
  seen_before(&w, &st);
  uint64_t n = dir_size(&w, zPath, 0);
  free(w.aSeen);
  return n;
}

int hs_source_read(const char *zPath, const hs_limits *lim, hs_input_fn xOn, void *pArg,
                   char **pzErr) {
  struct stat st;
  walk w;
  memset(&w, 0, sizeof w);
  w.lim = lim;
  w.xOn = xOn;
  w.pArg = pArg;
  w.fdTop = -1;
  int rc;
  *pzErr = NULL;
  if (stat(zPath, &st) != 0) {
    *pzErr = hs_mprintf("%s: %s", zPath, strerror(errno));
    return HS_ERR;
  }
  if (S_ISDIR(st.st_mode)) {
    seen_before(&w, &st);
    rc = read_dir(&w, zPath, "", 0, pzErr);
  } else if (S_ISFIFO(st.st_mode))
    rc = read_stream(&w, zPath, NULL, pzErr);
  else if (!S_ISREG(st.st_mode)) {
    *pzErr = hs_mprintf("%s: %s, not a regular file: heapscope reads files, directories, "
                        "archives and pipes", zPath, file_kind(st.st_mode));
    rc = HS_ERR;
  } else
    rc = read_file(&w, zPath, NULL, pzErr);
  free(w.aSeen);
  return rc;
}
