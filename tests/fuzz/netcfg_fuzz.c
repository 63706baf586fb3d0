/* netcfg_fuzz.c - libFuzzer harness for kernel/lib/netcfg.c: "ip= gw= dns=" words from an image or a command line. */
#include "fuzz_check.h"

#include "lib/netcfg.h"

/*
 * Input: one byte choosing the prefix (bit 0: "kiln.", as on the kernel
 * command line; else none, as in an image), then the words. What reads
 * back must format, and what formats must read back the same.
 */
static void round_trip(const struct netcfg *c, const char *prefix)
{
	static const size_t sizes[] = { 0, 1, 7, 20, 40, 120 };
	struct netcfg back;
	struct netcfg_err err;
	enum netcfg_key key;
	const char *why;
	char buf[120];
	size_t n;

	FUZZ_CHECK(netcfg_check(c, &key, &why));
	n = netcfg_format(c, prefix, buf, sizeof(buf));
	FUZZ_CHECK(n > 0 && n == strlen(buf));
	FUZZ_CHECK(netcfg_read(buf, n, prefix, &back, &err) == 0);
	FUZZ_CHECK(back.dhcp == c->dhcp && back.addr == c->addr &&
		   back.netmask == c->netmask && back.gateway == c->gateway &&
		   back.dns == c->dns);
	/* Too small a buffer: 0 and "", never a write past it. */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *small = malloc(sizes[i] ? sizes[i] : 1);
		size_t m = netcfg_format(c, prefix, small, sizes[i]);

		FUZZ_CHECK(m == (sizes[i] > n ? n : 0));
		if (sizes[i])
			FUZZ_CHECK(strlen(small) == m);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *prefix;
	struct netcfg c;
	struct netcfg_err err;
	uint8_t *words;
	uint32_t addr;
	int r;

	if (size < 1)
		return 0;
	prefix = data[0] & 1 ? "kiln." : "";
	words = fuzz_copy(data + 1, size - 1);
	r = netcfg_read((const char *)words, size - 1, prefix, &c, &err);
	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r == 0) {
		round_trip(&c, prefix);
	} else if (r == -1) {
		FUZZ_CHECK(err.why &&
			   memchr(err.value, '\0', sizeof(err.value)));
		FUZZ_CHECK(netcfg_key_name(err.key) != NULL);
	}
	if (netcfg_parse_addr((const char *)words, size - 1, &addr)) {
		struct netcfg one = { .addr = addr, .netmask = 0xffffff00u };
		enum netcfg_key key;
		const char *why;

		if (netcfg_check(&one, &key, &why))
			round_trip(&one, prefix);
	}
	free(words);
	return 0;
}
