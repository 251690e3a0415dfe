/*
 * The profiles.KIND.* schema (see profiles.h): one definition of every
 * table's columns for the loaders that fill them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats/profiles.h"

static const hs_colspec aInfoCol[PI_NCOL] = {
    {"source", HS_STR, 0},        {"kind", HS_STR, 0},
    {"period_type", HS_STR, 0},   {"period_unit", HS_STR, 0},
    {"default_sample_type", HS_STR, 0},
    {"drop_frames", HS_STR, 0},   {"keep_frames", HS_STR, 0},
    {"comments", HS_STR, 0},      {"doc_url", HS_STR, 0},
    {"time_nanos", HS_I64, 0},    {"duration_nanos", HS_I64, 0},
    {"period", HS_I64, 0}};
static const hs_colspec aTypeCol[PT_NCOL] = {{"name", HS_STR, 0}, {"unit", HS_STR, 0}};
static const hs_colspec aSampleCol[PS_NCOL] = {
    {"stack", HS_U32, 0}, {"depth", HS_U32, 0}, {"labels", HS_STR, 0}};
static const hs_colspec aStackCol[PK_NCOL] = {
    {"sample", HS_U32, 0}, {"depth", HS_U32, 0}, {"location", HS_U32, 0}};
static const hs_colspec aLocCol[PL_NCOL] = {
    {"id", HS_U64, 0},       {"address", HS_U64, HS_COL_HEX}, {"mapping_id", HS_U64, 0},
    {"is_folded", HS_U32, 0}, {"line", HS_U32, 0},            {"nline", HS_U32, 0},
    {"name", HS_STR, 0}};
static const hs_colspec aLineCol[PN_NCOL] = {
    {"location", HS_U32, 0}, {"function", HS_U32, 0}, {"name", HS_STR, 0},
    {"file", HS_STR, 0},     {"line", HS_I64, 0},     {"column", HS_I64, 0}};
static const hs_colspec aFnCol[PF_NCOL] = {
    {"id", HS_U64, 0},       {"name", HS_STR, 0},       {"system_name", HS_STR, 0},
    {"filename", HS_STR, 0}, {"start_line", HS_I64, 0}};
static const hs_colspec aMapCol[PM_NCOL] = {
    {"id", HS_U64, 0},
    {"memory_start", HS_U64, HS_COL_HEX},
    {"memory_limit", HS_U64, HS_COL_HEX},
    {"file_offset", HS_U64, HS_COL_HEX},
    {"filename", HS_STR, 0},
    {"build_id", HS_STR, 0},
    {"has_functions", HS_U32, 0},
    {"has_filenames", HS_U32, 0},
    {"has_line_numbers", HS_U32, 0},
    {"has_inline_frames", HS_U32, 0}};
static const hs_colspec aLabelCol[PB_NCOL] = {
    {"sample", HS_U32, 0}, {"key", HS_STR, 0},       {"str", HS_STR, 0},
    {"num", HS_I64, 0},    {"num_unit", HS_STR, 0}};

static hs_table *open_part(hs_case *c, const char *zKind, const char *zPart, const char *zNote,
                           const hs_colspec *a, int nCol) {
  char zName[160];
  snprintf(zName, sizeof zName, "profiles.%s.%s", zKind, zPart);
  return hs_table_open(c, zName, zNote, a, nCol, NULL);
}

int hs_profile_tables_open(hs_case *c, const char *zKind, const hs_colspec *aVal, int nVal,
                           const hs_colspec *aExtra, int nExtra, const char *zSampleNote,
                           hs_profile_tables *p) {
  p->pInfo = open_part(c, zKind, "info", "one row per profile: where it came from, its period "
                       "and times", aInfoCol, PI_NCOL);
  p->pTypes = open_part(c, zKind, "sample_types", NULL, aTypeCol, PT_NCOL);
  /* samples: the caller's value columns, ours, the caller's extras */
  int nCol = nVal + PS_NCOL + nExtra;
  hs_colspec *aCol = malloc((size_t)nCol * sizeof *aCol);
  if (!aCol) return HS_ENOMEM;
  for (int i = 0; i < nVal; i++) aCol[i] = aVal[i];
  for (int i = 0; i < PS_NCOL; i++) aCol[nVal + i] = aSampleCol[i];
  for (int i = 0; i < nExtra; i++) aCol[nVal + PS_NCOL + i] = aExtra[i];
  p->pSamples = open_part(c, zKind, "samples", zSampleNote, aCol, nCol);
  free(aCol);
  for (int i = 0; i < PS_NCOL; i++) p->aiSample[i] = nVal + i;
  p->pStacks = open_part(c, zKind, "stacks", "the frames of each sample, leaf (depth 0) first; "
                         "location = row in .locations", aStackCol, PK_NCOL);
  p->pLocations = open_part(c, zKind, "locations", NULL, aLocCol, PL_NCOL);
  p->pLines = open_part(c, zKind, "lines", NULL, aLineCol, PN_NCOL);
  p->pFunctions = open_part(c, zKind, "functions", NULL, aFnCol, PF_NCOL);
  p->pMappings = open_part(c, zKind, "mappings", NULL, aMapCol, PM_NCOL);
  p->pLabels = open_part(c, zKind, "labels", NULL, aLabelCol, PB_NCOL);
  return p->pInfo && p->pTypes && p->pSamples && p->pStacks && p->pLocations && p->pLines && p->pFunctions &&
                 p->pMappings && p->pLabels
             ? HS_OK
             : HS_ENOMEM;
}
