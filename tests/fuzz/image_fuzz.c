/* image_fuzz.c - libFuzzer harness for cli/image.c: a whole image file as `kiln run` and `inspect` open it. */
#include "fuzz_check.h"

#include "kiln.h"
#include "lib/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = fuzz_copy(data, size);
	struct kiln_image img;
	struct kiln_config c;
	const char *why = NULL;
	const void *found;
	size_t len;
	uint32_t mode;
	char ver[64];

	(void)image_load_end(file, size);
	/* image_from_buffer owns file from here, and frees it on failure. */
	if (image_from_buffer(file, size, &img, &why) != 0) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(img.bundle_off <= size && img.bundle_off % 8 == 0);
	FUZZ_CHECK(fuzz_inside(img.config, img.config_size, img.file, size));
	FUZZ_CHECK(fuzz_inside(img.rootfs, img.rootfs_size, img.file, size));
	if (img.stdin_data)
		FUZZ_CHECK(fuzz_inside(img.stdin_data, img.stdin_size, img.file,
				       size));
	if (image_kernel_version(&img, ver, sizeof(ver)))
		FUZZ_CHECK(strlen(ver) < sizeof(ver) &&
			   !strncmp(ver, "Kiln ", 5));
	if (config_parse("fuzz", img.config, img.config_size, &c) == 0) {
		if (rootfs_lookup(img.rootfs, img.rootfs_size, c.program,
				  &found, &len, &mode) == 0)
			FUZZ_CHECK(fuzz_inside(found, len, img.rootfs,
					       img.rootfs_size));
		config_free(&c);
	}
	image_close(&img);
	return 0;
}
