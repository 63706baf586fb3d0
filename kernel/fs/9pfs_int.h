/* 9pfs_int.h - what the 9P client's files share: a mount, its fids, one exchange at a time. */
#ifndef KILN_FS_9PFS_INT_H
#define KILN_FS_9PFS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sched.h"
#include "fs/9p_msg.h"

/* What Kiln asks for: a 128 KiB message, 128 KiB - 24 bytes of data. */
#define P9FS_MSIZE (128 * 1024)
#define P9FS_MSIZE_MIN 4096
#define P9FS_PATH_MAX 256

struct p9_mount {
	unsigned dev; /* virtio_9p number */
	uint32_t msize;
	bool ro;
	bool busy; /* an exchange holds tx/rx */
	struct wait_queue idle;
	uint16_t tag; /* the next request's tag */
	uint32_t next_fid;
	uint8_t *tx, *rx; /* msize bytes each, physically contiguous */
	uint32_t rx_len;
	char name[65];		  /* the device's mount tag */
	char path[P9FS_PATH_MAX]; /* where it is mounted */
};

/*
 * One exchange: p9c_begin takes the mount's buffers and starts a
 * request in b; the caller puts the body; p9c_call sends it and leaves
 * r at the reply's body (of type want = the request's + 1); the caller
 * reads it; p9c_end releases the buffers, returning err, or -EPROTO
 * when the reply ran short (r->bad).
 */
void p9c_begin(struct p9_mount *m, struct p9_buf *b, uint8_t type);
int p9c_call(struct p9_mount *m, struct p9_buf *b, struct p9_buf *r);
int p9c_end(struct p9_mount *m, const struct p9_buf *r, int err);

/* Simple requests: each 0 or -ERRNO (the server's, or -EPROTO/-EIO). */
uint32_t p9c_fid(struct p9_mount *m);
/* Walk fid by name (NULL: a clone) to a new fid in *out. */
int p9c_walk(struct p9_mount *m, uint32_t fid, const char *name, uint32_t *out);
int p9c_clunk(struct p9_mount *m, uint32_t fid);
int p9c_getattr(struct p9_mount *m, uint32_t fid, struct p9_attr *a);
int p9c_lopen(struct p9_mount *m, uint32_t fid, uint32_t flags);
/* Tstatfs: the host's statfs of the file system holding fid's file. */
int p9c_statfs(struct p9_mount *m, uint32_t fid, struct p9_statfs *s);
/* Mount the device's tree: version, attach; the root fid in *root. */
int p9c_attach(struct p9_mount *m, uint32_t *root);

#endif
