/* threads.c - guest test: pthreads (create/join/detach, mutex, condvar, barrier, rwlock, TLS, semaphores). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "check.h"

#define NTHREADS 100
#define NWORKERS 8
#define INCREMENTS 20000
#define PINGPONG 10000

static _Thread_local int tls_value;
static int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *record(void *arg)
{
	tls_value = (int)(intptr_t)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_mutex_unlock(&lock);
	return (void *)(intptr_t)(tls_value * 2 +
				  (int)(syscall(SYS_gettid) != getpid()));
}

static void create_and_join(void)
{
	pthread_t t[NTHREADS];
	int ok = 1;

	for (intptr_t i = 0; i < NTHREADS; i++)
		ok &= pthread_create(&t[i], NULL, record, (void *)i) == 0;
	for (intptr_t i = 0; i < NTHREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		ok &= (intptr_t)ret == i * 2 + 1;
	}
	check(ok && started == NTHREADS,
	      "%d threads created and joined, each with its own TLS and tid",
	      NTHREADS);
	check(tls_value == 0, "main thread's TLS untouched");
}

static long counter;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	return NULL;
}

static void mutex_counter(void)
{
	pthread_t t[NWORKERS];

	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	check(counter == (long)NWORKERS * INCREMENTS,
	      "mutex counter from %d threads is %ld", NWORKERS, counter);
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, rounds;

static void *pong(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (rounds < PINGPONG) {
		while (turn != 1)
			pthread_cond_wait(&cond, &lock);
		rounds++;
		turn = 0;
		pthread_cond_signal(&cond);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void condvar_pingpong(void)
{
	pthread_t t;

	pthread_create(&t, NULL, pong, NULL);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < PINGPONG; i++) {
		turn = 1;
		pthread_cond_signal(&cond);
		while (turn != 0)
			pthread_cond_wait(&cond, &lock);
	}
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	check(rounds == PINGPONG, "condition variable ping-pong %d rounds",
	      PINGPONG);
}

static pthread_barrier_t barrier;
static int phase_counts[3];

static void *barrier_worker(void *arg)
{
	(void)arg;
	for (int p = 0; p < 3; p++) {
		__atomic_add_fetch(&phase_counts[p], 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&barrier);
		if (__atomic_load_n(&phase_counts[p], __ATOMIC_SEQ_CST) !=
		    NWORKERS)
			return (void *)1;
	}
	return NULL;
}

static void barriers(void)
{
	pthread_t t[NWORKERS];
	int bad = 0;

	pthread_barrier_init(&barrier, NULL, NWORKERS);
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, barrier_worker, NULL);
	for (int i = 0; i < NWORKERS; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad |= r != NULL;
	}
	check(!bad, "barrier: %d threads through 3 phases in step", NWORKERS);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int shared_value;

static void *reader(void *arg)
{
	int bad = 0;

	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_rwlock_rdlock(&rw);
		bad |= shared_value % 2 != 0; /* writers keep it even outside */
		pthread_rwlock_unlock(&rw);
	}
	return (void *)(intptr_t)bad;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_rwlock_wrlock(&rw);
		shared_value++;
		if (i % 100 == 0)
			sched_yield(); /* odd while held: readers must not see it */
		shared_value++;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void rwlocks(void)
{
	pthread_t t[4];
	intptr_t bad = 0;

	pthread_create(&t[0], NULL, writer, NULL);
	for (int i = 1; i < 4; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad |= (intptr_t)r;
	}
	check(!bad && shared_value == 4000,
	      "rwlock: readers never saw a writer's half-update");
}

static sem_t sem_items;
static int consumed;

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++) {
		sem_wait(&sem_items);
		consumed++;
	}
	return NULL;
}

static void semaphores(void)
{
	pthread_t t;

	sem_init(&sem_items, 0, 0);
	pthread_create(&t, NULL, consumer, NULL);
	for (int i = 0; i < 500; i++)
		sem_post(&sem_items);
	pthread_join(t, NULL);
	check(consumed == 500,
	      "semaphore: 500 posts consumed by another thread");
}

static void *detached(void *arg)
{
	sem_post(arg);
	return NULL;
}

static void detach(void)
{
	sem_t done;
	pthread_t t;
	pthread_attr_t attr;

	sem_init(&done, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &attr, detached, &done);
	sem_wait(&done);
	check(1, "detached thread ran and signalled");
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(10); /* a cancellation point */
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (;;)
		pthread_testcancel();
	return NULL;
}

static void cancel(void)
{
	pthread_t a, b;
	void *ra, *rb;

	pthread_create(&a, NULL, sleeper, NULL);
	pthread_create(&b, NULL, spinner, NULL);
	usleep(20000);
	pthread_cancel(a);
	pthread_cancel(b);
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	check(ra == PTHREAD_CANCELED && rb == PTHREAD_CANCELED,
	      "pthread_cancel of a sleeping and a spinning thread");
}

/*
 * The clone syscall itself, for a thread that runs no libc: it stores 1
 * in *ran and exits. Returns what clone returned in the parent.
 */
static long bare_clone(unsigned long flags, void *stack_top, int *ptid,
		       int *ctid, volatile int *ran)
{
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	register volatile int *r12 __asm__("r12") = ran;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $1, (%%r12)\n\t"
			 "mov $60, %%eax\n\t" /* exit(0): this thread only */
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(stack_top),
			   "d"(ptid), "r"(r10), "r"(r8), "r"(r12)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * Linux stores the tid at parent_tid and child_tid after the thread
 * exists and ignores a fault there: clone still returns the tid.
 */
static void bad_tid_pointers(void)
{
	static char stacks[2][16384] __attribute__((aligned(16)));
	const unsigned long thread = CLONE_VM | CLONE_FS | CLONE_FILES |
				     CLONE_SIGHAND | CLONE_THREAD |
				     CLONE_SYSVSEM;
	static volatile int ran[2];
	long tid[2];

	tid[0] = bare_clone(thread | CLONE_PARENT_SETTID,
			    stacks[0] + sizeof(stacks[0]), (int *)8, NULL,
			    &ran[0]);
	tid[1] = bare_clone(thread | CLONE_CHILD_SETTID,
			    stacks[1] + sizeof(stacks[1]), NULL, (int *)8,
			    &ran[1]);
	for (int i = 0; i < 100000 && !(ran[0] && ran[1]); i++)
		sched_yield();
	check(tid[0] > 0 && ran[0],
	      "clone with a bad parent_tid returns a tid and the thread runs");
	check(tid[1] > 0 && ran[1],
	      "clone with a bad child_tid returns a tid and the thread runs");
}

int main(void)
{
	check_start("threads");
	create_and_join();
	mutex_counter();
	condvar_pingpong();
	barriers();
	rwlocks();
	semaphores();
	detach();
	cancel();
	bad_tid_pointers();
	return check_done();
}
