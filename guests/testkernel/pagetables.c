// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pagetables scenario: switch to page tables with a known set of
 * odd mappings (see known_mappings.h), leave a pattern and known
 * register values behind, and halt so the VMM can inspect the guest.
 */
#include "kernel.h"
#include "known_mappings.h"

#define PTE_NX		(1ULL << 63)
#define PT_ENTRIES	512

#define PML4_IDX(va)	(((va) >> 39) & 511)
#define PDPT_IDX(va)	(((va) >> 30) & 511)
#define PD_IDX(va)	(((va) >> 21) & 511)
#define PT_IDX(va)	(((va) >> 12) & 511)

/* The 0x7000... mappings share one PDPT, one PD and one PT. */
_Static_assert(PML4_IDX(KM_4K_GVA) == PML4_IDX(KM_2M_GVA) &&
	       PML4_IDX(KM_4K_GVA) == PML4_IDX(KM_4K_RO_GVA) &&
	       PML4_IDX(KM_4K_GVA) == PML4_IDX(KM_NP_GVA),
	       "4K and 2M mappings must share a PML4 slot");
_Static_assert(PDPT_IDX(KM_4K_GVA) == PDPT_IDX(KM_2M_GVA),
	       "4K and 2M mappings must share a PDPT slot");
_Static_assert(PD_IDX(KM_4K_GVA) == PD_IDX(KM_NP_GVA) &&
	       PD_IDX(KM_4K_GVA) == PD_IDX(KM_4K_RO_GVA) &&
	       PD_IDX(KM_4K_GVA) != PD_IDX(KM_2M_GVA),
	       "4K pages share a PT, the 2M page needs its own PD slot");
_Static_assert(PML4_IDX(KM_1G_GVA) != PML4_IDX(KM_4K_GVA) &&
	       PML4_IDX(KM_1G_GVA) != 0 && PML4_IDX(KM_4K_GVA) != 0,
	       "1G mapping and identity map need their own PML4 slots");
_Static_assert(KM_PATTERN_GVA == KM_4K_GVA + (KM_PATTERN_GPA - KM_4K_GPA),
	       "pattern GVA and GPA disagree");

typedef u64 table_t[PT_ENTRIES] __aligned(4096);

static table_t pml4;
static table_t id_pdpt;
static table_t id_pd[4];
static table_t low_pdpt, low_pd, low_pt;	/* 0x0000_7000_0000_0000 */
static table_t huge_pdpt;			/* 0x0000_7080_0000_0000 */
static table_t high_pdpt, high_pd, high_pt;	/* 0xffff_ffff_8000_0000 */

static const u64 known_regs[15] = {
	KM_REG_RAX, KM_REG_RBX, KM_REG_RCX, KM_REG_RDX, KM_REG_RSI,
	KM_REG_RDI, KM_REG_RBP, KM_REG_R8, KM_REG_R9, KM_REG_R10,
	KM_REG_R11, KM_REG_R12, KM_REG_R13, KM_REG_R14, KM_REG_R15,
};

static bool cpu_has_1g_pages(void)
{
	u32 eax = 0x80000000, ebx, ecx = 0, edx;

	asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (eax < 0x80000001)
		return false;
	eax = 0x80000001;
	ecx = 0;
	asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	return edx & (1 << 26);
}

/* Identity mapped image: a table's virtual address is its physical. */
static u64 pa(const void *p)
{
	return (u64)p;
}

static void build_tables(bool nx)
{
	u64 table = PTE_P | PTE_RW;
	u64 user_table = table | PTE_US;
	unsigned int i;

	/* Identity 0..4 GiB, supervisor only, PCI hole and up uncached. */
	pml4[0] = pa(id_pdpt) | table;
	for (i = 0; i < 4; i++)
		id_pdpt[i] = pa(id_pd[i]) | table;
	for (i = 0; i < 4 * PT_ENTRIES; i++) {
		u64 e = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;

		if (i >= UC_FIRST_2M)
			e |= PTE_PCD | PTE_PWT;
		id_pd[i / PT_ENTRIES][i % PT_ENTRIES] = e;
	}

	/*
	 * Upper levels allow user and write access, so the leaf alone
	 * decides each page's effective permissions.
	 */
	pml4[PML4_IDX(KM_4K_GVA)] = pa(low_pdpt) | user_table;
	low_pdpt[PDPT_IDX(KM_4K_GVA)] = pa(low_pd) | user_table;
	low_pd[PD_IDX(KM_4K_GVA)] = pa(low_pt) | user_table;
	low_pt[PT_IDX(KM_4K_GVA)] = KM_4K_GPA | PTE_P | PTE_RW | PTE_US |
				    (nx ? PTE_NX : 0);
	low_pt[PT_IDX(KM_4K_RO_GVA)] = KM_4K_RO_GPA | PTE_P;
	low_pt[PT_IDX(KM_NP_GVA)] = 0;
	low_pd[PD_IDX(KM_2M_GVA)] = KM_2M_GPA | PTE_P | PTE_RW | PTE_US |
				    PTE_PS;

	pml4[PML4_IDX(KM_1G_GVA)] = pa(huge_pdpt) | table;
	huge_pdpt[PDPT_IDX(KM_1G_GVA)] = KM_1G_GPA | PTE_P | PTE_RW | PTE_PS;

	pml4[PML4_IDX(KM_HIGH_GVA)] = pa(high_pdpt) | table;
	high_pdpt[PDPT_IDX(KM_HIGH_GVA)] = pa(high_pd) | table;
	high_pd[PD_IDX(KM_HIGH_GVA)] = pa(high_pt) | table;
	high_pt[PT_IDX(KM_HIGH_GVA)] = KM_HIGH_GPA | PTE_P | PTE_RW | PTE_G;
}

/*
 * The pattern must exist only at its target, so it is produced byte by
 * byte straight into place.  The barrier hides the seed from the
 * optimiser, which would otherwise fold the whole LCG into immediates
 * in the image.
 */
static void write_pattern(volatile u8 *dst)
{
	u64 state = KM_PATTERN_SEED;
	unsigned int i;

	asm volatile("" : "+r"(state));
	for (i = 0; i < KM_PATTERN_LEN; i++) {
		state = state * 6364136223846793005ULL +
			1442695040888963407ULL;
		dst[i] = state >> 56;
	}
}

int scenario_pagetables(int argc, char **argv)
{
	bool nx = boot_efer_bits & EFER_NXE;
	u64 cr3;

	build_tables(nx);
	write_cr3(pa(pml4));
	cr3 = read_cr3();

	/* Going through the new mappings checks them (a fault exits 3). */
	write_pattern((volatile u8 *)KM_PATTERN_GVA);
	(void)*(volatile u8 *)KM_4K_RO_GVA;
	(void)*(volatile u8 *)KM_2M_GVA;
	(void)*(volatile u8 *)KM_HIGH_GVA;
	/*
	 * 1 GiB pages are optional (QEMU's default TCG CPU lacks them);
	 * the PDPTE is only a reserved-bit fault waiting to happen if
	 * something walks it, so touch it only where it is valid.
	 */
	if (cpu_has_1g_pages() &&
	    *(volatile u64 *)(KM_1G_GVA + pa(known_regs)) != KM_REG_RAX) {
		printf("pagetables: KM_1G_GVA does not map KM_1G_GPA\n");
		return 1;
	}

	if (!nx)
		printf("pagetables: warning: no NX support, KM_4K_GVA is executable\n");
	printf("pagetables: ready cr3=0x%lx\n", cr3);
	pagetables_idle(known_regs);
}
