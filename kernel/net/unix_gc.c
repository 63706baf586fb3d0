/* unix_gc.c - AF_UNIX ancillary data (files and credentials in flight) and the collector of unreachable sockets. */
#include "net/unix.h"

#include <asm-generic/errno.h>

#include "core/heap.h"
#include "core/proc.h"
#include "fs/vfs.h"

/*
 * Files passed with SCM_RIGHTS sit in the receiver's queue, each holding
 * a reference on its open file description. An AF_UNIX socket can be
 * queued in its own queue (or in a ring of sockets each queued in the
 * next); once every process has closed it, only those queued references
 * keep it, and no one can ever receive them: a leak. Linux runs a
 * collector (net/unix/garbage.c); this is the same idea, kept simple:
 *
 *   candidate: a socket in flight whose file has no references other
 *              than the queued ones (file refs == inflight)
 *   live:      a candidate referenced from a queue that is not a
 *              candidate's, or queued in a live candidate
 *   garbage:   the other candidates; their queued files are dropped,
 *              which releases them.
 *
 * It runs whenever an AF_UNIX socket is released while files are in
 * flight, so a cycle is collected at the next close of any AF_UNIX
 * socket (Linux also waits for a release or a send). A socket a system
 * call is using holds an extra file reference and is never a candidate.
 */
#define UNIX_OVERFLOW_ID 65534 /* overflowuid: credentials never recorded */
/*
 * Files in flight at most, for root too: Linux bounds root by the
 * queues' memory accounting, which Kiln's byte-counted queues lack.
 */
#define UNIX_FILES_INFLIGHT_MAX 65536

static struct unix_sock *unix_all;
static int unix_inflight_total; /* AF_UNIX sockets' queued references */
static int unix_files_inflight; /* every queued file */
static bool gc_running, gc_changed;

void unix_gc_add(struct unix_sock *u)
{
	u->all_prev = NULL;
	u->all_next = unix_all;
	if (unix_all != NULL)
		unix_all->all_prev = u;
	unix_all = u;
}

void unix_gc_remove(struct unix_sock *u)
{
	if (u->all_prev != NULL)
		u->all_prev->all_next = u->all_next;
	else if (unix_all == u)
		unix_all = u->all_next;
	if (u->all_next != NULL)
		u->all_next->all_prev = u->all_prev;
	u->all_next = u->all_prev = NULL;
}

/* Count fds's AF_UNIX sockets as queued (d 1) or no longer (d -1). */
static void inflight_add(struct scm_fds *fds, int d)
{
	int i;

	unix_files_inflight += d * fds->n;
	for (i = 0; i < fds->n; i++) {
		if (fds->usock[i] == NULL || unix_of(fds->usock[i]) == NULL)
			continue;
		unix_of(fds->usock[i])->inflight += d;
		unix_inflight_total += d;
	}
}

int unix_may_send_fds(const struct sock_msg *m)
{
	if (m->fds == NULL)
		return 0;
	/* too_many_unix_fds: more in flight than RLIMIT_NOFILE already */
	if ((current->cred.euid != 0 &&
	     unix_files_inflight > fd_max(current)) ||
	    unix_files_inflight + m->fds->n > UNIX_FILES_INFLIGHT_MAX)
		return -ETOOMANYREFS;
	return 0;
}

static void current_ucred(struct ucred *uc)
{
	uc->pid = (uint32_t)current->pid;
	uc->uid = current->cred.uid;
	uc->gid = current->cred.gid;
}

void unix_anc_cred(struct socket *s, struct socket *r, const struct sock_msg *m,
		   struct unix_anc *a)
{
	a->has_cred = m->has_cred;
	a->cred = m->cred;
	/* maybe_add_creds: either side asking for them records them */
	if (!a->has_cred && (s->passcred || r->passcred)) {
		a->has_cred = true;
		current_ucred(&a->cred);
	}
}

void unix_anc_take(struct socket *s, struct socket *r, struct sock_msg *m,
		   struct unix_anc *a)
{
	a->fds = m->fds;
	m->fds = NULL;
	if (a->fds != NULL)
		inflight_add(a->fds, 1);
	unix_anc_cred(s, r, m, a);
}

void unix_anc_give_fds(struct unix_anc *a, struct sock_msg *m, bool peek)
{
	if (a->fds == NULL)
		return;
	if (peek) {
		m->fds = scm_fds_dup(a->fds); /* unix_peek_fds */
	} else {
		inflight_add(a->fds, -1);
		m->fds = a->fds;
		a->fds = NULL;
	}
}

void unix_anc_give(struct socket *s, struct unix_anc *a, struct sock_msg *m,
		   bool peek)
{
	unix_anc_give_fds(a, m, peek);
	if (!s->passcred)
		return;
	m->has_cred = true;
	if (a->has_cred) {
		m->cred = a->cred;
	} else {
		m->cred.pid = 0;
		m->cred.uid = m->cred.gid = UNIX_OVERFLOW_ID;
	}
}

void unix_anc_drop(struct unix_anc *a)
{
	if (a->fds == NULL)
		return;
	inflight_add(a->fds, -1);
	scm_fds_put(a->fds);
	a->fds = NULL;
}

void unix_marks_purge(struct unix_sock *u)
{
	struct unix_mark *mk;

	while ((mk = u->mk_head) != NULL) {
		u->mk_head = mk->next;
		unix_anc_drop(&mk->anc);
		kfree(mk);
	}
	u->mk_tail = NULL;
}

/* ---- The collector ---- */

/* Call fn on every message's ancillary data queued at u (and its embryos). */
static void each_anc(struct unix_sock *u, void (*fn)(struct unix_anc *a))
{
	struct unix_dgram *d;
	struct unix_mark *mk;
	struct socket *n;

	for (d = u->dq_head; d != NULL; d = d->next)
		fn(&d->anc);
	for (mk = u->mk_head; mk != NULL; mk = mk->next)
		fn(&mk->anc);
	for (n = u->acq_head; n != NULL; n = unix_of(n)->acq_next)
		each_anc(unix_of(n), fn); /* embryos listen to nothing */
}

static void (*gc_child_fn)(struct unix_sock *c);

static void each_child_of(struct unix_anc *a)
{
	int i;

	if (a->fds == NULL)
		return;
	for (i = 0; i < a->fds->n; i++)
		if (a->fds->usock[i] != NULL && unix_of(a->fds->usock[i]))
			gc_child_fn(unix_of(a->fds->usock[i]));
}

static void child_unref(struct unix_sock *c)
{
	if (c->gc_cand)
		c->gc_refs--;
}

static void child_live(struct unix_sock *c)
{
	if (c->gc_cand && !c->gc_live) {
		c->gc_live = true;
		gc_changed = true;
	}
}

static struct scm_fds *gc_garbage;

static void take_garbage(struct unix_anc *a)
{
	if (a->fds == NULL)
		return;
	inflight_add(a->fds, -1);
	a->fds->next = gc_garbage;
	gc_garbage = a->fds;
	a->fds = NULL;
}

/* Mark candidates, then those reachable from outside them. */
static void gc_mark(void)
{
	struct unix_sock *u;
	struct file *f;

	for (u = unix_all; u != NULL; u = u->all_next) {
		f = u->sock->file;
		u->gc_cand = u->inflight > 0 && f != NULL &&
			     f->refs == u->inflight;
		u->gc_refs = u->inflight;
		u->gc_live = false;
	}
	gc_child_fn = child_unref;
	for (u = unix_all; u != NULL; u = u->all_next)
		if (u->gc_cand)
			each_anc(u, each_child_of);
	for (u = unix_all; u != NULL; u = u->all_next)
		u->gc_live = u->gc_cand && u->gc_refs > 0;
	gc_child_fn = child_live;
	do {
		gc_changed = false;
		for (u = unix_all; u != NULL; u = u->all_next)
			if (u->gc_cand && u->gc_live)
				each_anc(u, each_child_of);
	} while (gc_changed);
}

void unix_gc(void)
{
	struct unix_sock *u;
	struct scm_fds *fds;

	if (gc_running || unix_inflight_total == 0)
		return;
	gc_running = true;
	gc_mark();
	gc_garbage = NULL;
	for (u = unix_all; u != NULL; u = u->all_next)
		if (u->gc_cand && !u->gc_live)
			each_anc(u, take_garbage);
	/* Only now: the puts release sockets and change the list. */
	while ((fds = gc_garbage) != NULL) {
		gc_garbage = fds->next;
		scm_fds_put(fds);
	}
	gc_running = false;
}
