/* dlopen.c - dynamic test: dlopen a library named by argv[1], call into it. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "../guest/check.h"

int main(int argc, char **argv)
{
	int (*mul)(int, int);
	const char *(*greeting)(void);
	int *loaded;
	void *h;

	check_start("dlopen");
	if (argc != 2)
		fail("usage: dlopen LIBRARY");
	check(dlopen("/no/such/lib.so", RTLD_NOW) == NULL,
	      "a missing library fails");
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	check(h != NULL, "dlopen of the plugin");
	mul = (int (*)(int, int))dlsym(h, "kplugin_mul");
	greeting = (const char *(*)(void))dlsym(h, "kplugin_greeting");
	loaded = dlsym(h, "kplugin_loaded");
	check(mul && greeting && loaded, "dlsym finds the symbols");
	check(dlsym(h, "kplugin_nope") == NULL, "dlsym of a missing symbol");
	check(*loaded == 1, "the plugin's constructor ran");
	check(mul(6, 7) == 42, "a call into the plugin");
	note("greeting=%s", greeting());
	check(dlclose(h) == 0, "dlclose");
	check_done();
	return 0;
}
