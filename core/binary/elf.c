/*
 * Reading a Go ELF executable with libelf: sections, build info, symbols
 * and runtime type descriptors.  DWARF is read by dwarf.c.
 *
 * What we take from where:
 *
 *   .go.buildinfo  Go >= 1.18 layout (the only one the heap dump loader's
 *                  versions produce):
 *                    off  size  field
 *                      0    14  magic "\xff Go buildinf:"
 *                     14     1  pointer size
 *                     15     1  flags: bit 0 big-endian, bit 1 strings inline
 *                     32     -  uvarint length + runtime.Version() string,
 *                               then uvarint length + module info text
 *                  (debug/buildinfo's readRawBuildInfo in Go's source).
 *   .data, .bss    what runtime/heapdump.go dumps as the data and bss
 *                  segments: firstmoduledata.data..edata and bss..ebss,
 *                  which the linker lays out as exactly these sections.
 *   .rodata        (.data.rel.ro in position-independent builds) starts
 *                  with the type descriptors: moduledata.types, the base
 *                  that a type's nameOff and DWARF's DW_AT_go_runtime_type
 *                  are relative to.  runtime.types/runtime.etypes name it
 *                  when the symbol table is there.
 *   .symtab        sizes and addresses of globals when DWARF is missing.
 *
 * A runtime type descriptor (runtime._type in 1.19, internal/abi.Type in
 * 1.21+; the layout has not changed since Go 1.14), pointer size P:
 *
 *     off   field       size
 *     0     Size_       P
 *     P     PtrBytes    P
 *     2P    Hash        4
 *     2P+4  TFlag       1    bit 1 (tflagExtraStar): drop the name's leading '*'
 *     2P+5  Align_      1
 *     2P+6  FieldAlign_ 1
 *     2P+7  Kind_       1    low 5 bits: reflect.Kind
 *     2P+8  Equal       P
 *     3P+8  GCData      P
 *     4P+8  Str         4    nameOff from the types base
 *     4P+12 PtrToThis   4
 *
 * A name at types+Str (internal/abi.Name, Go >= 1.17): one flag byte, a
 * uvarint length, the bytes.
 *
 * Every read is bounds-checked against the file: a damaged binary gives an
 * error naming the file and what was wrong, never a read out of bounds.
 */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binint.h"
#include "base/base.h"

int hs_binary_is_elf(const uint8_t *p, uint64_t n) {
  return n >= 16 && memcmp(p, "\x7f" "ELF", 4) == 0;
}

int hs_binary_is_go(const uint8_t *p, uint64_t n) {
  return hs_binary_is_elf(p, n) && memmem(p, n, "\xff Go buildinf:", 14) != NULL;
}

static uint64_t rd_word(const hs_binary *b, const uint8_t *p, uint32_t n) {
  uint64_t v = 0;
  if (b->bBigEndian)
    for (uint32_t k = 0; k < n; k++) v = (v << 8) | p[k];
  else
    for (int k = (int)n - 1; k >= 0; k--) v = (v << 8) | p[k];
  return v;
}

const uint8_t *hs_binary_at(const hs_binary *b, uint64_t iAddr, uint64_t nBytes) {
  const binint *x = b->pInt;
  for (int i = 0; i < x->nSect; i++) {
    const binsect *s = &x->aSect[i];
    if (iAddr >= s->iAddr && iAddr - s->iAddr <= s->nSize &&
        nBytes <= s->nSize - (iAddr - s->iAddr))
      return b->p + s->iOff + (iAddr - s->iAddr);
  }
  return NULL;
}

/* A uvarint at p[0..n); returns bytes used, 0 if malformed. */
static int uvarint(const uint8_t *p, uint64_t n, uint64_t *pv) {
  uint64_t v = 0;
  for (int i = 0, s = 0; i < 10 && (uint64_t)i < n; i++, s += 7) {
    v |= (uint64_t)(p[i] & 0x7f) << s;
    if (!(p[i] & 0x80)) {
      *pv = v;
      return i + 1;
    }
  }
  return 0;
}

/* Build info: sets zGoVersion and zModPath.  Returns NULL or what was wrong. */
static const char *read_buildinfo(hs_binary *b, const uint8_t *p, uint64_t n) {
  static const char zMagic[] = "\xff Go buildinf:";
  if (n < 32 || memcmp(p, zMagic, 14) != 0) return "its .go.buildinfo section has no Go build info header";
  if (!(p[15] & 2))
    return "its build info is in the pre-Go 1.18 layout; heapscope reads Go 1.19 and later";
  uint64_t nVer, nMod, k = 32;
  int m = uvarint(p + k, n - k, &nVer);
  if (!m || nVer > n - k - m) return "the Go version in .go.buildinfo runs past the section";
  k += m;
  b->zGoVersion = hs_strndup((const char *)p + k, nVer);
  k += nVer;
  m = uvarint(p + k, n - k, &nMod);
  if (m && nMod <= n - k - m) {
    const char *z = (const char *)p + k + m, *zEnd = z + nMod;
    const char *zPath = memmem(z, nMod, "\npath\t", 6);
    if (zPath || (nMod > 5 && memcmp(z + 16, "path\t", 5) == 0)) {
      zPath = zPath ? zPath + 6 : z + 21;
      const char *zEol = memchr(zPath, '\n', zEnd - zPath);
      b->zModPath = hs_strndup(zPath, (zEol ? zEol : zEnd) - zPath);
    }
  }
  return NULL;
}

static int add_sect(binint *x, uint64_t iAddr, uint64_t nSize, uint64_t iOff) {
  if (x->nSect == x->nSectCap && HS_GROW(x->aSect, x->nSectCap, 16)) return HS_ENOMEM;
  x->aSect[x->nSect++] = (binsect){iAddr, nSize, iOff};
  return HS_OK;
}

/* Globals from .symtab (data objects in .data/.bss/.noptr*), used when DWARF
** is missing; dwarf.c replaces them when it finds typed ones. */
static int read_symtab(hs_binary *b, Elf *e, Elf_Scn *scn, GElf_Shdr *sh) {
  Elf_Data *d = elf_getdata(scn, NULL);
  if (!d || sh->sh_entsize == 0) return HS_OK;
  uint64_t nSym = sh->sh_size / sh->sh_entsize;
  for (uint64_t i = 0; i < nSym; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(d, (int)i, &sym)) break;
    const char *zName = elf_strptr(e, sh->sh_link, sym.st_name);
    if (!zName) continue;
    if (strcmp(zName, "runtime.types") == 0) b->iTypesBase = sym.st_value;
    if (strcmp(zName, "runtime.etypes") == 0) b->iTypesEnd = sym.st_value;
    if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_size == 0) continue;
    int bData = sym.st_value >= b->iDataAddr && sym.st_value < b->iDataAddr + b->nData;
    int bBss = sym.st_value >= b->iBssAddr && sym.st_value < b->iBssAddr + b->nBss;
    if (!bData && !bBss) continue;
    if (binint_add_global(b, zName, sym.st_value, sym.st_size, -1) != HS_OK) return HS_ENOMEM;
  }
  b->flags |= HS_BIN_SYMTAB;
  return HS_OK;
}

const hs_binglobal *hs_binary_global(const hs_binary *b, uint64_t a) {
  uint32_t lo = 0, hi = b->nGlobal;
  while (lo < hi) { /* first global with iAddr > a */
    uint32_t mid = lo + (hi - lo) / 2;
    if (b->aGlobal[mid].iAddr <= a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const hs_binglobal *g = &b->aGlobal[lo - 1];
  return a - g->iAddr < (g->nSize ? g->nSize : 1) ? g : NULL;
}

/* The fixed fields of the type descriptor at iAddr; NULL if unreadable. */
static const uint8_t *rtype(const hs_binary *b, uint64_t iAddr) {
  if (!(b->flags & HS_BIN_RTYPES) || iAddr < b->iTypesBase || iAddr >= b->iTypesEnd) return NULL;
  return hs_binary_at(b, iAddr, 4 * b->nPtrSize + 16);
}

uint64_t hs_binary_rtype_size(const hs_binary *b, uint64_t iAddr) {
  const uint8_t *p = rtype(b, iAddr);
  return p ? rd_word(b, p, b->nPtrSize) : 0;
}

int hs_binary_rtype_kind(const hs_binary *b, uint64_t iAddr) {
  const uint8_t *p = rtype(b, iAddr);
  return p ? p[2 * b->nPtrSize + 7] : -1;
}

int hs_binary_rtype_name(const hs_binary *b, uint64_t iAddr, char *zOut, size_t nOut) {
  const uint8_t *p = rtype(b, iAddr);
  if (!p || nOut == 0) return -1;
  uint32_t P = b->nPtrSize;
  int bExtraStar = (p[2 * P + 4] & 2) != 0;
  int32_t iStr = (int32_t)rd_word(b, p + 4 * P + 8, 4);
  if (iStr <= 0) return -1;
  uint64_t iName = b->iTypesBase + (uint64_t)iStr;
  const uint8_t *q = hs_binary_at(b, iName, 1);
  if (!q) return -1;
  uint64_t nAvail = 0;
  for (int i = 0; i < 12 && hs_binary_at(b, iName + 1, i + 1); i++) nAvail = i + 1;
  uint64_t nName;
  int m = uvarint(q + 1, nAvail, &nName);
  if (!m || nName == 0 || nName > 4096) return -1;
  const uint8_t *z = hs_binary_at(b, iName + 1 + m, nName);
  if (!z) return -1;
  if (bExtraStar && z[0] == '*') {
    z++;
    nName--;
  }
  for (uint64_t i = 0; i < nName; i++)
    if (z[i] < 0x20 || z[i] == 0x7f) return -1; /* not a name: a wrong address */
  size_t k = nName < nOut - 1 ? nName : nOut - 1;
  memcpy(zOut, z, k);
  zOut[k] = 0;
  return (int)k;
}

static char *errf(const hs_binary *b, const char *zFmt, const char *zArg) {
  return hs_mprintf("%s: %s%s%s", b->zFile, zFmt, zArg ? ": " : "", zArg ? zArg : "");
}

int hs_binary_open(const char *zFile, const uint8_t *p, uint64_t n, hs_binary **ppOut,
                   char **pzErr, char **pzWarn) {
  *ppOut = NULL;
  *pzErr = NULL;
  if (pzWarn) *pzWarn = NULL;
  hs_binary *b = calloc(1, sizeof *b);
  binint *x = calloc(1, sizeof *x);
  if (!b || !x) {
    free(b);
    free(x);
    return HS_ENOMEM;
  }
  b->pInt = x;
  b->zFile = zFile;
  b->p = p;
  b->n = n;
  b->iUint8 = -1;
  b->pStr = hs_strpool_new();
  int rc = HS_EFORMAT;
  if (!b->pStr) {
    rc = HS_ENOMEM;
    goto done;
  }
  if (!hs_binary_is_elf(p, n)) {
    *pzErr = errf(b, "not an ELF file (no \\x7fELF magic at offset 0)", NULL);
    goto done;
  }
  elf_version(EV_CURRENT);
  /* libelf writes into the image (decompressing DWARF clears the section's
  ** SHF_COMPRESSED flag in place) and inputs are read-only mappings: it
  ** gets a private copy. */
  x->pCopy = malloc(n);
  if (!x->pCopy) {
    rc = HS_ENOMEM;
    goto done;
  }
  memcpy(x->pCopy, p, n);
  Elf *e = elf_memory(x->pCopy, n);
  b->pElf = e;
  GElf_Ehdr eh;
  size_t iShStr;
  if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || elf_getshdrstrndx(e, &iShStr) != 0) {
    *pzErr = errf(b, "damaged ELF header or section table", elf_errmsg(-1));
    goto done;
  }
  b->nPtrSize = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
  b->bBigEndian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
  const uint8_t *pInfo = NULL;
  uint64_t nInfo = 0;
  Elf_Scn *scn = NULL, *pSymtab = NULL;
  GElf_Shdr shSym = {0};
  uint64_t iRodata = 0, nRodata = 0, iRelro = 0, nRelro = 0;
  while ((scn = elf_nextscn(e, scn)) != NULL) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) {
      *pzErr = errf(b, "damaged section header", elf_errmsg(-1));
      goto done;
    }
    const char *zName = elf_strptr(e, iShStr, sh.sh_name);
    if (!zName) zName = "";
    if (sh.sh_type == SHT_NOBITS) {
      if (strcmp(zName, ".bss") == 0) {
        b->iBssAddr = sh.sh_addr;
        b->nBss = sh.sh_size;
      }
      continue;
    }
    if (sh.sh_type == SHT_SYMTAB) {
      pSymtab = scn;
      shSym = sh;
      continue;
    }
    if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type != SHT_PROGBITS) continue;
    if (sh.sh_offset > n || sh.sh_size > n - sh.sh_offset) {
      char zAt[96];
      snprintf(zAt, sizeof zAt, "section %s at offset %llu runs past the end of the file (%llu bytes)",
               zName, (unsigned long long)sh.sh_offset, (unsigned long long)n);
      *pzErr = errf(b, "truncated or damaged ELF file", zAt);
      goto done;
    }
    if (add_sect(x, sh.sh_addr, sh.sh_size, sh.sh_offset) != HS_OK) {
      rc = HS_ENOMEM;
      goto done;
    }
    if (strcmp(zName, ".go.buildinfo") == 0) {
      pInfo = p + sh.sh_offset;
      nInfo = sh.sh_size;
    } else if (strcmp(zName, ".data") == 0) {
      b->iDataAddr = sh.sh_addr;
      b->nData = sh.sh_size;
    } else if (strcmp(zName, ".rodata") == 0) {
      iRodata = sh.sh_addr;
      nRodata = sh.sh_size;
    } else if (strcmp(zName, ".data.rel.ro") == 0) {
      iRelro = sh.sh_addr;
      nRelro = sh.sh_size;
    }
  }
  if (!pInfo) {
    *pzErr = errf(b, "an ELF file without a .go.buildinfo section: not a Go program (or built "
                     "before Go 1.13); pass the Go executable that wrote the dump", NULL);
    goto done;
  }
  const char *zWhy = read_buildinfo(b, pInfo, nInfo);
  if (zWhy) {
    *pzErr = errf(b, zWhy, NULL);
    goto done;
  }
  b->flags |= HS_BIN_BUILDINFO;
  if (pSymtab && read_symtab(b, e, pSymtab, &shSym) != HS_OK) {
    rc = HS_ENOMEM;
    goto done;
  }
  if (!b->iTypesBase) { /* stripped: the linker puts the types first */
    b->iTypesBase = iRelro ? iRelro : iRodata;
    b->iTypesEnd = iRelro ? iRelro + nRelro : iRodata + nRodata;
  } else if (!b->iTypesEnd || b->iTypesEnd < b->iTypesBase) {
    b->iTypesEnd = iRodata + nRodata > b->iTypesBase ? iRodata + nRodata : b->iTypesBase;
  }
  if (b->iTypesBase && hs_binary_at(b, b->iTypesBase, 1)) b->flags |= HS_BIN_RTYPES;
  rc = binint_read_dwarf(b, pzWarn);
  if (rc != HS_OK) goto done;
  binint_sort_globals(b);
  *ppOut = b;
  return HS_OK;
done:
  if (rc == HS_ENOMEM && !*pzErr) *pzErr = errf(b, "out of memory reading the binary", NULL);
  hs_binary_free(b);
  return rc;
}

void hs_binary_free(hs_binary *b) {
  if (!b) return;
  binint_free_dwarf(b);
  if (b->pElf) elf_end(b->pElf);
  if (b->pInt) {
    free(b->pInt->aSect);
    free(b->pInt->aRtypeIdx);
    free(b->pInt->pCopy);
    free(b->pInt->aFunc);
    free(b->pInt->aFuncByPc);
    free(b->pInt->aTypeOff);
    free(b->pInt);
  }
  hs_strpool_free(b->pStr);
  free(b->aType);
  free(b->aField);
  free(b->aGlobal);
  free(b->aObjType);
  free(b->aObjForm);
  free(b->zGoVersion);
  free(b->zModPath);
  free(b);
}
