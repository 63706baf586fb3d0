/* util.c - messages, growable buffers, whole-file reads and temp-file bookkeeping. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"

#define PAGE 4096
#define MAX_TMP 8
#define TMP_PATH_MAX 4096

void kiln_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kiln: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int kiln_file_error(const char *path, int err)
{
	kiln_err("%s: %s", path,
		 err == -ENODEV ? "not a regular file or FIFO" :
				  strerror(-err));
	return KILN_EXIT_FAIL;
}

void kiln_out_of_memory(void)
{
	kiln_err("out of memory");
	kiln_tmp_cleanup();
	exit(KILN_EXIT_FAIL);
}

void *kiln_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		kiln_out_of_memory();
	return p;
}

void *kiln_xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (!p)
		kiln_out_of_memory();
	return p;
}

char *kiln_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(kiln_xmalloc(n), s, n);
}

void kbuf_reserve(struct kbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;

	if (more <= b->cap - b->len)
		return;
	if (more > SIZE_MAX / 2 - b->len)
		kiln_out_of_memory();
	while (cap - b->len < more)
		cap *= 2;
	b->data = kiln_xrealloc(b->data, cap);
	b->cap = cap;
}

void kbuf_append(struct kbuf *b, const void *p, size_t n)
{
	kbuf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void kbuf_zeros(struct kbuf *b, size_t n)
{
	kbuf_reserve(b, n);
	memset(b->data + b->len, 0, n);
	b->len += n;
}

void kbuf_align(struct kbuf *b, size_t align)
{
	kbuf_zeros(b, (align - b->len % align) % align);
}

void kbuf_free(struct kbuf *b)
{
	free(b->data);
	*b = (struct kbuf){ 0 };
}

void strvec_push(struct strvec *sv, const char *s)
{
	char **v = kiln_xrealloc(sv->v, (sv->n + 2) * sizeof(*v));

	v[sv->n++] = kiln_xstrdup(s);
	v[sv->n] = NULL;
	sv->v = v;
}

void strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (struct strvec){ 0 };
}

const char *strvec_env(const struct strvec *env, const char *key)
{
	size_t len = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, len) && env->v[i][len] == '=')
			return env->v[i] + len + 1;
	return NULL;
}

void kiln_read_line(const char *dir, const char *file, char *buf, size_t n)
{
	char path[4608];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)n, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int kiln_read_fd(int fd, uint8_t **data, size_t *size)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = NULL, *grown;
	ssize_t got;

	for (;;) {
		if (len == KILN_READ_MAX) {
			free(buf);
			return -EFBIG;
		}
		if (!buf || len == cap) {
			cap = buf ? cap * 2 : cap;
			grown = aligned_alloc(PAGE, cap);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			if (buf)
				memcpy(grown, buf, len);
			free(buf);
			buf = grown;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	*data = buf;
	*size = len;
	return 0;
}

int kiln_read_file(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	int fd, err;

	/*
	 * The type before the open: opening a tty or a serial port has
	 * effects of its own, and a socket fails with a puzzling ENXIO.
	 */
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENODEV;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the name may have changed hands since the stat */
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISFIFO(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENODEV;
	}
	err = kiln_read_fd(fd, data, size);
	close(fd);
	return err;
}

/* Fixed storage: the signal handler walks it without allocating. */
static char tmp_paths[MAX_TMP][TMP_PATH_MAX];
static volatile sig_atomic_t tmp_used[MAX_TMP];

void kiln_tmp_register(const char *path)
{
	for (int i = 0; i < MAX_TMP; i++) {
		if (!tmp_used[i] && strlen(path) < TMP_PATH_MAX) {
			strcpy(tmp_paths[i], path);
			tmp_used[i] = 1;
			return;
		}
	}
}

void kiln_tmp_forget(const char *path)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (tmp_used[i] && strcmp(tmp_paths[i], path) == 0)
			tmp_used[i] = 0;
}

void kiln_tmp_cleanup(void)
{
	for (int i = 0; i < MAX_TMP; i++) {
		if (tmp_used[i]) {
			unlink(tmp_paths[i]);
			tmp_used[i] = 0;
		}
	}
}

static void tmp_on_signal(int sig)
{
	kiln_tmp_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void kiln_tmp_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = tmp_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int kiln_write_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* "dir/.name.XXXXXX" for path "dir/name". */
static int tmp_name(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	int len;

	if (slash)
		len = snprintf(buf, n, "%.*s.%s.XXXXXX",
			       (int)(slash - path + 1), path, slash + 1);
	else
		len = snprintf(buf, n, ".%s.XXXXXX", path);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int kiln_write_atomic(const char *path, const void *data, size_t size)
{
	char tmp[TMP_PATH_MAX];
	mode_t mask = umask(0);
	int fd, err;

	umask(mask);
	err = tmp_name(path, tmp, sizeof(tmp));
	if (err)
		return err;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	kiln_tmp_register(tmp);
	err = kiln_write_all(fd, data, size);
	if (!err && fchmod(fd, 0666 & ~mask) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0) /* the bytes are on disk before the name */
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	kiln_tmp_forget(tmp);
	return err;
}
