// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope run`: everything the user gave is checked and the kernel is
 * loaded into guest RAM before a VM exists, and the serial output file is
 * created only once the VM is ready, so a bad input leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/server.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu_template.h"
#include "inspect/symbols.h"
#include "cli/cli.h"
#include "cli/ctl_format.h"
#include "debug/gdbstub.h"
#include "os/commands.h"
#include "os/guest_kernel.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

#define MAX_INPUT_FILE (4ULL << 30)

/*
 * Input files are mapped, not read: a vmlinux is mostly debug info the
 * loaders never touch, and only the pages they do read become resident
 * (dropped again after each load, see drop_input_pages()). The mapping is
 * kept for --on-reboot restart.
 */
static int map_file(const char *what, const char *path, struct boot_file *f,
		    struct errmsg *err)
{
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno, "cannot open %s '%s': %s", what,
				  path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errmsg_set(err, EINVAL, "%s '%s' is not a regular file",
				  what, path);
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > MAX_INPUT_FILE) {
		close(fd);
		return errmsg_set(err, EINVAL, "%s '%s' is %s", what, path,
				  st.st_size ? "larger than 4 GiB" : "empty");
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return errmsg_set(err, errno, "cannot map %s '%s': %s", what,
				  path, strerror(errno));
	f->name = path;
	f->data = map;
	f->size = st.st_size;
	return 0;
}

static void unmap_file(struct boot_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->size);
	f->data = NULL;
}

/* The loaded copies live in guest RAM now: give the file pages back. */
static void drop_input_pages(const struct boot_request *req)
{
	int i;

	madvise((void *)req->kernel.data, req->kernel.size, MADV_DONTNEED);
	for (i = 0; i < req->nr_initrd; i++)
		madvise((void *)req->initrd[i].data, req->initrd[i].size,
			MADV_DONTNEED);
}

static void free_request(struct boot_request *req)
{
	int i;

	for (i = 0; i < req->nr_initrd; i++)
		unmap_file(&req->initrd[i]);
	unmap_file(&req->kernel);
	free((void *)req->cmdline);
	memset(req, 0, sizeof(*req));
}

/* Template options first, so the user's own options can override them. */
static char *build_cmdline(const struct vm_config *cfg, enum boot_format fmt,
			   const struct cpu_template *tmpl)
{
	const char *user = cfg->append ? cfg->append : "";
	const char *extra = NULL;
	char *s;

	if (boot_format_is_linux(fmt) && tmpl->linux_cmdline)
		extra = tmpl->linux_cmdline;
	if (!extra)
		return strdup(user);
	if (asprintf(&s, "%s%s%s", extra, *user ? " " : "", user) < 0)
		return NULL;
	return s;
}

static void log_template(const struct cpu_template *tmpl, const char *why,
			 enum boot_format fmt)
{
	char names[256] = "";
	size_t off = 0;
	int i;

	if (!tmpl->nr_hidden)
		return;
	for (i = 0; i < tmpl->nr_hidden && off < sizeof(names); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
				i ? " " : "", tmpl->hidden[i].name);
	if (boot_format_is_linux(fmt) && tmpl->linux_cmdline)
		log_warn(
			"cpu template %s%s%s%s: hiding %s; Linux command line gets '%s'",
			tmpl->name, why ? " (" : "", why ? why : "",
			why ? ")" : "", names, tmpl->linux_cmdline);
	else
		log_info("cpu template %s%s%s%s: hiding %s", tmpl->name,
			 why ? " (" : "", why ? why : "", why ? ")" : "",
			 names);
}

/* Read every input file and build the command line. */
static int prepare_request(const struct vm_config *cfg,
			   const struct cpu_template *tmpl,
			   struct boot_request *req, enum boot_format *fmt,
			   struct errmsg *err)
{
	int i, r;

	r = map_file("kernel", cfg->kernel_path, &req->kernel, err);
	for (i = 0; !r && i < cfg->nr_initrd; i++) {
		r = map_file("initrd", cfg->initrd_paths[i], &req->initrd[i],
			     err);
		if (!r)
			req->nr_initrd++;
	}
	if (r)
		return r;
	*fmt = boot_detect(req->kernel.data, req->kernel.size);
	req->cmdline = build_cmdline(cfg, *fmt, tmpl);
	if (!req->cmdline)
		return errmsg_set(err, ENOMEM, "out of memory");
	return 0;
}

/*
 * Guest RAM holding the kernel, its boot information and the ACPI tables:
 * everything a boot needs, done before (and again for every restart of) a VM.
 */
static int load_guest(const struct vm_config *cfg,
		      const struct boot_request *req, enum boot_format fmt,
		      struct guest_memory *mem, struct boot_entry *entry,
		      struct errmsg *err)
{
	struct acpi_params acpi = { .nr_cpus = cfg->nr_cpus };
	uint64_t rsdp;
	int r;

	r = guest_memory_alloc(mem, cfg->mem_size);
	if (r)
		return errmsg_set(
			err, -r,
			"cannot reserve %" PRIu64
			" MiB of host memory for the guest: %s (try a smaller --mem)",
			cfg->mem_size >> 20, strerror(-r));
	r = boot_load(mem, req, entry, err);
	drop_input_pages(req);
	acpi.high_ram_size = guest_memory_high_size(mem);
	if (!r)
		r = acpi_build(mem, &acpi, &rsdp, err);
	if (!r) {
		r = boot_set_rsdp(mem, fmt, entry, rsdp);
		if (r)
			errmsg_set(err, -r,
				   "cannot pass the ACPI RSDP to the kernel");
	}
	if (r)
		guest_memory_free(mem);
	return r;
}

static int open_serial(const struct vm_config *cfg, bool restarted, int *out_fd,
		       int *in_fd, struct errmsg *err)
{
	*out_fd = *in_fd = -1;
	if (cfg->serial_mode == SERIAL_STDIO) {
		*out_fd = STDOUT_FILENO;
		*in_fd = STDIN_FILENO;
	} else if (cfg->serial_mode == SERIAL_FILE) {
		/* A restarted guest appends to the log of the previous boot. */
		*out_fd = open(cfg->serial_path,
			       O_WRONLY | O_CREAT | O_CLOEXEC |
				       (restarted ? O_APPEND : O_TRUNC),
			       0644);
		if (*out_fd < 0)
			return errmsg_set(
				err, errno,
				"cannot create serial output file '%s': %s",
				cfg->serial_path, strerror(errno));
	}
	return 0;
}

/* One boot of the VM; returns the exit status, or -errno with err set. */
static int boot_once(const struct vm_config *cfg,
		     const struct cpu_template *tmpl, const char *tmpl_why,
		     const struct boot_request *req, enum boot_format fmt,
		     bool restarted, struct errmsg *err)
{
	static struct vm vm;
	struct api_server *api = NULL;
	struct gdbstub *gdb = NULL;
	struct guest_memory mem;
	struct boot_entry entry;
	int r, out_fd, in_fd;

	r = load_guest(cfg, req, fmt, &mem, &entry, err);
	if (r)
		return r;
	if (!restarted) {
		log_info("%s kernel '%s' loaded, entry 0x%" PRIx64,
			 boot_format_name(fmt), cfg->kernel_path, entry.rip);
		log_template(tmpl, tmpl_why, fmt);
	}
	r = vm_create(&vm, cfg, tmpl, &mem, err);
	if (!r)
		r = vm_set_boot_entry(&vm, &entry, err);
	/* Guest kallsyms name RIPs unless --symbols does. */
	if (!r)
		guest_kernel_attach(&vm, !cfg->symbols_path);
	if (!r)
		os_panic_report_attach(&vm);
	/* The socket before the serial file: a bad path leaves no file. */
	if (!r && cfg->api_sock) {
		api_set_hmp_formatter(ctl_format);
		r = api_server_open(&api, cfg->api_sock,
				    (struct api_ctx){ .vm = &vm }, err);
		if (!r)
			r = api_server_watch(api, &vm.loop);
		if (r && !err->text[0])
			errmsg_set(err, -r, "--api-sock: %s", strerror(-r));
	}
	if (!r && cfg->gdb) {
		r = gdbstub_open(&gdb, cfg->gdb, &vm, err);
		if (!r) {
			gdbstub_set_formatter(gdb, ctl_format);
			r = gdbstub_watch(gdb, &vm.loop);
		}
		if (r && !err->text[0])
			errmsg_set(err, -r, "--gdb: %s", strerror(-r));
	}
	if (!r)
		r = open_serial(cfg, restarted, &out_fd, &in_fd, err);
	if (!r) {
		r = vm_run(&vm, out_fd, in_fd, err);
		if (out_fd > STDERR_FILENO)
			close(out_fd);
	}
	api_server_close(api);
	/* Before vm_destroy: it takes breakpoints out of guest memory. */
	gdbstub_close(gdb);
	guest_kernel_detach(&vm);
	guest_memory_free(&mem);
	/* The last boot: the process exits next (see vm_destroy_at_exit). */
	if (r < 0 || r != KS_STATUS_RESET || !cfg->restart_on_reboot)
		vm_destroy_at_exit(&vm);
	else
		vm_destroy(&vm);
	return r;
}

/*
 * --symbols names RIPs in the core's diagnostics: "name+0x1f", plus
 * " at file:line" when the file has DWARF line tables.
 */
static int describe_symbol(void *opaque, uint64_t addr, char *buf, size_t size)
{
	size_t n;
	int r = symbols_describe(opaque, addr, buf, size);

	if (r)
		return r;
	n = strlen(buf);
	if (n + 4 < size && !symbols_source_line(opaque, addr, buf + n + 4,
						  size - n - 4))
		memcpy(buf + n, " at ", 4);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static struct symbols syms;
	struct boot_request req = { 0 };
	const struct cpu_template *tmpl;
	struct errmsg err = { { 0 } };
	enum boot_format fmt = BOOT_FORMAT_UNKNOWN;
	struct vm_config cfg;
	const char *why;
	bool restarted = false;
	int r;

	r = run_options_parse(argc, argv, &cfg, &err);
	if (r == 1)
		return 0;
	if (r)
		goto fail;
	tmpl = cpu_template_resolve(cfg.cpu_template, &why);
	if (!tmpl) {
		errmsg_set(&err, EINVAL,
			   "--cpu-template '%s' is unknown: use one of %s",
			   cfg.cpu_template, cpu_template_names());
		goto fail;
	}
	if (access(cfg.kvm_device, F_OK) < 0) {
		errmsg_set(
			&err, ENOENT,
			"%s does not exist: load the KVM module (modprobe kvm_intel or kvm_amd) and enable virtualization in the firmware",
			cfg.kvm_device);
		goto fail;
	}
	r = prepare_request(&cfg, tmpl, &req, &fmt, &err);
	/* Linux wants entropy early: virtio-rng unless told otherwise. */
	if (!r && boot_format_is_linux(fmt) && !cfg.rng_chosen &&
	    cfg.nr_devices < CONFIG_MAX_DEVICES)
		cfg.devices[cfg.nr_devices++] =
			(struct device_spec){ "virtio-rng", "" };
	if (r)
		goto fail;
	if (cfg.symbols_path) {
		r = symbols_load(&syms, cfg.symbols_path, &err);
		if (r)
			goto fail;
		diag_set_symbolizer(describe_symbol, &syms);
	}

	for (;;) {
		r = boot_once(&cfg, tmpl, why, &req, fmt, restarted, &err);
		if (r < 0)
			goto fail;
		if (r != KS_STATUS_RESET || !cfg.restart_on_reboot)
			break;
		log_warn("guest reset: restarting (--on-reboot restart)");
		restarted = true;
	}
	free_request(&req);
	diag_set_symbolizer(NULL, NULL);
	symbols_free(&syms);
	return r;
fail:
	log_error("%s", err.text);
	free_request(&req);
	symbols_free(&syms);
	return KS_STATUS_USAGE;
}
