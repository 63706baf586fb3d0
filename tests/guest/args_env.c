/* args_env.c - guest test: echoes argv and envp, checks auxv, exits as asked. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

/*
 * Usage: args_env [exit N] [ARG...]
 * Prints argc, every argument and every environment string in order, so the
 * e2e test can compare them exactly; argv[0] is printed by basename only
 * because its directory differs between the host and the image.
 */
int main(int argc, char **argv, char **envp)
{
	const char *base = strrchr(argv[0], '/');
	int status = 0;
	int nenv = 0;

	check_start("args_env");
	note("argc=%d", argc);
	note("argv[0] basename=%s", base ? base + 1 : argv[0]);
	for (int i = 1; i < argc; i++)
		note("argv[%d]=[%s]", i, argv[i]);
	for (char **e = envp; *e; e++, nenv++)
		note("env[%d]=[%s]", nenv, *e);
	note("envc=%d", nenv);

	check(argv[argc] == NULL, "argv[argc] is NULL");
	check(envp == argv + argc + 1, "envp follows argv on the stack");
	check(environ == envp, "environ is envp");
	check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ is 4096");
	check(getauxval(AT_RANDOM) != 0, "AT_RANDOM is set");
	check(getauxval(AT_PHDR) != 0 && getauxval(AT_PHNUM) > 0,
	      "AT_PHDR and AT_PHNUM are set");
	check(getauxval(AT_ENTRY) != 0, "AT_ENTRY is set");
	check(((uintptr_t)__builtin_frame_address(0) & 7) == 0,
	      "stack is aligned");
	if (argc >= 3 && strcmp(argv[1], "exit") == 0)
		status = atoi(argv[2]);
	check_done();
	return status;
}
