// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory for gdb: addresses translated through the selected vCPU's
 * page tables (or taken as guest-physical after 'monitor phys on'), reads
 * that show the original bytes under planted breakpoints, all-or-nothing
 * writes, and the m/M/X packets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/pagewalk.h"
#include "debug/gdbstub_int.h"
#include "util/log.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static int vcpu_paging(struct gdbstub *gs, struct vcpu *v,
		       struct paging_ctx *pc, char *why, size_t whylen)
{
	struct kvm_sregs s;
	unsigned int maxphy;
	bool gbpages;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(why, whylen, "KVM_GET_SREGS on vCPU %d failed: %s",
			 v->id, strerror(errno));
		return -EIO;
	}
	diag_guest_phys_bits(gs->vm->supported_cpuid, &maxphy, &gbpages);
	if (paging_ctx_init(pc, s.cr0, s.cr3, s.cr4, s.efer, maxphy, gbpages)) {
		snprintf(why, whylen,
			 "vCPU %d's control registers are in no paging mode",
			 v->id);
		return -EINVAL;
	}
	return 0;
}

/*
 * Guest-physical address of gva in the selected vCPU's address space (or
 * gva itself in physical mode when phys_ok). why says what failed.
 */
int gs_translate_user(struct gdbstub *gs, uint64_t gva, bool phys_ok,
		      uint64_t *gpa, bool *user, char *why, size_t whylen)
{
	struct walk_result res;
	struct paging_ctx pc;
	int r;

	*user = false;
	if (phys_ok && gs->phys) {
		*gpa = gva;
		return 0;
	}
	r = vcpu_paging(gs, gs->vm->vcpus[gs->g_cpu], &pc, why, whylen);
	if (r)
		return r;
	if (pagewalk(&gs->vm->mem, &pc, gva, &res)) {
		snprintf(
			why, whylen,
			"0x%" PRIx64
			" does not translate in vCPU %d's page tables (CR3 0x%" PRIx64
			"): %s",
			gva, gs->g_cpu, pc.cr3,
			res.why[0] ? res.why : walk_status_name(res.status));
		return -EFAULT;
	}
	*gpa = res.gpa;
	/* Unpaged: every access is a supervisor one as far as we know. */
	*user = res.status == WALK_OK && res.user;
	return 0;
}

int gs_translate(struct gdbstub *gs, uint64_t gva, bool phys_ok, uint64_t *gpa,
		 char *why, size_t whylen)
{
	bool user;

	return gs_translate_user(gs, gva, phys_ok, gpa, &user, why, whylen);
}

/* Bytes to the end of gva's 4 KiB page: a translation holds that far. */
uint64_t gs_page_left(uint64_t gva)
{
	return 0x1000 - (gva & 0xfff);
}

struct sw_bp *gs_find_bp_gpa(struct gdbstub *gs, uint64_t gpa)
{
	int i;

	for (i = 0; i < gs->nr_bps; i++)
		if (gs->bps[i].gpa == gpa)
			return &gs->bps[i];
	return NULL;
}

/*
 * Read guest memory as gdb should see it: original bytes where the stub
 * planted int3. Returns the number of bytes read before the first
 * untranslatable or non-RAM address (0 with why set when none). phys_ok:
 * addresses are guest-physical under 'monitor phys on'.
 */
size_t gs_mem_read(struct gdbstub *gs, uint64_t addr, uint8_t *buf,
		   size_t len, bool phys_ok, char *why, size_t whylen)
{
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done, gpa, n = gs_page_left(a);
		int i;

		if (n > len - done)
			n = len - done;
		if (gs_translate(gs, a, phys_ok, &gpa, why, whylen))
			break;
		if (guest_memory_read(&gs->vm->mem, gpa, buf + done, n)) {
			snprintf(why, whylen,
				 "0x%" PRIx64 " is gpa 0x%" PRIx64
				 ", outside guest RAM",
				 a, gpa);
			break;
		}
		for (i = 0; i < gs->nr_bps; i++) {
			const struct sw_bp *b = &gs->bps[i];

			if (!b->lifted && b->gpa >= gpa && b->gpa < gpa + n)
				buf[done + (b->gpa - gpa)] = b->orig;
		}
		done += n;
	}
	return done;
}

/*
 * Write all of [addr, addr + len) or nothing: every page is translated
 * first. Planted breakpoints stay planted; their saved byte takes the
 * new value.
 */
static int mem_write(struct gdbstub *gs, uint64_t addr, const uint8_t *buf,
		     size_t len, char *why, size_t whylen)
{
	static const uint8_t int3 = 0xcc;
	uint64_t gpas[GDB_PACKET_MAX / 0x1000 + 2];
	size_t done = 0;
	int np = 0, i;

	while (done < len) {
		uint64_t a = addr + done, n = gs_page_left(a);

		if (n > len - done)
			n = len - done;
		if ((size_t)np == sizeof(gpas) / sizeof(gpas[0]))
			return -E2BIG;
		if (gs_translate(gs, a, true, &gpas[np], why, whylen))
			return -EFAULT;
		if (!guest_memory_ptr(&gs->vm->mem, gpas[np], n)) {
			snprintf(why, whylen,
				 "0x%" PRIx64 " is gpa 0x%" PRIx64
				 ", outside guest RAM",
				 a, gpas[np]);
			return -EFAULT;
		}
		np++;
		done += n;
	}
	done = 0;
	for (i = 0; i < np; i++) {
		uint64_t n = gs_page_left(addr + done), k;

		if (n > len - done)
			n = len - done;
		guest_memory_write(&gs->vm->mem, gpas[i], buf + done, n);
		for (k = 0; k < n; k++) {
			struct sw_bp *b = gs_find_bp_gpa(gs, gpas[i] + k);

			if (b && !b->lifted) {
				b->orig = buf[done + k];
				guest_memory_write(&gs->vm->mem, b->gpa, &int3,
						   1);
			}
		}
		done += n;
	}
	return 0;
}

void gs_cmd_read_mem(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *args = req->args;
	uint64_t addr, len;
	const char *rest;
	uint8_t *buf;
	char *hex, why[256] = "";
	size_t n;

	if (!gdb_parse_addr_len(args, &addr, &len, &rest) || *rest) {
		gs_send_error(gs, EINVAL);
		return;
	}
	/* The reply is hex: twice the bytes must fit a packet. */
	if (len > (GDB_PACKET_MAX - 16) / 2)
		len = (GDB_PACKET_MAX - 16) / 2;
	buf = malloc(len + 1);
	hex = malloc(2 * len + 1);
	if (!buf || !hex) {
		gs_send_error(gs, ENOMEM);
		goto out;
	}
	n = gs_mem_read(gs, addr, buf, len, true, why, sizeof(why));
	if (!n && len) {
		log_debug("gdb: read of 0x%" PRIx64 ": %s", addr, why);
		gs_send_error(gs, EFAULT);
		goto out;
	}
	gdb_hex_encode(buf, n, hex);
	gs_send_packet(gs, hex);
out:
	free(buf);
	free(hex);
}

static void write_mem(struct gdbstub *gs, const struct gdb_req *req,
		      bool binary)
{
	const char *args = req->args;
	uint64_t addr, len;
	const char *rest;
	uint8_t *buf;
	char why[256] = "";
	long n;
	int r;

	if (!gdb_parse_addr_len(args, &addr, &len, &rest) || *rest++ != ':' ||
	    len > GDB_PACKET_MAX) {
		gs_send_error(gs, EINVAL);
		return;
	}
	buf = malloc(len + 1);
	if (!buf) {
		gs_send_error(gs, ENOMEM);
		return;
	}
	/* X data is binary and may hold NULs: use the packet length. */
	if (binary)
		n = gdb_unescape(rest, req->len - (rest - req->pkt), buf, len);
	else
		n = gdb_hex_decode(rest, strlen(rest), buf, len);
	if (n < 0 || (uint64_t)n != len) {
		free(buf);
		gs_send_error(gs, EINVAL);
		return;
	}
	r = len ? mem_write(gs, addr, buf, len, why, sizeof(why)) : 0;
	free(buf);
	if (r) {
		log_debug("gdb: write of 0x%" PRIx64 ": %s", addr, why);
		gs_send_error(gs, -r);
		return;
	}
	gs_send_packet(gs, "OK");
}

/* M: hex data. */
void gs_cmd_write_mem_hex(struct gdbstub *gs, const struct gdb_req *req)
{
	write_mem(gs, req, false);
}

/* X: binary data. */
void gs_cmd_write_mem_bin(struct gdbstub *gs, const struct gdb_req *req)
{
	write_mem(gs, req, true);
}
