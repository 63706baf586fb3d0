/* ext4_vfs.h - what ext4_vfs.c (nodes, reads) and ext4_vfs_write.c (the changing hooks) share. */
#ifndef KILN_FS_EXT4_VFS_H
#define KILN_FS_EXT4_VFS_H

#include "core/sched.h"
#include "fs/ext4.h"
#include "fs/vfs.h"

/* The one in-memory inode of a number, shared by its nodes. */
struct ext4_ino {
	/* On m->inodes[its number % EXT4_INO_HASH]. */
	struct ext4_ino *next, **pprev;
	int refs;
	/* Its last put is freeing it: never handed out again. */
	bool evicting;
	struct ext4_inode in;
	/* The page cache mmap maps (held by nodes and mappings), or NULL. */
	struct vnode *cache;
	/* its pages stored into through a shared mapping, sorted */
	uint64_t *dirty;
	size_t ndirty, dirty_cap;
	bool dirty_root; /* a root process stored: it may use the reserve */
	/* a writeback's error no fsync/msync has reported yet, or 0 */
	int wb_err;
};

/* Chains of a mount's in-memory inodes, by number. */
#define EXT4_INO_HASH 64

struct ext4_mount {
	struct ext4_fs *fs;
	uint32_t dev; /* st_dev: the disk's number */
	char path[VFS_PATH_MAX];
	/* every inode some node holds (or its last put is freeing) */
	struct ext4_ino *inodes[EXT4_INO_HASH];
	struct ext4_ncache *ncache; /* ext4_ncache.c's, or NULL */
	/* ext4_lock's: the thread changing the mount, how deep, who waits. */
	struct thread *owner;
	unsigned int depth;
	struct wait_queue waiters;
};

struct ext4_node {
	struct ext4_mount *m;
	struct ext4_ino *ie;
	uint64_t rd_idx, rd_pos; /* readdir's cursor: entry idx is at rd_pos */
	struct ext4_dir_cursor rd_cur; /* the block rd_pos is in, read */
	struct vnode *cache; /* a reference on ie->cache, once asked for */
	/* a cache node's: on the reclaim list, and where reclaim goes on */
	struct ext4_node *cache_prev, *cache_next;
	uint64_t reclaim_at;
};

struct ext4_node *node_of(const struct vnode *vn);
/*
 * Changes to one mount are made one at a time. A change sleeps on the
 * disk (a bitmap, a directory block, a full cache), and another thread
 * may run meanwhile: without this, two appends could both find the
 * same hole and map it twice, and two creates could both add a name.
 * The lock is the thread's, taken again by the same thread (unlink
 * evicts, which is itself a change). Reads do not take it.
 */
void ext4_lock(struct ext4_mount *m);
void ext4_unlock(struct ext4_mount *m);
/* The time of day, for timestamps. */
void ext4_now(int64_t *sec, uint32_t *ns);
/*
 * Inode ino of m, referenced (read from the disk when nobody holds it):
 * NULL with *err (-EIO for a bad, freed or unlinked inode or one being
 * evicted, -ENOMEM).
 */
struct ext4_ino *ext4_ino_get(struct ext4_mount *m, uint32_t ino, int *err);
/*
 * Drop a reference. The last one frees the in-memory inode, and first
 * evicts an unlinked one (its blocks and number freed, under the lock);
 * until then ext4_ino_get of its number fails with -EIO.
 */
void ext4_ino_put(struct ext4_mount *m, struct ext4_ino *ie);
/* A node for inode ino found in dir as name; NULL on error (logged). */
struct vnode *ext4_vnode(struct vnode *dir, const char *name, uint32_t ino);
/* vn's fields (and its page cache's size) again from its inode. */
void ext4_node_sync(struct vnode *vn);
/*
 * ext4_ncache.c: names looked up in m's directories. find: 1 with *ino
 * (0: name is known to be absent from directory inode dir), or 0 when
 * the cache does not know. add: remember a lookup's answer (ino 0:
 * -ENOENT), stamp being fs->dir_changes when the lookup began; it is
 * kept only if no directory changed since and no change is under way
 * (m's lock is free). Reads do not take the lock.
 */
int ext4_ncache_find(struct ext4_mount *m, uint32_t dir, const char *name,
		     uint32_t *ino);
void ext4_ncache_add(struct ext4_mount *m, uint32_t dir, const char *name,
		     uint32_t ino, uint64_t stamp);
/* ext4_pagecache.c: the inode's page cache (mmap's pages). */
/* vnode_ops.pagecache of a regular file's node. */
struct vnode *ext4_pagecache(struct vnode *vn, bool make);
/* The page cache's size and links again from ie's inode. */
void ext4_cache_sync(struct ext4_ino *ie);
/*
 * write(2) wrote the n bytes of buf at pos to the disk: they are copied
 * into the cached pages holding them, so every mapping sees them.
 */
void ext4_cache_written(struct ext4_ino *ie, uint64_t pos, const void *buf,
			uint64_t len);
/*
 * read(2) read n bytes at pos from the disk into buf: the bytes of the
 * dirty pages (stored through a shared map, not yet written) replace them.
 */
void ext4_cache_read_dirty(struct ext4_ino *ie, uint64_t pos, void *buf,
			   size_t n);
/* vnode_ops.release of nodes (and, after its writeback, of the cache). */
void ext4_release(struct vnode *vn);

extern const struct vnode_ops ext4_dir_vops;

/* ext4_vfs_write.c: the hooks of vnode_ops and file_ops that write. */
long ext4_vfs_write(struct file *f, const void *buf, size_t n, uint64_t *pos);
int ext4_vfs_fsync(struct file *f);
int ext4_vfs_create(struct vnode *dir, const char *name, uint32_t mode,
		    struct vnode **out);
int ext4_vfs_symlink(struct vnode *dir, const char *name, const char *target);
int ext4_vfs_unlink(struct vnode *dir, const char *name);
int ext4_vfs_rename(struct vnode *fdir, const char *fname, struct vnode *tdir,
		    const char *tname);
int ext4_vfs_link(struct vnode *dir, const char *name, struct vnode *vn);
int ext4_vfs_truncate(struct vnode *vn, uint64_t size);
int ext4_vfs_setattr(struct vnode *vn, const struct vfs_attr *a);
int ext4_vfs_fallocate(struct vnode *vn, int mode, uint64_t off, uint64_t len);

#endif
