/* shm_shared.c - guest test: MAP_SHARED anonymous memory, /dev/shm, named and process-shared semaphores, shared futexes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#define PAGE 4096
/* <linux/futex.h>'s values (musl ships no kernel headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | 128)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | 128)
#define THREADS 4
#define ROUNDS 20000
#define PINGS 500

/*
 * Two parties are two threads today; every object they share lives in a
 * MAP_SHARED mapping or a named object, so the same code with fork()
 * instead of pthread_create tests sharing between processes.
 */

/* perms and name of the /proc/self/maps line of the area at addr */
static void maps_line(const void *addr, char *perms, char *name, size_t size)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/maps", "r");

	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	perms[0] = name[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line;

		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		/* address perms offset dev inode name */
		p = strchr(p, ' ') + 1;
		memcpy(perms, p, 4);
		perms[4] = '\0';
		for (int field = 0; field < 4; field++) {
			p = strchr(p, ' ');
			while (*p == ' ')
				p++;
		}
		line[strcspn(line, "\n")] = '\0';
		snprintf(name, size, "%s", p);
	}
	if (f)
		fclose(f);
}

static long futex(uint32_t *addr, int op, uint32_t val, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return syscall(SYS_futex, addr, op, val, ms ? &ts : NULL, NULL, 0);
}

static void anon_shared(void)
{
	char perms[8], name[256];
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *q, *priv;
	int fd;

	check(p != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
	check(p[0] == 0 && p[2 * PAGE - 1] == 0, "it reads as zeros");
	maps_line(p, perms, name, sizeof(name));
	check(strcmp(perms, "rw-s") == 0 &&
		      strcmp(name, "/dev/zero (deleted)") == 0,
	      "maps shows %s %s", perms, name);
	/* mremap with old size 0 maps the same pages a second time */
	q = mremap(p, 0, 2 * PAGE, MREMAP_MAYMOVE);
	check(q != MAP_FAILED && q != p, "mremap(p, 0, ...) makes an alias");
	p[100] = 'a';
	q[PAGE + 7] = 'b';
	check(q[100] == 'a' && p[PAGE + 7] == 'b',
	      "writes through one mapping are read through the other");
	check(madvise(p, 2 * PAGE, MADV_DONTNEED) == 0 && p[100] == 'a',
	      "MADV_DONTNEED keeps shared anonymous data");
	check(munmap(p, 2 * PAGE) == 0 && q[PAGE + 7] == 'b',
	      "the alias outlives the first mapping");
	munmap(q, 2 * PAGE);
	priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check_errno(mremap(priv, 0, PAGE, MREMAP_MAYMOVE) == MAP_FAILED ? -1 :
									  0,
		    EINVAL, "mremap(private, 0, ...)");
	munmap(priv, PAGE);

	fd = open("/dev/zero", O_RDWR);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED, "mmap MAP_SHARED of /dev/zero");
	maps_line(p, perms, name, sizeof(name));
	check(strcmp(perms, "rw-s") == 0 &&
		      strcmp(name, "/dev/zero (deleted)") == 0,
	      "maps shows %s %s", perms, name);
	q = mremap(p, 0, PAGE, MREMAP_MAYMOVE);
	p[9] = 'z';
	check(q != MAP_FAILED && q[9] == 'z', "its alias sees the same page");
	munmap(p, PAGE);
	munmap(q, PAGE);
	close(fd);
}

struct shared_counter {
	pthread_mutex_t lock;
	sem_t sem;
	long by_mutex, by_sem;
};

static struct shared_counter *counter;

static void *count_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&counter->lock);
		counter->by_mutex++;
		pthread_mutex_unlock(&counter->lock);
		sem_wait(&counter->sem);
		counter->by_sem++;
		sem_post(&counter->sem);
	}
	return NULL;
}

static void process_shared_locks(void)
{
	pthread_mutexattr_t ma;
	pthread_t t[THREADS];

	counter = mmap(NULL, sizeof(*counter), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(counter != MAP_FAILED, "map a shared counter");
	pthread_mutexattr_init(&ma);
	check(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0 &&
		      pthread_mutex_init(&counter->lock, &ma) == 0,
	      "a PTHREAD_PROCESS_SHARED mutex in it");
	check(sem_init(&counter->sem, 1, 1) == 0,
	      "a process-shared semaphore in it (sem_init pshared 1)");
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, count_worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check(counter->by_mutex == THREADS * ROUNDS &&
		      counter->by_sem == THREADS * ROUNDS,
	      "%d parties add %d each: %ld under the mutex, %ld under the semaphore",
	      THREADS, ROUNDS, counter->by_mutex, counter->by_sem);
	sem_destroy(&counter->sem);
	pthread_mutex_destroy(&counter->lock);
	munmap(counter, sizeof(*counter));
}

struct pi_counter {
	pthread_mutex_t lock;
	long count;
};

static struct pi_counter *pi;

static void *pi_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS / 4; i++) {
		pthread_mutex_lock(&pi->lock);
		pi->count++;
		if (i % 64 == 0)
			sched_yield(); /* hold it across a switch: others sleep */
		pthread_mutex_unlock(&pi->lock);
	}
	return NULL;
}

static void *pi_trylock(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_mutex_trylock(&pi->lock);
}

/* A PTHREAD_PRIO_INHERIT, process-shared mutex: FUTEX_LOCK_PI/UNLOCK_PI. */
static void pi_mutex(void)
{
	pthread_mutexattr_t ma;
	pthread_t t[THREADS];
	void *res;

	pi = mmap(NULL, sizeof(*pi), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	check(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT) == 0 &&
		      pthread_mutex_init(&pi->lock, &ma) == 0,
	      "a PTHREAD_PRIO_INHERIT process-shared mutex");
	pthread_mutex_lock(&pi->lock);
	pthread_create(&t[0], NULL, pi_trylock, NULL);
	pthread_join(t[0], &res);
	check((intptr_t)res == EBUSY,
	      "trylock from another thread while held: EBUSY");
	pthread_mutex_unlock(&pi->lock);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, pi_worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check(pi->count == THREADS * (ROUNDS / 4),
	      "%d threads add %d each under it: %ld", THREADS, ROUNDS / 4,
	      pi->count);
	pthread_mutex_destroy(&pi->lock);
	munmap(pi, sizeof(*pi));
}

struct pingpong {
	sem_t ping, pong;
	int ball;
};

static void *ponger(void *arg)
{
	struct pingpong *pp = arg;

	for (int i = 0; i < PINGS; i++) {
		sem_wait(&pp->ping);
		pp->ball++;
		sem_post(&pp->pong);
	}
	return NULL;
}

static void semaphore_pingpong(void)
{
	struct pingpong *pp = mmap(NULL, sizeof(*pp), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	int val = -1;

	sem_init(&pp->ping, 1, 0);
	sem_init(&pp->pong, 1, 0);
	pthread_create(&t, NULL, ponger, pp);
	for (int i = 0; i < PINGS; i++) {
		pp->ball++;
		sem_post(&pp->ping);
		sem_wait(&pp->pong);
	}
	pthread_join(t, NULL);
	sem_getvalue(&pp->pong, &val);
	check(pp->ball == 2 * PINGS && val == 0,
	      "%d rounds of ping-pong on two pshared semaphores: ball %d",
	      PINGS, pp->ball);
	munmap(pp, sizeof(*pp));
}

static pthread_mutex_t *robust;
static sem_t *robust_held;

static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(robust);
	sem_post(robust_held);
	usleep(50000); /* let the main thread block on the lock */
	return NULL;   /* ends holding it */
}

static void robust_shared(void)
{
	void *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_t t;
	int err;

	robust = m;
	robust_held = (sem_t *)((char *)m + 256);
	sem_init(robust_held, 1, 0);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(robust, &ma);
	pthread_create(&t, NULL, die_holding, NULL);
	sem_wait(robust_held);
	err = pthread_mutex_lock(robust); /* sleeps until the owner dies */
	check(err == EOWNERDEAD,
	      "a waiter on a robust shared mutex wakes with EOWNERDEAD when its owner dies");
	check(pthread_mutex_consistent(robust) == 0 &&
		      pthread_mutex_unlock(robust) == 0,
	      "pthread_mutex_consistent and unlock");
	pthread_join(t, NULL);
	munmap(m, PAGE);
}

static uint32_t *futex_a, *futex_b;
static long waiter_ret;
static int waiter_errno;

static void *futex_waiter(void *arg)
{
	int op = (int)(intptr_t)arg;

	waiter_ret = futex(futex_a, op, 0, op == FUTEX_WAIT_PRIVATE ? 300 : 0);
	waiter_errno = waiter_ret ? errno : 0;
	return NULL;
}

/* A futex on a page of a memfd, waited on through one mapping, woken through another. */
static void shared_futex(void)
{
	int fd = memfd_create("futex", 0);
	pthread_t t;
	long n = 0, woken = 0;

	check(fd >= 0 && ftruncate(fd, PAGE) == 0, "a one-page memfd");
	futex_a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	futex_b = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(futex_a != MAP_FAILED && futex_b != MAP_FAILED &&
		      futex_a != futex_b,
	      "mapped twice at different addresses");
	pthread_create(&t, NULL, futex_waiter, (void *)(intptr_t)FUTEX_WAIT);
	for (int i = 0; i < 5000 && n == 0; i++) {
		n = futex(futex_b, FUTEX_WAKE, 1, 0);
		if (n == 0)
			usleep(1000);
	}
	pthread_join(t, NULL);
	check(n == 1 && waiter_ret == 0,
	      "FUTEX_WAKE through the second mapping wakes the waiter on the first");

	/* private futexes are (address space, address): no wake across */
	pthread_create(&t, NULL, futex_waiter,
		       (void *)(intptr_t)FUTEX_WAIT_PRIVATE);
	for (int i = 0; i < 50; i++) {
		woken += futex(futex_b, FUTEX_WAKE_PRIVATE, 1, 0);
		usleep(2000);
	}
	pthread_join(t, NULL);
	check(woken == 0 && waiter_ret == -1 && waiter_errno == ETIMEDOUT,
	      "FUTEX_WAKE_PRIVATE through the other mapping wakes nobody (waiter times out)");
	munmap(futex_a, PAGE);
	munmap(futex_b, PAGE);
	close(fd);
}

static void posix_shm(void)
{
	char name[64];
	struct stat st;
	char *a, *b;
	int fd;

	snprintf(name, sizeof(name), "/kiln-shm-test.%d", (int)getpid());
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	check(fd >= 0, "shm_open O_CREAT|O_EXCL");
	check(stat("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777,
	      "/dev/shm is a directory of mode 1777");
	check(ftruncate(fd, 2 * PAGE) == 0 && fstat(fd, &st) == 0 &&
		      st.st_size == 2 * PAGE,
	      "ftruncate it to two pages");
	a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	strcpy(a + PAGE, "shared through /dev/shm");
	check(a != b && strcmp(b + PAGE, "shared through /dev/shm") == 0,
	      "two mappings see the same bytes");
	check_errno(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST,
		    "shm_open O_EXCL of an existing name");
	check(shm_unlink(name) == 0, "shm_unlink");
	check_errno(shm_unlink(name), ENOENT, "shm_unlink again");
	check_errno(shm_open(name, O_RDWR, 0), ENOENT,
		    "shm_open of a removed name");
	check(strcmp(a + PAGE, "shared through /dev/shm") == 0,
	      "the mappings outlive the name");
	munmap(a, 2 * PAGE);
	munmap(b, 2 * PAGE);
	close(fd);
}

static void named_semaphore(void)
{
	char name[64], path[96], musl_path[96];
	sem_t *s, *s2;
	struct stat st;
	int v = -1;

	snprintf(name, sizeof(name), "/kiln-sem-test.%d", (int)getpid());
	/* glibc names the file sem.NAME, musl NAME */
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	snprintf(musl_path, sizeof(musl_path), "/dev/shm/%s", name + 1);
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 2);
	check(s != SEM_FAILED, "sem_open O_CREAT|O_EXCL, value 2");
	check(stat(path, &st) == 0 || stat(musl_path, &st) == 0,
	      "it lives in /dev/shm");
	check(sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED &&
		      errno == EEXIST,
	      "sem_open O_EXCL again fails with EEXIST");
	s2 = sem_open(name, 0);
	check(s2 != SEM_FAILED, "sem_open of the existing name");
	sem_wait(s);
	sem_post(s2);
	sem_post(s2);
	sem_getvalue(s, &v);
	check(v == 3,
	      "wait once, post twice through the other handle: value %d", v);
	check(sem_trywait(s) == 0 && sem_trywait(s) == 0 && sem_trywait(s) == 0,
	      "three trywaits succeed");
	check(sem_trywait(s) == -1 && errno == EAGAIN,
	      "the fourth fails with EAGAIN");
	sem_close(s2);
	sem_close(s);
	check(sem_unlink(name) == 0, "sem_unlink");
	check(sem_open(name, 0) == SEM_FAILED && errno == ENOENT,
	      "sem_open of a removed name fails with ENOENT");
}

static void ipc_limits(void)
{
	static const char *const files[] = { "shmmax", "shmall", "shmmni",
					     "sem",    "msgmax", "msgmnb",
					     "msgmni" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[64], buf[128] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/sys/kernel/%s", files[i]);
		f = fopen(path, "r");
		check(f && fgets(buf, sizeof(buf), f), "read %s", path);
		buf[strcspn(buf, "\n")] = '\0';
		check(1, "%s is %s", files[i], buf);
		fclose(f);
	}
}

int main(void)
{
	check_start("shm_shared");
	anon_shared();
	process_shared_locks();
	semaphore_pingpong();
	pi_mutex();
	robust_shared();
	shared_futex();
	posix_shm();
	named_semaphore();
	ipc_limits();
	printf("shm_shared: all %d checks passed\n", check_count);
	return 0;
}
