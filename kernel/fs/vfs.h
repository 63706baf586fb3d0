/* vfs.h - the file system layer: nodes, open files, path lookup, fd tables. */
#ifndef KILN_FS_VFS_H
#define KILN_FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc;
struct stat;
struct statfs;

/*
 * One file system tree, all in memory (tmpfs semantics), built at boot
 * from the image's cpio archive, with /dev and /proc as directories whose
 * nodes carry hooks. Kiln runs on one CPU with interrupts off in the
 * kernel, whatever the number of processes: nothing
 * here takes a lock; callers are syscalls or boot code.
 */
#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLOOP_MAX 40
#define VFS_DEV 0x10 /* st_dev of every node: one file system */
#define VFS_BLKSIZE 4096

struct vfs_time {
	int64_t sec;
	int64_t nsec;
};

/*
 * What chmod, chown or utimensat set (vnode_ops.setattr): the fields
 * the VFS_A_* bits of mask name, with the values they got.
 */
#define VFS_A_MODE 1
#define VFS_A_UID 2
#define VFS_A_GID 4
#define VFS_A_ATIME 8
#define VFS_A_MTIME 16
#define VFS_A_CTIME 32
/*
 * chown's set-id clearing (Linux's ATTR_KILL_SUID, ATTR_KILL_SGID),
 * applied to the mode the node has when the file system writes it, not
 * to a copy the caller took: S_ISUID goes; S_ISGID goes with S_IXGRP
 * set, or whatever it is with VFS_A_KILL_SGID_ANY (a caller outside
 * the file's group without CAP_FSETID). Never on a directory.
 */
#define VFS_A_KILL_SUID 64
#define VFS_A_KILL_SGID 128
#define VFS_A_KILL_SGID_ANY 256
struct vfs_attr {
	unsigned int mask;
	uint32_t mode, uid, gid;
	struct vfs_time atime, mtime, ctime;
};

/* mode once the VFS_A_KILL_* bits of mask are applied to it. */
static inline uint32_t vfs_attr_kill(uint32_t mode, unsigned int mask)
{
	if ((mode & 0170000) == 0040000)
		return mode;
	if (mask & VFS_A_KILL_SUID)
		mode &= ~(uint32_t)04000;
	if ((mask & VFS_A_KILL_SGID) &&
	    ((mode & 00010) || (mask & VFS_A_KILL_SGID_ANY)))
		mode &= ~(uint32_t)02000;
	return mode;
}

struct vnode;
struct file;
struct poll_head;

/*
 * Someone told when an open file description is freed (an epoll item
 * watching it): gone runs in the last file_put, before release.
 */
struct file_watch {
	void (*gone)(struct file_watch *w, struct file *f);
	struct file_watch *next;
};

/*
 * Operations of an open file. read/write take KERNEL buffers (the syscall
 * layer copies to and from the application) and the position to use (the
 * file's own for read/write, a local one for pread/pwrite); they return
 * bytes done or -ERRNO. Any hook may be NULL: read/write then fail with
 * -EINVAL, ioctl with -ENOTTY. Pipes and sockets implement these too and
 * enter the fd table with file_alloc + fd_install.
 */
struct file_ops {
	long (*read)(struct file *f, void *buf, size_t n, uint64_t *pos);
	long (*write)(struct file *f, const void *buf, size_t n, uint64_t *pos);
	long (*ioctl)(struct file *f, unsigned int cmd, uintptr_t arg);
	/* Readiness now: POLLIN/POLLOUT/POLLHUP... bits of events. */
	unsigned int (*poll)(struct file *f, unsigned int events);
	/* Where readiness changes are announced (fs/poll.h), or NULL. */
	struct poll_head *(*poll_head)(struct file *f);
	/* stat of a file without a vnode (pipe, socket). */
	int (*stat)(struct file *f, struct stat *st);
	/* Text of /proc/self/fd/N for a file without a path ("pipe:[3]"),
	 * written as snprintf does; returns the full length (the caller clamps). */
	int (*fdname)(struct file *f, char *buf, size_t size);
	void (*release)(struct file *f);
	/* lseek of a device with its own rule (/dev/null: always 0). */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* fsync/fdatasync of a file with a device behind it: 0 or -EIO. */
	int (*fsync)(struct file *f);
	bool seekable;
	/*
	 * A file system whose pages the page cache does not hold (9p:
	 * the host changes them): mmap(MAP_PRIVATE) may copy the file's
	 * bytes in through read at mmap time. Files without it or a
	 * readpage hook (/proc) stay ENODEV.
	 */
	bool map_copy;
};

/* An open file description: shared by dup'ed fds, counted by refs. */
struct file {
	int refs;
	uint32_t flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, ... */
	uint64_t pos;
	struct vnode *vn; /* referenced; NULL for pipes and sockets */
	const struct file_ops *ops;
	void *priv; /* the ops' own state */
	char *path; /* absolute path at open time (kmalloc) or NULL */
	struct file_watch *watches; /* told at the last put (epoll) */
	bool notified; /* fs/notify.c: IN_OPEN sent, IN_CLOSE_* owed */
};

/* Hooks of synthetic nodes (devices, /proc); every one may be NULL. */
struct vnode_ops {
	/* Directory: referenced child called name, or NULL. */
	struct vnode *(*lookup)(struct vnode *dir, const char *name);
	/* Directory: entry number idx (from 0) into name; 1, 0 at the end. */
	int (*readdir)(struct vnode *dir, uint64_t idx, char *name, size_t size,
		       uint64_t *ino, unsigned int *type);
	/* Symlink: target text into buf (not terminated); length or -ERRNO. */
	long (*readlink)(struct vnode *vn, char *buf, size_t size);
	/* Magic symlink (/proc/self/fd/N): the referenced node it names. */
	struct vnode *(*follow)(struct vnode *vn, int *err);
	/* Any node: set f->ops/f->priv at open; 0 or -ERRNO. */
	int (*open)(struct vnode *vn, struct file *f);
	/* Any node: after vfs_stat filled st, what the fs knows better. */
	void (*stat)(struct vnode *vn, struct stat *st);
	/* Any node of a file system on a disk: statfs(2); 0 or -ERRNO. */
	int (*statfs)(struct vnode *vn, struct statfs *sf);
	/* The node is being freed: release vn->priv. */
	void (*release)(struct vnode *vn);
	/*
	 * A file system with its own directories (9p): vfs_create,
	 * vfs_symlink, vfs_dir_unlink, vfs_rename and tmpfs_truncate hand
	 * the change to these, which return 0 or -ERRNO (-EROFS on a
	 * read-only mount, -EXDEV to another file system).
	 */
	int (*create)(struct vnode *dir, const char *name, uint32_t mode,
		      struct vnode **out);
	int (*symlink)(struct vnode *dir, const char *name, const char *target);
	int (*unlink)(struct vnode *dir, const char *name);
	int (*rename)(struct vnode *fdir, const char *fname, struct vnode *tdir,
		      const char *tname);
	int (*truncate)(struct vnode *vn, uint64_t size);
	/* vfs_dir_link of an existing node (link(2)) into dir. */
	int (*link)(struct vnode *dir, const char *name, struct vnode *vn);
	/*
	 * chmod, chown, utimensat changed vn's mode, owners or times (a
	 * says which, and to what): a file system on a disk writes those
	 * fields only (0 or -ERRNO, vn then left as the fs has it).
	 */
	int (*setattr)(struct vnode *vn, const struct vfs_attr *a);
	/*
	 * A directory whose entries are not all its own (overlay): has it
	 * none, for rmdir and rename over it (vfs_dir_empty).
	 */
	bool (*empty)(struct vnode *dir);
	/* fallocate(2) of a regular file on a disk: 0 or -ERRNO. */
	int (*fallocate)(struct vnode *vn, int mode, uint64_t off,
			 uint64_t len);
	/*
	 * The page cache's node of a file system's regular file (ext4):
	 * page idx of the data into page (zeroed; bytes past the end stay
	 * 0), for the pages mmap maps (tmpfs_page_read). 0 or -EIO.
	 */
	int (*readpage)(struct vnode *vn, uint64_t idx, void *page);
	/*
	 * A regular file of a file system on a disk (ext4): the one node
	 * per inode whose pages (readpage) every mapping of the file maps,
	 * so all of them, read and write share one page cache. Made when
	 * make is true and there is none yet; NULL when there is none or
	 * memory ran out. Not referenced: it lives while vn does.
	 */
	struct vnode *(*pagecache)(struct vnode *vn, bool make);
	/*
	 * A page cache node whose pages shared mappings may store into
	 * (ext4): page idx is about to be written through a mapping (a
	 * write fault), so it is dirty until written back. With alloc it
	 * also gives the page its blocks and may sleep (0, -ENOMEM,
	 * -ENOSPC, -EIO); without, it only marks the page dirty and never
	 * sleeps (0 or -ENOMEM): the fault, once it holds the area, says
	 * so again after a first call with alloc. Without the hook a page
	 * cache node is never mapped writable.
	 */
	int (*page_mkwrite)(struct vnode *vn, uint64_t idx, bool alloc);
	/*
	 * Write the dirty pages idx first..last (inclusive) through the
	 * file's write path, then with VFS_WB_COMMIT commit the journal.
	 * It takes them (clean) before it sleeps, so the caller must have
	 * made every mapping of them read-only just before
	 * (mm_file_writeback): a store meanwhile dirties the page again.
	 * A page that failed is clean all the same (its bytes stay in the
	 * cache, as Linux's) and the error is kept for the file: a caller
	 * with VFS_WB_REPORT (fsync, msync) gets it, once, as Linux's
	 * errseq; the others (munmap, exit, periodic) leave it for the
	 * next. 0 or the error (-ENOSPC, -EIO, -EROFS).
	 */
	int (*writeback)(struct vnode *vn, uint64_t first, uint64_t last,
			 unsigned int how);
};

/* vnode_ops.writeback's how: commit the journal; report the kept error. */
#define VFS_WB_COMMIT 1U
#define VFS_WB_REPORT 2U

/* A directory entry (fs/dir.c). */
struct vfs_dirent {
	struct vfs_dirent *hnext; /* its chain in the directory's hash */
	struct vnode *vn;
	uint64_t cookie; /* getdents position: stable across removals */
	size_t slot;	 /* its place in the directory's slot array */
	uint32_t hash;	 /* of the name (dir.c): chain, and a cheap compare */
	uint32_t len;	 /* strlen(name) */
	char name[];
};

struct vfs_dir_slot;
struct vfs_xattr;
struct fsnotify_mark;

#define VN_TRANSIENT 1U /* made by a lookup hook: freed at the last put */
/*
 * On a read-only mount: writing the node (its data, its entries, its
 * attributes) is -EROFS, as Linux's mnt_want_write.
 */
#define VN_RDONLY 2U
/*
 * A node with hooks whose attributes (xattrs too) are its own, in
 * memory, as tmpfs's: the overlay's (fs/overlay.c).
 */
#define VN_MEMATTR 4U
/*
 * A directory some of whose entries are made on first use (/proc's
 * per-process ones): vfs_dir_populate makes them before anything looks.
 */
#define VN_POPULATE 8U

struct vnode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint32_t rdev;
	uint32_t vflags; /* VN_* */
	int refs;
	struct vfs_time atime, mtime, ctime;
	const struct vnode_ops *ops;
	void *priv;
	struct vnode *parent;	  /* directories: referenced, root is its own */
	struct vfs_xattr *xattrs; /* fs/xattr.c: sorted by name */
	struct fsnotify_mark *marks; /* fs/notify.c: who watches it */
	struct vnode *ndir; /* fs/notify.c: the directory of its last name */
	char *nname;	    /* and that name (kmalloc), or NULL */
	struct vfs_lock *locks; /* fs/lock.c: advisory locks, by start */
	union {
		struct {			    /* fs/dir.c */
			struct vfs_dirent **hash;   /* chains by name */
			size_t nbuckets;	    /* a power of two, or 0 */
			struct vfs_dir_slot *slots; /* by cookie, with holes */
			size_t nslots, cap;
			size_t count; /* entries */
			uint64_t next_cookie;
		} dir;
		struct {	      /* fs/tmpfs.c */
			size_t size;  /* st_size */
			void *root;   /* the radix tree of pages, or */
			size_t small; /* a heap buffer of this size */
			unsigned int height;
			size_t npages; /* data pages in the tree */
			bool borrowed; /* data points into the cpio archive */
			const char *data; /* borrowed: the archive's bytes, */
			size_t valid;	/* valid of them; the rest reads as 0 */
			uint32_t seals; /* F_SEAL_*: F_SEAL_SEAL from birth */
		} reg;
		struct {
			char *target;
			size_t len;
		} lnk;
	};
};

/* ---- Nodes (fs/vnode.c) ---- */

/* The root directory (never freed). */
struct vnode *vfs_root(void);

/* A new node with refs 1, nlink 0, times now; NULL on -ENOMEM. */
struct vnode *vnode_new(uint32_t mode);
struct vnode *vnode_get(struct vnode *vn);
/* Drop a reference; frees the node when unreferenced and unlinked. */
void vnode_put(struct vnode *vn);

/* Free a node with neither links nor references left (fs only). */
void vnode_free(struct vnode *vn);

/* ---- Directory entries (fs/dir.c) ---- */

/* A name's hash (n bytes, well mixed in every bit): tables by name. */
uint32_t vfs_name_hash(const char *name, size_t n);
/* Child of dir called name ("." and ".." too), referenced, or NULL. */
struct vnode *vfs_dir_lookup(struct vnode *dir, const char *name);
/* The same, len being strlen(name) (the path walk knows it). */
struct vnode *vfs_dir_lookup_len(struct vnode *dir, const char *name,
				 size_t len);
/* Link vn into dir as name: 0, -EEXIST, -ENOMEM, -ENOENT (dir removed). */
int vfs_dir_link(struct vnode *dir, const char *name, struct vnode *vn);
/* Remove the entry name from dir (no checks): 0 or -ENOENT. */
int vfs_dir_unlink(struct vnode *dir, const char *name);
/*
 * The same three on dir's own entries, without its hooks: for a file
 * system whose directories are memory ones with hooks around them
 * (fs/overlay.c).
 */
struct vnode *vfs_dir_lookup_own(struct vnode *dir, const char *name);
int vfs_dir_link_own(struct vnode *dir, const char *name, struct vnode *vn);
int vfs_dir_unlink_own(struct vnode *dir, const char *name);
/* True when dir has no entries (its empty hook's answer if it has one). */
bool vfs_dir_empty(struct vnode *dir);
/*
 * Walking dir in getdents order: the entry with the smallest cookie >=
 * cookie, and the one after d; NULL past the last. The directory must not
 * change between a call and the use of its result.
 */
struct vfs_dirent *vfs_dir_seek(const struct vnode *dir, uint64_t cookie);
struct vfs_dirent *vfs_dir_next(const struct vnode *dir,
				const struct vfs_dirent *d);
/* Free dir's entries and indexes (when the node is freed). */
void vfs_dir_free(struct vnode *dir);
/*
 * A VN_POPULATE directory is about to be looked at (lookup, link,
 * unlink, getdents, stat): clear the flag and run the hook that makes
 * its delayed entries. A hook short of memory (-ENOMEM) leaves the
 * directory flagged, so the next look tries again; any other failure is
 * final. Any caller, any directory;
 * cheap when unflagged.
 */
void vfs_dir_populate(struct vnode *dir);
/*
 * Add a hook vfs_dir_populate runs (each is given every flagged
 * directory and makes the entries of its own, returning 0, or -ENOMEM
 * to be run again at the next look: it must then skip what it made
 * already; another error is not retried):
 * boot only, at most VFS_POPULATE_HOOKS of them; 0 or -ENOSPC.
 */
#define VFS_POPULATE_HOOKS 4
int vfs_dir_add_populate(int (*populate)(struct vnode *dir));
/* Create a node called name in dir (mode includes the type); referenced. */
int vfs_create(struct vnode *dir, const char *name, uint32_t mode,
	       struct vnode **out);
/* Create a symlink name -> target in dir. */
int vfs_symlink(struct vnode *dir, const char *name, const char *target);

/* Current realtime, and setting a node's times (VFS_T_* bits). */
struct vfs_time vfs_now(void);
#define VFS_T_A 1
#define VFS_T_M 2
#define VFS_T_C 4
void vfs_touch(struct vnode *vn, unsigned int which);

/* Fill a struct stat (asm/stat.h) from a node. */
void vfs_stat(struct vnode *vn, struct stat *st);
/*
 * The stat of a file without a node (a pipe, a socket): one link, owned
 * by the caller's effective ids, as Linux's pipefs and sockfs report.
 * Sets only those fields; the caller zeroed st.
 */
void vfs_stat_nodeless(struct stat *st, uint32_t mode, uint64_t ino,
		       uint64_t dev);

/* Symlink target into buf (not terminated); length or -ERRNO. */
long vfs_readlink(struct vnode *vn, char *buf, size_t size);

/* Absolute path of directory dir into buf: length or -ENAMETOOLONG/-ENOENT. */
long vfs_dir_path(struct vnode *dir, char *buf, size_t size);

/*
 * Access check for the current process (R_OK/W_OK/X_OK bits): 0 or
 * -EACCES; -EROFS for W_OK on a file, directory or symlink of a
 * read-only mount (devices and FIFOs there stay writable, as on Linux).
 */
int vfs_permission(struct vnode *vn, int mask);
/* 0, or -EROFS when vn's attributes cannot change (read-only mount). */
int vfs_writable(const struct vnode *vn);

/* ---- Regular file data (fs/tmpfs.c) ---- */

long tmpfs_read(struct vnode *vn, void *buf, size_t n, uint64_t off);
long tmpfs_write(struct vnode *vn, const void *buf, size_t n, uint64_t off);
/*
 * tmpfs_write returns the bytes written, fewer when memory ran out, or
 * -ENOSPC (none written), -EFBIG. Holes read as zeros.
 */
/*
 * Set the size (growing makes a hole, no memory): 0, -EFBIG, or -EPERM
 * when a seal forbids it (F_SEAL_SHRINK, F_SEAL_GROW).
 */
int tmpfs_truncate(struct vnode *vn, uint64_t size);
/*
 * Seals (memfd_create(2), fcntl F_ADD_SEALS), kept by every regular file
 * as Linux's shmem does; a file not made by memfd_create with
 * MFD_ALLOW_SEALING carries F_SEAL_SEAL and takes no more. tmpfs_write
 * and tmpfs_truncate enforce them (F_SEAL_WRITE and F_SEAL_FUTURE_WRITE:
 * -EPERM; F_SEAL_GROW: no byte past the end).
 */
/* F_SEAL_EXEC (Linux 6.3): newer than the UAPI headers built against. */
#define VFS_SEAL_EXEC 0x0020
/*
 * The whole file in one piece (for exec): the archive's bytes when
 * borrowed (*copy NULL), else a kmalloc'd copy in *copy for the caller
 * to kfree. 0 or -ENOMEM.
 */
int tmpfs_contiguous(struct vnode *vn, const void **data, void **copy);
/* Point an empty file at read-only data that outlives it (the archive). */
void tmpfs_borrow(struct vnode *vn, const void *data, size_t size);
/*
 * The page cache: the page holding bytes [idx * PAGE_SIZE, +PAGE_SIZE) of
 * regular file vn, with a reference for the caller (page_put). A missing
 * page is made (zeros; a borrowed file's copied from the archive): it is
 * the file's data from then on, so every mapping and read/write share it.
 * Bytes past the end of the file in the last page read as zeros. NULL
 * when memory is exhausted: unlike write, this may take memory down to
 * the last few pages (a mapping's pages are the app's working set).
 */
void *tmpfs_page_get(struct vnode *vn, uint64_t idx);
/*
 * The same for a file whose data a readpage hook reads (ext4): a page
 * read once and kept in vn's tree while vn lives (a mapping holds vn).
 * NULL with *err: -ENOMEM, or the hook's -EIO.
 */
void *tmpfs_page_read(struct vnode *vn, uint64_t idx, int *err);
/* The largest file tmpfs holds (EFBIG past it), and so its page tree. */
#define TMPFS_MAX_FILE (1UL << 40)
/* The page at idx if the tree holds it (no reference), else NULL. */
void *tmpfs_page_peek(const struct vnode *vn, uint64_t idx);
/*
 * Free vn's page idx if the tree is its only holder (no mapping, no
 * caller holding it): true then. For a cache whose pages can be read
 * again (readpage): the caller knows the page is clean.
 */
bool tmpfs_page_drop(struct vnode *vn, uint64_t idx);
/*
 * The node whose pages the mappings of vn map: vn itself, or its file
 * system's page cache node (NULL if it has none yet, so none is mapped).
 */
static inline struct vnode *vfs_mapped_node(struct vnode *vn)
{
	if (vn->ops != NULL && vn->ops->pagecache != NULL)
		return vn->ops->pagecache(vn, false);
	return vn;
}
/* Release the node's data (when the node is freed). */
void tmpfs_free(struct vnode *vn);
/*
 * Is vn a regular file whose data these pages hold (tmpfs), rather
 * than one a file system's hooks read (ext4: mapped through its
 * readpage hook, tmpfs_page_read; exec copies its segments)?
 */
static inline bool vfs_page_cached(const struct vnode *vn)
{
	return (vn->mode & 0170000) == 0100000 &&
	       (vn->ops == NULL || vn->ops->open == NULL);
}
/* Bytes of memory the data occupies (st_blocks * 512). */
uint64_t tmpfs_allocated(const struct vnode *vn);

/* ---- Extended attributes (fs/xattr.c) ---- */

/*
 * Linux tmpfs's answers (see fs/xattr.c): names are kernel strings the
 * caller has checked (1..255 bytes), values kernel buffers of at most
 * XATTR_SIZE_MAX. vfs_getxattr returns the value's size (size 0: only
 * that), -ENODATA, -ERANGE, -EOPNOTSUPP, -EINVAL, -EACCES;
 * vfs_setxattr (value NULL: remove) 0, -EEXIST (XATTR_CREATE), -ENODATA
 * (XATTR_REPLACE), -EPERM, -ENOSPC, -ENOMEM; vfs_listxattr the length of
 * the NUL-separated names (size 0: only that) or -ERANGE.
 */
long vfs_getxattr(struct vnode *vn, const char *name, void *buf, size_t size);
int vfs_setxattr(struct vnode *vn, const char *name, const void *value,
		 size_t size, int flags);
int vfs_removexattr(struct vnode *vn, const char *name);
long vfs_listxattr(struct vnode *vn, char *buf, size_t size);
/*
 * The answer for a file without a node (pipe, socket): not a regular file
 * or directory, so "user." is -ENODATA to read, -EPERM to write; the rest
 * -EOPNOTSUPP (pipefs keeps none).
 */
int vfs_xattr_nodeless(const char *name, bool write);
/* Free a node's attributes (when the node is freed). */
void vfs_xattr_free(struct vnode *vn);

/* ---- Path lookup (fs/path.c) ---- */

#define LOOKUP_NOFOLLOW 1U  /* do not follow a symlink in the last component */
#define LOOKUP_DIRECTORY 2U /* the result must be a directory */
/* The caller made sure strlen(path) < VFS_PATH_MAX (upath_get does). */
#define LOOKUP_SHORT 4U

/*
 * Result of a lookup: dir is the directory holding the last component
 * (referenced), name that component ("." for "/"), node the node it names
 * (referenced) or NULL when it does not exist yet (for O_CREAT, mkdir...).
 * Symlinks in the last component are followed unless LOOKUP_NOFOLLOW, and
 * then dir/name describe the final target.
 */
struct lookup {
	struct vnode *dir;
	struct vnode *node;
	char name[VFS_NAME_MAX + 1];
	bool trailing_slash;
	int links; /* symlinks followed so far */
};

/*
 * Resolve path (kernel string) relative to start (used when the path is
 * relative). Returns 0 with lk filled (release with lookup_done), or
 * -ENOENT (a middle component missing; empty path), -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG, -EACCES. A missing last component is not an error.
 */
int vfs_lookup(struct vnode *start, const char *path, unsigned int flags,
	       struct lookup *lk);
void lookup_done(struct lookup *lk);

/* Resolve to an existing node (referenced): 0 or -ERRNO as above + ENOENT. */
int vfs_resolve(struct vnode *start, const char *path, unsigned int flags,
		struct vnode **out);

/*
 * rename(2) between two lookups made with LOOKUP_NOFOLLOW (flags:
 * RENAME_NOREPLACE, RENAME_EXCHANGE). 0 or -ENOENT, -EEXIST, -EBUSY,
 * -EINVAL (a directory into itself), -ENOTDIR, -EISDIR, -ENOTEMPTY...
 */
int vfs_rename(struct lookup *from, struct lookup *to, unsigned int flags);

/* Absolute path of what lk names ("<dir path>/<name>") into buf. */
long lookup_path(const struct lookup *lk, char *buf, size_t size);

/*
 * A VFS_PATH_MAX buffer for a path name (contents undefined), or NULL
 * without memory; give it back with vfs_pathbuf_put (NULL is ignored).
 * A few freed buffers are kept: kmalloc(VFS_PATH_MAX) is a two-page
 * run from the page allocator, and open and stat take one or two.
 * Thread context only, as the heap.
 */
char *vfs_pathbuf_get(void);
void vfs_pathbuf_put(char *buf);

/* ---- Open files (fs/file.c) ---- */

/* The operations of an open regular file of memory (tmpfs). */
extern const struct file_ops vfs_reg_ops;

/* A new open file (refs 1) with ops and flags; NULL when out of memory. */
struct file *file_alloc(const struct file_ops *ops, uint32_t flags, void *priv);
struct file *file_get(struct file *f);
/* Drop a reference; the last one tells the watches, calls ops->release, frees. */
void file_put(struct file *f);
/* Add or remove a watch on f (file_watch_remove: w must be on f). */
void file_watch_add(struct file *f, struct file_watch *w);
void file_watch_remove(struct file *f, struct file_watch *w);

/*
 * Open node vn (referenced by the caller; the file takes its own
 * reference) with open flags; path is recorded for /proc (may be NULL).
 * Returns 0 and *out, or -ENOMEM, -EISDIR, -EACCES, -ENXIO...
 */
int vfs_open_node(struct vnode *vn, uint32_t flags, const char *path,
		  struct file **out);
/* Flag for vfs_open_node: skip permission checks (the creator's open). */
#define VFS_OPEN_NOPERM 0x80000000U

/*
 * Read n bytes at off from a regular file into a kernel buffer (mmap of
 * files). Returns bytes read (0 at end), -EACCES when f was not opened for
 * reading, -ENODEV when f is not a regular file.
 */
long file_pread(struct file *f, void *kbuf, size_t n, uint64_t off);

/*
 * The node whose pages back a mapping of f (not referenced: the caller
 * takes its own): f's node for tmpfs, else its inode's page cache node
 * (vnode_ops.pagecache); a writable shared mapping of it is for the
 * caller to refuse unless it has page_mkwrite (written back). NULL and *err
 * -EACCES when f was not opened for reading (or is O_PATH), -ENODEV
 * when f is not a regular file with pages to map, -ENOMEM.
 */
struct vnode *file_mappable(struct file *f, int *err);

/* Text naming f for /proc/self/fd: its path, "pipe:[N]"...; length. */
long file_describe(struct file *f, char *buf, size_t size);

/* ---- fd tables (fs/fd.c) ---- */

/* Borrowed pointer to fd's open file, or NULL (the caller reports EBADF). */
struct file *fd_get(struct proc *p, int fd);
/*
 * Install f at the lowest free fd >= min (takes over the caller's
 * reference on success). Returns the fd, or -EMFILE (RLIMIT_NOFILE),
 * -ENOMEM; -EINVAL when min is out of range.
 */
int fd_install(struct proc *p, struct file *f, int min, bool cloexec);
/* Put f at exactly fd, closing what was there: fd, -EBADF, -ENOMEM. */
int fd_install_at(struct proc *p, struct file *f, int fd, bool cloexec);
/* Close fd: 0 or -EBADF. */
int fd_close(struct proc *p, int fd);
/* execve: close every fd marked close-on-exec (FD_CLOEXEC). */
void fd_close_on_exec(struct proc *p);
/*
 * True when one of p's fds has vn open for writing (execve's ETXTBSY).
 */
bool fd_node_open_for_write(struct proc *p, const struct vnode *vn);
int fd_get_cloexec(struct proc *p, int fd);
int fd_set_cloexec(struct proc *p, int fd, bool on);
/* Highest possible fd + 1 (the table's size), for close_range/procfs. */
int fd_limit(struct proc *p);
/* The soft RLIMIT_NOFILE of p. */
int fd_max(struct proc *p);

/* ---- Start and end of a process (fs/fd.c) ---- */

/* fd 0, 1, 2 on the console, cwd = root, umask 022: 0 or -ENOMEM. */
int fs_proc_init(struct proc *p);
/* Change p's working directory: 0, -ENOENT, -ENOTDIR, -EACCES. */
int fs_set_cwd(struct proc *p, const char *path);
/* Close every fd and drop the cwd. */
void fs_proc_exit(struct proc *p);
/*
 * fork: child gets a copy of parent's fd table (the same open file
 * descriptions, so offsets stay shared; close-on-exec flags too), its
 * cwd and umask. 0 or -ENOMEM (child then has nothing to undo but
 * fs_proc_exit).
 */
int fs_proc_fork(struct proc *child, struct proc *parent);

/* ---- Boot (fs/rootfs.c) ---- */

/*
 * Build the root file system from a cpio "newc" archive (untrusted; may be
 * NULL for an empty root), then, with root_uuid, the top-level
 * directories of the image's root disk (ext4_mount_root), then /dev,
 * /proc, /tmp and /etc defaults. Returns 0, -EINVAL for a malformed
 * archive, -ENOMEM, or the root disk's error.
 */
int vfs_init(const void *cpio, size_t size, const uint8_t *root_uuid);

/*
 * Creates /etc/NAME holding text (static: borrowed, not copied) unless the
 * image has one. 0, or -ERRNO.
 */
int vfs_etc_default(const char *name, const char *text);

/*
 * Resolve path (following symlinks) to an executable regular file. Returns
 * 0 with its whole contents (*data, *size: read-only, stable until the
 * caller kfrees *copy, which may be NULL) and its absolute path in
 * resolved; -ENOENT, -ENOTDIR, -EACCES (not regular or not executable),
 * -ENOMEM, -ENAMETOOLONG.
 */
int vfs_exec_open(const char *path, const void **data, size_t *size,
		  void **copy, char *resolved, size_t rsize);

/*
 * The checks of vfs_exec_open on a node already found (execveat): 0 with
 * its contents as there, -ELOOP (a symlink: AT_SYMLINK_NOFOLLOW),
 * -EACCES (not regular, not executable), -ENOMEM.
 */
int vfs_exec_check(struct vnode *vn, const void **data, size_t *size,
		   void **copy);

/* ---- Devices and /proc (fs/devfs.c, fs/procfs.c) ---- */

int devfs_init(struct vnode *dev);
int procfs_init(struct vnode *proc);
/* The console file for stream 0 (stdin), 1 (stdout), 2 (stderr). */
int console_file_open(int stream, struct file **out);
/* Create /dev/console (referenced in *out) and /dev/tty in dev. */
int devfs_console(struct vnode *dev, struct vnode **out);
int devfs_tty(struct vnode *dev);
/*
 * What the console as controlling terminal asks of the personality (the
 * process table and signals are above fs/):
 * kill_pgrp: sig to every process of group pgid (0 or -ESRCH), from any
 * context, for ^C, ^\, ^Z with ISIG and hang-ups;
 * background: the caller is outside the foreground group and reads
 * (SIGTTIN) or writes with TOSTOP / sets the terminal (SIGTTOU): 0 to go
 * ahead, -EIO, or -ERESTARTSYS once its group was signalled.
 */
struct console_tty_ops {
	int (*kill_pgrp)(int pgid, int sig);
	int (*background)(int sig);
};

/* Make the console, when stdin is a terminal, a controlling terminal. */
void console_tty_init(const struct console_tty_ops *ops);

/*
 * /proc/PID/stat's tty_nr and tpgid for a process of session sid: the
 * console's device number (5:1, encoded as Linux's new_encode_dev) and
 * its foreground group when it is that session's terminal; else 0, -1.
 */
int console_tty_nr(int sid, int *tpgid);

#endif
