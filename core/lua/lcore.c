/*
 * hs.core: the C half of the `hs` module -- case and table handles.
 *
 * Handles are full userdata with named registry metatables (liolib.c's
 * createmeta).  Columns are not copied into Lua: hs.table (core/lua/table.lua) casts a table
 * userdata to `hs_table_ud *` with the FFI and reads the columns in place;
 * it keeps the userdata referenced for as long as it holds those pointers.
 * A table userdata's environment is its case userdata, so a table alive in
 * Lua keeps its case (and the buffers behind it) alive.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/hslua.h"
#include "table/internal.h"


/* ---------------------------------------------------------------- cases */

void hsL_pushcase(lua_State *L, hs_case *c) {
  hsL_case *u = lua_newuserdata(L, sizeof *u);
  u->pCase = NULL;                            /* closed until attached */
  luaL_getmetatable(L, HSL_CASE_MT);
  lua_setmetatable(L, -2);
  u->pCase = c;
}

hs_case *hsL_checkcase(lua_State *L, int idx) {
  hsL_case *u = luaL_checkudata(L, idx, HSL_CASE_MT);
  if (!u->pCase) luaL_error(L, "attempt to use a closed case");
  return u->pCase;
}

static int case_gc(lua_State *L) {
  hsL_case *u = luaL_checkudata(L, 1, HSL_CASE_MT);
  hs_case_free(u->pCase);
  u->pCase = NULL;
  return 0;
}

static int case_tostring(lua_State *L) {
  hsL_case *u = luaL_checkudata(L, 1, HSL_CASE_MT);
  if (!u->pCase)
    lua_pushliteral(L, "case (closed)");
  else
    lua_pushfstring(L, "case %s", u->pCase->zName);
  return 1;
}

static int case_name(lua_State *L) {
  lua_pushstring(L, hsL_checkcase(L, 1)->zName);
  return 1;
}

/* inputs() -> { {name=, kind=, size=, path=}, ... } */
static int case_inputs(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  lua_createtable(L, c->nInput, 0);
  for (int i = 0; i < c->nInput; i++) {
    hs_input *in = c->apInput[i];
    lua_createtable(L, 0, 4);
    hsL_setstr(L, "name", in->zName);
    hsL_setstr(L, "kind", in->zKind ? in->zKind : "unknown");
    hsL_setnum(L, "size", (lua_Number)in->n);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* diags() -> { {level=, file=, offset=, line=, message=, text=}, ... } */
static int case_diags(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  lua_createtable(L, c->nDiag, 0);
  for (int i = 0; i < c->nDiag; i++) {
    hs_diag *d = &c->aDiag[i];
    lua_createtable(L, 0, 6);
    hsL_setstr(L, "level", hs_level_name(d->level));
    hsL_setstr(L, "file", d->zFile);
    if (d->iLine) {
      hsL_setnum(L, "line", (lua_Number)d->iLine);
    } else if (d->iOffset != UINT64_MAX) {
      hsL_setnum(L, "offset", (lua_Number)d->iOffset);
    }
    char *zText = hs_diag_text(d);
    lua_pushstring(L, zText ? zText : d->zMsg);
    free(zText);
    lua_setfield(L, -2, "text");
    hsL_setstr(L, "message", d->zMsg);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* tables() -> sorted list of table names */
static int case_tables(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  lua_createtable(L, c->nTable, 0);
  for (int i = 0; i < c->nTable; i++) {
    lua_pushstring(L, c->apTable[i]->zName);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* table(name) -> table userdata or nil */
static int case_table(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  hs_table *t = hs_case_table(c, luaL_checkstring(L, 2));
  if (!t) return 0;
  hsL_pushtable(L, t, 1, HSL_SHARED);
  return 1;
}

static int case_nerror(lua_State *L) {
  lua_pushinteger(L, hsL_checkcase(L, 1)->nError);
  return 1;
}

/* ---------------------------------------------------------------- tables */

static hsL_table *newtable_ud(lua_State *L, uint64_t nIdx) {
  size_t nBytes = sizeof(hsL_table) + nIdx * sizeof(uint32_t);
  hsL_table *u = lua_newuserdata(L, nBytes);
  memset(u, 0, sizeof *u);                    /* closed: pTab NULL */
  luaL_getmetatable(L, HSL_TABLE_MT);
  lua_setmetatable(L, -2);
  return u;
}

void hsL_pushtable(lua_State *L, hs_table *t, int iKeep, int bOwned) {
  if (iKeep < 0) iKeep = lua_gettop(L) + iKeep + 1;
  hsL_table *u = newtable_ud(L, 0);
  if (iKeep) {                                /* keep the owner alive */
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, iKeep);
    lua_rawseti(L, -2, 1);
    lua_setfenv(L, -2);
  }
  u->pTab = t;
  u->bOwned = (uint32_t)bOwned;
}

static hsL_table *checktable(lua_State *L, int idx) {
  hsL_table *u = luaL_checkudata(L, idx, HSL_TABLE_MT);
  if (!u->pTab) luaL_error(L, "attempt to use a closed table");
  return u;
}

/* Bytes of a standalone table's columns, as charged to --max-memory. */
static int64_t table_bytes(const hs_table *t) {
  int64_t n = 0;
  for (int i = 0; i < t->nCol; i++)
    n += (int64_t)t->aCol[i].nCap * (t->aCol[i].type == HS_U32 || t->aCol[i].type == HS_STR ? 4 : 8);
  return n;
}

static int table_gc(lua_State *L) {
  hsL_table *u = luaL_checkudata(L, 1, HSL_TABLE_MT);
  if (u->bOwned && u->pTab) {
    hsL_charge(-table_bytes(u->pTab));
    hs_strpool *pStr = u->pTab->pStr;
    hs_table_free_(u->pTab);
    if (u->bOwned == HSL_OWN_TABLE_AND_POOL) hs_strpool_free(pStr);
  }
  u->pTab = NULL;
  return 0;
}

/* view(t, n) -> a view of t's base table with room for n row numbers; the
** caller (hs.table) fills aIdx through the FFI.  The view shares the
** base's environment, so it keeps the same case (or standalone base) alive. */
static int l_view(lua_State *L) {
  hsL_table *base = checktable(L, 1);
  lua_Number n = luaL_checknumber(L, 2);
  if (n < 0 || n > 4294967295.0) return luaL_error(L, "view: bad row count");
  hsL_table *u = newtable_ud(L, (uint64_t)n);
  lua_createtable(L, 1, 0);
  lua_pushvalue(L, 1);                        /* keep the base alive */
  lua_rawseti(L, -2, 1);
  lua_setfenv(L, -2);
  u->pTab = base->pTab;
  u->bView = 1;
  u->nIdx = (uint64_t)n;
  return 1;
}

/* new_table(name, {{name=, type=, flags=}, ...}, nrow [, base]) -> a
** standalone, zero-filled table; Lua fills it through the FFI (string cells
** with set_str, or ids copied from base, whose pool it then shares) and
** seals it. */
static int l_new_table(lua_State *L) {
  const char *zName = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Number nRow = luaL_checknumber(L, 3);
  if (nRow < 0 || nRow > 4294967295.0) return luaL_error(L, "new_table: bad row count");
  hs_case *c = hs_case_new("lua");            /* a scratch owner for the builders */
  if (!c) return luaL_error(L, "out of memory");
  hs_table *t = hs_table_new(c, zName);
  int nCol = (int)lua_objlen(L, 2);
  for (int i = 1; t && i <= nCol; i++) {
    lua_rawgeti(L, 2, i);
    lua_getfield(L, -1, "name");
    lua_getfield(L, -2, "type");
    lua_getfield(L, -3, "flags");
    const char *zCol = lua_tostring(L, -3);
    int type = (int)lua_tointeger(L, -2);
    uint32_t flags = (uint32_t)lua_tointeger(L, -1);
    if (!zCol || type < HS_U32 || type > HS_STR || hs_table_col(t, zCol, type, flags) < 0) {
      hs_case_free(c);
      return luaL_error(L, "new_table: bad or duplicate column %d", i);
    }
    lua_pop(L, 4);
  }
  if (!t || hs_table_reserve(t, (uint64_t)nRow) != HS_OK) {
    hs_case_free(c);
    return luaL_error(L, "out of memory");
  }
  if (hsL_charge(t ? table_bytes(t) : 0) != 0) {   /* --max-memory counts columns too */
    hs_case_free(c);
    return luaL_error(L, "not enough memory: a table of %f rows would exceed --max-memory", nRow);
  }
  for (uint64_t r = 0; r < (uint64_t)nRow; r++) hs_table_add_row(t);
  /* Detach the table (and the pool unless a base lends its own). */
  c->nTable = 0;
  if (lua_isuserdata(L, 4)) {
    hsL_table *base = checktable(L, 4);
    t->pStr = base->pTab->pStr;
    hsL_pushtable(L, t, 4, HSL_OWN_TABLE);
  } else {
    c->pStr = NULL;
    hsL_pushtable(L, t, 0, HSL_OWN_TABLE_AND_POOL);
  }
  hs_case_free(c);
  return 1;
}

/* set_str(t, col0, row0, s): intern s into a standalone unsealed table. */
static int l_set_str(lua_State *L) {
  hsL_table *u = checktable(L, 1);
  if (u->bOwned != HSL_OWN_TABLE_AND_POOL || u->pTab->bSealed)
    return luaL_error(L, "set_str: table is read-only");
  size_t n;
  const char *z = luaL_checklstring(L, 4, &n);
  hs_table_set_str(u->pTab, (int)luaL_checkinteger(L, 2), (uint64_t)luaL_checknumber(L, 3), z, n);
  return 0;
}

static int l_seal(lua_State *L) {
  hs_table_seal(checktable(L, 1)->pTab);
  return 0;
}

static int table_tostring(lua_State *L) {
  hsL_table *u = luaL_checkudata(L, 1, HSL_TABLE_MT);
  lua_pushfstring(L, "table %s", u->pTab ? u->pTab->zName : "(closed)");
  return 1;
}

/* ---------------------------------------------------------------- misc */

/* open(paths, {nocache=, quiet=}) -> list of case userdata */
static int l_open(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int nPath = (int)lua_objlen(L, 1);
  const char **az = calloc(nPath ? nPath : 1, sizeof *az);
  if (!az) return luaL_error(L, "out of memory");
  for (int i = 0; i < nPath; i++) {
    lua_rawgeti(L, 1, i + 1);
    az[i] = lua_tostring(L, -1);              /* kept alive by the paths table */
    lua_pop(L, 1);
    if (!az[i]) {
      free(az);
      return luaL_error(L, "open: path %d is not a string", i + 1);
    }
  }
  hs_open_opts o;
  hs_open_opts_init(&o);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "nocache");
    if (lua_toboolean(L, -1)) o.caseFlags |= HS_CASE_NOCACHE;
    lua_pop(L, 1);
  }
  hs_caselist cl;
  int rc = hs_open(az, nPath, &o, &cl);
  free(az);
  if (rc != HS_OK) {
    hs_caselist_free(&cl);
    return luaL_error(L, "open: out of memory");
  }
  lua_createtable(L, cl.nCase, 0);
  for (int i = 0; i < cl.nCase; i++) {
    hsL_pushcase(L, cl.apCase[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(cl.apCase);
  return 1;
}

/* checkpoint(): raise the stop if Ctrl-C was pressed (or --timeout hit).  Being a C
** function, calling it also makes LuaJIT leave the current trace. */
static int l_checkpoint(lua_State *L) {
  if (hs_interrupted) return hsL_raise_stop(L);
  return 0;
}

static int l_fmt_bytes(lua_State *L) {
  char z[32];
  lua_Number v = luaL_checknumber(L, 1);
  if (v < 0) {
    hs_fmt_bytes((uint64_t)-v, z + 1, sizeof z - 1);
    z[0] = '-';
  } else
    hs_fmt_bytes((uint64_t)v, z, sizeof z);
  lua_pushstring(L, z);
  return 1;
}

/* loaders() -> { {kind=, desc=, field=, tables={...}}, ... } in sniff order:
** field is the case field the evidence appears as (the first table name's
** first component), tables the names of hs_loader.zTables. */
static int l_loaders(lua_State *L) {
  lua_newtable(L);
  for (int i = 0; hs_loaders[i]; i++) {
    const hs_loader *p = hs_loaders[i];
    const char *z = p->zTables ? p->zTables : "";
    lua_createtable(L, 0, 4);                   /* list, entry */
    hsL_setstr(L, "kind", p->zKind);
    hsL_setstr(L, "desc", p->zDesc);
    lua_pushlstring(L, z, strcspn(z, ". "));
    lua_setfield(L, -2, "field");
    lua_newtable(L);                            /* list, entry, tables */
    for (int n = 0; *z;) {
      size_t k = strcspn(z, " ");
      if (k) {
        lua_pushlstring(L, z, k);
        lua_rawseti(L, -2, ++n);
      }
      z += k + (z[k] == ' ');
    }
    lua_setfield(L, -2, "tables");
    lua_rawseti(L, -2, i + 1);                  /* list */
  }
  return 1;
}

/* load_buffer(case, name, bytes [, kind]): load a string as an input. */
static int l_load_buffer(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  size_t n;
  const char *zName = luaL_checkstring(L, 2);
  const char *p = luaL_checklstring(L, 3, &n);
  int rc = hs_case_load_buffer(c, zName, p, n, luaL_optstring(L, 4, NULL));
  hs_case_seal(c);
  lua_pushinteger(L, rc);
  return 1;
}

/* load_member(case, input_name) -> a case of that one input, loaded now:
** an earlier snapshot of a series (hs_input.iSeries 2), which the case only
** listed.  The new case borrows the input's bytes, so its environment holds
** the parent case: the parent outlives it.  nil when no input has the name. */
static int l_load_member(lua_State *L) {
  hs_case *c = hsL_checkcase(L, 1);
  const char *zName = luaL_checkstring(L, 2);
  hs_input *src = NULL;
  for (int i = 0; i < c->nInput && !src; i++)
    if (c->apInput[i]->p && strcmp(c->apInput[i]->zName, zName) == 0) src = c->apInput[i];
  if (!src) {
    lua_pushnil(L);
    return 1;
  }
  hs_case *m = hs_case_new(zName);
  hs_input *in = calloc(1, sizeof *in);
  if (!m || !in) {
    hs_case_free(m);
    free(in);
    return luaL_error(L, "out of memory");
  }
  m->flags = c->flags & HS_CASE_NOCACHE;
  m->nMaxBytes = c->nMaxBytes;
  hsL_pushcase(L, m);                         /* case */
  lua_createtable(L, 1, 0);                   /* case, env */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_setfenv(L, -2);                         /* case */
  in->zName = hs_strdup(src->zName);
  in->zPath = src->zPath ? hs_strdup(src->zPath) : NULL;
  in->p = src->p;
  in->n = src->n;
  in->bBorrowed = 1;
  in->iMtime = src->iMtime;
  in->iFileSize = src->iFileSize;
  if (!in->zName) {
    hs_input_free(in);
    return luaL_error(L, "out of memory");
  }
  hs_case_load_input(m, in, src->zKind);
  hs_case_seal(m);
  return 1;
}

static int l_new_case(lua_State *L) {
  hs_case *c = hs_case_new(luaL_checkstring(L, 1));
  if (!c) return luaL_error(L, "out of memory");
  hsL_pushcase(L, c);
  return 1;
}

int luaopen_heapscope(lua_State *L) {
  static const luaL_Reg aCaseMeth[] = {
      {"name", case_name},     {"inputs", case_inputs}, {"diags", case_diags},
      {"tables", case_tables}, {"table", case_table},   {"nerror", case_nerror},
      {NULL, NULL}};
  static const luaL_Reg aCore[] = {
      {"open", l_open},           {"view", l_view},
      {"new_table", l_new_table}, {"set_str", l_set_str},
      {"seal", l_seal},           {"checkpoint", l_checkpoint},
      {"fmt_bytes", l_fmt_bytes}, {"loaders", l_loaders},
      {"load_buffer", l_load_buffer}, {"new_case", l_new_case},
      {"load_member", l_load_member},
      {NULL, NULL}};
  /* case metatable: methods in __index */
  luaL_newmetatable(L, HSL_CASE_MT);
  lua_newtable(L);
  luaL_register(L, NULL, aCaseMeth);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, case_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, case_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  /* table metatable: hs.table adds __index/__len in Lua */
  luaL_newmetatable(L, HSL_TABLE_MT);
  lua_pushcfunction(L, table_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, table_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_register(L, NULL, aCore);
  luaL_getmetatable(L, HSL_TABLE_MT);
  lua_setfield(L, -2, "table_mt");
  luaL_getmetatable(L, HSL_CASE_MT);
  lua_setfield(L, -2, "case_mt");
  hsL_setstr(L, "version", HS_VERSION);
  return 1;
}
