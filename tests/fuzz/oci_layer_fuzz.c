/* oci_layer_fuzz.c - libFuzzer harness for cli/oci_tree.c: a container image layer (tar, any compression) applied twice. */
#include "fuzz_check.h"

#include "kiln.h"
#include "lib/cpio.h"
#include "oci.h"

/*
 * The input is applied as layer 0 and again as layer 1 (so whiteouts
 * meet what a lower layer made); whatever is accepted must become a
 * root archive that reads back entry by entry to its trailer.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otree *t = otree_new();
	struct rootfs *fs = NULL;
	struct kbuf arc = { 0 };
	struct cpio_entry e;
	char first[64];
	size_t skipped = 0, pos = 0, sz;
	int r;

	if (otree_apply(t, "fuzz", data, size, 0, &skipped, first,
			sizeof(first)) ||
	    otree_apply(t, "fuzz", data, size, 1, &skipped, first,
			sizeof(first)))
		goto out;
	(void)otree_stat(t, "/bin/sh");
	(void)otree_data(t, "/etc/passwd", &sz);
	fs = rootfs_new();
	if (otree_to_rootfs(t, fs))
		goto out;
	rootfs_archive(fs, &arc);
	while ((r = cpio_next(arc.data, arc.len, &pos, &e)) == 1)
		FUZZ_CHECK(fuzz_inside(e.data, e.size, arc.data, arc.len));
	FUZZ_CHECK(r == 0);
out:
	kbuf_free(&arc);
	rootfs_free(fs);
	otree_free(t);
	return 0;
}
