/* notify.h - change notification on nodes (fs/notify.c): the marks inotify hangs on them and the events the fs sends. */
#ifndef KILN_FS_NOTIFY_H
#define KILN_FS_NOTIFY_H

#include <stdint.h>

struct file;
struct vnode;

/*
 * A watcher's hook on one node (inotify's watch). event gets Linux's
 * FS_* (= IN_*) bits, with IN_ISDIR for a directory, a move's cookie and
 * the child's name for events on a watched directory's entries, and the
 * node the event is about (NULL when gone or not known); it may remove
 * its own mark. gone runs when the node is freed, after its
 * IN_DELETE_SELF, with the mark already off the node. Neither sleeps.
 */
struct fsnotify_mark {
	void (*event)(struct fsnotify_mark *m, uint32_t mask, uint32_t cookie,
		      const char *name, const struct vnode *subject);
	void (*gone)(struct fsnotify_mark *m);
	struct vnode *vn; /* NULL once removed */
	struct fsnotify_mark *next;
};

void fsnotify_mark_add(struct vnode *vn, struct fsnotify_mark *m);
/* Take m off its node (idempotent). */
void fsnotify_mark_remove(struct fsnotify_mark *m);

/* An event on vn: to its directory's marks (named), then its own. */
void fsnotify_node(struct vnode *vn, uint32_t mask);
/* An event for vn's own marks only (link count, IN_MOVE_SELF). */
void fsnotify_inode(struct vnode *vn, uint32_t mask);
/* An entry of dir changed (IN_CREATE, IN_DELETE, IN_MOVED_*): dir's marks. */
void fsnotify_dir(struct vnode *dir, uint32_t mask, uint32_t cookie,
		  const char *name, const struct vnode *child);
/* A fresh cookie tying an IN_MOVED_FROM to its IN_MOVED_TO. */
uint32_t fsnotify_cookie(void);
/* IN_OPEN of a file (not O_PATH), and the IN_CLOSE_* it then owes. */
void fsnotify_open(struct file *f);
void fsnotify_close(struct file *f);
/* vn was linked into dir as name: the name its events carry (fs only). */
void fsnotify_linked(struct vnode *dir, const char *name, struct vnode *vn);
/* vn is being freed: IN_DELETE_SELF, then every mark's gone (fs only). */
void fsnotify_node_free(struct vnode *vn);

#endif
