/* selftest.h - fault and subsystem checks the tests trigger from the command line. */
#ifndef KILN_CORE_SELFTEST_H
#define KILN_CORE_SELFTEST_H

/* One check: kiln.test=name runs fn, whose return is the exit status. */
struct selftest {
	const char *name;
	int (*fn)(void);
};

/*
 * Register fn as kiln.test=name, from the file that holds it (any layer):
 * the entry lands in the .selftests section, which selftest_run searches,
 * so core never calls up into the subsystem it tests.
 */
#define SELFTEST(name, fn)                                         \
	static const struct selftest selftest_##fn __attribute__(( \
		used, section(".selftests"), aligned(8))) = { name, fn }

/*
 * Run the check named by kiln.test=NAME (for the e2e tests only).
 * Returns the exit status to report (2 for an unknown name); the fault
 * checks do not return (the fault report ends the VM).
 */
int selftest_run(const char *name);

#endif
