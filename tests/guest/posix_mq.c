/* posix_mq.c - guest test: POSIX message queues (mq_open, send/receive by priority, timeouts, mq_notify). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "check.h"

#define MESSAGES 100

static char qname[64];
static volatile sig_atomic_t notified, notified_code, notified_value,
	notified_pid;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	notified++;
	notified_code = si->si_code;
	notified_value = si->si_value.sival_int;
	notified_pid = si->si_pid;
}

static void *producer(void *arg)
{
	mqd_t q = mq_open(qname, O_WRONLY);
	char text[32];

	(void)arg;
	for (int i = 0; i < MESSAGES; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		if (mq_send(q, text, strlen(text) + 1, 0) != 0)
			return (void *)1;
	}
	mq_close(q);
	return NULL;
}

static struct timespec soon(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

int main(void)
{
	struct mq_attr attr = { 0, 4, 64, 0, { 0 } }, a, bad = attr;
	struct timespec ts;
	struct sigevent ev;
	struct sigaction sa;
	char buf[128], status[128];
	unsigned int prio;
	pthread_t t;
	void *res;
	mqd_t q, w;
	ssize_t n;
	int got = 0, inorder = 1;

	check_start("posix_mq");
	snprintf(qname, sizeof(qname), "/kiln-mq-test.%d", (int)getpid());
	check_errno(mq_open(qname, O_RDWR), ENOENT,
		    "mq_open of a missing queue");
	bad.mq_maxmsg = 0;
	check_errno(mq_open(qname, O_CREAT | O_RDWR, 0600, &bad), EINVAL,
		    "mq_open with mq_maxmsg 0");
	q = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	check(q >= 0, "mq_open O_CREAT|O_EXCL, 4 messages of 64 bytes");
	check_errno(mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &attr),
		    EEXIST, "mq_open O_EXCL again");
	check(mq_getattr(q, &a) == 0 && a.mq_maxmsg == 4 &&
		      a.mq_msgsize == 64 && a.mq_curmsgs == 0 &&
		      a.mq_flags == 0,
	      "mq_getattr: 4, 64, none queued, blocking");

	/* priority order: highest first, FIFO within one */
	{
		static const unsigned int prios[] = { 1, 5, 3, 5 };
		static const char *const texts[] = { "one", "five-a", "three",
						     "five-b" };
		static const char *const want[] = { "five-a", "five-b", "three",
						    "one" };
		static const unsigned int wantp[] = { 5, 5, 3, 1 };

		for (int i = 0; i < 4; i++)
			mq_send(q, texts[i], strlen(texts[i]) + 1, prios[i]);
		check(mq_getattr(q, &a) == 0 && a.mq_curmsgs == 4,
		      "four messages queued");
		n = read(q, status, sizeof(status) - 1);
		status[n > 0 ? n : 0] = '\0';
		status[strcspn(status, "\n")] = '\0';
		check(n > 0, "read of the descriptor: \"%s\"", status);
		ts = soon();
		check_errno(mq_timedsend(q, "x", 2, 0, &ts), ETIMEDOUT,
			    "mq_timedsend to a full queue");
		check_errno(mq_receive(q, buf, 63, &prio), EMSGSIZE,
			    "mq_receive into less than mq_msgsize");
		for (int i = 0; i < 4; i++) {
			n = mq_receive(q, buf, sizeof(buf), &prio);
			check(n == (ssize_t)strlen(want[i]) + 1 &&
				      strcmp(buf, want[i]) == 0 &&
				      prio == wantp[i],
			      "receive %d: %s, priority %u", i, buf, prio);
		}
	}
	check_errno(mq_send(q, buf, 65, 0), EMSGSIZE, "mq_send of 65 bytes");
	check_errno(mq_send(q, "x", 2, 40000), EINVAL,
		    "mq_send at priority 40000");
	ts = soon();
	check_errno(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts), ETIMEDOUT,
		    "mq_timedreceive of an empty queue");
	a.mq_flags = O_NONBLOCK;
	check(mq_setattr(q, &a, NULL) == 0, "mq_setattr O_NONBLOCK");
	check_errno(mq_receive(q, buf, sizeof(buf), NULL), EAGAIN,
		    "non-blocking mq_receive of an empty queue");
	a.mq_flags = 0;
	mq_setattr(q, &a, NULL);

	/* poll: readable once a message is there */
	{
		struct pollfd p = { q, POLLIN | POLLOUT, 0 };

		check(poll(&p, 1, 0) == 1 && p.revents == POLLOUT,
		      "poll of an empty queue: POLLOUT");
		mq_send(q, "p", 2, 0);
		check(poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT),
		      "with a message: POLLIN|POLLOUT");
		mq_receive(q, buf, sizeof(buf), NULL);
	}

	/* mq_notify: a signal when a message reaches the empty queue */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 4242;
	check(mq_notify(q, &ev) == 0, "mq_notify SIGEV_SIGNAL SIGUSR1");
	check_errno(mq_notify(q, &ev), EBUSY, "mq_notify while registered");
	mq_send(q, "n1", 3, 0);
	check(notified == 1 && notified_code == SI_MESGQ &&
		      notified_value == 4242 && notified_pid == getpid(),
	      "the first message raises SIGUSR1: SI_MESGQ, sigev_value, sender's pid");
	mq_send(q, "n2", 3, 0);
	check(notified == 1, "the registration is used up");
	mq_receive(q, buf, sizeof(buf), NULL);
	mq_receive(q, buf, sizeof(buf), NULL);
	check(mq_notify(q, &ev) == 0 && mq_notify(q, NULL) == 0,
	      "register again, then unregister");
	mq_send(q, "n3", 3, 0);
	check(notified == 1, "no signal after unregistering");
	mq_receive(q, buf, sizeof(buf), NULL);

	/* a producer thread on its own descriptor, a blocking consumer */
	pthread_create(&t, NULL, producer, NULL);
	for (int i = 0; i < MESSAGES; i++) {
		char want[32];

		if (mq_receive(q, buf, sizeof(buf), NULL) < 0)
			break;
		snprintf(want, sizeof(want), "m%d", i);
		inorder &= strcmp(buf, want) == 0;
		got++;
	}
	pthread_join(t, &res);
	check(got == MESSAGES && inorder && res == NULL,
	      "%d messages through a queue of 4 from a producer thread", got);

	w = mq_open(qname, O_WRONLY);
	check_errno(mq_receive(w, buf, sizeof(buf), NULL), EBADF,
		    "mq_receive on a write-only descriptor");
	check(mq_unlink(qname) == 0, "mq_unlink");
	check_errno(mq_unlink(qname), ENOENT, "mq_unlink again");
	check_errno(mq_open(qname, O_RDWR), ENOENT,
		    "mq_open of the unlinked name");
	check(mq_send(w, "after", 6, 2) == 0 &&
		      mq_receive(q, buf, sizeof(buf), &prio) == 6 &&
		      strcmp(buf, "after") == 0 && prio == 2,
	      "open descriptors outlive the name");
	mq_close(w);
	check(mq_close(q) == 0, "mq_close");
	printf("posix_mq: all %d checks passed\n", check_count);
	return 0;
}
