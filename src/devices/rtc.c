// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818-style CMOS RTC at 0x70 (index) / 0x71 (data): 128 bytes of
 * CMOS, of which the clock registers are computed from host time (UTC)
 * when read. The guest may set the clock; that is kept as an offset from
 * host time rather than as a copy of the time, so the clock keeps running
 * without a timer. UIP always reads 0, so a guest waiting for the end of
 * an update never waits.
 *
 * Interrupts (IRQ 8): the alarm (registers 1/3/5 against seconds, minutes
 * and hours, byte for byte in the current BCD/binary and 12/24-hour
 * format; a value of 0xc0-0xff matches anything) sets AF, and the update
 * interrupt sets UF, each second. A host timer ticks at every second of
 * host time while AIE or UIE is set, so an alarm fires while the vCPUs
 * are parked too: with AIE set it also wakes a VM suspended to S3 (the
 * enabled interrupt is the guest's consent, as an enabled RTC_EN is on a
 * PC). IRQF is set while an enabled flag is, and drives IRQ 8 high;
 * reading register C returns the flags, clears them and lowers IRQ 8.
 * UF is only tracked while UIE is set; the periodic interrupt (PIE) is not
 * emulated.
 *
 * The NVRAM memory-size bytes are filled in the way SeaBIOS expects them
 * from QEMU, since firmware and old loaders read RAM size from there.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/legacy.h"

#define RTC_PORT 0x70
#define RTC_NR_PORTS 2
#define CMOS_SIZE 128

#define REG_SECONDS 0x00
#define REG_ALARM_SECONDS 0x01
#define REG_MINUTES 0x02
#define REG_ALARM_MINUTES 0x03
#define REG_HOURS 0x04
#define REG_ALARM_HOURS 0x05
#define REG_WEEKDAY 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32

#define REG_A_UIP 0x80
#define REG_B_SET 0x80 /* updates inhibited while the guest sets the clock */
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM 0x04 /* binary instead of BCD */
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_C_FLAGS 0x70 /* PF, AF, UF: the same bits as their enables */
#define REG_D_VRT 0x80 /* valid RAM and time: the battery is fine */
#define RTC_IRQ 8
#define ALARM_DONT_CARE 0xc0 /* both top bits set: matches anything */
#define HOURS_PM 0x80 /* in 12-hour mode */

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[CMOS_SIZE]; /* NVRAM, registers A and B */
	time_t offset; /* guest time minus host time, in seconds */
	struct tm frozen; /* the guest's time while REG_B_SET is set */
	uint8_t reg_c; /* IRQF and the flags, cleared when read */
	bool irq_high; /* IRQ 8 as last driven */
	struct irq_sink irq;
	struct vm_control ctl;
	struct event_loop *loop;
	int timer_fd; /* the second tick; -1 without a loop */
	bool ticking;
};

static bool is_time_reg(uint8_t reg)
{
	switch (reg) {
	case REG_SECONDS:
	case REG_MINUTES:
	case REG_HOURS:
	case REG_WEEKDAY:
	case REG_DAY:
	case REG_MONTH:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static time_t host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* The guest's current time, broken down. */
static void guest_tm(const struct rtc *rtc, struct tm *tm)
{
	time_t t;

	if (rtc->cmos[REG_B] & REG_B_SET) {
		*tm = rtc->frozen;
		return;
	}
	t = host_now() + rtc->offset;
	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/*
 * timegm() normalises out-of-range fields, so a guest writing nonsense
 * gets some valid time rather than an error.
 */
static time_t time_from_tm(struct tm *tm)
{
	time_t t;

	tm->tm_isdst = 0;
	t = timegm(tm);
	return t == (time_t)-1 ? host_now() : t;
}

static bool binary_mode(const struct rtc *rtc)
{
	return rtc->cmos[REG_B] & REG_B_DM;
}

static uint8_t encode(const struct rtc *rtc, int v)
{
	v %= 100;
	if (v < 0)
		v += 100;
	return binary_mode(rtc) ? v : ((v / 10) << 4) | (v % 10);
}

static int decode(const struct rtc *rtc, uint8_t v)
{
	return binary_mode(rtc) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t read_time_reg(const struct rtc *rtc, uint8_t reg)
{
	struct tm tm;
	int hour;

	guest_tm(rtc, &tm);
	switch (reg) {
	case REG_SECONDS:
		return encode(rtc, tm.tm_sec);
	case REG_MINUTES:
		return encode(rtc, tm.tm_min);
	case REG_HOURS:
		if (rtc->cmos[REG_B] & REG_B_24H)
			return encode(rtc, tm.tm_hour);
		hour = tm.tm_hour % 12;
		return encode(rtc, hour ? hour : 12) |
		       (tm.tm_hour >= 12 ? HOURS_PM : 0);
	case REG_WEEKDAY:
		/* Frozen fields are raw; work the weekday out from the date. */
		if (rtc->cmos[REG_B] & REG_B_SET) {
			struct tm copy = tm;
			time_t t = time_from_tm(&copy);

			gmtime_r(&t, &tm);
		}
		return encode(rtc, tm.tm_wday + 1); /* 1 = Sunday */
	case REG_DAY:
		return encode(rtc, tm.tm_mday);
	case REG_MONTH:
		return encode(rtc, tm.tm_mon + 1);
	case REG_YEAR:
		return encode(rtc, tm.tm_year + 1900);
	case REG_CENTURY:
		return encode(rtc, (tm.tm_year + 1900) / 100);
	default:
		return 0;
	}
}

static void write_time_reg(struct rtc *rtc, uint8_t reg, uint8_t v)
{
	struct tm tm;
	int year;

	guest_tm(rtc, &tm);
	switch (reg) {
	case REG_SECONDS:
		tm.tm_sec = decode(rtc, v);
		break;
	case REG_MINUTES:
		tm.tm_min = decode(rtc, v);
		break;
	case REG_HOURS:
		if (rtc->cmos[REG_B] & REG_B_24H) {
			tm.tm_hour = decode(rtc, v);
			break;
		}
		tm.tm_hour = decode(rtc, v & ~HOURS_PM) % 12;
		if (v & HOURS_PM)
			tm.tm_hour += 12;
		break;
	case REG_WEEKDAY:
		/* Derived from the date; nothing to keep. */
		return;
	case REG_DAY:
		tm.tm_mday = decode(rtc, v);
		break;
	case REG_MONTH:
		tm.tm_mon = decode(rtc, v) - 1;
		break;
	case REG_YEAR:
		year = tm.tm_year + 1900;
		tm.tm_year = year - year % 100 + decode(rtc, v) - 1900;
		break;
	case REG_CENTURY:
		year = tm.tm_year + 1900;
		tm.tm_year = decode(rtc, v) * 100 + year % 100 - 1900;
		break;
	}
	if (rtc->cmos[REG_B] & REG_B_SET) {
		/*
		 * Keep the fields as written: the guest writes them one at a
		 * time, and normalising a half-written date (day 31 while the
		 * old month has 30) would corrupt it. That happens once, when
		 * SET is cleared.
		 */
		rtc->frozen = tm;
		return;
	}
	rtc->offset = time_from_tm(&tm) - host_now();
}

bool rtc_alarm_match(const uint8_t alarm[3], const uint8_t now[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if ((alarm[i] & ALARM_DONT_CARE) != ALARM_DONT_CARE &&
		    alarm[i] != now[i])
			return false;
	return true;
}

/* Lock held: IRQF follows the enabled flags; IRQ 8 follows IRQF. */
static void update_irq(struct rtc *rtc)
{
	bool on = rtc->reg_c & rtc->cmos[REG_B] & REG_C_FLAGS;

	if (on)
		rtc->reg_c |= REG_C_IRQF;
	else
		rtc->reg_c &= ~REG_C_IRQF;
	if (on == rtc->irq_high || !rtc->irq.set_level)
		return;
	rtc->irq_high = on;
	rtc->irq.set_level(rtc->irq.opaque, RTC_IRQ, on);
}

/*
 * Lock held: tick at every second of host time (1 ms after it, so the
 * second read is the new one) while AIE or UIE is set, else not at all.
 */
static void update_timer(struct rtc *rtc)
{
	bool want = rtc->cmos[REG_B] & (REG_B_AIE | REG_B_UIE);
	struct itimerspec its;
	struct timespec now;

	if (rtc->timer_fd < 0 || want == rtc->ticking)
		return;
	memset(&its, 0, sizeof(its));
	if (want) {
		clock_gettime(CLOCK_REALTIME, &now);
		its.it_value.tv_sec = now.tv_sec + 1;
		its.it_value.tv_nsec = 1000000;
		its.it_interval.tv_sec = 1;
	}
	if (timerfd_settime(rtc->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_warn("rtc: cannot arm the alarm timer: %s",
			 strerror(errno));
		return;
	}
	rtc->ticking = want;
}

/* Lock held: one second passed; true when an enabled alarm fired. */
static bool rtc_second(struct rtc *rtc)
{
	uint8_t now[3], alarm[3];
	bool fired = false;

	if (rtc->cmos[REG_B] & REG_B_SET)
		return false; /* the clock is stopped: no update, no alarm */
	now[0] = read_time_reg(rtc, REG_SECONDS);
	now[1] = read_time_reg(rtc, REG_MINUTES);
	now[2] = read_time_reg(rtc, REG_HOURS);
	alarm[0] = rtc->cmos[REG_ALARM_SECONDS];
	alarm[1] = rtc->cmos[REG_ALARM_MINUTES];
	alarm[2] = rtc->cmos[REG_ALARM_HOURS];
	if (rtc->cmos[REG_B] & REG_B_UIE)
		rtc->reg_c |= REG_C_UF;
	if (rtc_alarm_match(alarm, now)) {
		rtc->reg_c |= REG_C_AF;
		fired = rtc->cmos[REG_B] & REG_B_AIE;
	}
	update_irq(rtc);
	return fired;
}

/* Main thread: the timer fired. */
static void on_tick(void *opaque, int fd, uint32_t events)
{
	struct rtc *rtc = opaque;
	uint64_t n;
	bool fired;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&rtc->lock);
	fired = rtc_second(rtc);
	pthread_mutex_unlock(&rtc->lock);
	if (fired && rtc->ctl.request_wakeup)
		rtc->ctl.request_wakeup(rtc->ctl.opaque, "rtc");
}

static void write_reg_b(struct rtc *rtc, uint8_t v)
{
	uint8_t old = rtc->cmos[REG_B];

	if ((v & REG_B_SET) && !(old & REG_B_SET)) {
		/* Stop the clock so a multi-register update is consistent. */
		guest_tm(rtc, &rtc->frozen);
	} else if (!(v & REG_B_SET) && (old & REG_B_SET)) {
		struct tm tm = rtc->frozen;

		rtc->offset = time_from_tm(&tm) - host_now();
	}
	rtc->cmos[REG_B] = v;
	update_irq(rtc); /* a flag already set interrupts once enabled */
	update_timer(rtc);
}

static uint8_t cmos_read(struct rtc *rtc)
{
	uint8_t reg = rtc->index;

	if (is_time_reg(reg))
		return read_time_reg(rtc, reg);
	switch (reg) {
	case REG_A:
		return rtc->cmos[REG_A] & ~REG_A_UIP;
	case REG_C: {
		uint8_t v = rtc->reg_c;

		rtc->reg_c = 0;
		update_irq(rtc);
		return v;
	}
	case REG_D:
		return REG_D_VRT;
	default:
		return rtc->cmos[reg];
	}
}

static void cmos_write(struct rtc *rtc, uint8_t v)
{
	uint8_t reg = rtc->index;

	if (is_time_reg(reg)) {
		write_time_reg(rtc, reg, v);
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->cmos[REG_A] = v & ~REG_A_UIP;
		break;
	case REG_B:
		write_reg_b(rtc, v);
		break;
	case REG_C:
	case REG_D:
		device_log_guest(
			"rtc: write of 0x%02x to read-only register 0x%02x ignored",
			v, reg);
		break;
	default:
		rtc->cmos[reg] = v;
		break;
	}
}

/* Wider accesses are split into byte accesses, as the ISA bus does. */
static void rtc_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct rtc *rtc = opaque;
	uint32_t i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len; i++) {
		/* The index register is write-only. */
		data[i] = offset + i == 1 ? cmos_read(rtc) : 0xff;
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct rtc *rtc = opaque;
	uint32_t i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len; i++) {
		if (offset + i == 0)
			/* Bit 7 masks NMIs on real boards; there is no NMI here. */
			rtc->index = data[i] & (CMOS_SIZE - 1);
		else if (offset + i == 1)
			cmos_write(rtc, data[i]);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_release(void *opaque)
{
	struct rtc *rtc = opaque;

	if (rtc->timer_fd >= 0) {
		event_loop_del(rtc->loop, rtc->timer_fd);
		close(rtc->timer_fd);
	}
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
	.release = rtc_release,
};

static void set_u16(uint8_t *cmos, unsigned int reg, uint64_t v, uint64_t cap)
{
	if (v > cap)
		v = cap;
	cmos[reg] = v & 0xff;
	cmos[reg + 1] = (v >> 8) & 0xff;
}

static void fill_nvram(struct rtc *rtc, const struct device_env *env)
{
	uint64_t low = env->low_ram_end, ext, v;

	/* Conventional memory: the full 640 KiB. */
	set_u16(rtc->cmos, 0x15, 640, 0xffff);

	/* KiB above 1 MiB, counted to 65 MiB at most (a 16-bit field). */
	ext = low < 65 * MIB ? low : 65 * MIB;
	v = ext > MIB ? (ext - MIB) / KIB : 0;
	set_u16(rtc->cmos, 0x17, v, 0xffff);
	set_u16(rtc->cmos, 0x30, v, 0xffff);

	/* 64 KiB blocks between 16 MiB and the end of low RAM. */
	v = low > 16 * MIB ? (low - 16 * MIB) / (64 * KIB) : 0;
	set_u16(rtc->cmos, 0x34, v, 0xffff);

	/* 64 KiB blocks above 4 GiB, 24 bits. */
	v = env->high_ram_size / (64 * KIB);
	if (v > 0xffffff)
		v = 0xffffff;
	rtc->cmos[0x5b] = v & 0xff;
	rtc->cmos[0x5c] = (v >> 8) & 0xff;
	rtc->cmos[0x5d] = (v >> 16) & 0xff;

	rtc->cmos[0x5f] = env->nr_cpus > 0 ? env->nr_cpus - 1 : 0;
}

int rtc_register(const struct device_env *env)
{
	struct rtc *rtc;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return -ENOMEM;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = env->irq;
	rtc->ctl = env->ctl;
	rtc->loop = env->loop;
	rtc->timer_fd = -1;
	if (env->loop) {
		rtc->timer_fd = timerfd_create(CLOCK_REALTIME,
					       TFD_CLOEXEC | TFD_NONBLOCK);
		ret = rtc->timer_fd < 0 ?
			      -errno :
			      event_loop_add(env->loop, rtc->timer_fd, EPOLLIN,
					     on_tick, rtc);
		if (ret < 0) {
			if (rtc->timer_fd >= 0)
				close(rtc->timer_fd);
			pthread_mutex_destroy(&rtc->lock);
			free(rtc);
			return ret;
		}
	}
	rtc->cmos[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	rtc->cmos[REG_B] = REG_B_24H; /* BCD, 24-hour, no interrupts */
	fill_nvram(rtc, env);

	/* From here on the bus owns rtc (bus_release frees it). */
	ret = bus_register(env->pio, RTC_PORT, RTC_NR_PORTS, &rtc_ops, rtc,
			   "rtc");
	if (ret < 0)
		rtc_release(rtc);
	return ret;
}

const struct device_desc rtc_device = { "rtc (0x70-0x71)", rtc_register };
