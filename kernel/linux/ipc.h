/* ipc.h - System V IPC: the key/id tables, permissions and limits shm, sem and msg share. */
#ifndef KILN_LINUX_IPC_H
#define KILN_LINUX_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/ipc.h>

struct proc;

/*
 * Every segment, set and queue starts with a struct ipc_obj. Its id is
 * Linux's: seq * IPC_SEQ_MULT + the slot index, so an id that outlived
 * its object (removed, slot reused) is refused rather than aliased.
 */
#define IPC_SEQ_MULT 32768

struct ipc_obj {
	int32_t key;
	int id;
	uint32_t uid, gid, cuid, cgid; /* owner and creator */
	uint32_t mode;		       /* low 9 bits: permissions */
	uint16_t seq;
};

/* One namespace of ids (shm, sem or msg), with Linux's cyclic slots. */
struct ipc_ids {
	struct ipc_obj **slots;
	int nslots;   /* allocated */
	int max;      /* the limit (shmmni, semmni, msgmni) */
	int in_use;   /* objects alive */
	int last_idx; /* the slot last given out, -1 at first */
	uint16_t seq;
};

/* The limits /proc/sys/kernel shows, Linux's defaults (ipc/util.h). */
#define IPC_SHMMAX 0xfffffffffeffffffULL /* ULONG_MAX - (1 << 24) */
#define IPC_SHMALL 0xfffffffffeffffffULL
#define IPC_SHMMNI 4096
#define IPC_SEMMSL 32000
#define IPC_SEMMNS 1024000000
#define IPC_SEMOPM 500
#define IPC_SEMMNI 32000
#define IPC_SEMVMX 32767
#define IPC_MSGMAX 8192
#define IPC_MSGMNB 16384
#define IPC_MSGMNI 32000

/*
 * msgget/semget/shmget's common part (Linux's ipcget): a new object for
 * IPC_PRIVATE or a missing key with IPC_CREAT (create(key, flags, arg)
 * returns it, filled by ipc_obj_init and inserted by ipc_insert, or an
 * -ERRNO); else the existing one: -EEXIST with IPC_CREAT|IPC_EXCL, then
 * check(obj, arg) (-EINVAL on size), then -EACCES unless the caller may
 * use it as flags' permission bits ask. Returns the id or -ERRNO.
 */
int ipc_get(struct ipc_ids *ids, int32_t key, int flags, unsigned long arg,
	    int (*create)(int32_t key, int flags, unsigned long arg),
	    int (*check)(struct ipc_obj *o, unsigned long arg));

/* Fill o's permissions for a new object of key (owner the caller). */
void ipc_obj_init(struct ipc_obj *o, int32_t key, int flags);

/* Give o a slot and an id: 0, or -ENOSPC at the limit, -ENOMEM. */
int ipc_insert(struct ipc_ids *ids, struct ipc_obj *o);

/* Take o out of ids (its id is dead from now on). */
void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o);

/* The object of id, or NULL (-EINVAL for the caller). */
struct ipc_obj *ipc_find(struct ipc_ids *ids, int id);

/* The object in slot idx (the *_STAT commands), or NULL. */
struct ipc_obj *ipc_slot(struct ipc_ids *ids, int idx);

/* The highest slot in use, or -1 (what IPC_INFO and *_INFO return). */
int ipc_highest(const struct ipc_ids *ids);

/*
 * May the caller access o as mask asks (ipcperms: 4 read, 2 write, as
 * S_IRUGO/S_IWUGO bits)? Root (CAP_IPC_OWNER) always may.
 */
bool ipc_may(const struct ipc_obj *o, int mask);

/*
 * IPC_SET and IPC_RMID: only the owner, the creator or root (-EPERM).
 * IPC_SET (set non-NULL) then takes uid, gid and the permission bits.
 */
int ipc_may_change(const struct ipc_obj *o);
void ipc_set(struct ipc_obj *o, uint32_t uid, uint32_t gid, uint32_t mode);

/* o's struct ipc64_perm for IPC_STAT into out. */
struct ipc64_perm;
void ipc_fill_perm(const struct ipc_obj *o, struct ipc64_perm *out);

/* Seconds of the wall clock, as the *_time fields keep them. */
long ipc_now(void);

/*
 * SEM_UNDO at process exit: apply and drop p's adjustments
 * (linux/ipc_sem.c). Every process's exit path calls it.
 */
void ipc_sem_exit(struct proc *p);

/*
 * /proc/sys/kernel's IPC limits, made at the first look into /proc
 * (procfs_defer); 0 or -ERRNO. Called once at start.
 */
int ipc_procfs_init(void);

#endif
