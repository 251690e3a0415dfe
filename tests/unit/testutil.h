/*
 * Helpers shared by the C unit tests (linked into every tests/unit/test_*).
 * Tests run with the repository root as the current directory.
 */
#ifndef HS_TESTUTIL_H
#define HS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "heapscope/heapscope.h"

/* Whole file, NUL-terminated (the NUL is not counted in *pn); NULL if it
** cannot be read.  The caller frees it. */
char *tu_read_file(const char *zPath, size_t *pn);

/* Paths "samples/<group>/<case>/<zFile>" that exist, for the groups
** go1.19, go1.23 and (if bThirdParty) thirdparty; NULL-terminated list the
** caller frees with tu_free_list. */
char **tu_sample_files(const char *zFile, int bThirdParty);
/* The same, but the case directories "samples/<group>/<case>" holding zFile. */
char **tu_sample_dirs(const char *zFile, int bThirdParty);
void tu_free_list(char **az);

/* A new case holding one buffer loaded as zName (sniffed unless zKind). */
hs_case *tu_load_buffer(const char *zName, const void *p, size_t n, const char *zKind,
                        int *pRc);

/* A new case holding the file at zPath (read, then loaded as a buffer);
** fails the test if the file cannot be read. */
hs_case *tu_load_path(const char *zPath, int *pRc);

/* Cells by column name; fail the test if the table has no such column. */
uint64_t tu_col_u64(const hs_table *t, const char *zCol, uint64_t iRow);
double tu_col_f64(const hs_table *t, const char *zCol, uint64_t iRow);
const char *tu_col_str(const hs_table *t, const char *zCol, uint64_t iRow);

/* Rows of the case's table zTable (0 if it has none). */
uint64_t tu_nrow(const hs_case *c, const char *zTable);
/* Diagnostics at warning level or above. */
int tu_n_warnings(const hs_case *c);

/* 1 if the case has a diagnostic of this level on line iLine (UINT64_MAX:
** any line) whose message contains zPart (NULL: any message). */
int tu_has_diag(const hs_case *c, int level, uint64_t iLine, const char *zPart);

#endif
