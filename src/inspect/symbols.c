// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol tables are user input: every offset, size and string in an ELF
 * file is checked against the file, and System.map lines that do not parse
 * are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/symbols.h"

#define SYM_UNSIZED_REACH (1ULL << 20)
#define ELF64_SHDR_SIZE 64
#define ELF64_SYM_SIZE 24
#define SHT_SYMTAB 2
#define STT_FUNC 2
#define STT_OBJECT 1
#define STT_NOTYPE 0


static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static int add_symbol(struct symbols *s, size_t *cap, uint64_t addr,
		      uint64_t size, const char *name, size_t len)
{
	if (s->nr == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		struct symbol *n = realloc(s->syms, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->syms = n;
		*cap = ncap;
	}
	s->syms[s->nr].name = strndup(name, len);
	if (!s->syms[s->nr].name)
		return -ENOMEM;
	s->syms[s->nr].addr = addr;
	s->syms[s->nr].size = size;
	s->nr++;
	return 0;
}

static int parse_system_map(struct symbols *s, const char *text, size_t size)
{
	const char *p = text, *end = text + size;
	size_t cap = 0;
	int r;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *line_end = nl ? nl : end;
		char type, name[256];
		unsigned long long addr;
		char line[320];
		size_t n = line_end - p;

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			/* Text and data symbols; skip absolute and markers. */
			if (sscanf(line, "%llx %c %255s", &addr, &type, name) ==
				    3 &&
			    strchr("tTdDbBrRwW", type)) {
				r = add_symbol(s, &cap, addr, 0, name,
					       strlen(name));
				if (r)
					return r;
			}
		}
		p = line_end + 1;
	}
	return 0;
}

static int parse_elf_symtab(struct symbols *s, const uint8_t *d, size_t size,
			    struct errmsg *err)
{
	uint64_t shoff, i, j;
	unsigned int shentsize, shnum;
	size_t cap = 0;

	if (size < 64 || d[4] != 2 || d[5] != 1)
		return errmsg_set(
			err, EINVAL,
			"symbol file is not a little-endian ELF64 file");
	shoff = get_le(d + 0x28, 8);
	shentsize = get_le(d + 0x3a, 2);
	shnum = get_le(d + 0x3c, 2);
	if (shentsize != ELF64_SHDR_SIZE || shoff > size ||
	    (uint64_t)shnum * ELF64_SHDR_SIZE > size - shoff)
		return errmsg_set(
			err, EINVAL,
			"symbol file's section headers lie outside the file");
	for (i = 0; i < shnum; i++) {
		const uint8_t *sh = d + shoff + i * ELF64_SHDR_SIZE;
		uint64_t off, len, str_off, str_len;
		const uint8_t *strsh;
		uint32_t link;

		if (get_le(sh + 4, 4) != SHT_SYMTAB)
			continue;
		off = get_le(sh + 0x18, 8);
		len = get_le(sh + 0x20, 8);
		link = get_le(sh + 0x28, 4);
		if (link >= shnum || off > size || len > size - off)
			continue;
		strsh = d + shoff + (uint64_t)link * ELF64_SHDR_SIZE;
		str_off = get_le(strsh + 0x18, 8);
		str_len = get_le(strsh + 0x20, 8);
		if (str_off > size || str_len > size - str_off)
			continue;
		for (j = 0; j + ELF64_SYM_SIZE <= len; j += ELF64_SYM_SIZE) {
			const uint8_t *sym = d + off + j;
			uint32_t name = get_le(sym, 4);
			unsigned int type = sym[4] & 0xf;
			uint16_t shndx = get_le(sym + 6, 2);
			const char *nm;
			size_t nlen;
			int r;

			if (name == 0 || name >= str_len || shndx == 0 ||
			    (type != STT_FUNC && type != STT_OBJECT &&
			     type != STT_NOTYPE))
				continue;
			nm = (const char *)d + str_off + name;
			nlen = strnlen(nm, str_len - name);
			if (nlen == 0 || nlen == str_len - name)
				continue; /* empty or unterminated */
			r = add_symbol(s, &cap, get_le(sym + 8, 8),
				       get_le(sym + 16, 8), nm, nlen);
			if (r)
				return r;
		}
	}
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/*
	 * Unsized first at one address: the lookup takes the last candidate,
	 * which then is a sized one (a function) when there is one.
	 */
	return (x->size != 0) - (y->size != 0);
}

int symbols_parse(struct symbols *s, const uint8_t *data, size_t size,
		  struct errmsg *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (size >= 4 && !memcmp(data,
				 "\x7f"
				 "ELF",
				 4))
		r = parse_elf_symtab(s, data, size, err);
	else
		r = parse_system_map(s, (const char *)data, size);
	if (r) {
		symbols_free(s);
		return r == -ENOMEM ? errmsg_set(err, ENOMEM, "out of memory") :
				      r;
	}
	if (!s->nr) {
		symbols_free(s);
		return errmsg_set(
			err, ENOENT,
			"no symbols found: give a System.map or a vmlinux with a symbol table (e.g. from the -dbg package)");
	}
	qsort(s->syms, s->nr, sizeof(*s->syms), cmp_sym);
	return 0;
}

int symbols_load(struct symbols *s, const char *path, struct errmsg *err)
{
	struct stat st;
	void *map;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno,
				  "cannot open symbol file '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return errmsg_set(
			err, EINVAL,
			"symbol file '%s' is not a non-empty regular file",
			path);
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return errmsg_set(err, errno, "cannot map '%s': %s", path,
				  strerror(errno));
	r = symbols_parse(s, map, st.st_size, err);
	munmap(map, st.st_size);
	if (r && err)
		snprintf(err->text + strlen(err->text),
			 sizeof(err->text) - strlen(err->text), " (%s)", path);
	return r;
}

void symbols_free(struct symbols *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		free(s->syms[i].name);
	free(s->syms);
	memset(s, 0, sizeof(*s));
}

int symbols_describe(const struct symbols *s, uint64_t addr, char *buf,
		     size_t size)
{
	size_t lo = 0, hi;
	const struct symbol *sym;

	if (!s || !s->nr || addr < s->syms[0].addr)
		return -ENOENT;
	hi = s->nr;
	/* Last symbol with sym.addr <= addr. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	sym = &s->syms[lo];
	if (sym->size ? addr - sym->addr >= sym->size :
			addr - sym->addr >= SYM_UNSIZED_REACH)
		return -ENOENT;
	snprintf(buf, size, "%s+0x%" PRIx64, sym->name, addr - sym->addr);
	return 0;
}
