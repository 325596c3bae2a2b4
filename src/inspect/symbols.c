// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol tables are user input. ELF files (32- and 64-bit, any machine)
 * go through elfutils' libelf, which checks every offset and size against
 * the image, and names are taken only when NUL-terminated inside their
 * string table; DWARF line tables through libdw. System.map lines that do
 * not parse are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include "inspect/symbols.h"

#define SYM_UNSIZED_REACH (1ULL << 20)

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

static int add_section_symbols(struct symbols *s, size_t *cap, Elf *elf,
			       Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count;

	if (!data || data->d_type != ELF_T_SYM)
		return 0;
	count = data->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int type, r;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (!sym.st_name || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_OBJECT &&
		     type != STT_NOTYPE))
			continue;
		/* NULL for an offset outside or an unterminated string */
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		r = add_symbol(s, cap, sym.st_value, sym.st_size, name,
			       strlen(name));
		if (r)
			return r;
	}
	return 0;
}

/* The image must stay mapped while s->elf lives: libelf points into it. */
static int parse_elf(struct symbols *s, void *image, size_t size,
		     struct errmsg *err)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0, shnum;
	Elf *elf;
	int r;

	elf_version(EV_CURRENT);
	elf = elf_memory(image, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    gelf_getclass(elf) == ELFCLASSNONE ||
	    elf_getshdrnum(elf, &shnum) < 0) {
		if (elf)
			elf_end(elf);
		return errmsg_set(err, EINVAL,
				  "symbol file is not a readable ELF file: %s",
				  elf_errmsg(-1));
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		r = add_section_symbols(s, &cap, elf, scn, &sh);
		if (r) {
			elf_end(elf);
			return r;
		}
	}
	s->elf = elf;
	/* Line tables are optional: a vmlinux without DWARF has none. */
	s->dwarf = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	return 0;
}

static void release_image(struct symbols *s)
{
	if (s->dwarf)
		dwarf_end(s->dwarf);
	if (s->elf)
		elf_end(s->elf);
	s->dwarf = NULL;
	s->elf = NULL;
	if (s->image_mapped)
		munmap(s->image, s->image_size);
	else
		free(s->image);
	s->image = NULL;
	s->image_size = 0;
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

static bool is_elf(const void *data, size_t size)
{
	return size >= 4 && !memcmp(data,
				    "\x7f"
				    "ELF",
				    4);
}

/* Parse image, which s then owns (unmapped or freed by symbols_free). */
static int parse_image(struct symbols *s, void *image, size_t size,
		       bool mapped, struct errmsg *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->image = image;
	s->image_size = size;
	s->image_mapped = mapped;
	if (is_elf(image, size))
		r = parse_elf(s, image, size, err);
	else
		r = parse_system_map(s, image, size);
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
	/* A System.map is copied into the table: its text is not needed. */
	if (!s->elf) {
		release_image(s);
	}
	return 0;
}

int symbols_parse(struct symbols *s, const uint8_t *data, size_t size,
		  struct errmsg *err)
{
	/* A private copy: libelf may convert in place, and s keeps it. */
	void *copy = malloc(size ? size : 1);

	if (!copy) {
		memset(s, 0, sizeof(*s));
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	memcpy(copy, data, size);
	return parse_image(s, copy, size, false, err);
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
	/* Copy-on-write: libelf may convert in place; the file stays as is. */
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		   0);
	close(fd);
	if (map == MAP_FAILED)
		return errmsg_set(err, errno, "cannot map '%s': %s", path,
				  strerror(errno));
	r = parse_image(s, map, st.st_size, true, err);
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
	release_image(s);
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

/*
 * Lexically normalise an absolute path in place: "a/./b" and "a/x/../b"
 * become "a/b" (DWARF joins the compilation directory with names such as
 * "../guests/testkernel/boot.S").
 */
static void normalize_path(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		if (in[0] == '/' && in[1] == '.' && (in[2] == '/' || !in[2])) {
			in += 2;
		} else if (in[0] == '/' && in[1] == '.' && in[2] == '.' &&
			   (in[3] == '/' || !in[3])) {
			while (out > path && *--out != '/')
				;
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/*
 * The source file, made absolute with the compilation directory and then
 * relative to the working directory when inside it.
 */
static void format_source(Dwarf_Die *cu, const char *file, char *buf,
			  size_t size)
{
	char path[PATH_MAX], cwd[PATH_MAX];
	Dwarf_Attribute attr;
	const char *dir = NULL;
	size_t n;
	int len;

	if (file[0] != '/')
		dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	len = dir ? snprintf(path, sizeof(path), "%s/%s", dir, file) :
		    snprintf(path, sizeof(path), "%s", file);
	if (len < 0 || (size_t)len >= sizeof(path) || path[0] != '/') {
		snprintf(buf, size, "%s", file);
		return;
	}
	normalize_path(path);
	if (getcwd(cwd, sizeof(cwd))) {
		n = strlen(cwd);
		if (n > 1 && !strncmp(path, cwd, n) && path[n] == '/') {
			snprintf(buf, size, "%s", path + n + 1);
			return;
		}
	}
	snprintf(buf, size, "%s", path);
}

int symbols_source_line(const struct symbols *s, uint64_t addr, char *buf,
			size_t size)
{
	Dwarf_Line *line;
	const char *file;
	Dwarf_Die cu;
	int lineno;
	size_t n;

	if (!size)
		return -ENOSPC;
	if (!s || !s->dwarf || !dwarf_addrdie(s->dwarf, addr, &cu))
		return -ENOENT;
	line = dwarf_getsrc_die(&cu, addr);
	if (!line || dwarf_lineno(line, &lineno) || lineno <= 0)
		return -ENOENT;
	file = dwarf_linesrc(line, NULL, NULL);
	if (!file)
		return -ENOENT;
	format_source(&cu, file, buf, size);
	n = strlen(buf);
	snprintf(buf + n, size - n, ":%d", lineno);
	return 0;
}
