/* vdso_test.c - the vDSO's functions on the host, over a fake [vvar]: an unset offset asks the kernel, a set one is the answer. */

/* The vDSO's libc-named aliases would replace the host libc's here. */
#define clock_gettime vdso_alias_clock_gettime
#define gettimeofday vdso_alias_gettimeofday
#define time vdso_alias_time
#define getcpu vdso_alias_getcpu
#define clock_getres vdso_alias_clock_getres
#include "linux/vdso/vdso.c"
#undef clock_gettime
#undef gettimeofday
#undef time
#undef getcpu
#undef clock_getres

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <unistd.h>
#include <cmocka.h>

struct vclock *fake_vvar(void);

/* 2020-01-01: what any answer of the host kernel's wall clock exceeds. */
#define Y2020_S 1577836800LL
/* An offset no clock of the host would give: 2025-12-06 plus 123456789 ns. */
#define REAL_OFF (1765000000ULL * NSEC_PER_SEC + 123456789)

static long long ns_of(const struct __kernel_timespec *ts)
{
	return ts->tv_sec * (long long)NSEC_PER_SEC + ts->tv_nsec;
}

/* The page as it starts: every offset VCLOCK_UNSET. mult 0 makes a fast
 * path answer exactly its offset, so an answer it should not give shows. */
static int reset(void **state)
{
	(void)state;
	vclock_init(fake_vvar());
	fake_vvar()->mult = 0;
	return 0;
}

/* The host's clock id, by the system call, around the vDSO's read. */
static void between_syscalls(int id)
{
	struct __kernel_timespec a, v, b;

	assert_int_equal(syscall(__NR_clock_gettime, id, &a), 0);
	assert_int_equal(__vdso_clock_gettime(id, &v), 0);
	assert_int_equal(syscall(__NR_clock_gettime, id, &b), 0);
	assert_true(ns_of(&a) <= ns_of(&v) && ns_of(&v) <= ns_of(&b));
}

/* Offset 0 is "unset": every call asks the kernel, none answers 1970. */
static void test_unset_asks_kernel(void **state)
{
	struct __kernel_timespec ts;
	struct __kernel_old_timeval tv;
	long t = 0;

	(void)state;
	assert_int_equal(__vdso_clock_gettime(CLOCK_REALTIME, &ts), 0);
	assert_true(ts.tv_sec > Y2020_S);
	between_syscalls(CLOCK_REALTIME);
	between_syscalls(CLOCK_TAI);
	between_syscalls(CLOCK_MONOTONIC);
	between_syscalls(CLOCK_BOOTTIME);
	assert_int_equal(__vdso_gettimeofday(&tv, NULL), 0);
	assert_true(tv.tv_sec > Y2020_S);
	assert_true(__vdso_time(&t) > Y2020_S);
	assert_true(t > Y2020_S);
	assert_int_equal(__vdso_clock_gettime(12345, &ts), -EINVAL);
}

/* A set offset is the answer, at mult 0 exactly; the other slot still asks. */
static void test_set_answers(void **state)
{
	struct __kernel_timespec ts;
	struct __kernel_old_timeval tv;
	long t = 0;

	(void)state;
	__atomic_store_n(&fake_vvar()->offset_ns[VCLOCK_REAL], REAL_OFF,
			 __ATOMIC_RELEASE);
	assert_int_equal(__vdso_clock_gettime(CLOCK_REALTIME, &ts), 0);
	assert_int_equal(ns_of(&ts), REAL_OFF);
	assert_int_equal(__vdso_clock_gettime(CLOCK_TAI, &ts), 0);
	assert_int_equal(ns_of(&ts), REAL_OFF);
	assert_int_equal(__vdso_gettimeofday(&tv, NULL), 0);
	assert_int_equal(tv.tv_sec, REAL_OFF / NSEC_PER_SEC);
	assert_int_equal(tv.tv_usec, 123456);
	assert_int_equal(__vdso_time(&t), REAL_OFF / NSEC_PER_SEC);
	assert_int_equal(t, REAL_OFF / NSEC_PER_SEC);
	between_syscalls(CLOCK_MONOTONIC); /* its offset is still unset */
	/* the ids the vDSO leaves to the kernel read the never-set slot */
	assert_int_equal(__vdso_clock_gettime(12345, &ts), -EINVAL);
	assert_int_equal(__vdso_clock_gettime(CLOCK_REALTIME_ALARM + 32, &ts),
			 -EINVAL);
	between_syscalls(CLOCK_PROCESS_CPUTIME_ID);
}

/* With a real multiplier, the vDSO's read is vclock_read's sum, in order. */
static void test_same_sum(void **state)
{
	struct vclock *v = fake_vvar();
	struct __kernel_timespec ts;
	uint64_t before, after;

	(void)state;
	v->mult = vclock_mult(1000000000);
	vclock_set_mono(v, rdtsc_ordered(), v->mult);
	before = vclock_read(v, VCLOCK_MONO, rdtsc_ordered());
	assert_int_equal(__vdso_clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	after = vclock_read(v, VCLOCK_MONO, rdtsc_ordered());
	assert_true(before <= (uint64_t)ns_of(&ts) &&
		    (uint64_t)ns_of(&ts) <= after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unset_asks_kernel, reset),
		cmocka_unit_test_setup(test_set_answers, reset),
		cmocka_unit_test_setup(test_same_sum, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
