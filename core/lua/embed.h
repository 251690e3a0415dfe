/* Files compiled into the binary: core/lua/ Lua sources, plugins, the FFI header. */
#ifndef HS_EMBED_H
#define HS_EMBED_H
typedef struct hs_embedded {
  const char *zName; /* source path relative to the project root */
  const char *zSrc;  /* NUL-terminated contents */
  int nSrc;          /* length without the NUL */
} hs_embedded;
extern const hs_embedded hs_embedded_files[];
#endif
