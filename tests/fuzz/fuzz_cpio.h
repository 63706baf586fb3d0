/* fuzz_cpio.h - one step of a cpio walk with its contract checked, for the harnesses that walk archives. */
#ifndef FUZZ_CPIO_H
#define FUZZ_CPIO_H

#include "fuzz_check.h"
#include "lib/cpio.h"

/*
 * cpio_next over a (size bytes), checked: the answer is -1, 0 or 1; an
 * entry moves pos forward to a 4-aligned place (or the end) and its name
 * (NUL-terminated, namelen long) and data lie inside the archive.
 */
static inline int fuzz_cpio_next(const uint8_t *a, size_t size, size_t *pos,
				 struct cpio_entry *e)
{
	size_t before = *pos;
	int r = cpio_next(a, size, pos, e);

	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r != 1)
		return r;
	FUZZ_CHECK(*pos > before && *pos <= size &&
		   (*pos % 4 == 0 || *pos == size));
	FUZZ_CHECK(fuzz_inside(e->name, e->namelen + 1, a, size));
	FUZZ_CHECK(strlen(e->name) == e->namelen);
	FUZZ_CHECK(fuzz_inside(e->data, e->size, a, size));
	return r;
}

#endif
