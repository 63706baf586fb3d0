/* timeouts.c - guest test: the timeouts of the blocking calls, checked and clamped as Linux does (EINVAL, forever). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "check.h"

/* linux/futex.h's, which musl-gcc's include path lacks */
#define FUTEX_WAIT_PRIVATE 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/*
 * Every call goes through syscall(2), so the C library neither checks
 * nor converts the timespec: what is compared is the kernel's answer.
 * Each blocking call gets the same timeouts:
 *
 *   tv_sec -1, tv_nsec 10^9     EINVAL (timespec64_valid)
 *   huge ones                   no timeout: the call blocks until a
 *                               SIGALRM 100 ms later interrupts it (EINTR)
 *
 * The huge ones are INT64_MAX seconds (sleep infinity), KTIME_SEC_MAX
 * (9223372036, where Linux starts to clamp to KTIME_MAX) with the most
 * nanoseconds, and one second under it.
 */
#define ALARM_MS 100

static const struct timespec huge[] = {
	{ INT64_MAX, 999999999 },
	{ 9223372036, 999999999 },
	{ 9223372035, 999999999 },
};

static volatile sig_atomic_t alarms;
static int futex_word, semid, pipe_fds[2];
static mqd_t queue;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static long nanosleep_for(const struct timespec *ts)
{
	return syscall(SYS_nanosleep, ts, NULL);
}

/* clock_nanosleep returns the error number instead of setting errno. */
static long clock_sleep(clockid_t id, int flags, const struct timespec *ts)
{
	long err = syscall(SYS_clock_nanosleep, id, flags, ts, NULL);

	if (err > 0) {
		errno = (int)err;
		return -1;
	}
	return err;
}

static long clock_nanosleep_for(const struct timespec *ts)
{
	return clock_sleep(CLOCK_MONOTONIC, 0, ts);
}

static long clock_nanosleep_until(const struct timespec *ts)
{
	return clock_sleep(CLOCK_REALTIME, TIMER_ABSTIME, ts);
}

/* futex_word stays 0: only the timeout or a signal ends the wait. */
static long futex_wait_for(const struct timespec *ts)
{
	return syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, ts, NULL,
		       0);
}

static long futex_wait_until(const struct timespec *ts)
{
	return syscall(SYS_futex, &futex_word,
		       FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, ts,
		       NULL, FUTEX_BITSET_MATCH_ANY);
}

/* The semaphore stays 0: taking one blocks. */
static long semtimedop_for(const struct timespec *ts)
{
	struct sembuf op = { 0, -1, 0 };

	return syscall(SYS_semtimedop, semid, &op, 1, ts);
}

/* SIGUSR2 is blocked and never sent. */
static long sigtimedwait_for(const struct timespec *ts)
{
	uint64_t set = 1ULL << (SIGUSR2 - 1);

	return syscall(SYS_rt_sigtimedwait, &set, NULL, ts, sizeof(set));
}

/* Nothing is ever written to the pipe. */
static long ppoll_for(const struct timespec *ts)
{
	struct pollfd p = { pipe_fds[0], POLLIN, 0 };

	return syscall(SYS_ppoll, &p, 1, ts, NULL, 8);
}

/* pselect6 writes the time left back: it gets a copy. */
static long pselect_for(const struct timespec *ts)
{
	struct timespec copy = *ts;
	fd_set r;

	FD_ZERO(&r);
	FD_SET(pipe_fds[0], &r);
	return syscall(SYS_pselect6, pipe_fds[0] + 1, &r, NULL, NULL, &copy,
		       NULL);
}

/* The queue stays empty. */
static long mq_receive_until(const struct timespec *ts)
{
	char buf[16];

	return syscall(SYS_mq_timedreceive, queue, buf, sizeof(buf), NULL, ts);
}

/* The queue of one message is full. */
static long mq_send_until(const struct timespec *ts)
{
	return syscall(SYS_mq_timedsend, queue, "y", 1, 0, ts);
}

static const struct {
	const char *name;
	long (*call)(const struct timespec *ts);
} waits[] = {
	{ "nanosleep", nanosleep_for },
	{ "clock_nanosleep", clock_nanosleep_for },
	{ "clock_nanosleep realtime absolute", clock_nanosleep_until },
	{ "futex wait", futex_wait_for },
	{ "futex wait_bitset realtime absolute", futex_wait_until },
	{ "semtimedop", semtimedop_for },
	{ "rt_sigtimedwait", sigtimedwait_for },
	{ "ppoll", ppoll_for },
	{ "pselect6", pselect_for },
	{ "mq_timedreceive", mq_receive_until },
	{ "mq_timedsend", mq_send_until },
};

static void alarm_in(int ms)
{
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };

	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		fail("setitimer");
}

static void check_waits_forever(const char *name,
				long (*call)(const struct timespec *ts),
				const struct timespec *ts)
{
	char what[128];
	long long t0, waited;
	long ret;
	int err, before = alarms;

	snprintf(what, sizeof(what), "%s, tv_sec %lld tv_nsec %ld", name,
		 (long long)ts->tv_sec, ts->tv_nsec);
	alarm_in(ALARM_MS);
	t0 = now_ms();
	ret = call(ts);
	err = errno;
	waited = now_ms() - t0;
	errno = err;
	check_errno(ret, EINTR, what);
	/* the alarm ended it, not a timeout that came at once */
	check(alarms == before + 1 && waited >= ALARM_MS - 10,
	      "%s: waited for the alarm", what);
}

static void check_timeouts(const char *name,
			   long (*call)(const struct timespec *ts))
{
	static const struct timespec negative = { -1, 0 },
				     denormal = { 0, 1000000000 };
	char what[128];

	snprintf(what, sizeof(what), "%s, tv_sec -1", name);
	check_errno(call(&negative), EINVAL, what);
	snprintf(what, sizeof(what), "%s, tv_nsec 1000000000", name);
	check_errno(call(&denormal), EINVAL, what);
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
		check_waits_forever(name, call, &huge[i]);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct mq_attr attr = { 0, 1, 16, 0, { 0 } };
	char qname[64];
	sigset_t usr2;

	check_start("timeouts");
	check(sigaction(SIGALRM, &sa, NULL) == 0, "SIGALRM handler");
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	check(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0, "SIGUSR2 blocked");
	check(pipe(pipe_fds) == 0, "pipe");
	semid = semget(IPC_PRIVATE, 1, 0600);
	check(semid >= 0, "semget");
	snprintf(qname, sizeof(qname), "/guest-timeouts.%d", (int)getpid());
	queue = mq_open(qname, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	check(queue != (mqd_t)-1, "mq_open a queue of one message");

	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		if (waits[i].call == mq_send_until)
			check(mq_send(queue, "x", 1, 0) == 0,
			      "the queue filled");
		check_timeouts(waits[i].name, waits[i].call);
	}

	check(semctl(semid, 0, IPC_RMID) == 0, "semaphore removed");
	check(mq_close(queue) == 0 && mq_unlink(qname) == 0, "queue removed");
	return check_done();
}
