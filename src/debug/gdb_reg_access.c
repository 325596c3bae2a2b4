// SPDX-License-Identifier: GPL-2.0
/*
 * gdb's view of vCPU registers: g/G/p/P and target.xml. The register
 * layout and encoding are arch/x86/gdb_regs.c; this file only moves KVM's
 * register structures between the selected vCPU and that layer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/gdb_regs.h"
#include "debug/gdbstub_int.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static int state_read(struct vcpu *v, struct x86_gdb_cpu *s)
{
	if (ioctl(v->fd, KVM_GET_REGS, &s->regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s->sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &s->fpu) < 0)
		return -errno;
	s->kgsbase = 0;
	s->have_kgsbase =
		vcpu_msr(v, KVM_GET_MSRS, X86_MSR_KERNEL_GS_BASE, &s->kgsbase);
	if (!s->have_kgsbase)
		s->kgsbase = 0;
	return 0;
}

static int state_write(struct vcpu *v, struct x86_gdb_cpu *s,
		       unsigned int dirty)
{
	if ((dirty & X86_GDB_DIRTY_REGS) &&
	    ioctl(v->fd, KVM_SET_REGS, &s->regs) < 0)
		return -errno;
	if ((dirty & X86_GDB_DIRTY_SREGS) &&
	    ioctl(v->fd, KVM_SET_SREGS, &s->sregs) < 0)
		return -errno;
	if ((dirty & X86_GDB_DIRTY_FPU) &&
	    ioctl(v->fd, KVM_SET_FPU, &s->fpu) < 0)
		return -errno;
	if ((dirty & X86_GDB_DIRTY_MSR) &&
	    !vcpu_msr(v, KVM_SET_MSRS, X86_MSR_KERNEL_GS_BASE, &s->kgsbase))
		return -EIO;
	return 0;
}

void gs_cmd_read_regs(struct gdbstub *gs, const struct gdb_req *req)
{
	size_t size = x86_gdb_regs_size(), off = 0;
	struct x86_gdb_cpu s;
	uint8_t *raw = malloc(size);
	char *hex = malloc(2 * size + 1);
	int i, r;

	if (!raw || !hex) {
		gs_send_error(gs, ENOMEM);
		goto out;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (r) {
		gs_send_error(gs, -r);
		goto out;
	}
	for (i = 0; i < x86_gdb_reg_count(); i++) {
		x86_gdb_reg_get(&s, i, raw + off);
		off += x86_gdb_reg_size(i);
	}
	gdb_hex_encode(raw, size, hex);
	gs_send_packet(gs, hex);
out:
	free(raw);
	free(hex);
}

/* Write the registers whose value differs from the vCPU's. */
void gs_cmd_write_regs(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *hex = req->args;
	size_t size = x86_gdb_regs_size(), off = 0;
	unsigned int dirty = 0;
	struct x86_gdb_cpu s;
	uint8_t *raw = malloc(size), cur[X86_GDB_REG_MAX];
	long n;
	int i, r;

	if (!raw) {
		gs_send_error(gs, ENOMEM);
		return;
	}
	n = gdb_hex_decode(hex, strlen(hex), raw, size);
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (n < 0 || r) {
		free(raw);
		gs_send_error(gs, n < 0 ? EINVAL : -r);
		return;
	}
	/* A shorter G (older gdb, fewer registers) sets what it covers. */
	for (i = 0;
	     i < x86_gdb_reg_count() && off + x86_gdb_reg_size(i) <= (size_t)n;
	     i++) {
		x86_gdb_reg_get(&s, i, cur);
		if (memcmp(cur, raw + off, x86_gdb_reg_size(i)))
			dirty |= x86_gdb_reg_set(&s, i, raw + off);
		off += x86_gdb_reg_size(i);
	}
	free(raw);
	r = state_write(gs->vm->vcpus[gs->g_cpu], &s, dirty);
	if (r)
		gs_send_error(gs, -r);
	else
		gs_send_packet(gs, "OK");
}

void gs_cmd_read_reg(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *args = req->args;
	char hex[2 * X86_GDB_REG_MAX + 1];
	struct x86_gdb_cpu s;
	uint8_t raw[X86_GDB_REG_MAX];
	uint64_t n;
	int r;

	if (!gdb_parse_hex(&args, &n) || *args) {
		gs_send_error(gs, EINVAL);
		return;
	}
	if (n >= (uint64_t)x86_gdb_reg_count()) {
		gs_send_error(gs, EINVAL);
		return;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (r) {
		gs_send_error(gs, -r);
		return;
	}
	x86_gdb_reg_get(&s, n, raw);
	gdb_hex_encode(raw, x86_gdb_reg_size(n), hex);
	gs_send_packet(gs, hex);
}

void gs_cmd_write_reg(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *args = req->args;
	struct x86_gdb_cpu s;
	uint8_t raw[X86_GDB_REG_MAX];
	uint64_t n;
	int r;

	if (!gdb_parse_hex(&args, &n) || *args++ != '=' ||
	    n >= (uint64_t)x86_gdb_reg_count() ||
	    gdb_hex_decode(args, strlen(args), raw, sizeof(raw)) !=
		    x86_gdb_reg_size(n)) {
		gs_send_error(gs, EINVAL);
		return;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (!r)
		r = state_write(gs->vm->vcpus[gs->g_cpu], &s,
				x86_gdb_reg_set(&s, n, raw));
	if (r)
		gs_send_error(gs, -r);
	else
		gs_send_packet(gs, "OK");
}

/* qXfer:features:read:target.xml (gdb asks for nothing else). */
void gs_cmd_xfer(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *pkt = req->pkt;
	struct gdb_qxfer x;
	size_t doclen, n;
	char *doc, *out;

	if (!gdb_parse_qxfer_read(pkt, &x)) {
		gs_send_packet(gs, "");
		return;
	}
	if (x.object_len != 8 || strncmp(x.object, "features", 8)) {
		gs_send_packet(gs, "");
		return;
	}
	if (x.annex_len != 10 || strncmp(x.annex, "target.xml", 10)) {
		gs_send_error(gs, 0);
		return;
	}
	doc = x86_gdb_target_xml(&doclen);
	out = malloc(GDB_PACKET_MAX);
	if (!doc || !out) {
		free(doc);
		free(out);
		gs_send_error(gs, ENOMEM);
		return;
	}
	/* Escapes may double the slice: keep it within half a packet. */
	n = gdb_qxfer_slice(doc, doclen, x.offset, x.length, out,
			    GDB_PACKET_MAX / 2);
	gs_send_packet_len(gs, out, n, true);
	free(doc);
	free(out);
}
