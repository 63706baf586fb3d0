/* 9pfs.c - host directories over 9P2000.L: nodes made by lookup, files read and written through fids, the boot mounts. */
#include "fs/9pfs.h"

#include <asm-generic/errno.h>
#include <asm/fcntl.h>
#include <asm/statfs.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "drivers/virtio_9p.h"
#include "fs/9pfs_int.h"
#include "fs/mount.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "arch.h"

#define P9FS_MAX_MOUNTS VIRTIO_9P_MAX_DEVS
/* unlinkat's flag, as Linux's fcntl.h has it (the server is Linux). */
#define P9_AT_REMOVEDIR 0x200
/* Rread's and Rwrite's overhead: header, count (and Twrite's fid, offset). */
#define P9_IOHDR 24
/* statfs(2)'s f_flags (Linux's ST_*, from the mount's flags) */
#define P9_ST_RDONLY 0x1
#define P9_ST_VALID 0x20
#define P9_ST_RELATIME 0x400

/* A node's state: the fid its path is walked to (never opened). */
struct p9_node {
	struct p9_mount *m;
	uint32_t fid;
	/* Directories: the open fid getdents reads, and where it is. */
	uint32_t dfid;
	uint64_t didx;	/* the entry index the next one in batch has */
	uint64_t doff;	/* the server's offset of the last entry read */
	uint64_t foff;	/* doff when the batch was fetched */
	uint8_t *batch; /* an Rreaddir's data (kmalloc), or NULL */
	size_t blen, bpos;
	bool deof;
};

/* An open file's state: its opened fid. */
struct p9_open {
	struct p9_mount *m;
	uint32_t fid;
};

static unsigned nmounts;
/* virtio_9p_init has found the devices. */
static bool probed;

static const struct vnode_ops p9_ops;

/* ---- Nodes ---- */

static struct p9_node *node_of(struct vnode *vn)
{
	return vn->priv;
}

static void fill_attr(struct vnode *vn, const struct p9_attr *a)
{
	vn->ino = a->qid.path;
	vn->mode = a->mode;
	vn->uid = a->uid;
	vn->gid = a->gid;
	vn->nlink = a->nlink > 0xffffffffU ? 0xffffffffU : (uint32_t)a->nlink;
	vn->atime = (struct vfs_time){ (int64_t)a->atime_sec,
				       (int64_t)(a->atime_nsec % 1000000000) };
	vn->mtime = (struct vfs_time){ (int64_t)a->mtime_sec,
				       (int64_t)(a->mtime_nsec % 1000000000) };
	vn->ctime = (struct vfs_time){ (int64_t)a->ctime_sec,
				       (int64_t)(a->ctime_nsec % 1000000000) };
	if (S_ISREG(vn->mode))
		vn->reg.size = (size_t)a->size;
	if (S_ISLNK(vn->mode))
		vn->lnk.len = (size_t)a->size;
}

/*
 * A transient node for fid (taken over: clunked on failure) under dir.
 * The server's mode is untrusted: only the types Linux has are kept.
 */
static struct vnode *make_node(struct vnode *dir, struct p9_mount *m,
			       uint32_t fid)
{
	struct p9_attr a;
	struct p9_node *n;
	struct vnode *vn;
	uint32_t t;

	if (p9c_getattr(m, fid, &a) != 0)
		goto err_fid;
	t = a.mode & S_IFMT;
	if (t != S_IFREG && t != S_IFDIR && t != S_IFLNK && t != S_IFIFO &&
	    t != S_IFSOCK && t != S_IFCHR && t != S_IFBLK)
		goto err_fid;
	n = kzalloc(sizeof(*n));
	vn = n ? vnode_new(t) : NULL;
	if (vn == NULL)
		goto err_node;
	n->m = m;
	n->fid = fid;
	n->dfid = P9_NOFID;
	vn->vflags |= VN_TRANSIENT;
	vn->ops = &p9_ops;
	vn->priv = n;
	fill_attr(vn, &a);
	if (S_ISDIR(vn->mode))
		vn->parent = vnode_get(dir);
	return vn;
err_node:
	kfree(n);
err_fid:
	p9c_clunk(m, fid);
	return NULL;
}

static struct vnode *p9_lookup(struct vnode *dir, const char *name)
{
	struct p9_node *d = node_of(dir);
	uint32_t fid;

	if (p9c_walk(d->m, d->fid, name, &fid) != 0)
		return NULL;
	return make_node(dir, d->m, fid);
}

static void p9_release(struct vnode *vn)
{
	struct p9_node *n = node_of(vn);

	if (n == NULL)
		return;
	if (n->dfid != P9_NOFID)
		p9c_clunk(n->m, n->dfid);
	p9c_clunk(n->m, n->fid);
	kfree(n->batch);
	kfree(n);
	vn->priv = NULL;
}

static long p9_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct p9_node *n = node_of(vn);
	struct p9_buf b, r;
	const char *t;
	size_t len = 0;
	int err;

	p9c_begin(n->m, &b, P9_TREADLINK);
	p9_put_u32(&b, n->fid);
	err = p9c_call(n->m, &b, &r);
	if (err == 0 && (t = p9_get_str(&r, &len)) != NULL) {
		len = len < size ? len : size;
		memcpy(buf, t, len);
	}
	err = p9c_end(n->m, &r, err);
	return err ? err : (long)len;
}

/* ---- Directories: getdents through a cursor in the last Rreaddir ---- */

/* Start again from the first entry: a fresh open fid. */
static int dir_rewind(struct p9_node *n)
{
	int err;

	if (n->dfid != P9_NOFID)
		p9c_clunk(n->m, n->dfid);
	n->dfid = P9_NOFID;
	kfree(n->batch);
	n->batch = NULL;
	n->blen = n->bpos = 0;
	n->didx = n->doff = 0;
	n->deof = false;
	err = p9c_walk(n->m, n->fid, NULL, &n->dfid);
	if (err == 0 && (err = p9c_lopen(n->m, n->dfid, O_RDONLY)) != 0) {
		p9c_clunk(n->m, n->dfid);
		n->dfid = P9_NOFID;
	}
	return err;
}

/* The next Rreaddir after n->doff into n->batch; empty at the end. */
static int dir_fetch(struct p9_node *n)
{
	struct p9_mount *m = n->m;
	struct p9_buf b, r;
	const void *data = NULL;
	uint32_t count = 0;
	int err;

	p9c_begin(m, &b, P9_TREADDIR);
	p9_put_u32(&b, n->dfid);
	p9_put_u64(&b, n->doff);
	p9_put_u32(&b, m->msize - P9_IOHDR);
	err = p9c_call(m, &b, &r);
	if (err == 0) {
		count = p9_get_u32(&r);
		data = p9_get_bytes(&r, count);
	}
	kfree(n->batch);
	n->batch = NULL;
	n->blen = n->bpos = 0;
	if (err == 0 && data != NULL && count > 0) {
		n->batch = kmalloc(count);
		if (n->batch == NULL)
			err = -ENOMEM;
		else
			memcpy(n->batch, data, count);
		n->blen = n->batch ? count : 0;
	}
	n->deof = count == 0;
	return p9c_end(m, &r, err);
}

/* The entry at the cursor (skipping "." and ".."): 1, 0 at the end. */
static int dir_next(struct p9_node *n, struct p9_dirent *e)
{
	struct p9_buf r;
	int got;

	for (;;) {
		if (n->bpos == n->blen) {
			/* A batch that did not move the offset would repeat
			 * for ever (a hostile server): the listing ends. */
			if (n->batch != NULL && n->doff == n->foff)
				n->deof = true;
			n->foff = n->doff;
			if (n->deof || dir_fetch(n) != 0 || n->deof)
				return 0;
		}
		r = (struct p9_buf){ n->batch, n->blen, n->bpos, false };
		got = p9_get_dirent(&r, e);
		if (got <= 0) {
			n->deof = true; /* a broken batch ends the listing */
			n->bpos = n->blen;
			return 0;
		}
		n->bpos = r.pos;
		n->doff = e->offset;
		if ((e->namelen == 1 && e->name[0] == '.') ||
		    (e->namelen == 2 && e->name[0] == '.' && e->name[1] == '.'))
			continue;
		return 1;
	}
}

static int p9_readdir(struct vnode *dir, uint64_t idx, char *name, size_t size,
		      uint64_t *ino, unsigned int *type)
{
	struct p9_node *n = node_of(dir);
	struct p9_dirent e;

	if ((n->dfid == P9_NOFID || idx < n->didx) && dir_rewind(n) != 0)
		return 0;
	for (;;) {
		if (dir_next(n, &e) != 1)
			return 0;
		if (n->didx++ < idx)
			continue;
		if (e.namelen >= size)
			return 0;
		memcpy(name, e.name, e.namelen);
		name[e.namelen] = '\0';
		*ino = e.qid.path;
		*type = e.type;
		/* An entry the caller could not take is asked for again:
		 * idx below the cursor, which rewinds. */
		return 1;
	}
}

/* ---- Changing directories ---- */

static int p9_create(struct vnode *dir, const char *name, uint32_t mode,
		     struct vnode **out)
{
	struct p9_node *d = node_of(dir);
	struct p9_mount *m = d->m;
	struct p9_buf b, r;
	uint32_t fid, type = mode & S_IFMT;
	int err;

	if (m->ro)
		return -EROFS;
	if (type != S_IFREG && type != S_IFDIR)
		return -EPERM; /* mknod of devices, FIFOs: not on a volume */
	if (type == S_IFDIR) {
		p9c_begin(m, &b, P9_TMKDIR);
		p9_put_u32(&b, d->fid);
		p9_put_str(&b, name, strlen(name));
		p9_put_u32(&b, mode & 07777);
		p9_put_u32(&b, 0);
		err = p9c_end(m, &r, p9c_call(m, &b, &r));
	} else {
		/* Tlcreate opens the fid it is given: do it on a clone. */
		err = p9c_walk(m, d->fid, NULL, &fid);
		if (err)
			return err;
		p9c_begin(m, &b, P9_TLCREATE);
		p9_put_u32(&b, fid);
		p9_put_str(&b, name, strlen(name));
		p9_put_u32(&b, O_RDWR | O_CREAT | O_EXCL);
		p9_put_u32(&b, mode & 07777);
		p9_put_u32(&b, 0);
		err = p9c_end(m, &r, p9c_call(m, &b, &r));
		p9c_clunk(m, fid);
	}
	if (err)
		return err;
	if (out == NULL)
		return 0;
	*out = p9_lookup(dir, name);
	return *out ? 0 : -EIO;
}

static int p9_symlink(struct vnode *dir, const char *name, const char *target)
{
	struct p9_node *d = node_of(dir);
	struct p9_buf b, r;

	if (d->m->ro)
		return -EROFS;
	p9c_begin(d->m, &b, P9_TSYMLINK);
	p9_put_u32(&b, d->fid);
	p9_put_str(&b, name, strlen(name));
	p9_put_str(&b, target, strlen(target));
	p9_put_u32(&b, 0);
	return p9c_end(d->m, &r, p9c_call(d->m, &b, &r));
}

static int unlinkat(struct p9_node *d, const char *name, uint32_t flags)
{
	struct p9_buf b, r;

	p9c_begin(d->m, &b, P9_TUNLINKAT);
	p9_put_u32(&b, d->fid);
	p9_put_str(&b, name, strlen(name));
	p9_put_u32(&b, flags);
	return p9c_end(d->m, &r, p9c_call(d->m, &b, &r));
}

/* The syscall layer checked the type: a directory is removed as one. */
static int p9_unlink(struct vnode *dir, const char *name)
{
	struct p9_node *d = node_of(dir);
	int err;

	if (d->m->ro)
		return -EROFS;
	err = unlinkat(d, name, 0);
	if (err == -EISDIR)
		err = unlinkat(d, name, P9_AT_REMOVEDIR);
	return err;
}

static int p9_rename(struct vnode *fdir, const char *fname, struct vnode *tdir,
		     const char *tname)
{
	struct p9_node *f = node_of(fdir), *t = node_of(tdir);
	struct p9_buf b, r;

	if (tdir->ops != &p9_ops || t->m != f->m)
		return -EXDEV;
	if (f->m->ro)
		return -EROFS;
	p9c_begin(f->m, &b, P9_TRENAMEAT);
	p9_put_u32(&b, f->fid);
	p9_put_str(&b, fname, strlen(fname));
	p9_put_u32(&b, t->fid);
	p9_put_str(&b, tname, strlen(tname));
	return p9c_end(f->m, &r, p9c_call(f->m, &b, &r));
}

static int p9_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct p9_node *d = node_of(dir), *n = node_of(vn);
	struct p9_buf b, r;

	if (vn->ops != &p9_ops || n->m != d->m)
		return -EXDEV;
	if (d->m->ro)
		return -EROFS;
	p9c_begin(d->m, &b, P9_TLINK);
	p9_put_u32(&b, d->fid);
	p9_put_u32(&b, n->fid);
	p9_put_str(&b, name, strlen(name));
	return p9c_end(d->m, &r, p9c_call(d->m, &b, &r));
}

static int p9_truncate(struct vnode *vn, uint64_t size)
{
	struct p9_node *n = node_of(vn);
	struct p9_buf b, r;
	int err;

	if (n->m->ro)
		return -EROFS;
	p9c_begin(n->m, &b, P9_TSETATTR);
	p9_put_u32(&b, n->fid);
	p9_put_u32(&b, P9_SETATTR_SIZE | P9_SETATTR_MTIME | P9_SETATTR_CTIME);
	p9_put_u32(&b, 0);
	p9_put_u32(&b, 0);
	p9_put_u32(&b, 0);
	p9_put_u64(&b, size);
	for (int i = 0; i < 4; i++)
		p9_put_u64(&b, 0); /* times: "now" (no *_SET bits) */
	err = p9c_end(n->m, &r, p9c_call(n->m, &b, &r));
	if (err == 0 && S_ISREG(vn->mode))
		vn->reg.size = (size_t)size;
	return err;
}

/* ---- Open files ---- */

static long p9_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct p9_open *o = f->priv;
	struct p9_mount *m = o->m;
	size_t done = 0;
	int err = 0;

	while (done < n && err == 0) {
		struct p9_buf b, r;
		uint32_t want = (uint32_t)(n - done < m->msize - P9_IOHDR ?
						   n - done :
						   m->msize - P9_IOHDR);
		uint32_t got = 0;
		const void *data;

		p9c_begin(m, &b, P9_TREAD);
		p9_put_u32(&b, o->fid);
		p9_put_u64(&b, *pos);
		p9_put_u32(&b, want);
		err = p9c_call(m, &b, &r);
		if (err == 0) {
			got = p9_get_u32(&r);
			data = got <= want ? p9_get_bytes(&r, got) : NULL;
			if (data == NULL)
				err = -EPROTO; /* more than asked, or cut */
			else
				memcpy((char *)buf + done, data, got);
		}
		err = p9c_end(m, &r, err);
		if (err || got == 0)
			break;
		done += got;
		*pos += got;
		if (got < want)
			break;
	}
	return done ? (long)done : err;
}

static long p9_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	struct p9_open *o = f->priv;
	struct p9_mount *m = o->m;
	size_t done = 0;
	int err = 0;

	if (f->flags & O_APPEND) { /* the end as the host has it now */
		struct p9_attr a;

		err = p9c_getattr(m, o->fid, &a);
		if (err)
			return err;
		*pos = a.size;
	}
	while (done < n) {
		struct p9_buf b, r;
		uint32_t want = (uint32_t)(n - done < m->msize - P9_IOHDR ?
						   n - done :
						   m->msize - P9_IOHDR);
		uint32_t got = 0;

		p9c_begin(m, &b, P9_TWRITE);
		p9_put_u32(&b, o->fid);
		p9_put_u64(&b, *pos);
		p9_put_u32(&b, want);
		p9_put_bytes(&b, (const char *)buf + done, want);
		err = p9c_call(m, &b, &r);
		if (err == 0) {
			got = p9_get_u32(&r);
			if (got > want)
				err = -EPROTO;
		}
		err = p9c_end(m, &r, err);
		if (err || got == 0)
			break;
		done += got;
		*pos += got;
		if (*pos > f->vn->reg.size)
			f->vn->reg.size = (size_t)*pos;
	}
	return done ? (long)done : err;
}

static int p9_fsync(struct file *f)
{
	struct p9_open *o = f->priv;
	struct p9_buf b, r;

	p9c_begin(o->m, &b, P9_TFSYNC);
	p9_put_u32(&b, o->fid);
	p9_put_u32(&b, 0);
	return p9c_end(o->m, &r, p9c_call(o->m, &b, &r));
}

static void p9_file_release(struct file *f)
{
	struct p9_open *o = f->priv;

	p9c_clunk(o->m, o->fid);
	kfree(o);
}

static const struct file_ops p9_file_ops = {
	.read = p9_read,
	.write = p9_write,
	.fsync = p9_fsync,
	.release = p9_file_release,
	.seekable = true,
	.map_copy = true,
};

/* Regular files only: directories keep the VFS's getdents path. */
static int p9_open(struct vnode *vn, struct file *f)
{
	struct p9_node *n = node_of(vn);
	uint32_t acc = f->flags & O_ACCMODE;
	struct p9_open *o;
	int err;

	if (!S_ISREG(vn->mode))
		return S_ISDIR(vn->mode) ? 0 : -ENXIO;
	if (acc != O_RDONLY && n->m->ro)
		return -EROFS;
	o = kmalloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	o->m = n->m;
	o->fid = P9_NOFID;
	err = p9c_walk(n->m, n->fid, NULL, &o->fid);
	if (err == 0)
		err = p9c_lopen(n->m, o->fid, acc);
	if (err) {
		if (o->fid != P9_NOFID)
			p9c_clunk(n->m, o->fid);
		kfree(o);
		return err;
	}
	f->ops = &p9_file_ops;
	f->priv = o;
	return 0;
}

/*
 * statfs(2) on a volume: the host's numbers for the file system under
 * HOSTDIR, as Linux's v9fs_statfs passes Rstatfs on (f_type is the
 * host's: 0xEF53 for an ext4 HOSTDIR). The flags are the mount's own.
 */
static int p9_statfs(struct vnode *vn, struct statfs *sf)
{
	struct p9_node *n = node_of(vn);
	struct p9_statfs s;
	int err = p9c_statfs(n->m, n->fid, &s);

	if (err)
		return err;
	memset(sf, 0, sizeof(*sf));
	sf->f_type = s.type;
	sf->f_bsize = s.bsize;
	sf->f_frsize = s.bsize;
	sf->f_blocks = s.blocks;
	sf->f_bfree = s.bfree;
	sf->f_bavail = s.bavail;
	sf->f_files = s.files;
	sf->f_ffree = s.ffree;
	sf->f_fsid.val[0] = (int)(uint32_t)s.fsid;
	sf->f_fsid.val[1] = (int)(uint32_t)(s.fsid >> 32);
	sf->f_namelen = s.namelen;
	sf->f_flags = P9_ST_VALID | P9_ST_RELATIME |
		      (n->m->ro ? P9_ST_RDONLY : 0);
	return 0;
}

static const struct vnode_ops p9_ops = {
	.lookup = p9_lookup,
	.readdir = p9_readdir,
	.readlink = p9_readlink,
	.open = p9_open,
	.statfs = p9_statfs,
	.release = p9_release,
	.create = p9_create,
	.symlink = p9_symlink,
	.unlink = p9_unlink,
	.rename = p9_rename,
	.truncate = p9_truncate,
	.link = p9_link,
};

/* ---- Mounts ---- */

int p9fs_declare(const char *path)
{
	struct vnode *dir;
	int err;

	if (path[0] != '/')
		return -EINVAL;
	err = mount_point(path, &dir);
	if (err == 0)
		vnode_put(dir);
	return err;
}

int p9fs_mount_at(const char *tag, const char *path, bool ro)
{
	struct p9_mount *m;
	struct p9_node *root;
	struct vnode *dir;
	uint32_t fid;
	struct p9_attr a;
	char opts[96];
	int dev, err;

	if (!probed) {
		virtio_9p_init();
		probed = true;
	}
	dev = virtio_9p_find(tag);
	if (dev < 0)
		return dev;
	if (nmounts == P9FS_MAX_MOUNTS || strlen(path) >= P9FS_PATH_MAX)
		return -EINVAL;
	m = kzalloc(sizeof(*m));
	root = kzalloc(sizeof(*root));
	err = -ENOMEM;
	if (m == NULL || root == NULL)
		goto err_free;
	m->tx = page_alloc(P9FS_MSIZE / PAGE_SIZE);
	m->rx = page_alloc(P9FS_MSIZE / PAGE_SIZE);
	if (m->tx == NULL || m->rx == NULL)
		goto err_pages;
	m->dev = (unsigned)dev;
	m->ro = ro;
	m->next_fid = 1;
	strlcpy(m->name, tag, sizeof(m->name));
	strlcpy(m->path, path, sizeof(m->path));
	err = p9c_attach(m, &fid);
	if (err == 0 && (err = p9c_getattr(m, fid, &a)) == 0 &&
	    !S_ISDIR(a.mode))
		err = -ENOTDIR;
	if (err == 0)
		err = mount_point(path, &dir);
	if (err)
		goto err_pages;
	root->m = m;
	root->fid = fid;
	root->dfid = P9_NOFID;
	dir->ops = &p9_ops;
	dir->priv = root; /* the mount point is never freed: keeps it */
	dir->ino = a.qid.path;
	dir->mode = a.mode;
	nmounts++;
	fmt_snprintf(opts, sizeof(opts),
		     "%s,relatime,access=client,msize=%u,trans=virtio",
		     ro ? "ro" : "rw", (unsigned)m->msize);
	mount_register(tag, path, "9p", opts);
	return 0;
err_pages:
	if (m->tx)
		page_free(m->tx, P9FS_MSIZE / PAGE_SIZE);
	if (m->rx)
		page_free(m->rx, P9FS_MSIZE / PAGE_SIZE);
err_free:
	kfree(root);
	kfree(m);
	return err;
}
