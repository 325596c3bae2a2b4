// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 registers for gdb: one table gives each register's number, size,
 * feature, type and where it lives in KVM's structures; the 'g' packet
 * layout, single-register access and target.xml all come from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/gdb_regs.h"

enum reg_src {
	R_GPR, /* idx: gdb order rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	R_RIP,
	R_EFLAGS,
	R_SEL, /* idx: cs ss ds es fs gs */
	R_ST, /* idx: ST(i) */
	R_FPC, /* idx: fctrl fstat ftag fiseg fioff foseg fooff fop */
	R_XMM,
	R_MXCSR,
	R_BASE, /* idx: 0 fs, 1 gs */
	R_KGSBASE,
	R_CR, /* idx: 0, 2, 3, 4, 8 */
	R_EFER,
};

enum reg_feature { F_CORE, F_SSE, F_SEGMENTS, F_SYSTEM, NR_FEATURES };

struct reg_desc {
	const char *name;
	unsigned char size; /* bytes */
	unsigned char feature;
	unsigned char src;
	unsigned char idx;
	const char *type;
	const char *group; /* NULL: gdb decides from the type */
};

/*
 * The order is the 'g' packet's and the register numbers': the core
 * feature as gdb's amd64 code requires it, then SSE, segment bases and
 * kvmscope's system registers.
 */
static const struct reg_desc regs_table[] = {
	{ "rax", 8, F_CORE, R_GPR, 0, "int64", NULL },
	{ "rbx", 8, F_CORE, R_GPR, 1, "int64", NULL },
	{ "rcx", 8, F_CORE, R_GPR, 2, "int64", NULL },
	{ "rdx", 8, F_CORE, R_GPR, 3, "int64", NULL },
	{ "rsi", 8, F_CORE, R_GPR, 4, "int64", NULL },
	{ "rdi", 8, F_CORE, R_GPR, 5, "int64", NULL },
	{ "rbp", 8, F_CORE, R_GPR, 6, "data_ptr", NULL },
	{ "rsp", 8, F_CORE, R_GPR, 7, "data_ptr", NULL },
	{ "r8", 8, F_CORE, R_GPR, 8, "int64", NULL },
	{ "r9", 8, F_CORE, R_GPR, 9, "int64", NULL },
	{ "r10", 8, F_CORE, R_GPR, 10, "int64", NULL },
	{ "r11", 8, F_CORE, R_GPR, 11, "int64", NULL },
	{ "r12", 8, F_CORE, R_GPR, 12, "int64", NULL },
	{ "r13", 8, F_CORE, R_GPR, 13, "int64", NULL },
	{ "r14", 8, F_CORE, R_GPR, 14, "int64", NULL },
	{ "r15", 8, F_CORE, R_GPR, 15, "int64", NULL },
	{ "rip", 8, F_CORE, R_RIP, 0, "code_ptr", NULL },
	{ "eflags", 4, F_CORE, R_EFLAGS, 0, "ks_eflags", NULL },
	{ "cs", 4, F_CORE, R_SEL, 0, "int32", NULL },
	{ "ss", 4, F_CORE, R_SEL, 1, "int32", NULL },
	{ "ds", 4, F_CORE, R_SEL, 2, "int32", NULL },
	{ "es", 4, F_CORE, R_SEL, 3, "int32", NULL },
	{ "fs", 4, F_CORE, R_SEL, 4, "int32", NULL },
	{ "gs", 4, F_CORE, R_SEL, 5, "int32", NULL },
	{ "st0", 10, F_CORE, R_ST, 0, "i387_ext", NULL },
	{ "st1", 10, F_CORE, R_ST, 1, "i387_ext", NULL },
	{ "st2", 10, F_CORE, R_ST, 2, "i387_ext", NULL },
	{ "st3", 10, F_CORE, R_ST, 3, "i387_ext", NULL },
	{ "st4", 10, F_CORE, R_ST, 4, "i387_ext", NULL },
	{ "st5", 10, F_CORE, R_ST, 5, "i387_ext", NULL },
	{ "st6", 10, F_CORE, R_ST, 6, "i387_ext", NULL },
	{ "st7", 10, F_CORE, R_ST, 7, "i387_ext", NULL },
	{ "fctrl", 4, F_CORE, R_FPC, 0, "int", "float" },
	{ "fstat", 4, F_CORE, R_FPC, 1, "int", "float" },
	{ "ftag", 4, F_CORE, R_FPC, 2, "int", "float" },
	{ "fiseg", 4, F_CORE, R_FPC, 3, "int", "float" },
	{ "fioff", 4, F_CORE, R_FPC, 4, "int", "float" },
	{ "foseg", 4, F_CORE, R_FPC, 5, "int", "float" },
	{ "fooff", 4, F_CORE, R_FPC, 6, "int", "float" },
	{ "fop", 4, F_CORE, R_FPC, 7, "int", "float" },
	{ "xmm0", 16, F_SSE, R_XMM, 0, "vec128", NULL },
	{ "xmm1", 16, F_SSE, R_XMM, 1, "vec128", NULL },
	{ "xmm2", 16, F_SSE, R_XMM, 2, "vec128", NULL },
	{ "xmm3", 16, F_SSE, R_XMM, 3, "vec128", NULL },
	{ "xmm4", 16, F_SSE, R_XMM, 4, "vec128", NULL },
	{ "xmm5", 16, F_SSE, R_XMM, 5, "vec128", NULL },
	{ "xmm6", 16, F_SSE, R_XMM, 6, "vec128", NULL },
	{ "xmm7", 16, F_SSE, R_XMM, 7, "vec128", NULL },
	{ "xmm8", 16, F_SSE, R_XMM, 8, "vec128", NULL },
	{ "xmm9", 16, F_SSE, R_XMM, 9, "vec128", NULL },
	{ "xmm10", 16, F_SSE, R_XMM, 10, "vec128", NULL },
	{ "xmm11", 16, F_SSE, R_XMM, 11, "vec128", NULL },
	{ "xmm12", 16, F_SSE, R_XMM, 12, "vec128", NULL },
	{ "xmm13", 16, F_SSE, R_XMM, 13, "vec128", NULL },
	{ "xmm14", 16, F_SSE, R_XMM, 14, "vec128", NULL },
	{ "xmm15", 16, F_SSE, R_XMM, 15, "vec128", NULL },
	{ "mxcsr", 4, F_SSE, R_MXCSR, 0, "ks_mxcsr", "vector" },
	{ "fs_base", 8, F_SEGMENTS, R_BASE, 0, "int64", NULL },
	{ "gs_base", 8, F_SEGMENTS, R_BASE, 1, "int64", NULL },
	{ "k_gs_base", 8, F_SYSTEM, R_KGSBASE, 0, "int64", "general" },
	{ "cr0", 8, F_SYSTEM, R_CR, 0, "ks_cr0", "general" },
	{ "cr2", 8, F_SYSTEM, R_CR, 2, "int64", "general" },
	{ "cr3", 8, F_SYSTEM, R_CR, 3, "int64", "general" },
	{ "cr4", 8, F_SYSTEM, R_CR, 4, "ks_cr4", "general" },
	{ "cr8", 8, F_SYSTEM, R_CR, 8, "int64", "general" },
	{ "efer", 8, F_SYSTEM, R_EFER, 0, "ks_efer", "general" },
};

#define NR_REGS ((int)(sizeof(regs_table) / sizeof(regs_table[0])))

int x86_gdb_reg_count(void)
{
	return NR_REGS;
}

unsigned int x86_gdb_reg_size(int n)
{
	return n >= 0 && n < NR_REGS ? regs_table[n].size : 0;
}

static __u64 *gpr_ptr(struct kvm_regs *r, int i)
{
	__u64 *const p[16] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		&r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15,
	};

	return p[i & 15];
}

static struct kvm_segment *seg_ptr(struct kvm_sregs *s, int i)
{
	struct kvm_segment *const p[6] = {
		&s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs,
	};

	return p[i % 6];
}

static __u64 *cr_ptr(struct kvm_sregs *s, int i)
{
	switch (i) {
	case 0:
		return &s->cr0;
	case 2:
		return &s->cr2;
	case 3:
		return &s->cr3;
	case 4:
		return &s->cr4;
	default:
		return &s->cr8;
	}
}

/*
 * FXSAVE keeps one "not empty" bit per physical register; gdb wants the
 * full x87 tag word, which classifies the value (valid, zero, special).
 */
static uint16_t x87_full_tag(const struct kvm_fpu *f)
{
	unsigned int top = (f->fsw >> 11) & 7, phys;
	uint16_t tag = 0;

	for (phys = 0; phys < 8; phys++) {
		const uint8_t *r = f->fpr[(phys - top) & 7];
		unsigned int exp = (r[9] & 0x7f) << 8 | r[8], t;
		uint64_t mant;

		memcpy(&mant, r, 8);
		if (!(f->ftwx & (1u << phys)))
			t = 3;
		else if (exp == 0x7fff)
			t = 2;
		else if (exp == 0 && mant == 0)
			t = 1;
		else if (exp == 0 || !(mant >> 63))
			t = 2;
		else
			t = 0;
		tag |= t << (2 * phys);
	}
	return tag;
}

static uint8_t x87_abridged_tag(uint16_t full)
{
	uint8_t ab = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			ab |= 1u << i;
	return ab;
}

void x86_gdb_reg_get(const struct x86_gdb_cpu *cs, int n, uint8_t *out)
{
	/* The pointer helpers only locate fields: nothing is written. */
	struct x86_gdb_cpu *s = (struct x86_gdb_cpu *)cs;
	const struct reg_desc *d = &regs_table[n];
	uint64_t v = 0;
	uint32_t w;

	switch (d->src) {
	case R_GPR:
		v = *gpr_ptr(&s->regs, d->idx);
		break;
	case R_RIP:
		v = s->regs.rip;
		break;
	case R_EFLAGS:
		v = (uint32_t)s->regs.rflags;
		break;
	case R_SEL:
		v = seg_ptr(&s->sregs, d->idx)->selector;
		break;
	case R_ST:
		memcpy(out, s->fpu.fpr[d->idx], 10);
		return;
	case R_FPC:
		switch (d->idx) {
		case 0:
			v = s->fpu.fcw;
			break;
		case 1:
			v = s->fpu.fsw;
			break;
		case 2:
			v = x87_full_tag(&s->fpu);
			break;
		case 3: /* 64-bit FXSAVE: FIP bits 47:32 where FCS was */
			v = (s->fpu.last_ip >> 32) & 0xffff;
			break;
		case 4:
			v = (uint32_t)s->fpu.last_ip;
			break;
		case 5:
			v = (s->fpu.last_dp >> 32) & 0xffff;
			break;
		case 6:
			v = (uint32_t)s->fpu.last_dp;
			break;
		default:
			v = s->fpu.last_opcode & 0x7ff;
			break;
		}
		break;
	case R_XMM:
		memcpy(out, s->fpu.xmm[d->idx], 16);
		return;
	case R_MXCSR:
		v = s->fpu.mxcsr;
		break;
	case R_BASE:
		v = d->idx ? s->sregs.gs.base : s->sregs.fs.base;
		break;
	case R_KGSBASE:
		v = s->kgsbase;
		break;
	case R_CR:
		v = *cr_ptr(&s->sregs, d->idx);
		break;
	case R_EFER:
		v = s->sregs.efer;
		break;
	}
	if (d->size == 4) {
		w = (uint32_t)v;
		memcpy(out, &w, 4);
	} else {
		memcpy(out, &v, 8);
	}
}

/* Change register n in s; returns the DIRTY_ bits it touched. */
unsigned int x86_gdb_reg_set(struct x86_gdb_cpu *s, int n, const uint8_t *in)
{
	const struct reg_desc *d = &regs_table[n];
	uint64_t v = 0;
	uint32_t w;

	if (d->size == 4) {
		memcpy(&w, in, 4);
		v = w;
	} else if (d->size == 8) {
		memcpy(&v, in, 8);
	}
	switch (d->src) {
	case R_GPR:
		*gpr_ptr(&s->regs, d->idx) = v;
		return X86_GDB_DIRTY_REGS;
	case R_RIP:
		s->regs.rip = v;
		return X86_GDB_DIRTY_REGS;
	case R_EFLAGS:
		s->regs.rflags = (s->regs.rflags & ~0xffffffffULL) | v;
		return X86_GDB_DIRTY_REGS;
	case R_SEL:
		/* The selector only: the hidden part is the CPU's cache. */
		seg_ptr(&s->sregs, d->idx)->selector = v;
		return X86_GDB_DIRTY_SREGS;
	case R_ST:
		memcpy(s->fpu.fpr[d->idx], in, 10);
		return X86_GDB_DIRTY_FPU;
	case R_FPC:
		switch (d->idx) {
		case 0:
			s->fpu.fcw = v;
			break;
		case 1:
			s->fpu.fsw = v;
			break;
		case 2:
			s->fpu.ftwx = x87_abridged_tag(v);
			break;
		case 3:
			s->fpu.last_ip = (s->fpu.last_ip & ~(0xffffULL << 32)) |
					 (v & 0xffff) << 32;
			break;
		case 4:
			s->fpu.last_ip = (s->fpu.last_ip & ~0xffffffffULL) | v;
			break;
		case 5:
			s->fpu.last_dp = (s->fpu.last_dp & ~(0xffffULL << 32)) |
					 (v & 0xffff) << 32;
			break;
		case 6:
			s->fpu.last_dp = (s->fpu.last_dp & ~0xffffffffULL) | v;
			break;
		default:
			s->fpu.last_opcode = v & 0x7ff;
			break;
		}
		return X86_GDB_DIRTY_FPU;
	case R_XMM:
		memcpy(s->fpu.xmm[d->idx], in, 16);
		return X86_GDB_DIRTY_FPU;
	case R_MXCSR:
		s->fpu.mxcsr = v;
		return X86_GDB_DIRTY_FPU;
	case R_BASE:
		if (d->idx)
			s->sregs.gs.base = v;
		else
			s->sregs.fs.base = v;
		return X86_GDB_DIRTY_SREGS;
	case R_KGSBASE:
		s->kgsbase = v;
		return X86_GDB_DIRTY_MSR;
	case R_CR:
		*cr_ptr(&s->sregs, d->idx) = v;
		return X86_GDB_DIRTY_SREGS;
	case R_EFER:
		s->sregs.efer = v;
		return X86_GDB_DIRTY_SREGS;
	}
	return 0;
}

size_t x86_gdb_regs_size(void)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NR_REGS; i++)
		n += regs_table[i].size;
	return n;
}

/* ---- target description ---------------------------------------------- */

static const char *const feature_names[NR_FEATURES] = {
	[F_CORE] = "org.gnu.gdb.i386.core",
	[F_SSE] = "org.gnu.gdb.i386.sse",
	[F_SEGMENTS] = "org.gnu.gdb.i386.segments",
	[F_SYSTEM] = "org.kvmscope.system",
};

struct flag_bit {
	const char *name;
	unsigned char bit;
};

static const struct flag_bit eflags_bits[] = {
	{ "CF", 0 },   { "", 1 },    { "PF", 2 },  { "AF", 4 },	 { "ZF", 6 },
	{ "SF", 7 },   { "TF", 8 },  { "IF", 9 },  { "DF", 10 }, { "OF", 11 },
	{ "NT", 14 },  { "RF", 16 }, { "VM", 17 }, { "AC", 18 }, { "VIF", 19 },
	{ "VIP", 20 }, { "ID", 21 }, { NULL, 0 },
};

static const struct flag_bit mxcsr_bits[] = {
	{ "IE", 0 },  { "DE", 1 },  { "ZE", 2 },  { "OE", 3 },	{ "UE", 4 },
	{ "PE", 5 },  { "DAZ", 6 }, { "IM", 7 },  { "DM", 8 },	{ "ZM", 9 },
	{ "OM", 10 }, { "UM", 11 }, { "PM", 12 }, { "FZ", 15 }, { NULL, 0 },
};

static const struct flag_bit cr0_bits[] = {
	{ "PE", 0 },  { "MP", 1 },  { "EM", 2 },  { "TS", 3 },
	{ "ET", 4 },  { "NE", 5 },  { "WP", 16 }, { "AM", 18 },
	{ "NW", 29 }, { "CD", 30 }, { "PG", 31 }, { NULL, 0 },
};

static const struct flag_bit cr4_bits[] = {
	{ "VME", 0 },	    { "PVI", 1 },	  { "TSD", 2 },
	{ "DE", 3 },	    { "PSE", 4 },	  { "PAE", 5 },
	{ "MCE", 6 },	    { "PGE", 7 },	  { "PCE", 8 },
	{ "OSFXSR", 9 },    { "OSXMMEXCPT", 10 }, { "UMIP", 11 },
	{ "LA57", 12 },	    { "VMXE", 13 },	  { "SMXE", 14 },
	{ "FSGSBASE", 16 }, { "PCIDE", 17 },	  { "OSXSAVE", 18 },
	{ "SMEP", 20 },	    { "SMAP", 21 },	  { "PKE", 22 },
	{ "CET", 23 },	    { "PKS", 24 },	  { NULL, 0 },
};

static const struct flag_bit efer_bits[] = {
	{ "SCE", 0 },	 { "LME", 8 },	 { "LMA", 10 },
	{ "NXE", 11 },	 { "SVME", 12 }, { "LMSLE", 13 },
	{ "FFXSR", 14 }, { "TCE", 15 },	 { NULL, 0 },
};

struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room, cap;
	va_list ap;
	char *p;
	int n;

	if (sb->oom)
		return;
	for (;;) {
		room = sb->cap - sb->len;
		va_start(ap, fmt);
		n = vsnprintf(sb->p ? sb->p + sb->len : NULL, sb->p ? room : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->oom = true;
			return;
		}
		if (sb->p && (size_t)n < room) {
			sb->len += n;
			return;
		}
		cap = (sb->cap ? sb->cap * 2 : 4096) + n;
		p = realloc(sb->p, cap);
		if (!p) {
			sb->oom = true;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
}

static void xml_flags(struct strbuf *sb, const char *id, int size,
		      const struct flag_bit *bits)
{
	sb_printf(sb, "<flags id=\"%s\" size=\"%d\">\n", id, size);
	for (; bits->name; bits++)
		sb_printf(sb, "<field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
			  bits->name, bits->bit, bits->bit);
	sb_printf(sb, "</flags>\n");
}

static void xml_feature_types(struct strbuf *sb, int f)
{
	switch (f) {
	case F_CORE:
		xml_flags(sb, "ks_eflags", 4, eflags_bits);
		break;
	case F_SSE:
		sb_printf(
			sb,
			"<vector id=\"ks_v4f\" type=\"ieee_single\" count=\"4\"/>\n"
			"<vector id=\"ks_v2d\" type=\"ieee_double\" count=\"2\"/>\n"
			"<vector id=\"ks_v16i8\" type=\"int8\" count=\"16\"/>\n"
			"<vector id=\"ks_v8i16\" type=\"int16\" count=\"8\"/>\n"
			"<vector id=\"ks_v4i32\" type=\"int32\" count=\"4\"/>\n"
			"<vector id=\"ks_v2i64\" type=\"int64\" count=\"2\"/>\n"
			"<union id=\"vec128\">\n"
			"<field name=\"v4_float\" type=\"ks_v4f\"/>\n"
			"<field name=\"v2_double\" type=\"ks_v2d\"/>\n"
			"<field name=\"v16_int8\" type=\"ks_v16i8\"/>\n"
			"<field name=\"v8_int16\" type=\"ks_v8i16\"/>\n"
			"<field name=\"v4_int32\" type=\"ks_v4i32\"/>\n"
			"<field name=\"v2_int64\" type=\"ks_v2i64\"/>\n"
			"<field name=\"uint128\" type=\"uint128\"/>\n"
			"</union>\n");
		xml_flags(sb, "ks_mxcsr", 4, mxcsr_bits);
		break;
	case F_SYSTEM:
		xml_flags(sb, "ks_cr0", 8, cr0_bits);
		xml_flags(sb, "ks_cr4", 8, cr4_bits);
		xml_flags(sb, "ks_efer", 8, efer_bits);
		break;
	}
}

/* target.xml, generated from regs_table so the two cannot disagree. */
char *x86_gdb_target_xml(size_t *len)
{
	struct strbuf sb = { 0 };
	int f, i;

	sb_printf(&sb, "<?xml version=\"1.0\"?>\n"
		       "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		       "<target version=\"1.0\">\n"
		       "<architecture>i386:x86-64</architecture>\n");
	for (f = 0; f < NR_FEATURES; f++) {
		sb_printf(&sb, "<feature name=\"%s\">\n", feature_names[f]);
		xml_feature_types(&sb, f);
		for (i = 0; i < NR_REGS; i++) {
			const struct reg_desc *d = &regs_table[i];

			if (d->feature != f)
				continue;
			sb_printf(
				&sb,
				"<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"%s%s%s/>\n",
				d->name, d->size * 8, d->type, i,
				d->group ? " group=\"" : "",
				d->group ? d->group : "", d->group ? "\"" : "");
		}
		sb_printf(&sb, "</feature>\n");
	}
	sb_printf(&sb, "</target>\n");
	if (sb.oom) {
		free(sb.p);
		return NULL;
	}
	*len = sb.len;
	return sb.p;
}
