// SPDX-License-Identifier: GPL-2.0
/*
 * The real-mode environment a PC BIOS leaves (see bios_env.h). What is
 * here follows SeaBIOS (post.c ivt_init/bda_init, hw/pic.c pic_reset,
 * hw/timer.c pit_setup, clock.c handle_08) and qboot (hwsetup.c
 * setup_pic): the same vector bases, masks, PIT mode and handler
 * addresses, so a kernel that works after either works here.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/bios_env.h"
#include "arch/x86/layout.h"
#include "util/log.h"

#define EBDA_KIB 1

/* KVM's i8254 access states: 3 = low byte then high byte. */
#define PIT_RW_WORD 3

/*
 * The handlers, 16-bit code assembled by hand (the unit test disassembles
 * them). Offsets are from segment 0xf000.
 */

/* Master IRQs: non-specific EOI to the master, nothing else. */
static const uint8_t hwpic1_code[] = {
	0x50, /* push ax */
	0xb0, 0x20, /* mov al, 0x20 */
	0xe6, 0x20, /* out 0x20, al */
	0x58, /* pop ax */
	0xcf, /* iret */
};

/* Slave IRQs arrive through the master's IRQ 2: EOI to both. */
static const uint8_t hwpic2_code[] = {
	0x50, /* push ax */
	0xb0, 0x20, /* mov al, 0x20 */
	0xe6, 0xa0, /* out 0xa0, al */
	0xe6, 0x20, /* out 0x20, al */
	0x58, /* pop ax */
	0xcf, /* iret */
};

/*
 * IRQ 0: count the tick in the BDA, wrap it at a day's worth (0x1800b0)
 * and flag midnight, call the user tick hook INT 1Ch, EOI. The tick is
 * two 16-bit halves so any 8086-class code path works.
 */
static const uint8_t irq0_code[] = {
	0x1e, /* push ds */
	0x50, /* push ax */
	0xb8, 0x40, 0x00, /* mov ax, 0x40 */
	0x8e, 0xd8, /* mov ds, ax */
	0x83, 0x06, 0x6c, 0x00, 0x01, /* add word [0x6c], 1 */
	0x83, 0x16, 0x6e, 0x00, 0x00, /* adc word [0x6e], 0 */
	0x83, 0x3e, 0x6e, 0x00, 0x18, /* cmp word [0x6e], 0x18 */
	0x72, 0x1a, /* jb .hook */
	0x77, 0x08, /* ja .wrap */
	0x81, 0x3e, 0x6c, 0x00, 0xb0, 0x00, /* cmp word [0x6c], 0xb0 */
	0x72, 0x10, /* jb .hook */
	/* .wrap: */
	0xc7, 0x06, 0x6c, 0x00, 0x00, 0x00, /* mov word [0x6c], 0 */
	0xc7, 0x06, 0x6e, 0x00, 0x00, 0x00, /* mov word [0x6e], 0 */
	0xfe, 0x06, 0x70, 0x00, /* inc byte [0x70] */
	/* .hook: */
	0xcd, 0x1c, /* int 0x1c */
	0xb0, 0x20, /* mov al, 0x20 */
	0xe6, 0x20, /* out 0x20, al */
	0x58, /* pop ax */
	0x1f, /* pop ds */
	0xcf, /* iret */
};

static const uint8_t iret_code[] = { 0xcf };

struct stub_piece {
	uint16_t off;
	const uint8_t *code;
	size_t len;
};

static const struct stub_piece stub_pieces[] = {
	{ BIOS_ENV_HWPIC1_OFF, hwpic1_code, sizeof(hwpic1_code) },
	{ BIOS_ENV_HWPIC2_OFF, hwpic2_code, sizeof(hwpic2_code) },
	{ BIOS_ENV_IRQ0_OFF, irq0_code, sizeof(irq0_code) },
	{ BIOS_ENV_IRET_OFF, iret_code, sizeof(iret_code) },
};

#define STUB_GPA(off) (((uint64_t)BIOS_ENV_STUB_SEG << 4) + (off))

_Static_assert(STUB_GPA(BIOS_ENV_HWPIC1_OFF) >= LAYOUT_BIOS_STUB,
	       "BIOS stub code below its area");
_Static_assert(BIOS_ENV_HWPIC1_OFF + sizeof(hwpic1_code) <= BIOS_ENV_HWPIC2_OFF,
	       "hwpic1 handler runs into hwpic2");
_Static_assert(BIOS_ENV_HWPIC2_OFF + sizeof(hwpic2_code) <= BIOS_ENV_IRQ0_OFF,
	       "hwpic2 handler runs into IRQ 0's");
_Static_assert(BIOS_ENV_IRQ0_OFF + sizeof(irq0_code) <= BIOS_ENV_IRET_OFF,
	       "IRQ 0 handler runs into the dummy IRET");

static uint16_t ivt_offset(unsigned int vector)
{
	if (vector == BIOS_ENV_PIC_MASTER_BASE)
		return BIOS_ENV_IRQ0_OFF;
	if (vector > BIOS_ENV_PIC_MASTER_BASE &&
	    vector < BIOS_ENV_PIC_MASTER_BASE + 8)
		return BIOS_ENV_HWPIC1_OFF;
	if (vector >= BIOS_ENV_PIC_SLAVE_BASE &&
	    vector < BIOS_ENV_PIC_SLAVE_BASE + 8)
		return BIOS_ENV_HWPIC2_OFF;
	/*
	 * Exceptions and software interrupts, the BIOS services included:
	 * return at once. SeaBIOS's 0x60-0x66 and 0x79 are 0:0, a trap for
	 * callers; an IRET is kinder and what the rest of its table does.
	 */
	return BIOS_ENV_IRET_OFF;
}

uint32_t bios_env_ivt_entry(unsigned int vector)
{
	return (uint32_t)BIOS_ENV_STUB_SEG << 16 | ivt_offset(vector & 0xff);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int write_ivt_bda(struct guest_memory *mem)
{
	uint8_t low[BIOS_ENV_IVT_SIZE + BIOS_ENV_BDA_SIZE];
	uint8_t *bda = low + BIOS_ENV_BDA;
	uint64_t low_end = guest_memory_low_end(mem);
	uint64_t base = low_end < LAYOUT_EBDA ? low_end : LAYOUT_EBDA;
	unsigned int v;

	memset(low, 0, sizeof(low));
	for (v = 0; v < 256; v++) {
		uint32_t e = bios_env_ivt_entry(v);

		put16(low + 4 * v, (uint16_t)e);
		put16(low + 4 * v + 2, (uint16_t)(e >> 16));
	}
	put16(bda + BDA_COM1, BIOS_ENV_COM1_PORT);
	put16(bda + BDA_EBDA_SEG, (uint16_t)(LAYOUT_EBDA >> 4));
	put16(bda + BDA_EQUIPMENT, BIOS_ENV_EQUIPMENT);
	/* Conventional memory ends where the EBDA starts, as in e820. */
	put16(bda + BDA_MEM_KIB, (uint16_t)(base >> 10));
	return guest_memory_write(mem, BIOS_ENV_IVT, low, sizeof(low));
}

int bios_env_write(struct guest_memory *mem, struct errmsg *err)
{
	uint8_t ebda_size = EBDA_KIB;
	size_t i;

	if (write_ivt_bda(mem) ||
	    guest_memory_fill(mem, LAYOUT_EBDA, 0, EBDA_KIB << 10) ||
	    guest_memory_write(mem, LAYOUT_EBDA, &ebda_size, 1) ||
	    guest_memory_fill(mem, LAYOUT_BIOS_STUB, 0,
			      LAYOUT_HIGH_MEM - LAYOUT_BIOS_STUB))
		return errmsg_set(
			err, EFAULT,
			"guest RAM (%llu KiB) does not cover the BIOS data areas and the BIOS stub at 0x%llx: increase --mem",
			(unsigned long long)(mem->ram_size >> 10),
			(unsigned long long)LAYOUT_BIOS_STUB);
	for (i = 0; i < sizeof(stub_pieces) / sizeof(stub_pieces[0]); i++) {
		const struct stub_piece *p = &stub_pieces[i];

		if (guest_memory_write(mem, STUB_GPA(p->off), p->code, p->len))
			return errmsg_set(
				err, EFAULT,
				"cannot write the BIOS stub at 0x%llx",
				(unsigned long long)STUB_GPA(p->off));
	}
	return 0;
}

void bios_env_pic_state(struct kvm_pic_state *pic, bool slave)
{
	/* ICW1 0x11 (cascade, ICW4 follows) resets all of this... */
	pic->last_irr = 0;
	pic->irr = 0;
	pic->isr = 0;
	pic->priority_add = 0;
	pic->read_reg_select = 0; /* OCW3 reads IRR */
	pic->poll = 0;
	pic->special_mask = 0;
	pic->rotate_on_auto_eoi = 0;
	/* ...ICW2 is the vector base, ICW3 the cascade wiring... */
	pic->irq_base = slave ? BIOS_ENV_PIC_SLAVE_BASE :
				BIOS_ENV_PIC_MASTER_BASE;
	/* ...ICW4 0x01 is 8086 mode, normal EOI, not fully nested. */
	pic->init4 = 1;
	pic->auto_eoi = 0;
	pic->special_fully_nested_mode = 0;
	pic->init_state = 0; /* the sequence is over */
	/* OCW1: the mask. */
	pic->imr = slave ? BIOS_ENV_PIC_SLAVE_IMR : BIOS_ENV_PIC_MASTER_IMR;
}

void bios_env_pit_state(struct kvm_pit_state2 *pit)
{
	struct kvm_pit_channel_state *c = &pit->channels[0];

	/* Control word 0x34: channel 0, low then high byte, mode 2, binary. */
	c->rw_mode = PIT_RW_WORD;
	c->read_state = PIT_RW_WORD;
	c->write_state = PIT_RW_WORD;
	c->mode = BIOS_ENV_PIT_MODE;
	c->bcd = 0;
	c->write_latch = 0;
	c->count_latched = 0;
	c->latched_count = 0;
	c->status_latched = 0;
	c->status = 0;
	c->gate = 1; /* channel 0's gate is tied high on a PC */
	/* Count 0 means 65536; KVM stores (and starts from) that value. */
	c->count = BIOS_ENV_PIT_COUNT;
}

static int pic_chip(int vm_fd, unsigned int id, bool set,
		    struct kvm_irqchip *chip)
{
	if (!set) {
		memset(chip, 0, sizeof(*chip));
		chip->chip_id = id;
	}
	return ioctl(vm_fd, set ? KVM_SET_IRQCHIP : KVM_GET_IRQCHIP, chip) < 0 ?
		       -errno :
		       0;
}

static int program_pics(int vm_fd, struct kvm_pic_state got[2],
			struct errmsg *err)
{
	struct kvm_irqchip chip;
	unsigned int id;
	int r;

	for (id = KVM_IRQCHIP_PIC_MASTER; id <= KVM_IRQCHIP_PIC_SLAVE; id++) {
		bool slave = id == KVM_IRQCHIP_PIC_SLAVE;

		r = pic_chip(vm_fd, id, false, &chip);
		if (!r) {
			bios_env_pic_state(&chip.chip.pic, slave);
			r = pic_chip(vm_fd, id, true, &chip);
		}
		if (!r)
			r = pic_chip(vm_fd, id, false, &chip);
		if (r)
			return errmsg_set(err, -r,
					  "programming the %s 8259 PIC: %s",
					  slave ? "slave" : "master",
					  strerror(-r));
		/* What KVM took is what the guest gets: check it. */
		if (chip.chip.pic.irq_base !=
			    (slave ? BIOS_ENV_PIC_SLAVE_BASE :
				     BIOS_ENV_PIC_MASTER_BASE) ||
		    chip.chip.pic.imr != (slave ? BIOS_ENV_PIC_SLAVE_IMR :
						  BIOS_ENV_PIC_MASTER_IMR) ||
		    chip.chip.pic.init_state != 0)
			return errmsg_set(
				err, EIO,
				"KVM did not keep the %s PIC's state: vector base 0x%02x, IMR 0x%02x, init state %u",
				slave ? "slave" : "master",
				chip.chip.pic.irq_base, chip.chip.pic.imr,
				chip.chip.pic.init_state);
		got[slave] = chip.chip.pic;
	}
	return 0;
}

static int program_pit(int vm_fd, struct kvm_pit_state2 *got,
		       struct errmsg *err)
{
	struct kvm_pit_state2 pit;

	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm_fd, KVM_GET_PIT2, &pit) < 0)
		return errmsg_set(err, errno, "KVM_GET_PIT2 failed: %s",
				  strerror(errno));
	bios_env_pit_state(&pit);
	if (ioctl(vm_fd, KVM_SET_PIT2, &pit) < 0)
		return errmsg_set(err, errno, "KVM_SET_PIT2 failed: %s",
				  strerror(errno));
	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm_fd, KVM_GET_PIT2, &pit) < 0)
		return errmsg_set(err, errno, "KVM_GET_PIT2 failed: %s",
				  strerror(errno));
	if (pit.channels[0].mode != BIOS_ENV_PIT_MODE ||
	    pit.channels[0].count != BIOS_ENV_PIT_COUNT)
		return errmsg_set(
			err, EIO,
			"KVM did not keep PIT channel 0's state: mode %u, count %u",
			pit.channels[0].mode, pit.channels[0].count);
	*got = pit;
	return 0;
}

int bios_env_program(int vm_fd, struct errmsg *err)
{
	struct kvm_pic_state pic[2];
	struct kvm_pit_state2 pit;
	int r = program_pics(vm_fd, pic, err);

	if (!r)
		r = program_pit(vm_fd, &pit, err);
	if (!r)
		log_debug(
			"BIOS environment: PIC vector bases 0x%02x/0x%02x, IMR 0x%02x/0x%02x, PIT channel 0 mode %u count %u (read back from KVM)",
			pic[0].irq_base, pic[1].irq_base, pic[0].imr,
			pic[1].imr, pit.channels[0].mode,
			pit.channels[0].count);
	return r;
}

int bios_env_setup(struct guest_memory *mem, int vm_fd, struct errmsg *err)
{
	int r = bios_env_write(mem, err);

	return r ? r : bios_env_program(vm_fd, err);
}
