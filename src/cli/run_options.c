// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "devices/device_options.h"
#include "util/log.h"
#include "util/parse.h"
#include "vmm/runstate.h"

void run_usage(FILE *out)
{
	fputs("usage: kvmscope run --kernel FILE [options]\n"
	      "\n"
	      "Boot a kernel in a KVM virtual machine. COM1 is the terminal.\n"
	      "\n"
	      "  -k, --kernel FILE       kernel to boot, format detected from its contents:\n"
	      "                          Linux bzImage (64-bit boot protocol 2.12+), ELF\n"
	      "                          vmlinux with a PVH entry note, or multiboot v1\n"
	      "  -i, --initrd FILE       Linux: initrd (several are concatenated);\n"
	      "                          multiboot: one module per file. Repeatable (16)\n"
	      "  -a, --append CMDLINE    kernel command line (multiboot: after argv[0],\n"
	      "                          which is the kernel's file name)\n"
	      "  -m, --mem SIZE          guest RAM, suffix K/M/G/T (default 256M, 16M..1T);\n"
	      "                          RAM beyond 3G is placed above 4G\n"
	      "  -c, --cpus N            number of vCPUs (default 1); APs start in\n"
	      "                          wait-for-SIPI\n"
	      "      --serial MODE       COM1 output: stdio (default), file:PATH, none\n"
	      "      --cpu-template NAME CPUID template: auto (default), host, pvm-safe.\n"
	      "                          auto = pvm-safe when the host CPU has no VMX/SVM\n"
	      "      --cpu-features LIST CPUID flags to add (+name) or remove (-name)\n"
	      "                          after the template, comma separated, e.g.\n"
	      "                          +clwb,-invpcid (/proc/cpuinfo names)\n"
	      "      --kvm-device PATH   KVM device node (default /dev/kvm)\n"
	      "      --on-reboot ACTION  when the guest resets: exit (default, status 4)\n"
	      "                          or restart (boot the same kernel again)\n"
	      "      --on-fatal ACTION   when the guest dies (triple fault, halted for\n"
	      "                          good, internal error, failed entry): pause\n"
	      "                          (keep the VM for inspection; quit ends it with\n"
	      "                          the fatal status) or exit. Default: pause with\n"
	      "                          --api-sock or --gdb, exit otherwise\n"
	      "      --api-sock PATH     control socket (QMP-framed JSON, mode 0600) for\n"
	      "                          kvmscope ctl PATH ..., socat or QMP tools\n"
	      "      --paused            start with every vCPU stopped before its first\n"
	      "                          instruction (resume with: kvmscope ctl PATH cont,\n"
	      "                          or gdb's continue with --gdb)\n"
	      "      --gdb SPEC          gdb stub on tcp:HOST:PORT or unix:PATH (gdb:\n"
	      "                          target remote HOST:PORT); vCPUs are threads\n"
	      "      --symbols FILE      guest kernel symbols (System.map or an ELF with a\n"
	      "                          symbol table) to name RIP in diagnostics\n"
	      "      --disk SPEC         a virtio-blk disk: PATH[,readonly][,cache=writeback|none]\n"
	      "                          [,aio=io_uring|threads][,serial=ID] (repeatable)\n"
	      "      --net SPEC          a virtio-net NIC (repeatable):\n"
	      "                          tap:IFNAME[,mac=MAC][,offload=on|off], or user-mode\n"
	      "                          user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=RULE]...\n"
	      "                          with RULE [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT\n"
	      "      --rng, --no-rng     a virtio-rng entropy device (from getrandom);\n"
	      "                          default: on for Linux kernels, off otherwise\n"
	      "      --device NAME[,ARGS]  add a device by name, e.g. pc-testdev\n"
	      "                          (repeatable; an unknown name lists the known ones)\n"
	      "      --stats             print exit counts by reason when the VM ends\n"
	      "  -v, --verbose           more kvmscope log on stderr (twice: debug)\n"
	      "  -h, --help              this help\n"
	      "\n"
	      "Console: the terminal is raw while the guest runs; Ctrl-C goes to the\n"
	      "guest. Ctrl-A x quits kvmscope, Ctrl-A Ctrl-A sends Ctrl-A.\n"
	      "\n"
	      "Exit status:\n"
	      "  0    guest powered off\n"
	      "  odd  guest wrote v to the debug-exit port 0xf4: status (v << 1) | 1\n"
	      "  2    bad option, unusable kernel/initrd file, or no usable KVM\n"
	      "  4    guest reset (i8042 0xfe, port 0x92, ACPI/0xcf9) with --on-reboot exit\n"
	      "  6    triple fault (KVM_EXIT_SHUTDOWN)\n"
	      "  8    every vCPU halted with interrupts off (or KVM_EXIT_HLT)\n"
	      "  10   KVM_EXIT_FAIL_ENTRY\n"
	      "  12   KVM_EXIT_INTERNAL_ERROR (e.g. instruction the host cannot emulate)\n"
	      "  14   KVM_EXIT_SYSTEM_EVENT\n"
	      "  16   kvmscope failed at run time (unexpected exit, KVM_RUN error)\n"
	      "  18   the guest kernel panicked (pvpanic port 0x505)\n"
	      "  130  stopped by SIGINT, SIGTERM or Ctrl-A x\n",
	      out);
}

enum {
	OPT_SERIAL = 0x100,
	OPT_CPU_TEMPLATE,
	OPT_CPU_FEATURES,
	OPT_KVM_DEVICE,
	OPT_STATS,
	OPT_ON_REBOOT,
	OPT_API_SOCK,
	OPT_PAUSED,
	OPT_GDB,
	OPT_SYMBOLS,
	OPT_ON_FATAL,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_NO_RNG,
	OPT_DEVICE,
};

static const struct option run_longopts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "cpu-template", required_argument, NULL, OPT_CPU_TEMPLATE },
	{ "cpu-features", required_argument, NULL, OPT_CPU_FEATURES },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
	{ "on-fatal", required_argument, NULL, OPT_ON_FATAL },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "paused", no_argument, NULL, OPT_PAUSED },
	{ "gdb", required_argument, NULL, OPT_GDB },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "no-rng", no_argument, NULL, OPT_NO_RNG },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * --disk, --net, --rng and --device NAME[,ARGS] become device specs
 * (vmm/config.h); devices/device_options.c has a row for each kind the
 * build has, and the row checks the spec when the VM is built.
 */
static int add_device(struct vm_config *cfg, int opt, const char *arg,
		      struct errmsg *err)
{
	static char names[CONFIG_MAX_DEVICES][64];
	const char *kind, *spec = "", *what;
	char known[256];

	switch (opt) {
	case OPT_DISK:
		kind = "virtio-blk", spec = arg, what = "--disk";
		break;
	case OPT_NET:
		kind = "virtio-net", spec = arg, what = "--net";
		break;
	case OPT_RNG:
		kind = "virtio-rng", what = "--rng";
		break;
	default: {
		const char *comma = strchr(arg, ',');
		size_t n = comma ? (size_t)(comma - arg) : strlen(arg);

		what = "--device";
		if (!n || n >= sizeof(names[0]))
			return errmsg_set(err, EINVAL,
					  "--device '%s': give a device name, e.g. --device pc-testdev",
					  arg);
		memcpy(names[cfg->nr_devices % CONFIG_MAX_DEVICES], arg, n);
		names[cfg->nr_devices % CONFIG_MAX_DEVICES][n] = '\0';
		kind = names[cfg->nr_devices % CONFIG_MAX_DEVICES];
		spec = comma ? comma + 1 : "";
		break;
	}
	}
	if (!device_option_find(kind)) {
		device_option_names(known, sizeof(known));
		return errmsg_set(err, EINVAL,
				  "%s: this kvmscope has no %s device (it has: %s)",
				  what, kind, known[0] ? known : "none");
	}
	if (cfg->nr_devices == CONFIG_MAX_DEVICES)
		return errmsg_set(err, E2BIG,
				  "%s: at most %d devices (--disk, --net, --rng, --device) in all",
				  what, CONFIG_MAX_DEVICES);
	cfg->devices[cfg->nr_devices].kind = kind;
	cfg->devices[cfg->nr_devices].spec = spec;
	cfg->nr_devices++;
	return 0;
}

static int parse_serial(const char *arg, struct vm_config *cfg,
			struct errmsg *err)
{
	if (!strcmp(arg, "stdio")) {
		cfg->serial_mode = SERIAL_STDIO;
	} else if (!strcmp(arg, "none")) {
		cfg->serial_mode = SERIAL_NONE;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		cfg->serial_mode = SERIAL_FILE;
		cfg->serial_path = arg + 5;
	} else {
		return errmsg_set(
			err, EINVAL,
			"--serial '%s' is not understood: use stdio, none or file:PATH",
			arg);
	}
	return 0;
}

int run_options_parse(int argc, char **argv, struct vm_config *cfg,
		      struct errmsg *err)
{
	int on_fatal = -1; /* not given */
	long n;
	int c, r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 256ULL << 20;
	cfg->nr_cpus = 1;
	cfg->serial_mode = SERIAL_STDIO;
	cfg->cpu_template = "auto";
	cfg->kvm_device = "/dev/kvm";

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:m:c:vh", run_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'k':
			cfg->kernel_path = optarg;
			break;
		case 'i':
			if (cfg->nr_initrd >= BOOT_MAX_INITRD)
				return errmsg_set(
					err, E2BIG,
					"too many --initrd files (at most %d)",
					BOOT_MAX_INITRD);
			cfg->initrd_paths[cfg->nr_initrd++] = optarg;
			break;
		case 'a':
			cfg->append = optarg;
			break;
		case 'm':
			r = parse_size(optarg, &cfg->mem_size);
			if (r)
				return errmsg_set(
					err, EINVAL,
					"--mem '%s' is not a size: use a number with K, M or G, e.g. --mem 512M",
					optarg);
			if (cfg->mem_size < CONFIG_MIN_MEM)
				return errmsg_set(
					err, EINVAL,
					"--mem %s is too small: kvmscope needs at least %llu M",
					optarg, CONFIG_MIN_MEM >> 20);
			if (cfg->mem_size > CONFIG_MAX_MEM)
				return errmsg_set(
					err, EINVAL,
					"--mem %s is too large: at most %lluG",
					optarg, CONFIG_MAX_MEM >> 30);
			if (cfg->mem_size & 0xfffff)
				return errmsg_set(
					err, EINVAL,
					"--mem %s is not a whole number of MiB: round it, e.g. --mem %lluM",
					optarg,
					(unsigned long long)(cfg->mem_size >>
							     20));
			break;
		case 'c':
			r = parse_int(optarg, 1, CONFIG_MAX_CPUS, &n);
			if (r)
				return errmsg_set(
					err, EINVAL,
					"--cpus '%s' is invalid: give a number from 1 to %d",
					optarg, CONFIG_MAX_CPUS);
			cfg->nr_cpus = n;
			break;
		case OPT_SERIAL:
			r = parse_serial(optarg, cfg, err);
			if (r)
				return r;
			break;
		case OPT_CPU_TEMPLATE:
			cfg->cpu_template = optarg;
			break;
		case OPT_CPU_FEATURES:
			r = cpu_features_parse(optarg, &cfg->cpu_features, err);
			if (r)
				return r;
			break;
		case OPT_KVM_DEVICE:
			cfg->kvm_device = optarg;
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case OPT_API_SOCK:
			cfg->api_sock = optarg;
			break;
		case OPT_PAUSED:
			cfg->start_paused = true;
			break;
		case OPT_GDB:
			cfg->gdb = optarg;
			break;
		case OPT_SYMBOLS:
			cfg->symbols_path = optarg;
			break;
		case OPT_NO_RNG:
			cfg->rng_chosen = true;
			break;
		case OPT_RNG:
			cfg->rng_chosen = true;
			/* fall through */
		case OPT_DISK:
		case OPT_NET:
		case OPT_DEVICE:
			r = add_device(cfg, c, optarg, err);
			if (r)
				return r;
			break;
		case OPT_ON_REBOOT:
			if (!strcmp(optarg, "exit"))
				cfg->restart_on_reboot = false;
			else if (!strcmp(optarg, "restart"))
				cfg->restart_on_reboot = true;
			else
				return errmsg_set(
					err, EINVAL,
					"--on-reboot '%s' is not understood: use exit or restart",
					optarg);
			break;
		case OPT_ON_FATAL:
			if (!strcmp(optarg, "exit"))
				on_fatal = VM_ON_FATAL_EXIT;
			else if (!strcmp(optarg, "pause"))
				on_fatal = VM_ON_FATAL_PAUSE;
			else
				return errmsg_set(
					err, EINVAL,
					"--on-fatal '%s' is not understood: use pause or exit",
					optarg);
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			run_usage(stdout);
			return 1;
		case ':':
			return errmsg_set(
				err, EINVAL,
				"option '%s' needs a value (see kvmscope run --help)",
				argv[optind - 1]);
		default:
			return errmsg_set(
				err, EINVAL,
				"unknown option '%s' (see kvmscope run --help)",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		return errmsg_set(
			err, EINVAL,
			"unexpected argument '%s' (kernel arguments go in --append \"...\")",
			argv[optind]);
	/* Without a socket nobody could look at a kept guest. */
	if (on_fatal < 0)
		on_fatal = cfg->api_sock || cfg->gdb ? VM_ON_FATAL_PAUSE :
							VM_ON_FATAL_EXIT;
	if (on_fatal == VM_ON_FATAL_PAUSE && !cfg->api_sock && !cfg->gdb)
		return errmsg_set(
			err, EINVAL,
			"--on-fatal pause needs --api-sock PATH or --gdb SPEC: nothing could inspect or end the dead guest otherwise");
	cfg->on_fatal = on_fatal;
	if (cfg->start_paused && !cfg->api_sock && !cfg->gdb)
		return errmsg_set(
			err, EINVAL,
			"--paused needs --api-sock PATH or --gdb SPEC: nothing could resume the guest otherwise");
	if (!cfg->kernel_path)
		return errmsg_set(
			err, EINVAL,
			"no kernel given: use kvmscope run --kernel FILE (see --help)");
	return 0;
}
