// SPDX-License-Identifier: GPL-2.0
/* The AML encoder; see aml.h. */
#include <stdbool.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/acpi_table.h"
#include "arch/x86/aml.h"

/*
 * A small AML encoder (ACPI 6.5, chapter 20). Objects that carry a
 * PkgLength are opened, filled and closed; the close inserts the length
 * in front of the body once its size is known, so nothing is measured by
 * hand. Any misuse or overflow sets failed and the result is discarded.
 */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR 0x5c
#define AML_NULL_NAME 0x00

void aml_init(struct aml *a, uint8_t *buf, size_t cap, size_t skip)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
	if (skip > cap)
		a->failed = true;
	else
		a->len = skip;
}

void aml_byte(struct aml *a, uint8_t v)
{
	if (a->len >= a->cap) {
		a->failed = true;
		return;
	}
	a->buf[a->len++] = v;
}

void aml_bytes(struct aml *a, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		aml_byte(a, p[i]);
}

bool aml_name_char(char c, bool lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!lead && c >= '0' && c <= '9');
}

/* One NameSeg: 1-4 characters, padded with '_' as ASL does. */
void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 4) {
		a->failed = true;
		return;
	}
	for (i = 0; i < 4; i++) {
		char c = i < n ? s[i] : '_';

		if (!aml_name_char(c, i == 0))
			a->failed = true;
		aml_byte(a, (uint8_t)c);
	}
}

/* NameString: an optional leading '\' and dot-separated segments. */
void aml_name(struct aml *a, const char *path)
{
	const char *p = path;
	size_t segs = 1;
	const char *q;

	if (*p == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
		if (!*p) {
			aml_byte(a, AML_NULL_NAME);
			return;
		}
	}
	for (q = p; *q; q++)
		segs += *q == '.';
	if (segs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (segs > 2) {
		if (segs > 255) {
			a->failed = true;
			return;
		}
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)segs);
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		aml_nameseg(a, p, n);
		if (!dot)
			break;
		p = dot + 1;
	}
}

/* The shortest encoding of an integer constant. */
void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[8];

	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		put_le16(b, (uint16_t)v);
		aml_bytes(a, b, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		put_le32(b, (uint32_t)v);
		aml_bytes(a, b, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		put_le64(b, v);
		aml_bytes(a, b, 8);
	}
}

void aml_open(struct aml *a)
{
	if (a->depth >= AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

/*
 * PkgLength (20.2.4) counts its own bytes: one byte holds up to 63; longer
 * lengths put the count of following bytes in bits 6-7 of the lead byte,
 * the low 4 bits of the length in its bits 0-3, and the rest in the
 * following bytes, least significant first.
 */
size_t acpi_aml_pkg_length(size_t body, uint8_t enc[4])
{
	size_t n, i, total;

	for (n = 1; n <= 4; n++) {
		size_t limit = n == 1 ? 0x3f :
					((size_t)1 << (4 + 8 * (n - 1))) - 1;

		if (body <= limit - n)
			break;
	}
	if (n > 4)
		return 0;
	total = body + n;
	if (n == 1) {
		enc[0] = (uint8_t)total;
		return 1;
	}
	enc[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
	for (i = 1; i < n; i++)
		enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

/* Put the PkgLength in front of the innermost open object's body. */
void aml_close(struct aml *a)
{
	uint8_t enc[4];
	size_t start, body, n;

	if (a->depth == 0) {
		a->failed = true;
		return;
	}
	start = a->open[--a->depth];
	if (a->failed)
		return;
	body = a->len - start;
	n = acpi_aml_pkg_length(body, enc);
	if (!n || a->cap - a->len < n) {
		a->failed = true;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, enc, n);
	a->len += n;
}

/* Name(name, ...): the value follows. */
void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, name);
}

void aml_scope_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a);
	aml_name(a, name);
}

void aml_device_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a);
	aml_name(a, name);
}

void aml_package_open(struct aml *a, uint8_t nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a);
	aml_byte(a, nr_elements);
}

void aml_buffer(struct aml *a, const uint8_t *data, size_t n)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_close(a);
}

/* A NUL-terminated ASCII string, e.g. an ACPI ID ("QEMU0001"). */
void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, (const uint8_t *)s, strlen(s) + 1);
}

/*
 * EisaId("PNP0501"): three letters in 5 bits each, then four hex digits,
 * as a DWord whose bytes are in that order.
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint8_t b[4];
	uint32_t digits = 0;
	int i;

	if (strlen(id) != 7) {
		a->failed = true;
		return;
	}
	for (i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			a->failed = true;
	for (i = 3; i < 7; i++) {
		char c = id[i];
		unsigned int d;

		if (c >= '0' && c <= '9') {
			d = (unsigned int)(c - '0');
		} else if (c >= 'A' && c <= 'F') {
			d = (unsigned int)(c - 'A' + 10);
		} else {
			a->failed = true;
			d = 0;
		}
		digits = digits << 4 | d;
	}
	b[0] = (uint8_t)((id[0] - 0x40) << 2 | (id[1] - 0x40) >> 3);
	b[1] = (uint8_t)(((id[1] - 0x40) & 7) << 5 | (id[2] - 0x40));
	b[2] = (uint8_t)(digits >> 8);
	b[3] = (uint8_t)digits;
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, 4);
}
