/* ext4_ncache.c - the names looked up in a mount's directories, found or absent, until the next change to any directory. */
#include "fs/ext4_vfs.h"

#include "core/heap.h"
#include "lib/string.h"

/*
 * Linux keeps every name it looked up in the dcache; without one a
 * path walk reads the directory's blocks for each of its components
 * on every call. This cache is smaller and blunter: a table of
 * NC_SLOTS entries (16 KiB a mount, made on first use), each slot
 * holding the last name that hashed there, so memory stays bounded
 * and a lookup is one probe. An entry says "name in directory dir is
 * inode ino" or, ino 0, "is absent". It is valid while the file
 * system's fs->dir_changes still has the value it was looked up at:
 * every change to a directory's names (ext4_dir_add, _remove,
 * _set_ino, _set_dotdot, _init) and a journal abort, which takes
 * changed blocks back to the disk's copies, bump it, so a create,
 * link, unlink, rename or rmdir is seen by the next lookup.
 */
#define NC_SLOTS 256
/* Longer names are looked up on the disk each time (as are few). */
#define NC_NAME_MAX 47

struct ext4_ncache {
	struct nc_slot {
		uint64_t stamp;
		uint32_t dir, ino;
		uint8_t len; /* 0: an empty slot */
		char name[NC_NAME_MAX];
	} slot[NC_SLOTS];
};

_Static_assert(sizeof(struct nc_slot) == 64, "a slot is a cache line");

/* FNV-1a over the directory's number and the name. */
static struct nc_slot *nc_slot_of(struct ext4_ncache *nc, uint32_t dir,
				  const char *name, size_t len)
{
	uint32_t h = 2166136261U ^ dir;

	h *= 16777619U;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619U;
	}
	return &nc->slot[(h ^ (h >> 16)) % NC_SLOTS];
}

int ext4_ncache_find(struct ext4_mount *m, uint32_t dir, const char *name,
		     uint32_t *ino)
{
	size_t len = strlen(name);
	struct nc_slot *s;

	if (m->ncache == NULL || len > NC_NAME_MAX)
		return 0;
	s = nc_slot_of(m->ncache, dir, name, len);
	if (s->len != len || s->dir != dir || s->stamp != m->fs->dir_changes ||
	    memcmp(s->name, name, len) != 0)
		return 0;
	*ino = s->ino;
	return 1;
}

void ext4_ncache_add(struct ext4_mount *m, uint32_t dir, const char *name,
		     uint32_t ino, uint64_t stamp)
{
	size_t len = strlen(name);
	struct nc_slot *s;

	/* A directory changed meanwhile, or a change is half made. */
	if (stamp != m->fs->dir_changes || m->owner != NULL || len == 0 ||
	    len > NC_NAME_MAX)
		return;
	if (m->ncache == NULL)
		m->ncache = kzalloc(sizeof(*m->ncache));
	if (m->ncache == NULL)
		return; /* no memory: no cache */
	s = nc_slot_of(m->ncache, dir, name, len);
	s->stamp = stamp;
	s->dir = dir;
	s->ino = ino;
	s->len = (uint8_t)len;
	memcpy(s->name, name, len);
}
