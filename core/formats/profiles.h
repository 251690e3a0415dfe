/*
 * The profiles.KIND.* tables, written once for the two loaders that fill
 * them: pprof.c (protobuf profiles) and heaptext.c (heap?debug=1 text).
 * The columns follow profile.proto's messages; rows keep the file's order.
 *
 *   table          columns (enum)                               one row per
 *   info           PI_*: source, kind, period, times, comments  profile
 *   sample_types   PT_*: name, unit                             sample type
 *   samples        the value columns (one per sample type, the  sample
 *                  caller's), then PS_* stack, depth, labels
 *   stacks         PK_*: sample, depth (0 = leaf), location     frame of a sample
 *   locations      PL_*: id, address, mapping_id, is_folded,    location
 *                  line (first row in lines), nline, name
 *   lines          PN_*: location, function, name, file, line,  line of a location
 *                  column
 *   functions      PF_*: id, name, system_name, filename,       function
 *                  start_line
 *   mappings       PM_*: id, memory_start/limit, file_offset,   mapping
 *                  filename, build_id, has_* flags
 *   labels         PB_*: sample, key, str, num, num_unit        label of a sample
 */
#ifndef HS_FORMATS_PROFILES_H
#define HS_FORMATS_PROFILES_H

#include "heapscope/heapscope.h"

enum { PI_SOURCE, PI_KIND, PI_PERIOD_TYPE, PI_PERIOD_UNIT, PI_DEFAULT_SAMPLE_TYPE,
       PI_DROP_FRAMES, PI_KEEP_FRAMES, PI_COMMENTS, PI_DOC_URL, PI_TIME_NANOS,
       PI_DURATION_NANOS, PI_PERIOD, PI_NCOL };
enum { PT_NAME, PT_UNIT, PT_NCOL };
enum { PS_STACK, PS_DEPTH, PS_LABELS, PS_NCOL };  /* samples, after the values */
enum { PK_SAMPLE, PK_DEPTH, PK_LOCATION, PK_NCOL };
enum { PL_ID, PL_ADDRESS, PL_MAPPING_ID, PL_IS_FOLDED, PL_LINE, PL_NLINE, PL_NAME, PL_NCOL };
enum { PN_LOCATION, PN_FUNCTION, PN_NAME, PN_FILE, PN_LINE, PN_COLUMN, PN_NCOL };
enum { PF_ID, PF_NAME, PF_SYSTEM_NAME, PF_FILENAME, PF_START_LINE, PF_NCOL };
enum { PM_ID, PM_MEMORY_START, PM_MEMORY_LIMIT, PM_FILE_OFFSET, PM_FILENAME, PM_BUILD_ID,
       PM_HAS_FUNCTIONS, PM_HAS_FILENAMES, PM_HAS_LINE_NUMBERS, PM_HAS_INLINE_FRAMES,
       PM_NCOL };
enum { PB_SAMPLE, PB_KEY, PB_STR, PB_NUM, PB_NUM_UNIT, PB_NCOL };

typedef struct hs_profile_tables {
  hs_table *pInfo, *pTypes, *pSamples, *pStacks, *pLocations, *pLines, *pFunctions,
      *pMappings, *pLabels;
  int aiSample[PS_NCOL];  /* samples' stack, depth, labels columns */
} hs_profile_tables;

/* Create the tables profiles.zKind.* (zKind must be new to the case) with
** their columns, each table's at the positions of its enum.  The samples
** table gets the nVal value columns aVal[] (the caller's, one per sample
** type, with distinct names) at 0..nVal-1, then stack, depth and labels
** (their indices in aiSample), then the nExtra columns aExtra[] (may be 0)
** from nVal + PS_NCOL on; its note is zSampleNote.  HS_OK or HS_ENOMEM. */
int hs_profile_tables_open(hs_case *, const char *zKind, const hs_colspec *aVal, int nVal,
                           const hs_colspec *aExtra, int nExtra, const char *zSampleNote,
                           hs_profile_tables *);

#endif
