/* identity.c - guest test: uname, user and process ids, hostname. */
#define _GNU_SOURCE
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	struct utsname u;
	char host[256];

	check_start("identity");
	check(uname(&u) == 0, "uname");
	note("sysname=%s machine=%s", u.sysname, u.machine);
	check(strcmp(u.sysname, "Linux") == 0, "sysname is Linux");
	check(strcmp(u.machine, "x86_64") == 0, "machine is x86_64");
	check(u.release[0] >= '1' && u.release[0] <= '9' &&
		      strchr(u.release, '.'),
	      "release looks like a version");
	check(u.nodename[0] != 0, "nodename is set");
	check(gethostname(host, sizeof(host)) == 0 &&
		      strcmp(host, u.nodename) == 0,
	      "gethostname is the nodename");
	note("uid=%d euid=%d gid=%d egid=%d", (int)getuid(), (int)geteuid(),
	     (int)getgid(), (int)getegid());
	check(getuid() == 0 && geteuid() == 0, "running as root");
	check(getpid() > 0, "getpid is positive");
	check(getppid() >= 0, "getppid is not negative");
	/* A container may put us in a session whose leader is outside its pid
	 * namespace (getsid gives 0), so only success and consistency count. */
	check(getpgrp() >= 0 && getsid(0) >= 0,
	      "process group and session exist");
	check(getpgid(0) == getpgrp(), "getpgid(0) is getpgrp");
	return check_done();
}
