/* selftest.h - fault and subsystem checks the tests trigger from the command line. */
#ifndef KILN_CORE_SELFTEST_H
#define KILN_CORE_SELFTEST_H

/*
 * Run the check named by kiln.test=NAME (for the e2e tests only).
 * Returns the exit status to report; the fault checks do not return (the
 * fault report ends the VM).
 */
int selftest_run(const char *name);

/* kiln.test=virtio-net (selftest_net.c): ARP for QEMU's gateway. */
int selftest_virtio_net(void);

#endif
