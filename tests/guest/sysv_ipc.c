/* sysv_ipc.c - guest test: System V shared memory, semaphores and message queues, with their errors. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "check.h"

#define PAGE 4096
#define PINGS 300
#define MESSAGES 200

/*
 * Fixed keys the test removes first (a crashed earlier run may have left
 * them); two parties are threads, and nothing they share is in the
 * process's private memory, so fork can replace pthread_create.
 */
#define SHM_KEY 0x4b696c01
#define SEM_KEY 0x4b696c02
#define MSG_KEY 0x4b696c03

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static void remove_leftovers(void)
{
	int id;

	if ((id = shmget(SHM_KEY, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = semget(SEM_KEY, 0, 0)) >= 0)
		semctl(id, 0, IPC_RMID);
	if ((id = msgget(MSG_KEY, 0)) >= 0)
		msgctl(id, IPC_RMID, NULL);
}

/* The name /proc/self/maps gives the area at addr. */
static int maps_name(const void *addr, char *name, size_t size)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (strncmp(line, want, strlen(want)) != 0 || !p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		snprintf(name, size, "%s", p);
		found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static unsigned long nattch(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) == 0 ? (unsigned long)ds.shm_nattch :
						~0UL;
}

static void sysv_shm(void)
{
	struct shmid_ds ds;
	struct shminfo info;
	char *a, *b, *c, name[128];
	int id;

	check(shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0 &&
		      info.shmmax == 18446744073692774399UL &&
		      info.shmmin == 1 && info.shmmni == 4096 &&
		      info.shmall == 18446744073692774399UL,
	      "shmctl IPC_INFO: Linux's default limits");

	check_errno(shmget(SHM_KEY, PAGE, 0600), ENOENT,
		    "shmget of a missing key");
	id = shmget(SHM_KEY, 3 * PAGE, IPC_CREAT | IPC_EXCL | 0640);
	check(id >= 0, "shmget IPC_CREAT|IPC_EXCL of three pages");
	check_errno(shmget(SHM_KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		    "shmget IPC_EXCL again");
	check(shmget(SHM_KEY, PAGE, 0) == id, "shmget of the key finds it");
	check_errno(shmget(SHM_KEY, 4 * PAGE, 0), EINVAL,
		    "shmget asking more than its size");
	check_errno(shmget(IPC_PRIVATE, 0, 0600), EINVAL, "shmget of size 0");
	check(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 3 * PAGE &&
		      (ds.shm_perm.mode & 0777) == 0640 && ds.shm_nattch == 0 &&
		      ds.shm_cpid == getpid() && ds.shm_perm.__key == SHM_KEY,
	      "IPC_STAT: size, mode 0640, no attaches, creator pid, key");
	a = shmat(id, NULL, 0);
	b = shmat(id, NULL, 0);
	check(a != (void *)-1 && b != (void *)-1 && a != b,
	      "attached twice at different addresses");
	check(a[0] == 0 && a[3 * PAGE - 1] == 0,
	      "a new segment reads as zeros");
	strcpy(a + PAGE + 10, "sysv shared");
	check(strcmp(b + PAGE + 10, "sysv shared") == 0,
	      "bytes written through one attach are read through the other");
	check(nattch(id) == 2, "shm_nattch is 2");
	check(maps_name(b, name, sizeof(name)) &&
		      strcmp(name, "/SYSV4b696c01 (deleted)") == 0,
	      "maps names the attach %s", name);
	c = shmat(id, NULL, SHM_RDONLY);
	check(c != (void *)-1 && strcmp(c + PAGE + 10, "sysv shared") == 0,
	      "a SHM_RDONLY attach reads them too");
	check_errno(mprotect(c, PAGE, PROT_READ | PROT_WRITE), EACCES,
		    "mprotect of a SHM_RDONLY attach to writable");
	check(shmdt(c) == 0 && nattch(id) == 2,
	      "shmdt brings shm_nattch back to 2");
	check_errno(shmdt(a + 1), EINVAL, "shmdt of an unaligned address");
	check_errno(shmdt(a + PAGE), EINVAL, "shmdt inside an attach");
	check_errno((long)(intptr_t)shmat(id, a + 1, 0), EINVAL,
		    "shmat at an unaligned address without SHM_RND");
	check_errno((long)(intptr_t)shmat(id, a, 0), EINVAL,
		    "shmat over an attach without SHM_REMAP");
	check_errno((long)(intptr_t)shmat(id + 1, NULL, 0), EINVAL,
		    "shmat of a bad id");
	/* IPC_RMID while attached: gone for shmget, alive for its users */
	check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID while attached");
	check_errno(shmget(SHM_KEY, PAGE, 0), ENOENT,
		    "shmget of the removed key");
	check(shmctl(id, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST) &&
		      ds.shm_nattch == 2 && ds.shm_perm.__key == IPC_PRIVATE,
	      "IPC_STAT shows SHM_DEST, key IPC_PRIVATE, 2 attaches");
	/* Linux counts attaches per area: split one in three */
	check(mprotect(a + PAGE, PAGE, PROT_READ) == 0 && nattch(id) == 4,
	      "mprotect of an attach's middle page: shm_nattch 4");
	check(shmdt(a) == 0 && nattch(id) == 1 &&
		      strcmp(b + PAGE + 10, "sysv shared") == 0,
	      "shmdt removes all three areas; the other attach still reads the bytes");
	check(shmdt(b) == 0, "the last detach");
	check_errno(shmctl(id, IPC_STAT, &ds), EINVAL,
		    "IPC_STAT after the last detach (destroyed)");
	check_errno(shmdt(b), EINVAL, "shmdt of a detached address");
}

static void sysv_shm_perm(void)
{
	int id = shmget(IPC_PRIVATE, PAGE, 0600);

	check(id >= 0, "an IPC_PRIVATE segment of mode 0600");
	check(shmget(IPC_PRIVATE, PAGE, 0600) != id,
	      "IPC_PRIVATE always makes a new one");
	check(setresuid(-1, 1000, -1) == 0, "drop the effective uid to 1000");
	check_errno((long)(intptr_t)shmat(id, NULL, 0), EACCES,
		    "shmat of root's 0600 segment");
	check_errno(shmctl(id, IPC_RMID, NULL), EPERM,
		    "IPC_RMID of root's segment");
	check(setresuid(-1, 0, -1) == 0, "back to root");
	check(shmctl(id, IPC_RMID, NULL) == 0, "root removes it");
}

static int semid;

static int sem_apply(unsigned short num, short op, short flg)
{
	struct sembuf sb = { num, op, flg };

	return semop(semid, &sb, 1);
}

static void *sem_ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < PINGS; i++) {
		sem_apply(0, -1, 0);
		sem_apply(1, 1, 0);
	}
	return NULL;
}

static long eidrm_ret;
static int eidrm_errno;

static void *sem_blocked(void *arg)
{
	(void)arg;
	eidrm_ret = sem_apply(0, -1, 0);
	eidrm_errno = errno;
	return NULL;
}

static void wait_for_ncnt(int id, int num, int want)
{
	for (int i = 0; i < 5000 && semctl(id, num, GETNCNT) != want; i++)
		usleep(1000);
}

static void sysv_sem(void)
{
	unsigned short vals[3] = { 0, 0, 0 }, set[3] = { 1, 2, 3 };
	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT } };
	struct timespec ts = { 0, 20000000 };
	struct semid_ds ds;
	union semun arg;
	pthread_t t;

	struct seminfo si;

	arg.buf = (struct semid_ds *)&si;
	check(semctl(0, 0, IPC_INFO, arg) >= 0 && si.semmsl == 32000 &&
		      si.semmns == 1024000000 && si.semopm == 500 &&
		      si.semmni == 32000 && si.semvmx == 32767,
	      "semctl IPC_INFO: Linux's default limits");
	check_errno(semget(SEM_KEY, 3, 0600), ENOENT,
		    "semget of a missing key");
	check_errno(semget(SEM_KEY, 0, IPC_CREAT | 0600), EINVAL,
		    "semget creating 0 semaphores");
	semid = semget(SEM_KEY, 3, IPC_CREAT | IPC_EXCL | 0600);
	check(semid >= 0, "semget of a set of 3");
	check_errno(semget(SEM_KEY, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		    "semget IPC_EXCL again");
	check_errno(semget(SEM_KEY, 4, 0), EINVAL,
		    "semget asking 4 of a set of 3");
	arg.buf = &ds;
	check(semctl(semid, 0, IPC_STAT, arg) == 0 && ds.sem_nsems == 3 &&
		      (ds.sem_perm.mode & 0777) == 0600,
	      "IPC_STAT: 3 semaphores, mode 0600");
	arg.array = vals;
	check(semctl(semid, 0, GETALL, arg) == 0 && !vals[0] && !vals[1] &&
		      !vals[2],
	      "GETALL: all 0");
	arg.array = set;
	check(semctl(semid, 0, SETALL, arg) == 0, "SETALL 1 2 3");
	check(semctl(semid, 2, GETVAL) == 3 &&
		      semctl(semid, 2, GETPID) == getpid(),
	      "GETVAL 3, GETPID the caller");
	arg.val = 5;
	check(semctl(semid, 1, SETVAL, arg) == 0 &&
		      semctl(semid, 1, GETVAL) == 5,
	      "SETVAL 5");
	arg.val = 40000;
	check_errno(semctl(semid, 1, SETVAL, arg), ERANGE,
		    "SETVAL above SEMVMX");
	check_errno(semctl(semid, 3, GETVAL), EINVAL, "GETVAL of semaphore 3");
	/* all or nothing: the second op would block, so the first is undone */
	arg.val = 0;
	semctl(semid, 1, SETVAL, arg);
	check_errno(semop(semid, two, 2), EAGAIN,
		    "semop of two ops, one would block");
	check(semctl(semid, 0, GETVAL) == 1, "and the other was not applied");
	check_errno(semtimedop(semid, two + 1, 1, &ts), EAGAIN,
		    "semtimedop times out");
	two[0].sem_num = 7;
	check_errno(semop(semid, two, 1), EFBIG, "semop on semaphore 7");
	check_errno(semop(semid, two, 0), EINVAL, "semop of no ops");

	/* ping-pong: 0 is "ping", 1 is "pong" */
	semctl(semid, 0, SETVAL, (arg.val = 0, arg));
	semctl(semid, 1, SETVAL, (arg.val = 0, arg));
	pthread_create(&t, NULL, sem_ponger, NULL);
	for (int i = 0; i < PINGS; i++) {
		sem_apply(0, 1, 0);
		sem_apply(1, -1, 0);
	}
	pthread_join(t, NULL);
	check(semctl(semid, 0, GETVAL) == 0 && semctl(semid, 1, GETVAL) == 0,
	      "%d rounds of ping-pong between two threads", PINGS);

	/* SEM_UNDO records the opposite adjustment; SETVAL clears it */
	check(sem_apply(2, -2, SEM_UNDO) == 0 && semctl(semid, 2, GETVAL) == 1,
	      "semop -2 with SEM_UNDO");

	/* a waiter counts in GETNCNT, and IPC_RMID wakes it with EIDRM */
	pthread_create(&t, NULL, sem_blocked, NULL);
	wait_for_ncnt(semid, 0, 1);
	check(semctl(semid, 0, GETNCNT) == 1 && semctl(semid, 0, GETZCNT) == 0,
	      "a blocked semop counts in GETNCNT");
	check(semctl(semid, 0, IPC_RMID) == 0, "IPC_RMID with a waiter");
	pthread_join(t, NULL);
	check(eidrm_ret == -1 && eidrm_errno == EIDRM,
	      "the waiter fails with EIDRM");
	check_errno(semctl(semid, 0, GETVAL), EINVAL,
		    "GETVAL of the removed set");
}

struct text_msg {
	long mtype;
	char mtext[64];
};

static int msqid;

static void *msg_producer(void *arg)
{
	struct text_msg m = { 1, "" };

	(void)arg;
	for (int i = 0; i < MESSAGES; i++) {
		m.mtype = 1 + i % 3;
		snprintf(m.mtext, sizeof(m.mtext), "message %d", i);
		if (msgsnd(msqid, &m, strlen(m.mtext) + 1, 0) != 0)
			return (void *)1;
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void sysv_msg(void)
{
	struct text_msg m;
	struct msqid_ds ds;
	struct sigaction sa;
	pthread_t t;
	void *res;
	long n;
	int got = 0, inorder = 1;

	struct msginfo mi;

	check(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 &&
		      mi.msgmax == 8192 && mi.msgmnb == 16384 &&
		      mi.msgmni == 32000,
	      "msgctl IPC_INFO: Linux's default limits");
	check_errno(msgget(MSG_KEY, 0600), ENOENT, "msgget of a missing key");
	msqid = msgget(MSG_KEY, IPC_CREAT | IPC_EXCL | 0600);
	check(msqid >= 0, "msgget IPC_CREAT|IPC_EXCL");
	check_errno(msgget(MSG_KEY, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		    "msgget IPC_EXCL again");
	check_errno(msgrcv(msqid, &m, sizeof(m.mtext), 0, IPC_NOWAIT), ENOMSG,
		    "msgrcv IPC_NOWAIT of an empty queue");
	m.mtype = 0;
	check_errno(msgsnd(msqid, &m, 1, 0), EINVAL, "msgsnd of type 0");
	check_errno(msgsnd(msqid, &m, 9000, 0), EINVAL, "msgsnd above msgmax");
	/* types: 3, 1, 2, 1 */
	const long types[] = { 3, 1, 2, 1 };
	for (int i = 0; i < 4; i++) {
		m.mtype = types[i];
		snprintf(m.mtext, sizeof(m.mtext), "t%ld #%d", types[i], i);
		msgsnd(msqid, &m, strlen(m.mtext) + 1, 0);
	}
	check(msgctl(msqid, IPC_STAT, &ds) == 0 && ds.msg_qnum == 4 &&
		      ds.msg_qbytes == 16384 && ds.msg_lspid == getpid(),
	      "IPC_STAT: 4 messages, qbytes 16384, the sender's pid");
	check(msgrcv(msqid, &m, sizeof(m.mtext), 2, 0) == 6 &&
		      strcmp(m.mtext, "t2 #2") == 0,
	      "msgrcv of type 2 takes %s", m.mtext);
	check(msgrcv(msqid, &m, sizeof(m.mtext), -2, 0) > 0 &&
		      strcmp(m.mtext, "t1 #1") == 0,
	      "msgrcv of type -2 takes the lowest: %s", m.mtext);
	check(msgrcv(msqid, &m, sizeof(m.mtext), 1, MSG_EXCEPT) > 0 &&
		      strcmp(m.mtext, "t3 #0") == 0,
	      "msgrcv MSG_EXCEPT 1 takes %s", m.mtext);
	check_errno(msgrcv(msqid, &m, 2, 0, 0), E2BIG, "msgrcv into 2 bytes");
	n = msgrcv(msqid, &m, 2, 0, MSG_NOERROR);
	check(n == 2 && memcmp(m.mtext, "t1", 2) == 0 && m.mtype == 1,
	      "msgrcv MSG_NOERROR truncates to 2 bytes");
	check_errno(msgrcv(msqid, &m, sizeof(m.mtext), 5, IPC_NOWAIT), ENOMSG,
		    "msgrcv IPC_NOWAIT of a missing type");

	/* a producer thread, a blocking consumer */
	pthread_create(&t, NULL, msg_producer, NULL);
	for (int i = 0; i < MESSAGES; i++) {
		char want[32];

		if (msgrcv(msqid, &m, sizeof(m.mtext), 0, 0) < 0)
			break;
		snprintf(want, sizeof(want), "message %d", i);
		inorder &= strcmp(m.mtext, want) == 0 && m.mtype == 1 + i % 3;
		got++;
	}
	pthread_join(t, &res);
	check(got == MESSAGES && inorder && res == NULL,
	      "%d messages from a producer thread, in order", got);

	/* a blocked msgrcv interrupted by a handled signal: EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	ualarm(20000, 0);
	check_errno(msgrcv(msqid, &m, sizeof(m.mtext), 0, 0), EINTR,
		    "a blocked msgrcv hit by a signal");
	check(msgctl(msqid, IPC_RMID, NULL) == 0, "IPC_RMID");
	check_errno(msgsnd(msqid, &m, 1, 0), EINVAL,
		    "msgsnd to the removed queue");
}

int main(void)
{
	check_start("sysv_ipc");
	remove_leftovers();
	sysv_shm();
	sysv_shm_perm();
	sysv_sem();
	sysv_msg();
	printf("sysv_ipc: all %d checks passed\n", check_count);
	return 0;
}
