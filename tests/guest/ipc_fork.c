/* ipc_fork.c - guest test: shared memory, locks, semaphores and queues between processes made by fork. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "check.h"

#define PROCS 8
#define ROUNDS 2000

/* The proof: 8 processes add to counters in shared memory. */
struct shared {
	pthread_mutex_t lock;
	sem_t sem;
	long by_mutex, by_sem, by_sysv;
	pthread_mutex_t robust;
};

static int sysv_sem;

static void sysv_op(short op, short flg)
{
	struct sembuf sb = { 0, op, flg };

	while (semop(sysv_sem, &sb, 1) != 0 && errno == EINTR)
		;
}

static void count(struct shared *s)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&s->lock);
		s->by_mutex++;
		pthread_mutex_unlock(&s->lock);
		sem_wait(&s->sem);
		s->by_sem++;
		sem_post(&s->sem);
		sysv_op(-1, SEM_UNDO);
		s->by_sysv++;
		sysv_op(1, SEM_UNDO);
	}
}

/* Wait for every child; true when all exited 0. */
static int reap(int n)
{
	int ok = 1, status;

	for (int i = 0; i < n; i++)
		ok &= wait(&status) > 0 && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0;
	return ok;
}

static void counters(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;

	check(s != MAP_FAILED, "a MAP_SHARED|MAP_ANONYMOUS page");
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->lock, &ma);
	sem_init(&s->sem, 1, 1);
	sysv_sem = semget(IPC_PRIVATE, 1, 0600);
	semctl(sysv_sem, 0, SETVAL, 1);
	for (int i = 0; i < PROCS; i++)
		if (fork() == 0) {
			count(s);
			_exit(0);
		}
	check(reap(PROCS), "%d children counted and exited 0", PROCS);
	check(s->by_mutex == PROCS * ROUNDS,
	      "under a process-shared mutex: %ld", s->by_mutex);
	check(s->by_sem == PROCS * ROUNDS,
	      "under a process-shared semaphore: %ld", s->by_sem);
	check(s->by_sysv == PROCS * ROUNDS, "under a SysV semaphore: %ld",
	      s->by_sysv);

	/* SEM_UNDO: a child takes the semaphore and exits holding it */
	if (fork() == 0) {
		sysv_op(-1, SEM_UNDO);
		_exit(semctl(sysv_sem, 0, GETVAL) == 0 ? 0 : 1);
	}
	check(reap(1) && semctl(sysv_sem, 0, GETVAL) == 1,
	      "a child's SEM_UNDO is applied at its exit");
	semctl(sysv_sem, 0, IPC_RMID);
	munmap(s, sizeof(*s));
}

static void robust_between_processes(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	int err;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&s->robust, &ma);
	sem_init(&s->sem, 1, 0);
	if (fork() == 0) {
		pthread_mutex_lock(&s->robust);
		sem_post(&s->sem);
		usleep(50000); /* the parent blocks on the lock meanwhile */
		_exit(0);      /* holding it */
	}
	sem_wait(&s->sem);
	err = pthread_mutex_lock(&s->robust);
	check(err == EOWNERDEAD,
	      "a robust mutex held by a child that exits: EOWNERDEAD");
	pthread_mutex_consistent(&s->robust);
	pthread_mutex_unlock(&s->robust);
	check(reap(1), "the child exited 0");
	munmap(s, sizeof(*s));
}

static void sysv_between_processes(void)
{
	struct {
		long mtype;
		char mtext[32];
	} m;
	struct shmid_ds ds;
	int shm = shmget(IPC_PRIVATE, 4096, 0600);
	int msq = msgget(IPC_PRIVATE, 0600);
	char *p = shmat(shm, NULL, 0);
	int got = 0;

	check(p != (void *)-1 && msq >= 0, "a SysV segment attached, a queue");
	if (fork() == 0) {
		int ok = shmctl(shm, IPC_STAT, &ds) == 0 && ds.shm_nattch == 2;

		strcpy(p, "from the child");
		for (int i = 0; i < 50; i++) {
			m.mtype = 1 + i % 2;
			snprintf(m.mtext, sizeof(m.mtext), "%d", i);
			msgsnd(msq, &m, strlen(m.mtext) + 1, 0);
		}
		_exit(ok ? 0 : 1);
	}
	for (int i = 0; i < 50; i++)
		if (msgrcv(msq, &m, sizeof(m.mtext), 0, 0) > 0 &&
		    atoi(m.mtext) == i)
			got++;
	check(reap(1), "the child saw shm_nattch 2 (its inherited attach)");
	check(strcmp(p, "from the child") == 0,
	      "the child's write is seen through the parent's attach");
	check(got == 50, "50 messages from the child, in order");
	check(shmctl(shm, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1,
	      "after its exit shm_nattch is 1");
	shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msq, IPC_RMID, NULL);
}

static void mq_between_processes(void)
{
	struct mq_attr attr = { 0, 2, 32, 0, { 0 } };
	char name[64], buf[32];
	mqd_t q;
	int got = 0;

	snprintf(name, sizeof(name), "/kiln-ipc-fork.%d", (int)getpid());
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	check(q >= 0, "a POSIX message queue of 2");
	if (fork() == 0) {
		mqd_t w = mq_open(name, O_WRONLY);

		for (int i = 0; i < 20; i++) {
			snprintf(buf, sizeof(buf), "%d", i);
			mq_send(w, buf, strlen(buf) + 1, 0);
		}
		_exit(0);
	}
	for (int i = 0; i < 20; i++)
		if (mq_receive(q, buf, sizeof(buf), NULL) > 0 && atoi(buf) == i)
			got++;
	check(reap(1) && got == 20, "20 messages from a child through it");
	mq_close(q);
	mq_unlink(name);
}

int main(void)
{
	check_start("ipc_fork");
	counters();
	robust_between_processes();
	sysv_between_processes();
	mq_between_processes();
	printf("ipc_fork: all %d checks passed\n", check_count);
	return 0;
}
