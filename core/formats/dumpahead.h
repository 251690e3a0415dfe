/*
** Reading a heap dump's object records on two threads (dumpahead.c): the
** parse of one object record, which the loader and the read-ahead share,
** and the read-ahead itself.  Private to the heap dump loader.
*/
#ifndef HS_FORMATS_DUMPAHEAD_H
#define HS_FORMATS_DUMPAHEAD_H

#include <stdint.h>
#include "formats/dumpread.h"

/* What an object record's parse needs to know of the dump (its params). */
typedef struct hs_dumpfmt {
  uint32_t nPtrSize;
  int bBigEndian;
  int bTypeHeader;          /* Go 1.22+: small pointerful objects have a malloc header */
  uint64_t iHeapStart, iHeapEnd;
} hs_dumpfmt;

/* One object record, parsed. */
typedef struct hs_objrec {
  uint64_t iRec;            /* the record's offset */
  uint64_t iAddr, nSize;
  uint64_t iContent;        /* its contents' offset */
  uint64_t nField;          /* pointer fields (an iface or eface counts once) */
  uint64_t iHeader;         /* the Go 1.22+ malloc header word it may hold; 0: none */
} hs_objrec;

enum { OBJREC_OK = 0, OBJREC_BADFIELD = 1, OBJREC_WRAPS = 2 };

/* Parses the object record whose tag r has just read (at offset iRec):
** OBJREC_OK, or why the record is inconsistent (it still framed: r is past
** it); a framing failure is r->err, with *o undefined. */
int hs_objrec_read(rd *r, const hs_dumpfmt *f, uint64_t iRec, hs_objrec *o);

/* The read-ahead: a second thread that parses the object records from a
** place two fifths in while the loader reads the first part, so that the
** loader, once there, takes them already parsed instead of reading them.
** See dumpahead.c for why the result is the one-thread load's. */
typedef struct hs_ahead hs_ahead;

/* Starts it for a dump of n bytes at pBase whose object records begin at
** iFirst; NULL when the dump is too small to be worth a thread, or on
** failure (the loader then reads on alone).  bMapped: the dump is an
** mmapped file, whose pages it may hand back behind it. */
hs_ahead *hs_ahead_start(const uint8_t *pBase, uint64_t n, uint64_t iFirst,
                         const hs_dumpfmt *f, int bMapped);

/* Where it looks for a place to begin: the loader asks hs_ahead_at on
** reaching it. */
uint64_t hs_ahead_from(const hs_ahead *a);

/* The offset of the record where the read-ahead begins, once it knows it
** (0 until then: ask again later): the loader calls hs_ahead_take on
** arriving there.  UINT64_MAX: it found no place to begin. */
uint64_t hs_ahead_at(const hs_ahead *a);

/* The loader's columns (8 bytes an object) that the records taken will
** be written to, from object iBase on.  The read-ahead, once its parse is
** done, faults them in (MADV_POPULATE_WRITE) a block ahead of the taking,
** so that the loader writes to pages already there instead of taking a
** fault every 512 objects.  Only a hint: populating writes nothing, so a
** column the loader moves meanwhile (a regrow) costs a populated range
** for nothing, never a wrong byte. */
typedef struct hs_ahead_cols {
  void *ap[3];
  uint64_t nCap;            /* the columns' length in objects; 0: nothing to fault in */
  uint64_t iBase;
} hs_ahead_cols;

/* Hands each record the read-ahead parsed, in dump order, to xTake (which
** returns HS_OK to go on), waiting for those still being parsed.  *piStop
** gets the offset after the last one taken (where the loader reads on),
** *pnTaken their number.  Returns HS_OK, or what xTake returned.  pCols
** (NULL: none) says where xTake writes them. */
int hs_ahead_take(hs_ahead *a, int (*xTake)(void *, const hs_objrec *), void *pArg,
                  const hs_ahead_cols *pCols, uint64_t *piStop, uint64_t *pnTaken);

/* Stops the thread (if running) and frees everything; NULL is a no-op. */
void hs_ahead_free(hs_ahead *a);

/* Dumps of fewer bytes are read on one thread (tests lower it). */
extern uint64_t hs_ahead_min_bytes;
/* Tests set it: hs_ahead_at waits for the read-ahead to know where it
** begins, so that a small dump, which the loader reads in a moment, meets
** it whenever it found a place. */
extern int hs_ahead_patient;

#endif /* HS_FORMATS_DUMPAHEAD_H */
