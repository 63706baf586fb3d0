/* proc.c - the process table: pids, parents and children, and "current". */
#include "core/proc.h"

#include "core/heap.h"

/*
 * Until the personality starts the application, current is a process with
 * no files, no address space and root's credentials (all zero). It
 * becomes pid 1 and the first entry of the table.
 */
static struct proc init_proc;
struct proc *current = &init_proc;

static struct proc *procs = &init_proc; /* the table, newest first */
static struct proc *freed;		/* proc_free'd, kfree'd later */

struct cred *current_cred(void)
{
	return &current->cred;
}

/* Unlink p from its parent's children. */
static void unlink_child(struct proc *p)
{
	if (!p->parent)
		return;
	for (struct proc **l = &p->parent->children; *l; l = &(*l)->sibling)
		if (*l == p) {
			*l = p->sibling;
			break;
		}
	p->parent = NULL;
	p->sibling = NULL;
}

void proc_set_parent(struct proc *p, struct proc *parent)
{
	unlink_child(p);
	p->parent = parent;
	p->ppid = parent ? parent->pid : 0;
	if (parent) {
		p->sibling = parent->children;
		parent->children = p;
	}
}

struct proc *proc_alloc(struct proc *parent)
{
	struct proc *p;

	while (freed) { /* none of them runs any more: we do */
		p = freed;
		freed = p->all_next;
		kfree(p);
	}
	p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	p->state = PROC_LIVE;
	proc_set_parent(p, parent);
	p->all_next = procs;
	procs = p;
	return p;
}

struct proc *proc_find(int pid)
{
	for (struct proc *p = procs; p; p = p->all_next)
		if (p->pid == pid)
			return p;
	return NULL;
}

void proc_free(struct proc *p)
{
	unlink_child(p);
	for (struct proc **l = &procs; *l; l = &(*l)->all_next)
		if (*l == p) {
			*l = p->all_next;
			break;
		}
	if (p == &init_proc)
		return;
	p->all_next = freed;
	freed = p;
}

void proc_for_each(void (*fn)(struct proc *p, void *ctx), void *ctx)
{
	for (struct proc *p = procs; p; p = p->all_next)
		fn(p, ctx);
}

int proc_count_uid(uint32_t uid)
{
	int n = 0;

	for (struct proc *p = procs; p; p = p->all_next)
		if (p->cred.uid == uid)
			n++;
	return n;
}
