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
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/cpu_template.h"
#include "cli/cli.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

#define MAX_INPUT_FILE (4ULL << 30)

static int read_file(const char *what, const char *path, struct boot_file *f,
		     struct errmsg *err)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
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
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return errmsg_set(err, ENOMEM, "out of memory reading '%s'",
				  path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return errmsg_set(err, EIO, "cannot read %s '%s': %s",
					  what, path,
					  n < 0 ? strerror(errno) : "short read");
		}
		done += n;
	}
	close(fd);
	f->name = path;
	f->data = buf;
	f->size = done;
	return 0;
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
		log_warn("cpu template %s%s%s: hiding %s; Linux command line gets '%s'",
			 tmpl->name, why ? " (" : "", why ? why : "", names,
			 tmpl->linux_cmdline);
	else
		log_info("cpu template %s%s%s%s: hiding %s", tmpl->name,
			 why ? " (" : "", why ? why : "", why ? ")" : "",
			 names);
}

int cmd_run(int argc, char **argv)
{
	struct boot_request req = { 0 };
	struct guest_memory mem = { 0 };
	const struct cpu_template *tmpl;
	struct boot_entry entry;
	struct vm_config cfg;
	struct errmsg err = { { 0 } };
	enum boot_format fmt;
	static struct vm vm;
	const char *why;
	char *cmdline = NULL;
	int i, r, status = KS_STATUS_USAGE, out_fd = -1, in_fd = -1;

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
		errmsg_set(&err, ENOENT,
			   "%s does not exist: load the KVM module (modprobe kvm_intel or kvm_amd) and enable virtualization in the firmware",
			   cfg.kvm_device);
		goto fail;
	}

	r = read_file("kernel", cfg.kernel_path, &req.kernel, &err);
	for (i = 0; !r && i < cfg.nr_initrd; i++) {
		r = read_file("initrd", cfg.initrd_paths[i], &req.initrd[i],
			      &err);
		if (!r)
			req.nr_initrd++;
	}
	if (r)
		goto fail;
	fmt = boot_detect(req.kernel.data, req.kernel.size);
	cmdline = build_cmdline(&cfg, fmt, tmpl);
	if (!cmdline) {
		errmsg_set(&err, ENOMEM, "out of memory");
		goto fail;
	}
	req.cmdline = cmdline;

	r = guest_memory_alloc(&mem, cfg.mem_size);
	if (r) {
		errmsg_set(&err, -r,
			   "cannot reserve %" PRIu64 " MiB of host memory for the guest: %s (try a smaller --mem)",
			   cfg.mem_size >> 20, strerror(-r));
		goto fail;
	}
	r = boot_load(&mem, &req, &entry, &err);
	if (r)
		goto fail;
	log_info("%s kernel '%s' loaded, entry 0x%" PRIx64,
		 boot_format_name(fmt), cfg.kernel_path, entry.rip);
	log_template(tmpl, why, fmt);

	r = vm_create(&vm, &cfg, tmpl, &mem, &err);
	if (!r)
		r = vm_set_boot_entry(&vm, &entry, &err);
	if (r)
		goto fail_vm;

	if (cfg.serial_mode == SERIAL_STDIO) {
		out_fd = STDOUT_FILENO;
		in_fd = STDIN_FILENO;
	} else if (cfg.serial_mode == SERIAL_FILE) {
		out_fd = open(cfg.serial_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			errmsg_set(&err, errno,
				   "cannot create serial output file '%s': %s",
				   cfg.serial_path, strerror(errno));
			goto fail_vm;
		}
	}
	status = vm_run(&vm, out_fd, in_fd, &err);
	if (status < 0) {
		status = KS_STATUS_USAGE;
		goto fail_vm;
	}
	goto out;

fail_vm:
	log_error("%s", err.text);
	status = KS_STATUS_USAGE;
	goto out;
fail:
	log_error("%s", err.text);
	status = KS_STATUS_USAGE;
	guest_memory_free(&mem);
	free(cmdline);
	for (i = 0; i < req.nr_initrd; i++)
		free((void *)req.initrd[i].data);
	free((void *)req.kernel.data);
	return status;
out:
	vm_destroy(&vm);
	if (out_fd > STDERR_FILENO)
		close(out_fd);
	free(cmdline);
	for (i = 0; i < req.nr_initrd; i++)
		free((void *)req.initrd[i].data);
	free((void *)req.kernel.data);
	return status;
}
