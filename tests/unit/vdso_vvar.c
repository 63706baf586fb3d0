/* vdso_vvar.c - a writable stand-in for the [vvar] page, for vdso_test.c. */
#include "lib/vclock.h"

/*
 * vdso.c declares the page const, as the application sees it; here it
 * is the kernel's side, which the test writes through fake_vvar().
 */
struct vclock vdso_vvar;

struct vclock *fake_vvar(void);

struct vclock *fake_vvar(void)
{
	return &vdso_vvar;
}
