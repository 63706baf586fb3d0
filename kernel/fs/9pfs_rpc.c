/* 9pfs_rpc.c - the 9P client's exchanges: tags, fids, msize negotiation, version and attach. */
#include "fs/9pfs_int.h"

#include <asm-generic/errno.h>

#include "drivers/virtio_9p.h"
#include "lib/string.h"

void p9c_begin(struct p9_mount *m, struct p9_buf *b, uint8_t type)
{
	struct waiter w;

	wait_add(&m->idle, &w);
	while (m->busy)
		sched_sleep(0, false);
	wait_remove(&w);
	m->busy = true;
	/* Tags only tell answers apart; one exchange: any but NOTAG. */
	if (++m->tag == P9_NOTAG)
		m->tag = 0;
	p9_begin(b, m->tx, m->msize, type,
		 type == P9_TVERSION ? P9_NOTAG : m->tag);
}

int p9c_call(struct p9_mount *m, struct p9_buf *b, struct p9_buf *r)
{
	uint8_t type = m->tx[4];
	size_t n = p9_finish(b);
	uint32_t len;
	int err;

	r->bad = false;
	if (n == 0)
		return -ENAMETOOLONG; /* only names can make it too long */
	err = virtio_9p_rpc(m->dev, m->tx, n, m->rx, m->msize, &len);
	if (err)
		return err;
	return p9_reply(r, m->rx, len, type == P9_TVERSION ? P9_NOTAG : m->tag,
			(uint8_t)(type + 1));
}

int p9c_end(struct p9_mount *m, const struct p9_buf *r, int err)
{
	m->busy = false;
	wake_up(&m->idle);
	if (err == 0 && r->bad)
		return -EPROTO;
	return err;
}

uint32_t p9c_fid(struct p9_mount *m)
{
	/* Never reused: 2^32 fids outlast any run (P9_NOFID excluded). */
	if (m->next_fid == P9_NOFID)
		m->next_fid = 1;
	return m->next_fid++;
}

int p9c_walk(struct p9_mount *m, uint32_t fid, const char *name, uint32_t *out)
{
	struct p9_buf b, r;
	uint32_t nfid = p9c_fid(m);
	int err;

	p9c_begin(m, &b, P9_TWALK);
	p9_put_u32(&b, fid);
	p9_put_u32(&b, nfid);
	p9_put_u16(&b, name ? 1 : 0);
	if (name)
		p9_put_str(&b, name, strlen(name));
	err = p9c_call(m, &b, &r);
	/* A walk of one name that stops short answers nwqid 0: ENOENT. */
	if (err == 0 && p9_get_u16(&r) != (name ? 1 : 0))
		err = -ENOENT;
	err = p9c_end(m, &r, err);
	if (err == 0)
		*out = nfid;
	return err;
}

/* A request of a fid and nothing else in either direction. */
static int fid_only(struct p9_mount *m, uint8_t type, uint32_t fid)
{
	struct p9_buf b, r;

	p9c_begin(m, &b, type);
	p9_put_u32(&b, fid);
	return p9c_end(m, &r, p9c_call(m, &b, &r));
}

int p9c_clunk(struct p9_mount *m, uint32_t fid)
{
	return fid_only(m, P9_TCLUNK, fid);
}

int p9c_getattr(struct p9_mount *m, uint32_t fid, struct p9_attr *a)
{
	struct p9_buf b, r;
	int err;

	p9c_begin(m, &b, P9_TGETATTR);
	p9_put_u32(&b, fid);
	p9_put_u64(&b, P9_GETATTR_BASIC);
	err = p9c_call(m, &b, &r);
	if (err == 0)
		p9_get_attr(&r, a);
	return p9c_end(m, &r, err);
}

int p9c_lopen(struct p9_mount *m, uint32_t fid, uint32_t flags)
{
	struct p9_buf b, r;

	p9c_begin(m, &b, P9_TLOPEN);
	p9_put_u32(&b, fid);
	p9_put_u32(&b, flags);
	return p9c_end(m, &r, p9c_call(m, &b, &r));
}

int p9c_statfs(struct p9_mount *m, uint32_t fid, struct p9_statfs *s)
{
	struct p9_buf b, r;
	int err;

	p9c_begin(m, &b, P9_TSTATFS);
	p9_put_u32(&b, fid);
	err = p9c_call(m, &b, &r);
	if (err == 0)
		p9_get_statfs(&r, s);
	return p9c_end(m, &r, err);
}

/* Tversion: the server may lower msize, never raise it; "9P2000.L" only. */
static int version(struct p9_mount *m)
{
	static const char want[] = "9P2000.L";
	struct p9_buf b, r;
	const char *v;
	size_t len;
	uint32_t msize = 0;
	int err;

	p9c_begin(m, &b, P9_TVERSION);
	p9_put_u32(&b, P9FS_MSIZE);
	p9_put_str(&b, want, sizeof(want) - 1);
	err = p9c_call(m, &b, &r);
	if (err == 0) {
		msize = p9_get_u32(&r);
		v = p9_get_str(&r, &len);
		if (v == NULL || len != sizeof(want) - 1 ||
		    memcmp(v, want, len) != 0 || msize < P9FS_MSIZE_MIN ||
		    msize > P9FS_MSIZE)
			err = -EPROTO;
	}
	err = p9c_end(m, &r, err);
	if (err == 0)
		m->msize = msize;
	return err;
}

int p9c_attach(struct p9_mount *m, uint32_t *root)
{
	struct p9_buf b, r;
	uint32_t fid;
	int err;

	m->msize = P9FS_MSIZE;
	err = version(m);
	if (err)
		return err;
	fid = p9c_fid(m);
	p9c_begin(m, &b, P9_TATTACH);
	p9_put_u32(&b, fid);
	p9_put_u32(&b, P9_NOFID); /* no authentication */
	p9_put_str(&b, "root", 4);
	p9_put_str(&b, "", 0);
	p9_put_u32(&b, 0); /* n_uname: uid 0, the app's */
	err = p9c_end(m, &r, p9c_call(m, &b, &r));
	if (err == 0)
		*root = fid;
	return err;
}
