/* dir.c - directory entries: a hash by name for lookup, an array by cookie for getdents. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/cred.h"
#include "core/heap.h"
#include "fs/notify.h"
#include "lib/string.h"

/*
 * Each entry is in two indexes of its directory:
 *
 *  - a hash table by name (chains through hnext), doubled when it holds
 *    more entries than chains, so lookup, create and unlink are O(1)
 *    however big the directory (a list walk per lookup took 94 s to
 *    create 70,000 files);
 *  - an array of slots in cookie order. A cookie is the entry's getdents
 *    position and only grows, so the array is sorted by appending; an
 *    unlink leaves a hole that keeps its cookie, and the array is
 *    compacted (entries keep their cookies) once holes outnumber
 *    entries. getdents finds its position by binary search, so offsets
 *    stay valid across unlinks, as on Linux's tmpfs (whose offsets are
 *    indexes in a tree too), and each entry is returned at most once.
 *
 * "." and ".." are positions 0 and 1 (sys_getdents64); cookies start at 2.
 */
#define HASH_MIN 8
#define SLOTS_MIN 8
#define COMPACT_MIN 32 /* holes tolerated before compaction pays */

struct vfs_dir_slot {
	uint64_t cookie;
	struct vfs_dirent *d; /* NULL: unlinked (a hole) */
};

/* A name's length and hash, computed once per lookup or link. */
struct name_key {
	size_t len;
	uint32_t hash;
};

/*
 * The length first, then eight bytes a step (FNV-1a's multiply on words,
 * the tail's bytes packed into one last word): a byte-at-a-time FNV-1a
 * cost ~8 guest instructions a byte under TCG, on every path component.
 * A multiply only carries a byte's bits upwards, so the tail's last bytes
 * would reach only the high half; the finaliser (MurmurHash3's fmix64)
 * spreads every input bit over the low bits a table takes: without it the
 * names abcde00..abcde99 all fell in one chain.
 */
uint32_t vfs_name_hash(const char *name, size_t n)
{
	const uint64_t prime = 1099511628211ULL;
	uint64_t h = 14695981039346656037ULL, w;
	size_t i = 0, k;

	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(&w, name + i, 8); /* inlined: one load */
		h = (h ^ w) * prime;
		h ^= h >> 29;
	}
	for (w = n, k = 0; i < n; i++, k += 8)
		w ^= (uint64_t)(unsigned char)name[i] << k;
	h = (h ^ w) * prime;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct name_key name_key_len(const char *name, size_t n)
{
	return (struct name_key){ n, vfs_name_hash(name, n) };
}

static struct name_key name_key(const char *name)
{
	return name_key_len(name, strlen(name));
}

static struct vfs_dirent **chain(const struct vnode *dir, uint32_t hash)
{
	return &dir->dir.hash[hash & (dir->dir.nbuckets - 1)];
}

/* Twice the chains (at least HASH_MIN); false without memory. */
static bool hash_grow(struct vnode *dir)
{
	size_t n = dir->dir.nbuckets ? dir->dir.nbuckets * 2 : HASH_MIN;
	struct vfs_dirent **old = dir->dir.hash, *d, *next;
	size_t oldn = dir->dir.nbuckets;

	dir->dir.hash = kzalloc(n * sizeof(*dir->dir.hash));
	if (dir->dir.hash == NULL) {
		dir->dir.hash = old;
		return false;
	}
	dir->dir.nbuckets = n;
	for (size_t i = 0; i < oldn; i++)
		for (d = old[i]; d != NULL; d = next) {
			struct vfs_dirent **c = chain(dir, d->hash);

			next = d->hnext;
			d->hnext = *c;
			*c = d;
		}
	kfree(old);
	return true;
}

/* Drop the holes from the slot array; entries keep their cookies. */
static void slots_compact(struct vnode *dir)
{
	struct vfs_dir_slot *s = dir->dir.slots;
	size_t n = 0;

	for (size_t i = 0; i < dir->dir.nslots; i++)
		if (s[i].d != NULL) {
			s[n] = s[i];
			s[n].d->slot = n;
			n++;
		}
	dir->dir.nslots = n;
}

/* Room for one more slot at the end: 0 or -ENOMEM. */
static int slots_reserve(struct vnode *dir)
{
	size_t holes = dir->dir.nslots - dir->dir.count, cap;
	struct vfs_dir_slot *s;

	if (holes >= COMPACT_MIN && holes > dir->dir.count)
		slots_compact(dir);
	if (dir->dir.nslots < dir->dir.cap)
		return 0;
	cap = dir->dir.cap ? dir->dir.cap * 2 : SLOTS_MIN;
	s = kmalloc(cap * sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (dir->dir.nslots)
		memcpy(s, dir->dir.slots, dir->dir.nslots * sizeof(*s));
	kfree(dir->dir.slots);
	dir->dir.slots = s;
	dir->dir.cap = cap;
	return 0;
}

static struct vfs_dirent *dir_find(const struct vnode *dir, const char *name,
				   struct name_key key)
{
	struct vfs_dirent *d;

	if (dir->dir.nbuckets == 0)
		return NULL;
	for (d = *chain(dir, key.hash); d != NULL; d = d->hnext)
		if (d->hash == key.hash && d->len == key.len &&
		    memcmp(d->name, name, key.len) == 0)
			return d;
	return NULL;
}

static int (*populate_hooks[VFS_POPULATE_HOOKS])(struct vnode *dir);

int vfs_dir_add_populate(int (*populate)(struct vnode *dir))
{
	for (size_t i = 0; i < VFS_POPULATE_HOOKS; i++)
		if (populate_hooks[i] == NULL ||
		    populate_hooks[i] == populate) {
			populate_hooks[i] = populate;
			return 0;
		}
	return -ENOSPC;
}

/*
 * The delayed entries are the boot's, so root's whoever looks first: the
 * hooks run as root (vnode_new takes the owner from current_cred()). The
 * process's own ids come back before anything else of it can run: the
 * kernel is not preempted and the hooks do not sleep (allocation never
 * waits), so no other thread of it sees root's.
 */
void vfs_dir_populate(struct vnode *dir)
{
	struct vfs_time m = dir->mtime, c = dir->ctime;
	struct cred *cred, saved;
	bool again = false;

	if (!(dir->vflags & VN_POPULATE))
		return;
	dir->vflags &= ~VN_POPULATE; /* the hooks link into dir itself */
	cred = current_cred();
	saved = *cred;
	*cred = (struct cred){ 0 };
	for (size_t i = 0; i < VFS_POPULATE_HOOKS && populate_hooks[i]; i++)
		again |= populate_hooks[i](dir) == -ENOMEM;
	*cred = saved;
	/* short of memory: the next look tries again (the hooks' own part) */
	if (again)
		dir->vflags |= VN_POPULATE;
	/* as if made when the flag was set: no change anybody could see */
	dir->mtime = m;
	dir->ctime = c;
}

struct vnode *vfs_dir_lookup(struct vnode *dir, const char *name)
{
	return vfs_dir_lookup_len(dir, name, strlen(name));
}

/* The entry called name (len bytes) among dir's own, referenced, or NULL. */
static struct vnode *lookup_own_len(struct vnode *dir, const char *name,
				    size_t len)
{
	struct vfs_dirent *d;

	vfs_dir_populate(dir);
	d = dir_find(dir, name, name_key_len(name, len));
	return d != NULL ? vnode_get(d->vn) : NULL;
}

struct vnode *vfs_dir_lookup_len(struct vnode *dir, const char *name,
				 size_t len)
{
	/* by their bytes: two strcmp calls a component showed in the counts */
	if (name[0] == '.' && name[1] == '\0')
		return vnode_get(dir);
	if (name[0] == '.' && name[1] == '.' && name[2] == '\0')
		return vnode_get(dir->parent != NULL ? dir->parent : dir);
	if (dir->ops != NULL && dir->ops->lookup != NULL)
		return dir->ops->lookup(dir, name);
	return lookup_own_len(dir, name, len);
}

struct vnode *vfs_dir_lookup_own(struct vnode *dir, const char *name)
{
	return lookup_own_len(dir, name, strlen(name));
}

bool vfs_dir_empty(struct vnode *dir)
{
	vfs_dir_populate(dir);
	if (dir->ops != NULL && dir->ops->empty != NULL)
		return dir->ops->empty(dir);
	return dir->dir.count == 0;
}

/* The new entry goes last: its cookie is the greatest yet. */
int vfs_dir_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	if (dir->ops != NULL && dir->ops->link != NULL)
		return dir->ops->link(dir, name, vn);
	if (vn->ops != NULL && vn->ops->link != NULL &&
	    !(vn->vflags & VN_MEMATTR))
		return -EXDEV; /* a volume's node into memory */
	return vfs_dir_link_own(dir, name, vn);
}

int vfs_dir_link_own(struct vnode *dir, const char *name, struct vnode *vn)
{
	struct name_key key = name_key(name);
	struct vfs_dirent *d, **c;

	vfs_dir_populate(dir);
	if (dir->nlink == 0)
		return -ENOENT;
	if (dir->vflags & VN_RDONLY)
		return -EROFS;
	if (dir_find(dir, name, key) != NULL)
		return -EEXIST;
	if (dir->dir.count >= dir->dir.nbuckets && !hash_grow(dir) &&
	    dir->dir.nbuckets == 0)
		return -ENOMEM; /* else longer chains, still correct */
	if (slots_reserve(dir) < 0)
		return -ENOMEM;
	if (key.len > UINT32_MAX)
		return -ENAMETOOLONG;
	d = kmalloc(sizeof(*d) + key.len + 1);
	if (d == NULL)
		return -ENOMEM;
	memcpy(d->name, name, key.len + 1);
	d->hash = key.hash;
	d->len = (uint32_t)key.len;
	d->vn = vn;
	if (dir->dir.next_cookie < 2)
		dir->dir.next_cookie = 2; /* 0 and 1 are "." and ".." */
	d->cookie = dir->dir.next_cookie++;
	d->slot = dir->dir.nslots++;
	dir->dir.slots[d->slot] = (struct vfs_dir_slot){ d->cookie, d };
	c = chain(dir, key.hash);
	d->hnext = *c;
	*c = d;
	dir->dir.count++;
	vn->nlink++;
	fsnotify_linked(dir, name, vn);
	if (S_ISDIR(vn->mode)) {
		vn->nlink++;  /* its own "." */
		dir->nlink++; /* its ".." */
		if (vn->parent != dir) {
			vnode_put(vn->parent);
			vn->parent = vnode_get(dir);
		}
	}
	vfs_touch(dir, VFS_T_M | VFS_T_C);
	return 0;
}

int vfs_dir_unlink(struct vnode *dir, const char *name)
{
	if (dir->ops != NULL && dir->ops->unlink != NULL)
		return dir->ops->unlink(dir, name);
	return vfs_dir_unlink_own(dir, name);
}

int vfs_dir_unlink_own(struct vnode *dir, const char *name)
{
	struct vfs_dirent *d, **pp;
	struct vnode *vn;

	vfs_dir_populate(dir);
	d = dir_find(dir, name, name_key(name));

	if (d == NULL)
		return -ENOENT;
	for (pp = chain(dir, d->hash); *pp != d; pp = &(*pp)->hnext)
		;
	*pp = d->hnext;
	dir->dir.slots[d->slot].d = NULL; /* a hole keeps its cookie */
	dir->dir.count--;
	vn = d->vn;
	kfree(d);
	if (S_ISDIR(vn->mode)) {
		dir->nlink--;
		vn->nlink -= 2; /* 0 when empty (rmdir); subdirs (rename) */
	} else {
		vn->nlink--;
	}
	vfs_touch(dir, VFS_T_M | VFS_T_C);
	vfs_touch(vn, VFS_T_C);
	/* The entry held no reference: free now if nobody else holds one. */
	if (vn->nlink == 0 && vn->refs == 0)
		vnode_free(vn);
	return 0;
}

struct vfs_dirent *vfs_dir_seek(const struct vnode *dir, uint64_t cookie)
{
	const struct vfs_dir_slot *s = dir->dir.slots;
	size_t lo = 0, hi = dir->dir.nslots;

	while (lo < hi) { /* the first slot whose cookie >= cookie */
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < dir->dir.nslots; lo++)
		if (s[lo].d != NULL)
			return s[lo].d;
	return NULL;
}

struct vfs_dirent *vfs_dir_next(const struct vnode *dir,
				const struct vfs_dirent *d)
{
	for (size_t i = d->slot + 1; i < dir->dir.nslots; i++)
		if (dir->dir.slots[i].d != NULL)
			return dir->dir.slots[i].d;
	return NULL;
}

void vfs_dir_free(struct vnode *dir)
{
	for (size_t i = 0; i < dir->dir.nslots; i++)
		kfree(dir->dir.slots[i].d); /* only transient dirs hold any */
	kfree(dir->dir.slots);
	kfree(dir->dir.hash);
	dir->dir.slots = NULL;
	dir->dir.hash = NULL;
	dir->dir.nslots = dir->dir.cap = dir->dir.count = 0;
	dir->dir.nbuckets = 0;
}
