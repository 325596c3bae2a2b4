/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small AML encoder (ACPI 6.5, chapter 20) for the DSDT (acpi.c,
 * acpi_pci.c). Objects that carry a PkgLength are opened, filled and
 * closed; the close inserts the length in front of the body once its size
 * is known. Any misuse or overflow sets failed; the result is discarded.
 */
#ifndef KVMSCOPE_ARCH_X86_AML_H
#define KVMSCOPE_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t open[AML_MAX_DEPTH]; /* body start of each open object */
	int depth;
	bool failed;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap, size_t skip);
void aml_byte(struct aml *a, uint8_t v);
void aml_bytes(struct aml *a, const uint8_t *p, size_t n);
bool aml_name_char(char c, bool lead);
void aml_nameseg(struct aml *a, const char *s, size_t n);
void aml_name(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_open(struct aml *a);
void aml_close(struct aml *a);
void aml_name_decl(struct aml *a, const char *name);
void aml_scope_open(struct aml *a, const char *name);
void aml_device_open(struct aml *a, const char *name);
void aml_package_open(struct aml *a, uint8_t nr_elements);
void aml_buffer(struct aml *a, const uint8_t *data, size_t n);
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id);

#endif
