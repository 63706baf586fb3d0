/* etc_default.h - the /etc files every root gets unless it has its own (kernel and CLI alike). */
#ifndef KILN_LIB_ETC_DEFAULT_H
#define KILN_LIB_ETC_DEFAULT_H

/*
 * What a Debian container image has at least: root, and the unprivileged
 * nobody/nogroup that servers started as root look up (nginx's default
 * user) before they even decide to keep running as root. The kernel adds them at boot to an /etc in memory; `kiln build` writes
 * them into a root disk, whose /etc the kernel cannot write
 * (cli/rootdisk.c).
 */
#define ETC_DEFAULT_HOSTS "127.0.0.1 localhost\n::1 localhost\n"
#define ETC_DEFAULT_PASSWD                \
	"root:x:0:0:root:/root:/bin/sh\n" \
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
#define ETC_DEFAULT_GROUP "root:x:0:\nnogroup:x:65534:\n"

#endif
