/* ipc.c - System V IPC: keys, ids, permissions and /proc/sys/kernel limits shared by shm, sem and msg. */
#include "linux/ipc.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/clock.h"
#include "core/cred.h"
#include "core/heap.h"
#include "fs/procfs.h"
#include "lib/string.h"

long ipc_now(void)
{
	return (long)(clock_realtime_ns() / 1000000000ULL);
}

void ipc_obj_init(struct ipc_obj *o, int32_t key, int flags)
{
	const struct cred *c = current_cred();

	o->key = key;
	o->uid = o->cuid = c->euid;
	o->gid = o->cgid = c->egid;
	o->mode = (uint32_t)flags & 0777;
}

/* The slot array grown to hold at least n slots; -ENOMEM. */
static int ipc_grow(struct ipc_ids *ids, int n)
{
	int cap = ids->nslots ? ids->nslots : 16;
	struct ipc_obj **s;

	while (cap < n)
		cap *= 2;
	if (cap > ids->max)
		cap = ids->max;
	s = kzalloc((size_t)cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (ids->slots)
		memcpy(s, ids->slots, (size_t)ids->nslots * sizeof(*s));
	kfree(ids->slots);
	ids->slots = s;
	ids->nslots = cap;
	return 0;
}

/*
 * Linux's ipc_idr_alloc: slots are handed out cyclically after the last
 * one given, and seq moves on each time the search wraps, so a freed
 * id is not reused soon.
 */
int ipc_insert(struct ipc_ids *ids, struct ipc_obj *o)
{
	int idx;

	if (ids->in_use >= ids->max)
		return -ENOSPC;
	for (idx = ids->last_idx + 1;; idx++) {
		if (idx >= ids->max)
			idx = 0;
		if (idx >= ids->nslots || !ids->slots[idx])
			break;
	}
	if (idx >= ids->nslots && ipc_grow(ids, idx + 1) < 0)
		return -ENOMEM;
	if (idx <= ids->last_idx)
		ids->seq = (uint16_t)((ids->seq + 1) %
				      (INT32_MAX / IPC_SEQ_MULT));
	ids->last_idx = idx;
	ids->slots[idx] = o;
	ids->in_use++;
	o->seq = ids->seq;
	o->id = ids->seq * IPC_SEQ_MULT + idx;
	return 0;
}

void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o)
{
	int idx = o->id % IPC_SEQ_MULT;

	if (idx < ids->nslots && ids->slots[idx] == o) {
		ids->slots[idx] = NULL;
		ids->in_use--;
	}
}

struct ipc_obj *ipc_slot(struct ipc_ids *ids, int idx)
{
	return idx >= 0 && idx < ids->nslots ? ids->slots[idx] : NULL;
}

struct ipc_obj *ipc_find(struct ipc_ids *ids, int id)
{
	struct ipc_obj *o = id < 0 ? NULL : ipc_slot(ids, id % IPC_SEQ_MULT);

	return o && o->id == id ? o : NULL;
}

int ipc_highest(const struct ipc_ids *ids)
{
	for (int i = ids->nslots - 1; i >= 0; i--)
		if (ids->slots[i])
			return i;
	return -1;
}

/* Linux's ipcperms, with root's CAP_IPC_OWNER. */
bool ipc_may(const struct ipc_obj *o, int mask)
{
	const struct cred *c = current_cred();
	uint32_t granted = o->mode;

	if (c->euid == o->cuid || c->euid == o->uid)
		granted >>= 6;
	else if (cred_in_group(c, o->cgid) || cred_in_group(c, o->gid))
		granted >>= 3;
	return !((uint32_t)mask & ~granted & 7) || c->euid == 0;
}

int ipc_may_change(const struct ipc_obj *o)
{
	const struct cred *c = current_cred();

	if (c->euid == o->cuid || c->euid == o->uid || c->euid == 0)
		return 0;
	return -EPERM;
}

void ipc_set(struct ipc_obj *o, uint32_t uid, uint32_t gid, uint32_t mode)
{
	o->uid = uid;
	o->gid = gid;
	o->mode = (o->mode & ~0777u) | (mode & 0777);
}

void ipc_fill_perm(const struct ipc_obj *o, struct ipc64_perm *out)
{
	memset(out, 0, sizeof(*out));
	out->key = o->key;
	out->uid = o->uid;
	out->gid = o->gid;
	out->cuid = o->cuid;
	out->cgid = o->cgid;
	out->mode = o->mode;
	out->seq = o->seq;
}

/* ipcget_public, with ipcget_new for IPC_PRIVATE and missing keys. */
int ipc_get(struct ipc_ids *ids, int32_t key, int flags, unsigned long arg,
	    int (*create)(int32_t key, int flags, unsigned long arg),
	    int (*check)(struct ipc_obj *o, unsigned long arg))
{
	struct ipc_obj *o = NULL;
	int err;

	for (int i = 0; key != IPC_PRIVATE && i < ids->nslots && !o; i++)
		if (ids->slots[i] && ids->slots[i]->key == key)
			o = ids->slots[i];
	if (!o) {
		if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
			return -ENOENT;
		return create(key, flags, arg);
	}
	if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
		return -EEXIST;
	err = check ? check(o, arg) : 0;
	if (err)
		return err;
	/* The requested permission bits, as ipc_check_perms asks them. */
	if (!ipc_may(o, (flags >> 6 | flags >> 3 | flags) & 7))
		return -EACCES;
	return o->id;
}

/* ---- /proc/sys/kernel ---- */

static size_t gen_shmmax(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%llu\n", (unsigned long long)IPC_SHMMAX);
	return len;
}

static size_t gen_shmmni(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%d\n", IPC_SHMMNI);
	return len;
}

/* Linux prints the four sem limits separated by tabs. */
static size_t gen_sem(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%d\t%d\t%d\t%d\n", IPC_SEMMSL, IPC_SEMMNS,
		   IPC_SEMOPM, IPC_SEMMNI);
	return len;
}

static size_t gen_msgmax(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%d\n", IPC_MSGMAX);
	return len;
}

static size_t gen_msgmnb(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%d\n", IPC_MSGMNB);
	return len;
}

static size_t gen_msgmni(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%d\n", IPC_MSGMNI);
	return len;
}

static const struct procfs_entry ipc_files[] = {
	{ "shmmax", gen_shmmax }, { "shmall", gen_shmmax },
	{ "shmmni", gen_shmmni }, { "sem", gen_sem },
	{ "msgmax", gen_msgmax }, { "msgmnb", gen_msgmnb },
	{ "msgmni", gen_msgmni },
};

/* dir/name, made when missing; referenced in *out. */
static int subdir(struct vnode *dir, const char *name, struct vnode **out)
{
	int err = vfs_create(dir, name, S_IFDIR | 0555, out);

	if (err == -EEXIST) {
		*out = vfs_dir_lookup(dir, name);
		err = *out ? 0 : -ENOENT;
	}
	return err;
}

static int make_sys_kernel(struct vnode *proc)
{
	struct vnode *sys, *kernel;
	int err;

	err = subdir(proc, "sys", &sys);
	if (err)
		return err;
	err = subdir(sys, "kernel", &kernel);
	vnode_put(sys);
	if (err)
		return err;
	err = procfs_add_files(kernel, ipc_files,
			       sizeof(ipc_files) / sizeof(ipc_files[0]));
	vnode_put(kernel);
	return err;
}

int ipc_procfs_init(void)
{
	return procfs_defer(make_sys_kernel);
}
