/* procfs_gen.c - the text of the system-wide /proc files: meminfo, uptime, version, mounts, stat... */
#include "fs/mount.h"
#include "fs/procfs.h"

#include <asm-generic/errno.h>
#include <stdarg.h>

#include <kiln/version.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "lib/format.h"
#include "lib/string.h"

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

	procfs_put(buf, size, &len, "%lu.%02lu 0.00\n",
		   (unsigned long)(cs / 100), (unsigned long)(cs % 100));
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
	return mount_text(buf, size);
}

size_t procfs_filesystems(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len,
		   "nodev\trootfs\nnodev\ttmpfs\nnodev\tproc\n"
		   "nodev\tdevtmpfs\nnodev\t9p\n\text4\n");
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
	procfs_put(buf, size, &len,
		   "btime %lu\nprocesses 1\nprocs_running 1\n"
		   "procs_blocked 0\n",
		   0UL);
	return len;
}
