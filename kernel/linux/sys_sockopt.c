/* sys_sockopt.c - setsockopt, getsockopt; SOL_SOCKET options kept in struct socket. */
#include <asm-generic/errno.h>
#include <linux/time_types.h>

#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/syscall.h"
#include "linux/sock_file.h"

/*
 * socket(7). SO_RCVTIMEO/SO_SNDTIMEO bound blocking receives and sends;
 * SO_RCVBUF/SO_SNDBUF are doubled and clamped as Linux does, and TCP
 * sizes its rings from them (and may correct them to the truth, see
 * inet_tcp.c); SO_LINGER makes a TCP close reset or wait; the rest is
 * stored and read back.
 */
#define SOCK_BUF_MAX 212992  /* net.core.[rw]mem_max */
#define SOCK_MIN_SNDBUF 4608 /* 2 * (2048 + sizeof(struct sk_buff)) */
#define SOCK_MIN_RCVBUF 2304

static int opt_int(const void *val, int len, int *out)
{
	if (len < (int)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int set_timeo(uint64_t *ns, const void *val, int len)
{
	struct __kernel_old_timeval tv;

	if (len < (int)sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*ns = 1; /* Linux: a negative time means "do not wait" */
		return 0;
	}
	*ns = (uint64_t)tv.tv_sec * 1000000000ULL +
	      (uint64_t)tv.tv_usec * 1000ULL;
	return 0;
}

static int clamp_buf(int v, int min)
{
	if (v < 0 || v > SOCK_BUF_MAX)
		v = SOCK_BUF_MAX;
	return v * 2 < min ? min : v * 2;
}

int sock_setsockopt(struct socket *s, int name, const void *val, int len)
{
	int v = 0;

	if (name == SO_LINGER) {
		if (len < (int)sizeof(struct linger))
			return -EINVAL;
		memcpy(&s->linger, val, sizeof(s->linger));
		s->linger.l_onoff = s->linger.l_onoff != 0;
		return 0;
	}
	if (name == SO_RCVTIMEO_OLD)
		return set_timeo(&s->rcvtimeo_ns, val, len);
	if (name == SO_SNDTIMEO_OLD)
		return set_timeo(&s->sndtimeo_ns, val, len);
	if (opt_int(val, len, &v) < 0)
		return -EINVAL;
	switch (name) {
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		return 0;
	case SO_REUSEPORT:
		s->reuseport = v != 0;
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = v != 0;
		return 0;
	case SO_BROADCAST:
		s->broadcast = v != 0;
		return 0;
	case SO_PASSCRED:
		s->passcred = v != 0;
		return 0;
	case SO_PRIORITY:
		s->priority = v;
		return 0;
	case SO_SNDBUF:
		s->sndbuf = clamp_buf(v, SOCK_MIN_SNDBUF);
		return 0;
	case SO_RCVBUF:
		s->rcvbuf = clamp_buf(v, SOCK_MIN_RCVBUF);
		return 0;
	case SO_RCVLOWAT:
		s->rcvlowat = v < 1 ? 1 : v;
		return 0;
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
		return 0;
	}
	return -ENOPROTOOPT;
}

/* SO_PEERCRED: as the family recorded them; else none. */
static void peercred(struct socket *s, struct ucred *uc)
{
	if (s->has_peercred) {
		*uc = s->peercred;
		return;
	}
	uc->pid = 0;
	uc->uid = uc->gid = (uint32_t)-1;
}

static void get_timeo(uint64_t ns, struct __kernel_old_timeval *tv)
{
	tv->tv_sec = (long)(ns / 1000000000ULL);
	tv->tv_usec = (long)(ns % 1000000000ULL / 1000);
}

/* Options that are not a plain int: into val, their size. */
static int get_struct(struct socket *s, int name, void *val)
{
	switch (name) {
	case SO_LINGER:
		memcpy(val, &s->linger, sizeof(s->linger));
		return sizeof(s->linger);
	case SO_PEERCRED:
		peercred(s, val);
		return sizeof(struct ucred);
	case SO_RCVTIMEO_OLD:
	case SO_SNDTIMEO_OLD:
		get_timeo(name == SO_RCVTIMEO_OLD ? s->rcvtimeo_ns :
						    s->sndtimeo_ns,
			  val);
		return sizeof(struct __kernel_old_timeval);
	}
	return 0;
}

/* The int value of option name: 0, or -ENOPROTOOPT. */
static int get_int(struct socket *s, int name, int *v)
{
	switch (name) {
	case SO_TYPE:
		*v = s->type;
		break;
	case SO_DOMAIN:
		*v = s->family;
		break;
	case SO_PROTOCOL:
		*v = s->protocol;
		break;
	case SO_ACCEPTCONN:
		*v = s->listening;
		break;
	case SO_ERROR:
		*v = -s->err;
		s->err = 0;
		break;
	case SO_REUSEADDR:
		*v = s->reuseaddr;
		break;
	case SO_REUSEPORT:
		*v = s->reuseport;
		break;
	case SO_KEEPALIVE:
		*v = s->keepalive;
		break;
	case SO_BROADCAST:
		*v = s->broadcast;
		break;
	case SO_PASSCRED:
		*v = s->passcred;
		break;
	case SO_PRIORITY:
		*v = s->priority;
		break;
	case SO_SNDBUF:
		*v = s->sndbuf;
		break;
	case SO_RCVBUF:
		*v = s->rcvbuf;
		break;
	case SO_RCVLOWAT:
		*v = s->rcvlowat;
		break;
	case SO_SNDLOWAT:
		*v = 1;
		break;
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
		*v = 0;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

int sock_getsockopt(struct socket *s, int name, void *val, int *len)
{
	uint8_t buf[sizeof(struct __kernel_old_timeval)];
	int v, n, err;

	if (*len < 0)
		return -EINVAL;
	n = get_struct(s, name, buf);
	if (n == 0) {
		err = get_int(s, name, &v);
		if (err < 0)
			return err;
		memcpy(buf, &v, sizeof(v));
		n = sizeof(v);
	}
	if (*len < n)
		n = *len; /* Linux truncates */
	memcpy(val, buf, (size_t)n);
	*len = n;
	return 0;
}

#define SOCKOPT_MAX 256 /* longest option value copied in or out */

long sys_setsockopt(int fd, int level, int name, uintptr_t uval, int len)
{
	uint8_t val[SOCKOPT_MAX];
	struct socket *s;
	int err;

	if (len < 0)
		return -EINVAL;
	if (len > SOCKOPT_MAX)
		len = SOCKOPT_MAX;
	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (copy_from_user(val, uval, (size_t)len) < 0)
		err = -EFAULT;
	else if (level == SOL_SOCKET) {
		err = sock_setsockopt(s, name, val, len);
		/*
		 * Kept here, and told to the protocol, which acts on those it
		 * needs (TCP: SO_KEEPALIVE) and refuses the rest, ignored.
		 */
		if (err == 0 && s->ops->setsockopt)
			s->ops->setsockopt(s, level, name, val, len);
	} else
		err = s->ops->setsockopt ?
			      s->ops->setsockopt(s, level, name, val, len) :
			      -ENOPROTOOPT;
	sock_fd_put(s);
	return err;
}
SYSCALL5(setsockopt);

long sys_getsockopt(int fd, int level, int name, uintptr_t uval, uintptr_t ulen)
{
	uint8_t val[SOCKOPT_MAX];
	struct socket *s;
	int err, len;

	if (copy_from_user(&len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (len > SOCKOPT_MAX)
		len = SOCKOPT_MAX;
	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (level == SOL_SOCKET)
		err = sock_getsockopt(s, name, val, &len);
	else
		err = s->ops->getsockopt ?
			      s->ops->getsockopt(s, level, name, val, &len) :
			      -ENOPROTOOPT;
	sock_fd_put(s);
	if (err < 0)
		return err;
	if (copy_to_user(uval, val, (size_t)len) < 0 ||
	    copy_to_user(ulen, &len, sizeof(len)) < 0)
		return -EFAULT;
	return 0;
}
SYSCALL5(getsockopt);
