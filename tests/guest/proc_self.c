/* proc_self.c - guest test: /proc/self/exe, maps, cmdline; cpuinfo, meminfo. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

/* Reads a whole /proc file (their st_size is 0, so read to EOF). */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while ((got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int has_line(const char *text, const char *needle, int at_end)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t nlen = strlen(needle);

		if (at_end) {
			if (len >= nlen &&
			    memcmp(line + len - nlen, needle, nlen) == 0)
				return 1;
		} else if (len >= nlen && memcmp(line, needle, nlen) == 0) {
			return 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Usage: proc_self EXPECTED_EXE_PATH [ARG...] */
int main(int argc, char **argv)
{
	char exe[4096], suffix[4200], *text;
	size_t len = 0, want = 0;
	ssize_t n;
	long kb = 0;

	check_start("proc_self");
	if (argc < 2) {
		printf("usage: proc_self EXPECTED_EXE_PATH\n");
		return 2;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = 0;
	if (n < 0 || strcmp(exe, argv[1]) != 0)
		printf("proc_self: /proc/self/exe is [%s]\n", exe);
	check(n > 0 && strcmp(exe, argv[1]) == 0,
	      "/proc/self/exe is the expected path");

	text = slurp("/proc/self/maps", NULL);
	check(text != NULL, "read /proc/self/maps");
	check(has_line(text, " [stack]", 1), "maps has a [stack] line");
	snprintf(suffix, sizeof(suffix), " %s", argv[1]);
	check(has_line(text, suffix, 1), "maps has a line for the executable");
	check(strstr(text, "r-xp") != NULL, "maps has an executable mapping");
	free(text);

	text = slurp("/proc/self/cmdline", &len);
	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	check(text && len == want && strcmp(text, argv[0]) == 0 &&
		      strcmp(text + strlen(argv[0]) + 1, argv[1]) == 0,
	      "/proc/self/cmdline is argv, NUL-separated");
	free(text);

	text = slurp("/proc/cpuinfo", NULL);
	check(text && has_line(text, "processor", 0),
	      "/proc/cpuinfo has a processor line");
	free(text);
	text = slurp("/proc/meminfo", NULL);
	check(text && has_line(text, "MemTotal:", 0),
	      "/proc/meminfo has MemTotal");
	check(text &&
		      sscanf(strstr(text, "MemTotal:"), "MemTotal: %ld kB",
			     &kb) == 1 &&
		      kb > 0,
	      "MemTotal is a positive number of kB");
	free(text);
	return check_done();
}
