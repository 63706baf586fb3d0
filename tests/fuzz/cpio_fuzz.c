/* cpio_fuzz.c - libFuzzer harness for kernel/lib/cpio.c (the root file system) and the CLI's lookup in it. */
#include "fuzz_check.h"
#include "fuzz_cpio.h"

#include "kiln.h"
#include "lib/cpio.h"

/* One entry written back with cpio_header must parse to the same entry. */
static void round_trip(const struct cpio_entry *e)
{
	size_t hsize = cpio_header_size(e->namelen);
	size_t total = hsize + e->size + cpio_pad(e->size) +
		       cpio_header_size(10);
	uint8_t *out = calloc(1, total);
	struct cpio_entry back;
	size_t pos = 0, n;

	if (!out)
		abort();
	n = cpio_header((char *)out, e->name, e->mode, e->uid, e->gid, e->mtime,
			e->size, 1);
	FUZZ_CHECK(n == hsize);
	memcpy(out + n, e->data, e->size);
	n += e->size + cpio_pad(e->size);
	cpio_header((char *)out + n, "TRAILER!!!", 0, 0, 0, 0, 0, 0);
	FUZZ_CHECK(cpio_next(out, total, &pos, &back) == 1);
	FUZZ_CHECK(back.namelen == e->namelen && !strcmp(back.name, e->name));
	FUZZ_CHECK(back.mode == e->mode && back.uid == e->uid &&
		   back.gid == e->gid && back.mtime == e->mtime);
	FUZZ_CHECK(back.size == e->size &&
		   !memcmp(back.data, e->data, e->size));
	FUZZ_CHECK(cpio_next(out, total, &pos, &back) == 0);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a = fuzz_copy(data, size);
	struct cpio_entry e;
	size_t pos = 0;
	const void *found;
	size_t len;
	uint32_t mode;
	int n = 0;

	while (fuzz_cpio_next(a, size, &pos, &e) == 1)
		if (n++ < 4)
			round_trip(&e);
	FUZZ_CHECK(cpio_next(NULL, size, &pos, &e) == -1);
	/* The CLI's lookup walks the same entries. */
	if (rootfs_lookup(a, size, "/bin/app", &found, &len, &mode) == 0)
		FUZZ_CHECK(fuzz_inside(found, len, a, size));
	if (rootfs_lookup(a, size, "etc", &found, &len, &mode) == 0)
		FUZZ_CHECK(fuzz_inside(found, len, a, size));
	free(a);
	return 0;
}
