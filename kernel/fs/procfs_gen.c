/* procfs_gen.c - the text of /proc files: meminfo, uptime, mounts, status, cmdline... */
#include "fs/procfs.h"

#include <asm-generic/errno.h>
#include <stdarg.h>

#include <kiln/version.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"

static struct {
	char *text;
	size_t len;
} cmdline, environ;

/* snprintf appending at *len; the total needed length keeps counting. */
void procfs_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(*len < size ? buf + *len : NULL,
			  *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
}

static size_t copy_blob(char *buf, size_t size, const char *text, size_t len)
{
	if (len > 0)
		memcpy(buf, text, len < size ? len : size);
	return len;
}

static int set_blob(char **text, size_t *len, const char *src, size_t n)
{
	char *copy = n > 0 ? kmalloc(n) : NULL;

	if (n > 0 && copy == NULL)
		return -ENOMEM;
	if (n > 0)
		memcpy(copy, src, n);
	kfree(*text);
	*text = copy;
	*len = n;
	return 0;
}

int procfs_set_cmdline(const char *args, size_t len)
{
	return set_blob(&cmdline.text, &cmdline.len, args, len);
}

int procfs_set_environ(const char *envs, size_t len)
{
	return set_blob(&environ.text, &environ.len, envs, len);
}

/* Join a NULL-terminated string vector, each string NUL-terminated. */
static int set_vector(char **text, size_t *len, const char *const *v)
{
	size_t total = 0, i, n;
	char *blob;
	int err;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		total += strlen(v[i]) + 1;
	blob = kmalloc(total > 0 ? total : 1);
	if (blob == NULL)
		return -ENOMEM;
	total = 0;
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		n = strlen(v[i]) + 1;
		memcpy(blob + total, v[i], n);
		total += n;
	}
	err = set_blob(text, len, blob, total);
	kfree(blob);
	return err;
}

int procfs_set_args(const char *const *argv, const char *const *envp)
{
	int err = set_vector(&cmdline.text, &cmdline.len, argv);

	return err < 0 ? err : set_vector(&environ.text, &environ.len, envp);
}

size_t procfs_cmdline(char *buf, size_t size)
{
	return copy_blob(buf, size, cmdline.text, cmdline.len);
}

size_t procfs_environ(char *buf, size_t size)
{
	return copy_blob(buf, size, environ.text, environ.len);
}

size_t procfs_meminfo(char *buf, size_t size)
{
	size_t len = 0;
	unsigned long total = page_total() * (PAGE_SIZE / 1024);
	unsigned long free = page_free_count() * (PAGE_SIZE / 1024);

	procfs_put(buf, size, &len, "MemTotal:       %8lu kB\n", total);
	procfs_put(buf, size, &len, "MemFree:        %8lu kB\n", free);
	procfs_put(buf, size, &len, "MemAvailable:   %8lu kB\n", free);
	procfs_put(buf, size, &len, "Buffers:        %8lu kB\n", 0UL);
	procfs_put(buf, size, &len, "Cached:         %8lu kB\n", 0UL);
	procfs_put(buf, size, &len, "SwapCached:     %8lu kB\n", 0UL);
	procfs_put(buf, size, &len, "SwapTotal:      %8lu kB\n", 0UL);
	procfs_put(buf, size, &len, "SwapFree:       %8lu kB\n", 0UL);
	return len;
}

size_t procfs_uptime(char *buf, size_t size)
{
	uint64_t cs = time_ns() / 10000000; /* centiseconds */
	size_t len = 0;

	procfs_put(buf, size, &len, "%lu.%02lu 0.00\n", (unsigned long)(cs / 100),
	    (unsigned long)(cs % 100));
	return len;
}

size_t procfs_version(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len,
	    "Linux version 6.1.0-kiln (" KILN_NAME " " KILN_VERSION
	    ") #1 " KILN_NAME " " KILN_VERSION "\n"); /* as uname -v */
	return len;
}

size_t procfs_mounts(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "rootfs / rootfs rw 0 0\n");
	procfs_put(buf, size, &len, "devtmpfs /dev devtmpfs rw,relatime 0 0\n");
	procfs_put(buf, size, &len, "proc /proc proc rw,relatime 0 0\n");
	return len;
}

size_t procfs_filesystems(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "nodev\trootfs\nnodev\ttmpfs\nnodev\tproc\n"
			     "nodev\tdevtmpfs\n");
	return len;
}

size_t procfs_loadavg(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "0.00 0.00 0.00 1/1 1\n");
	return len;
}

size_t procfs_stat(char *buf, size_t size)
{
	uint64_t ticks = time_ns() / 10000000; /* USER_HZ = 100 */
	size_t len = 0;

	procfs_put(buf, size, &len, "cpu  %lu 0 0 0 0 0 0 0 0 0\n",
	    (unsigned long)ticks);
	procfs_put(buf, size, &len, "cpu0 %lu 0 0 0 0 0 0 0 0 0\n",
	    (unsigned long)ticks);
	procfs_put(buf, size, &len, "btime %lu\nprocesses 1\nprocs_running 1\n"
			     "procs_blocked 0\n", 0UL);
	return len;
}

size_t procfs_maps(char *buf, size_t size)
{
	return mm_format_maps(buf, size);
}

/* The program's name as Linux keeps it: basename, 15 characters. */
static void comm_of(char *out, size_t size)
{
	const char *exe = current != NULL ? current->exe : "";
	const char *slash = strrchr(exe, '/');

	strlcpy(out, slash != NULL ? slash + 1 : exe, size < 16 ? size : 16);
}

size_t procfs_comm(char *buf, size_t size)
{
	char comm[16];
	size_t len = 0;

	comm_of(comm, sizeof(comm));
	procfs_put(buf, size, &len, "%s\n", comm);
	return len;
}

size_t procfs_status(char *buf, size_t size)
{
	char comm[16];
	size_t len = 0;
	unsigned long rss = 0;

	if (current != NULL && current->mm != NULL)
		rss = current->mm->resident * (PAGE_SIZE / 1024);
	comm_of(comm, sizeof(comm));
	procfs_put(buf, size, &len, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n",
	    comm, current != NULL ? current->umask : 022);
	procfs_put(buf, size, &len, "Tgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\n"
			     "TracerPid:\t0\n");
	procfs_put(buf, size, &len, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	procfs_put(buf, size, &len, "FDSize:\t%d\n", fd_limit(current));
	procfs_put(buf, size, &len, "VmRSS:\t%8lu kB\nThreads:\t1\n", rss);
	return len;
}

size_t procfs_pid_stat(char *buf, size_t size)
{
	char comm[16];
	size_t len = 0;

	comm_of(comm, sizeof(comm));
	procfs_put(buf, size, &len, "1 (%s) R 0 1 1 0 -1 4194560 0 0 0 0 %lu 0 0 0 "
			     "20 0 1 0 0 0 0\n",
	    comm, (unsigned long)(time_ns() / 10000000));
	return len;
}
