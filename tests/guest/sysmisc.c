/* sysmisc.c - guest test: resource limits, usage, scheduling, prctl, personality, sysinfo, ids. */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void limits(void)
{
	struct rlimit r, saved;
	int bad_resource = 99;

	check(getrlimit(RLIMIT_STACK, &saved) == 0 && saved.rlim_cur > 0,
	      "getrlimit STACK");
	check(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur <= r.rlim_max,
	      "getrlimit NOFILE: soft <= hard");
	r.rlim_cur = 64;
	check(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit NOFILE soft to 64");
	check(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 64,
	      "getrlimit reads 64 back");
	r.rlim_cur = r.rlim_max + 1;
	check_errno(setrlimit(RLIMIT_NOFILE, &r), EINVAL,
		    "setrlimit soft > hard");
	check_errno(getrlimit(bad_resource, &r), EINVAL,
		    "getrlimit of resource 99");
	r = (struct rlimit){ 1 << 20, RLIM_INFINITY };
	check(prlimit(0, RLIMIT_CORE, &r, &saved) == 0, "prlimit sets CORE");
	check(prlimit(0, RLIMIT_CORE, NULL, &r) == 0 && r.rlim_cur == 1 << 20,
	      "prlimit reads CORE back");
}

static void usage(void)
{
	struct rusage ru;
	struct tms t;
	struct sysinfo si;
	struct timespec ts;

	check(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_utime.tv_usec < 1000000,
	      "getrusage SELF");
	check(getrusage(RUSAGE_CHILDREN, &ru) == 0, "getrusage CHILDREN");
	check_errno(getrusage(7, &ru), EINVAL, "getrusage who=7");
	check(times(&t) != (clock_t)-1, "times");
	check(sysinfo(&si) == 0 && si.totalram > 0 &&
		      si.freeram <= si.totalram && si.mem_unit >= 1 &&
		      si.procs >= 1,
	      "sysinfo memory and procs");
	check(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 &&
		      ts.tv_nsec < 1000000000L,
	      "clock_gettime PROCESS_CPUTIME_ID");
	check(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0,
	      "clock_gettime THREAD_CPUTIME_ID");
}

static void scheduling(void)
{
	cpu_set_t set;
	struct sched_param sp = { 0 };

	CPU_ZERO(&set);
	check(sched_getaffinity(0, sizeof(set), &set) == 0 &&
		      CPU_ISSET(0, &set),
	      "sched_getaffinity includes CPU 0");
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	check(sched_setaffinity(0, sizeof(set), &set) == 0,
	      "sched_setaffinity CPU 0");
	check(sched_yield() == 0, "sched_yield");
	/* Raw syscalls: musl's wrappers of these always fail with ENOSYS. */
	check(syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER,
	      "policy is SCHED_OTHER");
	check(syscall(SYS_sched_getparam, 0, &sp) == 0 &&
		      sp.sched_priority == 0,
	      "sched_getparam priority 0");
	check(sched_get_priority_max(SCHED_FIFO) == 99 &&
		      sched_get_priority_min(SCHED_FIFO) == 1,
	      "SCHED_FIFO priorities 1..99");
	check_errno(sched_get_priority_max(42), EINVAL,
		    "priority of policy 42");
	errno = 0;
	check(getpriority(PRIO_PROCESS, 0) == 0 && errno == 0, "nice is 0");
	check(setpriority(PRIO_PROCESS, 0, 5) == 0 &&
		      getpriority(PRIO_PROCESS, 0) == 5,
	      "setpriority nice 5");
	check_errno(getpriority(9, 0), EINVAL, "getpriority which=9");
}

static void process(void)
{
	char name[16] = { 0 };
	uid_t r, e, s;
	gid_t groups[4];

	check(prctl(PR_SET_NAME, "kiln-sysmisc-long-name", 0, 0, 0) == 0,
	      "prctl PR_SET_NAME");
	check(prctl(PR_GET_NAME, name, 0, 0, 0) == 0 &&
		      strcmp(name, "kiln-sysmisc-lo") == 0,
	      "PR_GET_NAME: cut to 15 chars");
	check(personality(0xffffffff) == 0, "personality is PER_LINUX");
	check(getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0,
	      "getresuid all root");
	check(setresgid(-1, -1, -1) == 0, "setresgid keeping everything");
	check(setgroups(2, (gid_t[]){ 10, 20 }) == 0, "setgroups 10 20");
	check(getgroups(0, NULL) == 2 && getgroups(4, groups) == 2 &&
		      groups[0] == 10 && groups[1] == 20,
	      "getgroups reads them back");
	check_errno(getgroups(1, groups), EINVAL,
		    "getgroups into a short list");
	check(getsid(0) == getsid(getpid()), "getsid(0) is our session");
	check_errno(getpgid(999999), ESRCH, "getpgid of no such process");
}

int main(void)
{
	check_start("sysmisc");
	limits();
	usage();
	scheduling();
	process();
	return check_done();
}
