/* Unit tests: core/base (the u64 map, the RFC 3339 parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heapscope/heapscope.h"
#include "base/base.h"

/* Keys as loaders use them: 0, dense ids, aligned addresses, high bits. */
static uint64_t key_of(uint64_t i) {
  switch (i % 3) {
    case 0: return i;
    case 1: return 0xc000000000ull + i * 64;
    default: return (1ull << 63) | i;
  }
}

static void test_u64map(void **state) {
  (void)state;
  hs_u64map m = {0};
  uint64_t v = 7;
  assert_false(hs_u64map_get(&m, 0, &v));
  assert_false(hs_u64map_get(&m, 42, &v));
  assert_int_equal(v, 7);
  /* 200k keys through many doublings; every one kept with its value */
  for (uint64_t i = 0; i < 200000; i++) assert_int_equal(hs_u64map_put(&m, key_of(i), i * 3), HS_OK);
  for (uint64_t i = 0; i < 200000; i++) {
    assert_true(hs_u64map_get(&m, key_of(i), &v));
    assert_int_equal(v, i * 3);
  }
  assert_false(hs_u64map_get(&m, 0xc000000000ull + 1, NULL)); /* never put */
  /* upsert: present keys keep their value, new ones start at 0 */
  int bNew = -1;
  uint64_t *p = hs_u64map_upsert(&m, key_of(5), &bNew);
  assert_non_null(p);
  assert_int_equal(bNew, 0);
  assert_int_equal(*p, 15);
  p = hs_u64map_upsert(&m, 0, &bNew); /* key 0 is stored, not an empty slot */
  assert_int_equal(bNew, 0);
  assert_int_equal(*p, 0);
  p = hs_u64map_upsert(&m, 0xdeadbeefull << 20, &bNew);
  assert_int_equal(bNew, 1);
  assert_int_equal(*p, 0);
  *p = 99;
  assert_true(hs_u64map_get(&m, 0xdeadbeefull << 20, &v));
  assert_int_equal(v, 99);
  assert_int_equal(m.nUsed + (uint64_t)m.bZero, 200001);
  hs_u64map_free(&m);
  assert_false(hs_u64map_get(&m, key_of(1), NULL));
  /* reserve: no growth afterwards */
  assert_int_equal(hs_u64map_reserve(&m, 1000), HS_OK);
  uint64_t nCap = m.nCap;
  for (uint64_t i = 1; i <= 1000; i++) assert_int_equal(hs_u64map_put(&m, i, i), HS_OK);
  assert_int_equal(m.nCap, nCap);
  hs_u64map_free(&m);
}

static void test_rfc3339(void **state) {
  (void)state;
  double t = -1;
  /* 2024-05-01T10:00:00Z is 1714557600 (date -u -d @1714557600) */
  assert_true(hs_parse_rfc3339("2024-05-01T10:00:00Z", 20, HS_TIME_STRICT, &t));
  assert_true(t == 1714557600.0);
  assert_true(hs_parse_rfc3339("2024-05-01 12:00:00.25+02:00", 28, HS_TIME_STRICT, &t));
  assert_true(t == 1714557600.25);
  assert_true(hs_parse_rfc3339("2024-04-30T23:30:00-10:30", 25, HS_TIME_STRICT, &t));
  assert_true(t == 1714557600.0);
  assert_true(hs_parse_rfc3339("1969-12-31T23:59:59Z", 20, HS_TIME_STRICT, &t));
  assert_true(t == -1.0);
  /* strict: a zone, nothing after it, the clock in range */
  t = 5;
  assert_false(hs_parse_rfc3339("2024-05-01T10:00:00", 19, HS_TIME_STRICT, &t));
  assert_false(hs_parse_rfc3339("2024-05-01T10:00:00Z stderr", 27, HS_TIME_STRICT, &t));
  assert_false(hs_parse_rfc3339("2024-05-01T24:00:00Z", 20, HS_TIME_STRICT, &t));
  assert_false(hs_parse_rfc3339("2024-13-01T10:00:00Z", 20, HS_TIME_STRICT, &t));
  assert_false(hs_parse_rfc3339("2024-05-01T10:00:00.Z", 21, HS_TIME_STRICT, &t));
  assert_true(t == 5);
  /* prefix (container logs): no zone is UTC, ',' fraction, text after */
  assert_true(hs_parse_rfc3339("2024-05-01T10:00:00", 19, HS_TIME_PREFIX, &t));
  assert_true(t == 1714557600.0);
  assert_true(hs_parse_rfc3339("2024-05-01T10:00:00,5 stderr F gc 1", 35, HS_TIME_PREFIX, &t));
  assert_true(t == 1714557600.5);
  assert_true(hs_parse_rfc3339("2024-05-01T12:00:00.123456789+02:00", 35, HS_TIME_PREFIX, &t));
  assert_true(t > 1714557600.123 && t < 1714557600.124);
  assert_false(hs_parse_rfc3339("2024-05-0", 9, HS_TIME_PREFIX, &t));
  assert_false(hs_parse_rfc3339(NULL, 0, HS_TIME_PREFIX, &t));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_u64map),
      cmocka_unit_test(test_rfc3339),
  };
  return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
