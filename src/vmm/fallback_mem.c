// SPDX-License-Identifier: GPL-2.0
/*
 * Memory operands of the emulator fallbacks (ldmxcsr/stmxcsr, clwb,
 * clflushopt, invpcid): a linear address translated with the guest's page
 * tables exactly as the CPU would for a data access at the current CPL,
 * with the Accessed/Dirty bits the CPU sets.
 */
#include <errno.h>
#include <stdio.h>

#include "arch/x86/pagewalk.h"
#include "vmm/fallback.h"
#include "vmm/memory.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_RFLAGS_AC (1ULL << 18)
#define X86_PTE_ACCESSED (1ULL << 5)
#define X86_PTE_DIRTY (1ULL << 6)

/*
 * Would hardware allow this data access to the page res describes at the
 * given CPL? NULL if so, else why not (each case is a #PF on hardware).
 */
static const char *page_denied(const struct paging_ctx *pc,
			       const struct walk_result *res, int cpl,
			       bool write, uint64_t rflags)
{
	if (res->status == WALK_NO_PAGING)
		return NULL;
	/* PKRU/PKRS live in state we do not read: never guess. */
	if (res->pkey >= 0)
		return "protection keys apply to the page";
	if (cpl == 3) {
		if (!res->user)
			return "supervisor page accessed at CPL 3";
		if (write && !res->writable)
			return "read-only page written at CPL 3";
		return NULL;
	}
	if (res->user && pc->smap && !(rflags & X86_RFLAGS_AC))
		return "user page accessed with CR4.SMAP set and EFLAGS.AC clear";
	if (write && !res->writable && pc->wp)
		return "read-only page written with CR0.WP set";
	return NULL;
}

/*
 * Set the Accessed bits the walk went through and, for a write, the leaf's
 * Dirty bit, as the CPU does with locked updates. Another vCPU may be
 * setting A/D bits too (harmless); any other change to an entry since the
 * walk read it returns -EAGAIN, and the walk starts over, as on hardware.
 */
static int set_accessed_dirty(const struct guest_memory *mem,
			      const struct paging_ctx *pc,
			      const struct walk_result *res, bool write)
{
	const uint64_t ad = X86_PTE_ACCESSED | X86_PTE_DIRTY;
	int i;

	for (i = 0; i < res->nr_steps; i++) {
		const struct walk_step *s = &res->steps[i];
		uint64_t bits = X86_PTE_ACCESSED;

		/* PAE PDPTEs are loaded with CR3 and have no A bit. */
		if (pc->mode == PAGING_PAE && s->level == 3)
			continue;
		if (s->leaf && write)
			bits |= X86_PTE_DIRTY;
		if ((s->entry & bits) == bits)
			continue;
		if (pc->mode == PAGING_32BIT) {
			uint32_t *p = guest_memory_ptr(mem, s->entry_gpa, 4);
			uint32_t cur = (uint32_t)s->entry;

			if (!p)
				return -EFAULT;
			while ((cur & bits) != bits &&
			       !__atomic_compare_exchange_n(
				       p, &cur, cur | (uint32_t)bits, false,
				       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				if ((cur ^ s->entry) & ~ad)
					return -EAGAIN;
		} else {
			uint64_t *p = guest_memory_ptr(mem, s->entry_gpa, 8);
			uint64_t cur = s->entry;

			if (!p)
				return -EFAULT;
			while ((cur & bits) != bits &&
			       !__atomic_compare_exchange_n(
				       p, &cur, cur | bits, false,
				       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				if ((cur ^ s->entry) & ~ad)
					return -EAGAIN;
		}
	}
	return 0;
}

/* See fallback.h. */
int fallback_translate_operand(struct vcpu *vcpu, const struct paging_ctx *pc,
			       int cpl, uint64_t rflags, uint64_t linear,
			       unsigned int size, bool write,
			       struct fallback_piece piece[2], char *why,
			       size_t why_size)
{
	const struct guest_memory *mem = &vcpu->vm->mem;
	struct walk_result res[2];
	unsigned int first = 4096 - (unsigned int)(linear & 4095);
	int nr = first < size ? 2 : 1, attempt, i, r;

	if (first > size)
		first = size;
	for (attempt = 0; attempt < 4; attempt++) {
		for (i = 0; i < nr; i++) {
			uint64_t la = i ? linear + first : linear;
			const char *denied;

			if (pagewalk(mem, pc, la, &res[i])) {
				snprintf(why, why_size,
					 "linear 0x%llx: %s (#PF on hardware)",
					 (unsigned long long)la, res[i].why);
				return 0;
			}
			denied = page_denied(pc, &res[i], cpl, write, rflags);
			if (denied) {
				snprintf(why, why_size,
					 "linear 0x%llx: %s (#PF on hardware)",
					 (unsigned long long)la, denied);
				return 0;
			}
			piece[i].gpa = res[i].gpa;
			piece[i].len = i ? size - first : first;
			/* Checked up front so a store is never half done. */
			if (!guest_memory_ptr(mem, piece[i].gpa,
					      piece[i].len)) {
				snprintf(
					why, why_size,
					"linear 0x%llx maps gpa 0x%llx, which is not RAM",
					(unsigned long long)la,
					(unsigned long long)piece[i].gpa);
				return 0;
			}
		}
		for (i = 0; i < nr; i++) {
			r = res[i].status == WALK_OK ?
				    set_accessed_dirty(mem, pc, &res[i],
						       write) :
				    0;
			if (r)
				break;
		}
		if (r == 0)
			return nr;
		if (r != -EAGAIN) {
			snprintf(why, why_size,
				 "a page-table entry is no longer in RAM");
			return 0;
		}
	}
	snprintf(why, why_size, "page tables keep changing under the walk");
	return 0;
}
