/* bundle_fuzz.c - libFuzzer harness for kernel/lib/bundle.c, and the sections as the kernel reads them. */
#include "fuzz_check.h"
#include "fuzz_cpio.h"

#include "lib/bundle.h"
#include "lib/cpio.h"

/* The CONFIG entries: each inside the section, positions only forward. */
static void walk_config(const uint8_t *cfg, size_t size)
{
	size_t pos = 0, before;
	uint32_t type, len;
	const char *val;
	int r;

	for (;;) {
		before = pos;
		r = cfg_next(cfg, size, &pos, &type, &val, &len);
		FUZZ_CHECK(r >= -1 && r <= 1);
		if (r != 1)
			break;
		FUZZ_CHECK(pos > before && pos <= size);
		FUZZ_CHECK(len <= KILN_CFG_MAX_VALUE);
		FUZZ_CHECK(fuzz_inside(val, len, cfg, size));
		FUZZ_CHECK((const uint8_t *)val + len <= cfg + pos);
	}
	FUZZ_CHECK(r == -1 || pos == size);
}

static void walk_cpio(const uint8_t *a, size_t size)
{
	struct cpio_entry e;
	size_t pos = 0;

	while (fuzz_cpio_next(a, size, &pos, &e) == 1)
		;
}

/* What the kernel does with a bundle that passed bundle_check. */
static void use_bundle(const uint8_t *b, size_t size)
{
	const struct kiln_bundle *h = (const struct kiln_bundle *)b;

	for (uint32_t type = 0; type <= KILN_SECTION_ROOTDISK + 1; type++) {
		size_t n = 1;
		const uint8_t *p = bundle_section(b, type, &n);

		if (!p) {
			FUZZ_CHECK(n == 0);
			continue;
		}
		FUZZ_CHECK(type >= KILN_SECTION_CONFIG &&
			   type <= KILN_SECTION_ROOTDISK);
		FUZZ_CHECK(fuzz_inside(p, n, b, h->total_size));
		FUZZ_CHECK(h->total_size <= size);
		if (type == KILN_SECTION_CONFIG)
			walk_config(p, n);
		else if (type == KILN_SECTION_ROOTFS)
			walk_cpio(p, n);
	}
}

static void check(const uint8_t *b, size_t size)
{
	int err = bundle_check(b, size);

	FUZZ_CHECK(err >= BUNDLE_OK && err <= BUNDLE_ECRC);
	FUZZ_CHECK(bundle_strerror(err) != NULL);
	if (err == BUNDLE_OK)
		use_bundle(b, size);
}

/* Make the checksum right, so mutations reach the section checks and sections. */
static void fix_crc(uint8_t *b, size_t size)
{
	struct kiln_bundle h;

	if (size < sizeof(h))
		return;
	memcpy(&h, b, sizeof(h));
	if (h.header_size != sizeof(h) || h.total_size < sizeof(h) ||
	    h.total_size > size)
		return;
	h.crc32 = crc32_update(0, b + sizeof(h), h.total_size - sizeof(h));
	memcpy(b, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fuzz_copy(data, size);

	check(b, size);
	fix_crc(b, size);
	check(b, size);
	free(b);
	return 0;
}
