/* cmdline_fuzz.c - libFuzzer harness for kernel/lib/cmdline.c: the kernel command line, untrusted, no NUL. */
#include "fuzz_check.h"

#include "lib/cmdline.h"

static const char *const keys[] = {
	"kiln.ip",  "kiln.test", "kiln.trace", "virtio_mmio.device",
	"kiln.mem", "a",	 "",
};

/* One key: cmdline_get, _nth, _has and _u64 must agree with each other. */
static void check_key(const char *s, size_t n, const char *key)
{
	static const size_t outsizes[] = { 0, 1, 2, 16, 4096 };
	long full = cmdline_get(s, n, key, NULL, 0), nth = -1, prev;
	uint64_t u = 0, v = 0;
	size_t i;

	FUZZ_CHECK(full >= -1);
	FUZZ_CHECK(cmdline_has(s, n, key) == (full >= 0));
	for (i = 0; i < sizeof(outsizes) / sizeof(outsizes[0]); i++) {
		size_t sz = outsizes[i];
		char *out = malloc(sz ? sz : 1);

		FUZZ_CHECK(cmdline_get(s, n, key, sz ? out : NULL, sz) == full);
		if (sz && full >= 0) {
			size_t want = (size_t)full < sz - 1 ? (size_t)full :
							      sz - 1;

			FUZZ_CHECK(strlen(out) == want);
		}
		free(out);
	}
	/* The last occurrence is the one cmdline_get returns. */
	for (i = 0, prev = -1; i < 64; i++, prev = nth) {
		nth = cmdline_get_nth(s, n, key, i, NULL, 0);
		if (nth < 0)
			break;
	}
	if (i == 0) {
		FUZZ_CHECK(full == -1);
	} else if (i < 64) {
		static char a[256], b[256];

		FUZZ_CHECK(prev == full);
		cmdline_get(s, n, key, a, sizeof(a));
		cmdline_get_nth(s, n, key, i - 1, b, sizeof(b));
		FUZZ_CHECK(strcmp(a, b) == 0);
	}
	if (cmdline_get_u64(s, n, key, &u) == 0) {
		char val[4096];
		long len = cmdline_get(s, n, key, val, sizeof(val));

		FUZZ_CHECK(len >= 0 && (size_t)len < sizeof(val));
		FUZZ_CHECK(cmdline_parse_u64(val, (size_t)len, &v) && v == u);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *s = fuzz_copy(data, size);
	char key[64];
	size_t k = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		check_key((const char *)s, size, keys[i]);
	/* And the input's own first key. */
	while (k < size && k < sizeof(key) - 1 && s[k] && s[k] != '=' &&
	       s[k] != ' ' && s[k] != '\t') {
		key[k] = (char)s[k];
		k++;
	}
	key[k] = '\0';
	check_key((const char *)s, size, key);
	(void)cmdline_has(NULL, size, "a");
	free(s);
	return 0;
}
