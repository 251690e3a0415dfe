/*
 * Lua values -> msgpack, the form results take between the rule engine and
 * the writers (and, in batch runs, between worker processes and the parent).
 *
 * Output is deterministic, so -j1 and -jN runs give the same bytes:
 *   - a table whose metatable has __keys (a list of names) is a map with
 *     those keys in that order, absent ones left out;
 *   - a table whose metatable has __array, or whose keys are exactly
 *     1..n (n > 0), is an array;
 *   - any other table is a map with its keys as strings, sorted bytewise;
 *   - a number with an integral value below 2^63 in magnitude is an
 *     integer, others doubles; NaN and infinities become nil (JSON has none);
 *   - anything else (functions, userdata, cdata) is its tostring().
 * Nesting deeper than MAX_DEPTH is cut with the string "...".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua/hslua.h"
#include "report/report.h"

#define MAX_DEPTH 32

typedef struct key_ent {
  const char *z;
  size_t n;
  int iStack;           /* stack index of the key's value */
} key_ent;

static int cmp_key(const void *a, const void *b) {
  const key_ent *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->z, y->z, n);
  return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static void pack_value(lua_State *L, msgpack_packer *pk, int idx, int depth);

static void pack_str(msgpack_packer *pk, const char *z, size_t n) {
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, z, n);
}

/* Push the text of the key at idx (absolute): integral numbers without
** ".0", other values through tostring. */
static const char *key_text(lua_State *L, int idx, size_t *pn) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, idx);
    char z[64];
    if (v == floor(v) && fabs(v) < 9.2e18)
      snprintf(z, sizeof z, "%lld", (long long)v);
    else
      snprintf(z, sizeof z, "%.17g", v);
    lua_pushstring(L, z);
  } else {
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
  }
  return lua_tolstring(L, -1, pn);
}

static void pack_table(lua_State *L, msgpack_packer *pk, int idx, int depth) {
  luaL_checkstack(L, 8, "mpack: nesting");
  int iTop = lua_gettop(L);
  if (lua_getmetatable(L, idx)) {             /* ... mt */
    lua_getfield(L, -1, "__keys");
    if (lua_istable(L, -1)) {                 /* ordered map */
      int iKeys = lua_gettop(L);
      int nKey = (int)lua_objlen(L, iKeys), nPresent = 0;
      for (int i = 1; i <= nKey; i++) {
        lua_rawgeti(L, iKeys, i);
        lua_rawget(L, idx);
        nPresent += !lua_isnil(L, -1);
        lua_pop(L, 1);
      }
      msgpack_pack_map(pk, nPresent);
      for (int i = 1; i <= nKey; i++) {
        lua_rawgeti(L, iKeys, i);             /* ... key */
        lua_pushvalue(L, -1);
        lua_rawget(L, idx);                   /* ... key value */
        if (!lua_isnil(L, -1)) {
          size_t n;
          const char *z = lua_tolstring(L, -2, &n);
          pack_str(pk, z, n);
          pack_value(L, pk, lua_gettop(L), depth + 1);
        }
        lua_pop(L, 2);
      }
      lua_settop(L, iTop);
      return;
    }
    lua_getfield(L, -2, "__array");
    int bArray = lua_toboolean(L, -1);
    lua_settop(L, iTop);
    if (bArray) {
      int n = (int)lua_objlen(L, idx);
      msgpack_pack_array(pk, n);
      for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        pack_value(L, pk, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
      }
      return;
    }
  }
  /* Count keys; an array if they are exactly 1..n. */
  int nKey = 0, bSeq = 1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    nKey++;
    if (bSeq) {
      lua_Number v = lua_type(L, -2) == LUA_TNUMBER ? lua_tonumber(L, -2) : 0;
      if (v < 1 || v != floor(v)) bSeq = 0;
    }
    lua_pop(L, 1);
  }
  if (nKey > 0 && bSeq && (int)lua_objlen(L, idx) == nKey) {
    msgpack_pack_array(pk, nKey);
    for (int i = 1; i <= nKey; i++) {
      lua_rawgeti(L, idx, i);
      pack_value(L, pk, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    return;
  }
  /* Sorted map: key strings and values stay on the stack while packing. */
  luaL_checkstack(L, 2 * nKey + 8, "mpack: table too large");
  key_ent *a = malloc((nKey ? nKey : 1) * sizeof *a);
  if (!a) {
    msgpack_pack_nil(pk);
    return;
  }
  int n = 0;
  lua_pushnil(L);
  while (n < nKey && lua_next(L, idx)) {      /* ... [text value]... key value */
    size_t nz;
    const char *z = key_text(L, lua_gettop(L) - 1, &nz); /* key value text */
    lua_insert(L, -3);                        /* text key value */
    lua_insert(L, -2);                        /* text value key */
    a[n].z = z;
    a[n].n = nz;
    a[n].iStack = lua_gettop(L) - 1;
    n++;
  }
  qsort(a, n, sizeof *a, cmp_key);
  msgpack_pack_map(pk, n);
  for (int i = 0; i < n; i++) {
    pack_str(pk, a[i].z, a[i].n);
    pack_value(L, pk, a[i].iStack, depth + 1);
  }
  free(a);
  lua_settop(L, iTop);
}

static void pack_value(lua_State *L, msgpack_packer *pk, int idx, int depth) {
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    msgpack_pack_nil(pk);
    break;
  case LUA_TBOOLEAN:
    if (lua_toboolean(L, idx)) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
    break;
  case LUA_TNUMBER: {
    lua_Number v = lua_tonumber(L, idx);
    if (isnan(v) || isinf(v))
      msgpack_pack_nil(pk);
    else if (v == floor(v) && v >= 0 && v < 18446744073709551616.0)
      msgpack_pack_uint64(pk, (uint64_t)v);
    else if (v == floor(v) && v < 0 && v >= -9223372036854775808.0)
      msgpack_pack_int64(pk, (int64_t)v);
    else
      msgpack_pack_double(pk, v);
    break;
  }
  case LUA_TSTRING: {
    size_t n;
    const char *z = lua_tolstring(L, idx, &n);
    pack_str(pk, z, n);
    break;
  }
  case LUA_TTABLE:
    if (depth >= MAX_DEPTH) {
      pack_str(pk, "...", 3);
      break;
    }
    pack_table(L, pk, idx, depth);
    break;
  default: {
    size_t n;
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    const char *z = lua_tolstring(L, -1, &n);
    pack_str(pk, z ? z : "", z ? n : 0);
    lua_pop(L, 1);
  }
  }
}

int hsL_mpack(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  pack_value(L, &pk, 1, 0);
  lua_pushlstring(L, sb.data ? sb.data : "", sb.size);
  msgpack_sbuffer_destroy(&sb);
  return 1;
}
