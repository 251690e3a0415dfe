#include <stdio.h>
#include "lua/hslua.h"
int main(int argc, char **argv) {
  lua_State *L = hsL_newstate(NULL);
  if (!L) return 2;
  if (argc > 2 && luaL_loadstring(L, argv[2]) == 0) hsL_report(L, hsL_docall(L, 0, 0));
  hsL_close(L);
  return 0;
}
