/* sock_cmsg.c - control messages of sendmsg and recvmsg: SCM_RIGHTS and SCM_CREDENTIALS (net/core/scm.c). */
#include <asm-generic/errno.h>
#include <asm/socket.h>

#include "core/cred.h"
#include "core/heap.h"
#include "core/proc.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/sock_file.h"

/*
 * The control buffer is untrusted: it is copied in once, then every
 * header's length is checked against what is left before its data is
 * read (CMSG_OK). Files are taken by reference to the open file
 * description, so the receiver shares offsets and flags with the sender.
 */
#define CMSG_HDR sizeof(struct user_cmsghdr)
#define CMSG_ALIGN8(n) (((n) + 7) & ~(uint64_t)7)
/* Control bytes one sendmsg may pass: net.core.optmem_max */
#define SOCK_OPTMEM_MAX 131072U
/* An id that maps to no user (INVALID_UID) */
#define ID_INVALID 0xffffffffU

/* Add the num fds at data to m's files: 0, -EINVAL (too many), -EBADF. */
static int rights_in(struct sock_msg *m, const int *data, int num)
{
	struct socket *us;
	struct file *f;
	int i;

	if (num <= 0)
		return 0;
	if (num > SCM_MAX_FD ||
	    (m->fds != NULL && m->fds->n + num > SCM_MAX_FD))
		return -EINVAL;
	if (m->fds == NULL && (m->fds = scm_fds_alloc()) == NULL)
		return -ENOMEM;
	for (i = 0; i < num; i++) {
		f = data[i] < 0 ? NULL : fd_get(current, data[i]);
		if (f == NULL)
			return -EBADF;
		us = sock_of_file(f);
		m->fds->usock[m->fds->n] = us != NULL && us->family == AF_UNIX ?
						   us :
						   NULL;
		m->fds->fp[m->fds->n++] = file_get(f);
	}
	return 0;
}

static bool id_is_one_of(uint32_t v, uint32_t a, uint32_t b, uint32_t c)
{
	return v == a || v == b || v == c;
}

/* scm_check_creds and the pid lookup: 0, -EINVAL, -EPERM, -ESRCH. */
static int cred_in(struct sock_msg *m, const struct ucred *uc)
{
	const struct cred *c = current_cred();
	bool root = c->euid == 0;

	if (uc->uid == ID_INVALID || uc->gid == ID_INVALID)
		return -EINVAL;
	if (!((uc->pid == (uint32_t)current->pid || root) &&
	      (id_is_one_of(uc->uid, c->uid, c->euid, c->suid) || root) &&
	      (id_is_one_of(uc->gid, c->gid, c->egid, c->sgid) || root)))
		return -EPERM;
	if (uc->pid != (uint32_t)current->pid &&
	    ((int)uc->pid <= 0 || proc_find((int)uc->pid) == NULL))
		return -ESRCH;
	m->has_cred = true;
	m->cred = *uc;
	return 0;
}

/* One control message whose header h and len bytes lie in the buffer. */
static int cmsg_one(struct socket *s, struct sock_msg *m,
		    const struct user_cmsghdr *h, const uint8_t *data)
{
	struct ucred uc;

	if (h->cmsg_level != SOL_SOCKET)
		return 0; /* not ours: ignored, as __scm_send does */
	switch (h->cmsg_type) {
	case SCM_RIGHTS:
		if (s->family != AF_UNIX)
			return -EINVAL;
		return rights_in(m, (const int *)(const void *)data,
				 (int)((h->cmsg_len - CMSG_HDR) / sizeof(int)));
	case SCM_CREDENTIALS:
		if (h->cmsg_len != CMSG_HDR + sizeof(uc))
			return -EINVAL;
		memcpy(&uc, data, sizeof(uc));
		return cred_in(m, &uc);
	}
	return -EINVAL;
}

int sock_cmsg_in(struct socket *s, uintptr_t uctl, uint64_t len,
		 struct sock_msg *m)
{
	struct user_cmsghdr h;
	uint8_t *buf;
	uint64_t off = 0;
	int err = 0;

	if (len == 0)
		return 0;
	if (len >= SOCK_OPTMEM_MAX)
		return -ENOBUFS;
	if (s->family != AF_UNIX)
		return -EOPNOTSUPP; /* no family but AF_UNIX takes any yet */
	buf = kmalloc(len);
	if (buf == NULL)
		return -ENOBUFS;
	if (copy_from_user(buf, uctl, len) < 0)
		err = -EFAULT;
	while (err == 0 && len - off >= CMSG_HDR) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.cmsg_len < CMSG_HDR || h.cmsg_len > len - off) {
			err = -EINVAL;
			break;
		}
		err = cmsg_one(s, m, &h, buf + off + CMSG_HDR);
		off += CMSG_ALIGN8(h.cmsg_len);
	}
	kfree(buf);
	return err;
}

/*
 * put_cmsg: one message of n data bytes at *used; cut to what is left
 * (MSG_CTRUNC), nothing when not even a header fits.
 */
static void cmsg_put(struct sock_msg *m, uintptr_t uctl, uint64_t len,
		     uint64_t *used, int type, const void *data, size_t n)
{
	struct user_cmsghdr h = { .cmsg_level = SOL_SOCKET, .cmsg_type = type };
	uint64_t avail = len - *used;

	h.cmsg_len = CMSG_HDR + n;
	if (uctl == 0 || avail < CMSG_HDR) {
		m->flags_out |= MSG_CTRUNC;
		return;
	}
	if (avail < h.cmsg_len) {
		m->flags_out |= MSG_CTRUNC;
		h.cmsg_len = avail;
	}
	if (copy_to_user(uctl + *used, &h, sizeof(h)) < 0 ||
	    copy_to_user(uctl + *used + CMSG_HDR, data, h.cmsg_len - CMSG_HDR) <
		    0)
		return;
	*used += CMSG_ALIGN8(CMSG_HDR + n) < avail ? CMSG_ALIGN8(CMSG_HDR + n) :
						     avail;
}

/* scm_detach_fds: install as many files as fit; close the rest. */
static void rights_out(struct sock_msg *m, uintptr_t uctl, uint64_t len,
		       uint64_t *used, bool cloexec)
{
	struct scm_fds *fds = m->fds;
	uint64_t avail = uctl == 0 ? 0 : len - *used;
	int max = avail > CMSG_HDR ? (int)((avail - CMSG_HDR) / sizeof(int)) :
				     0;
	struct user_cmsghdr h = { .cmsg_level = SOL_SOCKET,
				  .cmsg_type = SCM_RIGHTS };
	int i, fd, taken;

	if (max > fds->n)
		max = fds->n;
	for (i = taken = 0; i < max; i++) {
		fd = fd_install(current, fds->fp[i], 0, cloexec);
		if (fd < 0)
			break;
		taken++; /* the fd table holds it now */
		if (copy_to_user(uctl + *used + CMSG_HDR + i * sizeof(int), &fd,
				 sizeof(fd)) < 0) {
			fd_close(current, fd); /* puts it */
			break;
		}
	}
	if (i > 0) {
		h.cmsg_len = CMSG_HDR + (uint64_t)i * sizeof(int);
		if (copy_to_user(uctl + *used, &h, sizeof(h)) == 0)
			*used += CMSG_ALIGN8(h.cmsg_len) < avail ?
					 CMSG_ALIGN8(h.cmsg_len) :
					 avail;
	}
	if (i < fds->n)
		m->flags_out |= MSG_CTRUNC;
	/* The files that did not fit are the caller's to close. */
	memmove(fds->fp, fds->fp + taken,
		(size_t)(fds->n - taken) * sizeof(fds->fp[0]));
	fds->n -= taken;
}

uint64_t sock_cmsg_out(struct sock_msg *m, uintptr_t uctl, uint64_t len,
		       bool cloexec)
{
	uint64_t used = 0;

	if (m->has_cred)
		cmsg_put(m, uctl, len, &used, SCM_CREDENTIALS, &m->cred,
			 sizeof(m->cred));
	if (m->fds != NULL && m->fds->n > 0)
		rights_out(m, uctl, len, &used, cloexec);
	return used;
}
