/* overlay_int.h - what the overlay's directory and file halves share (fs/overlay.c, fs/overlay_file.c). */
#ifndef KILN_FS_OVERLAY_INT_H
#define KILN_FS_OVERLAY_INT_H

#include <stdint.h>

#include "fs/vfs.h"

/*
 * st_ino of a node made from a lower one: the lower's inode number above
 * 2^32, where tmpfs's counter never gets, so the same file has the same
 * number at every lookup and after its copy-up (it is the same node).
 */
#define OVL_INO(lower_ino) ((1ULL << 32) + (lower_ino))

extern const struct vnode_ops ovl_dir_vops, ovl_reg_vops;

/* A lower regular file's node in memory, its data still the lower's. */
struct vnode *ovl_reg_new(struct vnode *lower);

#endif
