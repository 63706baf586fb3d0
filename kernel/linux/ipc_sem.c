/* ipc_sem.c - System V semaphores: semget, semop, semtimedop, semctl, and SEM_UNDO at exit. */
#include <asm-generic/errno.h>
#include <linux/sem.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/heap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/ipc.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

struct sem {
	int val;
	int pid; /* the last process to change it */
};

/* A thread blocked in semop: on which semaphore, and for what. */
struct sem_waiter {
	struct thread *thread;
	int num;
	bool zero;    /* waits for 0 (GETZCNT), else for more (GETNCNT) */
	bool removed; /* the set went away meanwhile: EIDRM */
	struct sem_waiter *next;
};

struct sem_set {
	struct ipc_obj o; /* first: the table holds &o */
	int nsems;
	long otime, ctime;
	struct sem_waiter *waiters;
	struct sem sems[];
};

/*
 * SEM_UNDO adjustments of one process for one set (Linux's sem_undo,
 * per process since threads share them: CLONE_SYSVSEM). One global list,
 * so semctl SETVAL can clear an adjustment in every process and exit
 * finds the caller's.
 */
struct sem_undo {
	const struct proc *proc;
	int semid;
	int nsems;
	struct sem_undo *next;
	int adj[];
};

static struct ipc_ids sem_ids = { .max = IPC_SEMMNI, .last_idx = -1 };
static struct sem_undo *undos;
static long sems_in_use;

static struct sem_set *sem_of(struct ipc_obj *o)
{
	return (struct sem_set *)o;
}

static int sem_create(int32_t key, int flags, unsigned long nsems)
{
	struct sem_set *s;
	int err;

	if (nsems == 0 || nsems > IPC_SEMMSL)
		return -EINVAL;
	if (sems_in_use + (long)nsems > IPC_SEMMNS)
		return -ENOSPC;
	s = kzalloc(sizeof(*s) + nsems * sizeof(s->sems[0]));
	if (!s)
		return -ENOMEM;
	ipc_obj_init(&s->o, key, flags);
	err = ipc_insert(&sem_ids, &s->o);
	if (err) {
		kfree(s);
		return err;
	}
	s->nsems = (int)nsems;
	s->ctime = ipc_now();
	sems_in_use += (long)nsems;
	return s->o.id;
}

static int sem_check(struct ipc_obj *o, unsigned long nsems)
{
	return nsems > (unsigned long)sem_of(o)->nsems ? -EINVAL : 0;
}

long sys_semget(int32_t key, int nsems, int flags)
{
	if (nsems < 0 || nsems > IPC_SEMMSL)
		return -EINVAL;
	return ipc_get(&sem_ids, key, flags, (unsigned long)nsems, sem_create,
		       sem_check);
}
SYSCALL3(semget);

static struct sem_undo *undo_find(const struct proc *p, int semid)
{
	for (struct sem_undo *u = undos; u; u = u->next)
		if (u->proc == p && u->semid == semid)
			return u;
	return NULL;
}

/* The caller's adjustments for s, made when missing; NULL: no memory. */
static struct sem_undo *undo_get(struct sem_set *s)
{
	struct sem_undo *u = undo_find(current, s->o.id);

	if (u)
		return u;
	u = kzalloc(sizeof(*u) + (size_t)s->nsems * sizeof(u->adj[0]));
	if (!u)
		return NULL;
	u->proc = current;
	u->semid = s->o.id;
	u->nsems = s->nsems;
	u->next = undos;
	undos = u;
	return u;
}

/* Drop adjustments of semid (every process), or only of p when p != NULL. */
static void undo_drop(int semid, const struct proc *p)
{
	for (struct sem_undo **l = &undos; *l;) {
		struct sem_undo *u = *l;

		if (u->semid == semid && (!p || u->proc == p)) {
			*l = u->next;
			kfree(u);
		} else {
			l = &u->next;
		}
	}
}

/* SETVAL/SETALL: adjustments of semaphore num (-1: all) are void now. */
static void undo_clear(int semid, int num)
{
	for (struct sem_undo *u = undos; u; u = u->next)
		if (u->semid == semid)
			for (int i = 0; i < u->nsems; i++)
				if (num < 0 || i == num)
					u->adj[i] = 0;
}

static void sem_wake_all(struct sem_set *s)
{
	for (struct sem_waiter *w = s->waiters; w; w = w->next)
		sched_wakeup(w->thread);
}

/*
 * Linux's perform_atomic_semop: all of ops or none. 0 done, 1 the op
 * at *blocked must wait, -EAGAIN (it would wait, IPC_NOWAIT), -ERANGE
 * (a value or an adjustment out of range). The set is unchanged unless 0.
 */
static int sem_try(struct sem_set *s, const struct sembuf *ops, int n,
		   struct sem_undo *u, int *blocked)
{
	int i, err = 0;

	for (i = 0; i < n && !err; i++) {
		struct sem *m = &s->sems[ops[i].sem_num];
		int v = m->val + ops[i].sem_op;

		if ((ops[i].sem_op == 0 && m->val != 0) || v < 0) {
			*blocked = i;
			err = ops[i].sem_flg & IPC_NOWAIT ? -EAGAIN : 1;
		} else if (v > IPC_SEMVMX) {
			err = -ERANGE;
		} else if ((ops[i].sem_flg & SEM_UNDO) &&
			   (u->adj[ops[i].sem_num] - ops[i].sem_op <
				    -IPC_SEMVMX - 1 ||
			    u->adj[ops[i].sem_num] - ops[i].sem_op >
				    IPC_SEMVMX)) {
			err = -ERANGE;
		} else {
			m->val = v;
			continue;
		}
		break;
	}
	if (err) {
		while (--i >= 0) /* back out what was applied */
			s->sems[ops[i].sem_num].val -= ops[i].sem_op;
		return err;
	}
	for (i = 0; i < n; i++) {
		s->sems[ops[i].sem_num].pid = current->pid;
		if (ops[i].sem_flg & SEM_UNDO)
			u->adj[ops[i].sem_num] -= ops[i].sem_op;
	}
	s->otime = ipc_now();
	return 0;
}

/* Block until the set changes; 0 to retry, or -EIDRM, -EAGAIN, -EINTR. */
static int sem_block(struct sem_set *s, const struct sembuf *op,
		     uint64_t deadline)
{
	struct sem_waiter w = { current_thread, op->sem_num, op->sem_op == 0,
				false, s->waiters };
	int err;

	s->waiters = &w;
	err = sched_sleep(deadline, true);
	if (w.removed)
		return -EIDRM; /* the set is freed: don't touch it */
	for (struct sem_waiter **l = &s->waiters; *l; l = &(*l)->next)
		if (*l == &w) {
			*l = w.next;
			break;
		}
	if (err == -ETIMEDOUT)
		return -EAGAIN;
	return err == -EINTR ? -ERESTARTNOHAND : 0;
}

/* The caller's sops after Linux's checks of do_semtimedop (untrusted). */
static long sem_ops_in(uintptr_t usops, unsigned int nsops, struct sembuf **out)
{
	struct sembuf *ops;

	if (nsops < 1)
		return -EINVAL;
	if (nsops > IPC_SEMOPM)
		return -E2BIG;
	ops = kmalloc(nsops * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(ops, usops, nsops * sizeof(*ops))) {
		kfree(ops);
		return -EFAULT;
	}
	*out = ops;
	return 0;
}

static long sem_timeout(uintptr_t uts, uint64_t *deadline)
{
	uint64_t ns;
	int err;

	*deadline = 0;
	if (!uts)
		return 0;
	err = timespec_get_user(uts, &ns);
	if (err)
		return err;
	*deadline = clock_monotonic_ns() + ns;
	return 0;
}

/* Which access ops need (alter: write), their undo need, the top index. */
static int sem_ops_scan(const struct sembuf *ops, int n, bool *alter,
			bool *undo)
{
	int max = 0;

	*alter = *undo = false;
	for (int i = 0; i < n; i++) {
		if (ops[i].sem_num > max)
			max = ops[i].sem_num;
		if (ops[i].sem_op != 0)
			*alter = true;
		if (ops[i].sem_flg & SEM_UNDO)
			*undo = true;
	}
	return max;
}

static long semop_locked(int id, struct sembuf *ops, int n, uint64_t deadline)
{
	struct ipc_obj *o = ipc_find(&sem_ids, id);
	struct sem_undo *u = NULL;
	struct sem_set *s;
	bool alter, undo;
	int max = sem_ops_scan(ops, n, &alter, &undo), blocked, err;

	if (!o)
		return -EINVAL;
	s = sem_of(o);
	if (max >= s->nsems)
		return -EFBIG;
	if (!ipc_may(o, alter ? 2 : 4))
		return -EACCES;
	if (undo && !(u = undo_get(s)))
		return -ENOMEM;
	while ((err = sem_try(s, ops, n, u, &blocked)) == 1) {
		err = sem_block(s, &ops[blocked], deadline);
		if (err)
			return err;
	}
	if (err == 0 && alter)
		sem_wake_all(s);
	return err;
}

long sys_semtimedop(int id, uintptr_t usops, unsigned int nsops, uintptr_t uts)
{
	struct sembuf *ops;
	uint64_t deadline;
	long err;

	if (id < 0)
		return -EINVAL;
	err = sem_ops_in(usops, nsops, &ops);
	if (err)
		return err;
	err = sem_timeout(uts, &deadline);
	if (!err)
		err = semop_locked(id, ops, (int)nsops, deadline);
	kfree(ops);
	return err;
}
SYSCALL4(semtimedop);

long sys_semop(int id, uintptr_t usops, unsigned int nsops)
{
	return sys_semtimedop(id, usops, nsops, 0);
}
SYSCALL3(semop);

static void sem_destroy(struct sem_set *s)
{
	for (struct sem_waiter *w = s->waiters; w; w = w->next) {
		w->removed = true;
		sched_wakeup(w->thread);
	}
	undo_drop(s->o.id, NULL);
	ipc_remove(&sem_ids, &s->o);
	sems_in_use -= s->nsems;
	kfree(s);
}

void ipc_sem_exit(struct proc *p)
{
	/* Linux's exit_sem: each adjustment, clamped to the value's range. */
	for (struct sem_undo *u = undos; u; u = u->next) {
		struct ipc_obj *o = u->proc == p ?
					    ipc_find(&sem_ids, u->semid) :
					    NULL;
		struct sem_set *s = o ? sem_of(o) : NULL;

		for (int i = 0; s && i < s->nsems && i < u->nsems; i++) {
			int v = s->sems[i].val + u->adj[i];

			s->sems[i].val = v < 0		? 0 :
					 v > IPC_SEMVMX ? IPC_SEMVMX :
							  v;
			s->sems[i].pid = p->pid;
		}
		if (s) {
			s->otime = ipc_now();
			sem_wake_all(s);
		}
	}
	for (struct sem_undo **l = &undos; *l;) {
		struct sem_undo *u = *l;

		if (u->proc == p) {
			*l = u->next;
			kfree(u);
		} else {
			l = &u->next;
		}
	}
}

static int sem_count(const struct sem_set *s, int num, bool zero)
{
	int n = 0;

	for (const struct sem_waiter *w = s->waiters; w; w = w->next)
		n += w->num == num && w->zero == zero && !w->removed;
	return n;
}

static long sem_info(int cmd, uintptr_t ubuf)
{
	int highest = ipc_highest(&sem_ids);
	struct seminfo si = { .semmap = IPC_SEMMNS,
			      .semmni = IPC_SEMMNI,
			      .semmns = IPC_SEMMNS,
			      .semmnu = IPC_SEMMNS,
			      .semmsl = IPC_SEMMSL,
			      .semopm = IPC_SEMOPM,
			      .semume = IPC_SEMOPM,
			      .semusz = 20,
			      .semvmx = IPC_SEMVMX,
			      .semaem = IPC_SEMVMX };

	if (cmd == SEM_INFO) {
		si.semusz = sem_ids.in_use;
		si.semaem = (int)sems_in_use;
	}
	if (copy_to_user(ubuf, &si, sizeof(si)))
		return -EFAULT;
	return highest < 0 ? 0 : highest;
}

static long sem_stat(struct sem_set *s, int cmd, uintptr_t ubuf)
{
	struct semid64_ds ds;

	if (cmd != SEM_STAT_ANY && !ipc_may(&s->o, 4))
		return -EACCES;
	memset(&ds, 0, sizeof(ds));
	ipc_fill_perm(&s->o, &ds.sem_perm);
	ds.sem_otime = s->otime;
	ds.sem_ctime = s->ctime;
	ds.sem_nsems = (unsigned long)s->nsems;
	if (copy_to_user(ubuf, &ds, sizeof(ds)))
		return -EFAULT;
	return cmd == IPC_STAT ? 0 : s->o.id;
}

static long sem_set_perm(struct sem_set *s, int cmd, uintptr_t ubuf)
{
	struct semid64_ds ds;
	int err = ipc_may_change(&s->o);

	if (cmd == IPC_SET && copy_from_user(&ds, ubuf, sizeof(ds)))
		return -EFAULT;
	if (err)
		return err;
	if (cmd == IPC_RMID) {
		sem_destroy(s);
		return 0;
	}
	ipc_set(&s->o, ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.mode);
	s->ctime = ipc_now();
	return 0;
}

static long sem_all(struct sem_set *s, int cmd, uintptr_t uarray)
{
	size_t n = (size_t)s->nsems;
	uint16_t *vals = kmalloc(n * sizeof(*vals));
	long err = 0;

	if (!vals)
		return -ENOMEM;
	if (!ipc_may(&s->o, cmd == GETALL ? 4 : 2)) {
		err = -EACCES;
	} else if (cmd == GETALL) {
		for (size_t i = 0; i < n; i++)
			vals[i] = (uint16_t)s->sems[i].val;
		if (copy_to_user(uarray, vals, n * sizeof(*vals)))
			err = -EFAULT;
	} else if (copy_from_user(vals, uarray, n * sizeof(*vals))) {
		err = -EFAULT;
	} else {
		for (size_t i = 0; i < n && !err; i++)
			if (vals[i] > IPC_SEMVMX)
				err = -ERANGE;
		for (size_t i = 0; i < n && !err; i++) {
			s->sems[i].val = vals[i];
			s->sems[i].pid = current->pid;
		}
		if (!err) {
			undo_clear(s->o.id, -1);
			s->ctime = ipc_now();
			sem_wake_all(s);
		}
	}
	kfree(vals);
	return err;
}

/* GETVAL, GETPID, GETNCNT, GETZCNT and SETVAL on semaphore num. */
static long sem_one(struct sem_set *s, int num, int cmd, unsigned long arg)
{
	int val = (int)arg;

	if (cmd == SETVAL && (val < 0 || val > IPC_SEMVMX))
		return -ERANGE;
	if (!ipc_may(&s->o, cmd == SETVAL ? 2 : 4))
		return -EACCES;
	if (num < 0 || num >= s->nsems)
		return -EINVAL;
	switch (cmd) {
	case GETVAL:
		return s->sems[num].val;
	case GETPID:
		return s->sems[num].pid;
	case GETNCNT:
		return sem_count(s, num, false);
	case GETZCNT:
		return sem_count(s, num, true);
	default:
		s->sems[num].val = val;
		s->sems[num].pid = current->pid;
		undo_clear(s->o.id, num);
		s->ctime = ipc_now();
		sem_wake_all(s);
		return 0;
	}
}

long sys_semctl(int id, int num, int cmd, unsigned long arg)
{
	struct ipc_obj *o;

	if (id < 0)
		return -EINVAL;
	if (cmd == IPC_INFO || cmd == SEM_INFO)
		return sem_info(cmd, arg);
	o = cmd == SEM_STAT || cmd == SEM_STAT_ANY ? ipc_slot(&sem_ids, id) :
						     ipc_find(&sem_ids, id);
	if (!o)
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return sem_stat(sem_of(o), cmd, arg);
	case IPC_SET:
	case IPC_RMID:
		return sem_set_perm(sem_of(o), cmd, arg);
	case GETALL:
	case SETALL:
		return sem_all(sem_of(o), cmd, arg);
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
	case SETVAL:
		return sem_one(sem_of(o), num, cmd, arg);
	default:
		return -EINVAL;
	}
}
SYSCALL4(semctl);
