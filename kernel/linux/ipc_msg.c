/* ipc_msg.c - System V message queues: msgget, msgsnd, msgrcv, msgctl. */
#include <asm-generic/errno.h>
#include <linux/msg.h>

#include "core/heap.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/ipc.h"
#include "linux/signals.h"
#include "linux/syscall.h"

struct msg {
	struct msg *next;
	long type;
	size_t size;
	char text[];
};

/* A thread blocked in msgsnd or msgrcv; removed: the queue is gone. */
struct msg_waiter {
	struct thread *thread;
	bool removed;
	struct msg_waiter *next;
};

struct msg_queue {
	struct ipc_obj o; /* first: the table holds &o */
	struct msg *first, **tail;
	unsigned long cbytes, qnum, qbytes;
	int lspid, lrpid;
	long stime, rtime, ctime;
	struct msg_waiter *waiters;
};

/* msginfo's fixed fields, Linux's MSGPOOL, MSGSSZ and MSGSEG */
#define MSG_POOL (IPC_MSGMNI * IPC_MSGMNB / 1024)
#define MSG_SSZ 16
#define MSG_SEG 0xffff

static struct ipc_ids msg_ids = { .max = IPC_MSGMNI, .last_idx = -1 };
static long msg_hdrs, msg_bytes; /* messages and bytes on all queues */

static struct msg_queue *msq_of(struct ipc_obj *o)
{
	return (struct msg_queue *)o;
}

static int msq_create(int32_t key, int flags, unsigned long arg)
{
	struct msg_queue *q = kzalloc(sizeof(*q));
	int err;

	(void)arg;
	if (!q)
		return -ENOMEM;
	ipc_obj_init(&q->o, key, flags);
	err = ipc_insert(&msg_ids, &q->o);
	if (err) {
		kfree(q);
		return err;
	}
	q->tail = &q->first;
	q->qbytes = IPC_MSGMNB;
	q->ctime = ipc_now();
	return q->o.id;
}

long sys_msgget(int32_t key, int flags)
{
	return ipc_get(&msg_ids, key, flags, 0, msq_create, NULL);
}
SYSCALL2(msgget);

static void msq_wake_all(struct msg_queue *q)
{
	for (struct msg_waiter *w = q->waiters; w; w = w->next)
		sched_wakeup(w->thread);
}

/* Sleep until the queue changes: 0, or -EIDRM, -ERESTARTNOHAND. */
static int msq_block(struct msg_queue *q)
{
	struct msg_waiter w = { current_thread, false, q->waiters };
	int err;

	q->waiters = &w;
	err = sched_sleep(0, true);
	if (w.removed)
		return -EIDRM; /* the queue is freed: don't touch it */
	for (struct msg_waiter **l = &q->waiters; *l; l = &(*l)->next)
		if (*l == &w) {
			*l = w.next;
			break;
		}
	return err == -EINTR ? -ERESTARTNOHAND : 0;
}

/* The message from the caller (mtype, then size bytes), or -ERRNO. */
static long msg_in(uintptr_t umsg, size_t size, struct msg **out)
{
	struct msg *m;
	long type;

	if (copy_from_user(&type, umsg, sizeof(type)))
		return -EFAULT;
	if (type < 1)
		return -EINVAL;
	m = kmalloc(sizeof(*m) + size);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(m->text, umsg + sizeof(long), size)) {
		kfree(m);
		return -EFAULT;
	}
	m->type = type;
	m->size = size;
	m->next = NULL;
	*out = m;
	return 0;
}

static long msg_enqueue(int id, struct msg *m, int flags)
{
	struct ipc_obj *o = ipc_find(&msg_ids, id);
	struct msg_queue *q;
	int err;

	if (!o)
		return -EINVAL;
	q = msq_of(o);
	if (!ipc_may(o, 2))
		return -EACCES;
	/* Linux's msg_fits_inqueue: bytes, and a header per byte at most. */
	while (m->size + q->cbytes > q->qbytes || 1 + q->qnum > q->qbytes) {
		if (flags & IPC_NOWAIT)
			return -EAGAIN;
		err = msq_block(q);
		if (err)
			return err;
	}
	*q->tail = m;
	q->tail = &m->next;
	q->cbytes += m->size;
	q->qnum++;
	q->lspid = current->pid;
	q->stime = ipc_now();
	msg_hdrs++;
	msg_bytes += (long)m->size;
	msq_wake_all(q);
	return 0;
}

long sys_msgsnd(int id, uintptr_t umsg, size_t size, int flags)
{
	struct msg *m;
	long err;

	if (size > IPC_MSGMAX || (long)size < 0 || id < 0)
		return -EINVAL;
	err = msg_in(umsg, size, &m);
	if (err)
		return err;
	err = msg_enqueue(id, m, flags);
	if (err)
		kfree(m);
	return err;
}
SYSCALL4(msgsnd);

/*
 * The link to the message msgrcv takes (Linux's find_msg): type 0 the
 * first; > 0 the first of that type (MSG_EXCEPT: of another type);
 * < 0 the first of the lowest type <= -type. NULL: none.
 */
static struct msg **msg_find(struct msg_queue *q, long type, int flags)
{
	struct msg **best = NULL;

	for (struct msg **l = &q->first; *l; l = &(*l)->next) {
		long t = (*l)->type;

		if (type == 0)
			return l;
		if (type > 0 && (flags & MSG_EXCEPT ? t != type : t == type))
			return l;
		if (type < 0 && t <= -type && (!best || t < (*best)->type))
			best = l;
	}
	return best;
}

/* Take *l off q (fixing the tail). */
static struct msg *msg_unlink(struct msg_queue *q, struct msg **l)
{
	struct msg *m = *l;

	*l = m->next;
	if (q->tail == &m->next)
		q->tail = l;
	q->cbytes -= m->size;
	q->qnum--;
	q->lrpid = current->pid;
	q->rtime = ipc_now();
	msg_hdrs--;
	msg_bytes -= (long)m->size;
	msq_wake_all(q);
	return m;
}

long sys_msgrcv(int id, uintptr_t umsg, size_t size, long type, int flags)
{
	struct ipc_obj *o;
	struct msg_queue *q;
	struct msg **l, *m;
	size_t n;
	int err;

	if (id < 0 || (long)size < 0)
		return -EINVAL;
	if (flags & MSG_COPY)
		return -ENOSYS; /* as Linux without CHECKPOINT_RESTORE */
	o = ipc_find(&msg_ids, id);
	if (!o)
		return -EINVAL;
	q = msq_of(o);
	if (!ipc_may(o, 4))
		return -EACCES;
	while (!(l = msg_find(q, type, flags))) {
		if (flags & IPC_NOWAIT)
			return -ENOMSG;
		err = msq_block(q);
		if (err)
			return err;
	}
	if ((*l)->size > size && !(flags & MSG_NOERROR))
		return -E2BIG; /* the message stays */
	n = (*l)->size < size ? (*l)->size : size;
	if (copy_to_user(umsg, &(*l)->type, sizeof(long)) ||
	    copy_to_user(umsg + sizeof(long), (*l)->text, n))
		return -EFAULT; /* the message stays, as on Linux */
	m = msg_unlink(q, l);
	kfree(m);
	return (long)n;
}
SYSCALL5(msgrcv);

static void msq_destroy(struct msg_queue *q)
{
	for (struct msg_waiter *w = q->waiters; w; w = w->next) {
		w->removed = true;
		sched_wakeup(w->thread);
	}
	while (q->first) {
		struct msg *m = q->first;

		q->first = m->next;
		msg_hdrs--;
		msg_bytes -= (long)m->size;
		kfree(m);
	}
	ipc_remove(&msg_ids, &q->o);
	kfree(q);
}

static long msq_info(int cmd, uintptr_t ubuf)
{
	int highest = ipc_highest(&msg_ids);
	struct msginfo mi = { .msgpool = MSG_POOL,
			      .msgmap = IPC_MSGMNB,
			      .msgmax = IPC_MSGMAX,
			      .msgmnb = IPC_MSGMNB,
			      .msgmni = IPC_MSGMNI,
			      .msgssz = MSG_SSZ,
			      .msgtql = IPC_MSGMNB,
			      .msgseg = MSG_SEG };

	if (cmd == MSG_INFO) {
		mi.msgpool = msg_ids.in_use;
		mi.msgmap = (int)msg_hdrs;
		mi.msgtql = (int)msg_bytes;
	}
	if (copy_to_user(ubuf, &mi, sizeof(mi)))
		return -EFAULT;
	return highest < 0 ? 0 : highest;
}

static long msq_stat(struct msg_queue *q, int cmd, uintptr_t ubuf)
{
	struct msqid64_ds ds;

	if (cmd != MSG_STAT_ANY && !ipc_may(&q->o, 4))
		return -EACCES;
	memset(&ds, 0, sizeof(ds));
	ipc_fill_perm(&q->o, &ds.msg_perm);
	ds.msg_stime = q->stime;
	ds.msg_rtime = q->rtime;
	ds.msg_ctime = q->ctime;
	ds.msg_cbytes = q->cbytes;
	ds.msg_qnum = q->qnum;
	ds.msg_qbytes = q->qbytes;
	ds.msg_lspid = q->lspid;
	ds.msg_lrpid = q->lrpid;
	if (copy_to_user(ubuf, &ds, sizeof(ds)))
		return -EFAULT;
	return cmd == IPC_STAT ? 0 : q->o.id;
}

static long msq_set(struct msg_queue *q, uintptr_t ubuf)
{
	struct msqid64_ds ds;
	int err = ipc_may_change(&q->o);

	if (copy_from_user(&ds, ubuf, sizeof(ds)))
		return -EFAULT;
	if (err)
		return err;
	/* Above msgmnb needs CAP_SYS_RESOURCE. */
	if (ds.msg_qbytes > IPC_MSGMNB && current_cred()->euid != 0)
		return -EPERM;
	ipc_set(&q->o, ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.mode);
	q->qbytes = ds.msg_qbytes;
	q->ctime = ipc_now();
	msq_wake_all(q); /* room may have appeared */
	return 0;
}

long sys_msgctl(int id, int cmd, uintptr_t ubuf)
{
	struct ipc_obj *o;
	int err;

	if (id < 0 || cmd < 0)
		return -EINVAL;
	if (cmd == IPC_INFO || cmd == MSG_INFO)
		return msq_info(cmd, ubuf);
	o = cmd == MSG_STAT || cmd == MSG_STAT_ANY ? ipc_slot(&msg_ids, id) :
						     ipc_find(&msg_ids, id);
	if (!o)
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		return msq_stat(msq_of(o), cmd, ubuf);
	case IPC_SET:
		return msq_set(msq_of(o), ubuf);
	case IPC_RMID:
		err = ipc_may_change(o);
		if (!err)
			msq_destroy(msq_of(o));
		return err;
	default:
		return -EINVAL;
	}
}
SYSCALL3(msgctl);
