/* syscall_fuzz_structs.c - the structs syscalls read, built for the fuzzer: masks, times, iovecs, messages, handlers. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "syscall_fuzz.h"

/*
 * Each struct is built in R.structs for one call (struct_place: now and
 * then so it ends at the guard page), with plausible fields mixed with
 * bad ones; about one pointer in ten is hostile instead of a struct.
 */

/* ---- signal masks ---- */

static uint64_t reserved_mask(void)
{
	uint64_t m = 0;

	for (int s = 1; s <= 64; s++)
		if (signal_reserved(s))
			m |= 1ULL << (s - 1);
	return m;
}

/* A mask that never holds a reserved signal: the watchdog must get through. */
uint64_t gen_sigset(void)
{
	uint64_t *set;

	if (chance(15))
		return 0;
	if (chance(15))
		return gen_hostile();
	set = struct_place(sizeof(*set));
	if (!set)
		return 0;
	*set = (chance(30) ? ~0ULL : rnd()) & ~reserved_mask();
	return (uint64_t)(uintptr_t)set;
}

/* ---- times ---- */

static int64_t time_field(bool nsec)
{
	static const uint64_t sec[] = { 0,	    0,
					0,	    1,
					2,	    (uint64_t)-1,
					0x7fffffff, 0x7fffffffffffffffULL,
					1ULL << 40 };
	static const uint64_t ns[] = { 0,
				       1,
				       1000,
				       100000,
				       1000000,
				       999999999,
				       1000000000,
				       (uint64_t)-1,
				       0x7fffffffffffffffULL };

	if (chance(10))
		return (int64_t)rnd();
	return nsec ? (int64_t)PICK(ns) : (int64_t)PICK(sec);
}

/* Four longs: a timespec, a timeval, or an itimerspec/itimerval. */
uint64_t gen_times(void)
{
	int64_t *t;

	if (chance(10))
		return 0;
	if (chance(10))
		return gen_hostile();
	t = struct_place(4 * sizeof(*t));
	if (!t)
		return 0;
	for (int i = 0; i < 4; i++)
		t[i] = time_field(i % 2);
	return (uint64_t)(uintptr_t)t;
}

/* ---- I/O vectors and messages ---- */

uint64_t gen_iov(uint64_t *count)
{
	size_t n = rnd_below(9);
	struct iovec *v;

	*count = chance(85) ? n : gen_count();
	if (chance(10))
		return gen_hostile();
	v = struct_place((n ? n : 1) * sizeof(*v));
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = gen_ptr(true);

		v[i].iov_base = (void *)(uintptr_t)p;
		v[i].iov_len = chance(70) ? rnd_below(512) : gen_len(p);
	}
	return (uint64_t)(uintptr_t)v;
}

static uint64_t gen_control(uint64_t *len)
{
	size_t nfds = 1 + rnd_below(4), room = CMSG_SPACE(16 * sizeof(int));
	struct cmsghdr *c = struct_alloc(room);

	if (!c)
		return *len = 0;
	switch (rnd_below(3)) {
	case 0:
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (size_t i = 0; i < nfds; i++)
			((int *)CMSG_DATA(c))[i] = (int)gen_fd();
		*len = CMSG_SPACE(nfds * sizeof(int));
		break;
	case 1:
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(3 * sizeof(int));
		((int *)CMSG_DATA(c))[0] = (int)gen_pid();
		((int *)CMSG_DATA(c))[1] = (int)gen_uid();
		((int *)CMSG_DATA(c))[2] = (int)gen_uid();
		*len = CMSG_SPACE(3 * sizeof(int));
		break;
	default:
		fill_random(c, room);
		if (chance(50))
			c->cmsg_len = rnd_below(room + 16);
		*len = rnd_below(room + 1);
		break;
	}
	if (chance(15))
		*len = gen_len((uint64_t)(uintptr_t)c);
	return (uint64_t)(uintptr_t)c;
}

uint64_t gen_msghdr(void)
{
	struct msghdr *m;
	uint64_t n, len;

	if (chance(10))
		return gen_hostile();
	m = struct_place(sizeof(*m));
	if (!m)
		return 0;
	m->msg_name = chance(50) ? NULL : (void *)(uintptr_t)gen_sockaddr(&len);
	m->msg_namelen = m->msg_name ? (socklen_t)len : 0;
	m->msg_iov = (void *)(uintptr_t)gen_iov(&n);
	m->msg_iovlen = n;
	m->msg_control = chance(50) ? NULL :
				      (void *)(uintptr_t)gen_control(&len);
	m->msg_controllen = m->msg_control ? len : 0;
	m->msg_flags = (int)gen_flags();
	return (uint64_t)(uintptr_t)m;
}

uint64_t gen_sockaddr(uint64_t *len)
{
	static const uint32_t addrs[] = { 0x7f000001, 0,	  0xffffffff,
					  0x0a000202, 0xe0000001, 0x7f000002 };
	struct sockaddr_in *in;
	struct sockaddr_un *un;
	uint8_t *raw;
	void *p;

	*len = sizeof(*in);
	switch (rnd_below(6)) {
	case 0:
	case 1:
		p = in = struct_place(sizeof(*in));
		if (!in)
			return 0;
		in->sin_family = AF_INET;
		in->sin_port = htons(chance(50) ? (uint16_t)listen_port :
						  (uint16_t)rnd());
		in->sin_addr.s_addr = htonl(
			addrs[rnd_below(sizeof(addrs) / 4)]);
		memset(in->sin_zero, 0, sizeof(in->sin_zero));
		break;
	case 2:
		p = un = struct_place(sizeof(*un));
		if (!un)
			return 0;
		un->sun_family = AF_UNIX;
		if (chance(30)) /* no NUL anywhere */
			memset(un->sun_path, 'u', sizeof(un->sun_path));
		else
			strcpy(un->sun_path, chance(50) ? "/tmp/fz/sock" : "");
		if (un->sun_path[0] == '\0' && chance(50))
			memcpy(un->sun_path + 1, "fz", 3); /* abstract */
		*len = chance(50) ? sizeof(*un) :
				    2 + rnd_below(sizeof(*un) - 1);
		break;
	case 3:
		return gen_hostile();
	default:
		p = raw = struct_place(128);
		if (!raw)
			return 0;
		fill_random(raw, 128);
		raw[0] = (uint8_t)rnd_below(
			48); /* any family, AF_UNSPEC included */
		raw[1] = 0;
		*len = rnd_below(129);
		break;
	}
	if (chance(15))
		*len = gen_int();
	return (uint64_t)(uintptr_t)p;
}

uint64_t gen_lenp(void)
{
	static const uint64_t lens[] = { 0,   1,    2,		4,
					 8,   16,   28,		110,
					 128, 4096, 0x7fffffff, 0xffffffff };
	uint32_t *p;

	if (chance(10))
		return 0;
	if (chance(10))
		return gen_hostile();
	p = struct_place(sizeof(*p));
	if (!p)
		return 0;
	*p = (uint32_t)PICK(lens);
	return (uint64_t)(uintptr_t)p;
}

uint64_t gen_pollfds(uint64_t *count)
{
	static const uint64_t events[] = {
		POLLIN, POLLOUT, POLLIN | POLLOUT, POLLPRI | POLLRDHUP,
		0,	0xffff
	};
	size_t n = rnd_below(9);
	struct pollfd *p;

	*count = chance(85) ? n : gen_count();
	if (chance(10))
		return gen_hostile();
	p = struct_place((n ? n : 1) * sizeof(*p));
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++) {
		p[i].fd = (int)gen_fd();
		p[i].events = (short)(chance(80) ? PICK(events) : rnd());
		p[i].revents = (short)rnd();
	}
	return (uint64_t)(uintptr_t)p;
}

uint64_t gen_fdset(void)
{
	uint64_t *set;

	if (chance(15))
		return 0;
	if (chance(10))
		return gen_hostile();
	set = struct_place(128);
	if (!set)
		return 0;
	memset(set, chance(10) ? 0xff : 0, 128);
	for (uint64_t i = rnd_below(5); i > 0; i--) {
		long fd = fd_count && chance(80) ?
				  fd_table[rnd_below((uint64_t)fd_count)] :
				  (long)rnd_below(1024);

		if (fd >= 0 && fd < 1024)
			set[fd / 64] |= 1ULL << (fd % 64);
	}
	return (uint64_t)(uintptr_t)set;
}

uint64_t gen_epoll_event(void)
{
	static const uint64_t events[] = { 0x1,	       0x4,	   0x5,
					   0x80000001, 0x40000005, 0x10000001,
					   0x20000004, 0x2019 };
	uint32_t *e;

	if (chance(10))
		return chance(50) ? 0 : gen_hostile();
	e = struct_place(12); /* struct epoll_event is packed on x86_64 */
	if (!e)
		return 0;
	e[0] = (uint32_t)(chance(80) ? PICK(events) : rnd());
	e[1] = (uint32_t)rnd();
	e[2] = (uint32_t)rnd();
	return (uint64_t)(uintptr_t)e;
}

/* ---- signal handling the fuzzer survives ---- */

#define K_SA_RESTORER 0x04000000UL
#define K_SA_RESETHAND 0x80000000UL

/*
 * The kernel's struct sigaction on x86_64, for signal sig (not reserved:
 * the caller hands a reserved one only NULL or a hostile pointer). The
 * handler is the fuzzer's, or SIG_IGN, or SIG_DFL where that ignores;
 * never SA_RESETHAND, which would leave a fatal default behind; always
 * the fuzzer's restorer, as x86_64 requires.
 */
uint64_t gen_sigaction(int sig)
{
	struct {
		uint64_t handler, flags, restorer, mask;
	} * sa;
	bool dfl_ignores = sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH ||
			   sig == SIGCONT;

	if (chance(10))
		return gen_hostile();
	sa = struct_place(sizeof(*sa));
	if (!sa)
		return 0;
	switch (rnd_below(10)) {
	case 0:
	case 1:
		sa->handler = (uint64_t)(uintptr_t)SIG_IGN;
		break;
	case 2:
		sa->handler = (uint64_t)(uintptr_t)(dfl_ignores ? SIG_DFL :
								  SIG_IGN);
		break;
	default:
		sa->handler = (uint64_t)(uintptr_t)fuzz_on_signal;
		break;
	}
	sa->flags = (gen_flags() & ~K_SA_RESETHAND) | K_SA_RESTORER;
	sa->restorer = (uint64_t)(uintptr_t)fuzz_restorer;
	sa->mask = rnd();
	return (uint64_t)(uintptr_t)sa;
}

/*
 * A stack_t inside R.altstack: either too small for Linux to take
 * (under MINSIGSTKSZ, 2048) or 16 KiB and more, which holds any frame
 * (xsave state included); sizes between would be a legitimate SIGSEGV
 * at the next delivery on it.
 */
uint64_t gen_stack_t(void)
{
	static const uint64_t flags[] = { 0,
					  0,
					  2 /* SS_DISABLE */,
					  1 /* SS_ONSTACK */,
					  0x80000000 /* SS_AUTODISARM */,
					  0xffffffff };
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} * ss;
	uint64_t off, size;

	if (chance(10))
		return gen_hostile();
	ss = struct_place(sizeof(*ss));
	if (!ss)
		return 0;
	off = rnd_below(ALTSTACK / 2) & ~15UL;
	size = ALTSTACK - off;
	if (chance(20))
		size = PICK(((const uint64_t[]){ 0, 1, 100, 2047 }));
	else if (chance(50))
		size = 16384 + rnd_below(size - 16384 + 1);
	ss->sp = (uint64_t)(uintptr_t)R.altstack + off;
	ss->flags = (int32_t)(chance(85) ? PICK(flags) : rnd());
	ss->pad = (int32_t)rnd();
	ss->size = size;
	return (uint64_t)(uintptr_t)ss;
}
