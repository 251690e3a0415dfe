/* PLACEHOLDER: heap graph bindings land with the heap dump loader. */
#include "lua/hslua.h"

int hsL_open_heap(lua_State *L) { return 0; }
