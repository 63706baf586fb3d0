/* notify.c - change notification: the marks watchers hang on nodes, and the events the file system sends them. */
#include "fs/notify.h"

#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/vfs.h"
#include "lib/string.h"

/*
 * fs/ knows nothing of who watches (inotify lives in the personality):
 * a watcher puts a struct fsnotify_mark on a node, and fs/ (and the
 * syscalls, which know what a call changed) report changes through
 * fsnotify_*. Masks are Linux's FS_* bits, which are the IN_* values.
 *
 * As Linux's fsnotify_parent, an event on a node is told first to the
 * marks on the directory that holds it (with its name: the last name it
 * was linked under, kept even after an unlink as an unhashed dentry
 * keeps its name; a node with hard links reports the newest one), then
 * to the node's own marks (without a name).
 */
#define NOTIFY_CHILD_EVENTS                                   \
	(IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
	 IN_CLOSE_NOWRITE | IN_OPEN)

static uint32_t notify_cookie;

uint32_t fsnotify_cookie(void)
{
	return ++notify_cookie;
}

void fsnotify_mark_add(struct vnode *vn, struct fsnotify_mark *m)
{
	/* entries put off until now would be reported as created */
	vfs_dir_populate(vn);
	m->vn = vn;
	m->next = vn->marks;
	vn->marks = m;
}

void fsnotify_mark_remove(struct fsnotify_mark *m)
{
	struct fsnotify_mark **pp;

	if (m->vn == NULL)
		return;
	for (pp = &m->vn->marks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->vn = NULL;
}

/* Every mark on vn; a mark's hook may remove that mark (IN_ONESHOT). */
static void notify_marks(struct vnode *vn, uint32_t mask, uint32_t cookie,
			 const char *name, const struct vnode *subject)
{
	struct fsnotify_mark *m = vn->marks, *next;

	for (; m != NULL; m = next) {
		next = m->next;
		m->event(m, mask, cookie, name, subject);
	}
}

static uint32_t isdir(const struct vnode *vn)
{
	return vn != NULL && S_ISDIR(vn->mode) ? IN_ISDIR : 0;
}

void fsnotify_node(struct vnode *vn, uint32_t mask)
{
	if (vn == NULL)
		return;
	mask |= isdir(vn);
	if ((mask & NOTIFY_CHILD_EVENTS) && vn->ndir != NULL &&
	    vn->ndir->marks != NULL)
		notify_marks(vn->ndir, mask, 0, vn->nname, vn);
	if (vn->marks != NULL)
		notify_marks(vn, mask, 0, NULL, vn);
}

void fsnotify_inode(struct vnode *vn, uint32_t mask)
{
	if (vn != NULL && vn->marks != NULL)
		notify_marks(vn, mask | isdir(vn), 0, NULL, vn);
}

void fsnotify_dir(struct vnode *dir, uint32_t mask, uint32_t cookie,
		  const char *name, const struct vnode *child)
{
	if (dir != NULL && dir->marks != NULL)
		notify_marks(dir, mask | isdir(child), cookie, name, child);
}

void fsnotify_open(struct file *f)
{
	if (f->vn == NULL || (f->flags & O_PATH))
		return;
	f->notified = true;
	fsnotify_node(f->vn, IN_OPEN);
}

void fsnotify_close(struct file *f)
{
	uint32_t acc = f->flags & O_ACCMODE;

	if (!f->notified)
		return;
	fsnotify_node(f->vn,
		      acc == O_RDONLY ? IN_CLOSE_NOWRITE : IN_CLOSE_WRITE);
}

void fsnotify_linked(struct vnode *dir, const char *name, struct vnode *vn)
{
	size_t len = strlen(name) + 1;
	char *copy = kmalloc(len);

	if (copy == NULL)
		return; /* events keep the old name: only a name is lost */
	memcpy(copy, name, len);
	kfree(vn->nname);
	vn->nname = copy;
	if (vn->ndir != dir) {
		vnode_put(vn->ndir);
		vn->ndir = vnode_get(dir);
	}
}

void fsnotify_node_free(struct vnode *vn)
{
	struct fsnotify_mark *m;

	/* Linux 6.18 reports it without IN_ISDIR, also for a directory. */
	if (vn->marks != NULL)
		notify_marks(vn, IN_DELETE_SELF, 0, NULL, vn);
	while ((m = vn->marks) != NULL) {
		vn->marks = m->next;
		m->vn = NULL;
		m->gone(m);
	}
	kfree(vn->nname);
	vnode_put(vn->ndir);
}
