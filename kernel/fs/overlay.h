/* overlay.h - a writable root over the read-only root disk: memory directories that show a lower directory's entries until changed (copy-up). */
#ifndef KILN_FS_OVERLAY_H
#define KILN_FS_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

struct vnode;

/*
 * Make the memory directory root (the VFS root) an overlay of lower (a
 * referenced directory of a read-only file system; the overlay takes
 * the reference): root's own entries come first, then lower's. The
 * names in hidden[0..nhidden) of lower are never shown (the kernel's
 * own /dev, /proc, /tmp, lost+found). 0 or -ENOMEM. Boot only.
 */
int ovl_root_init(struct vnode *root, struct vnode *lower,
		  const char *const *hidden, size_t nhidden);

/* Is vn a merged directory (a path walk may go through it)? */
bool ovl_dir(const struct vnode *vn);

#endif
