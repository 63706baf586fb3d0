/* cred.h - a process's credentials: the user and group ids every permission check reads. */
#ifndef KILN_CORE_CRED_H
#define KILN_CORE_CRED_H

#include <stdbool.h>
#include <stdint.h>

#define CRED_NGROUPS_MAX 32 /* supplementary groups kept */

/*
 * Written only by the Linux personality's id syscalls (linux/sys_ids.c);
 * fs/ reads the effective ids to own new nodes and to check access.
 * All zero is root, which owns the whole VM.
 */
struct cred {
	uint32_t uid, gid;   /* real */
	uint32_t euid, egid; /* effective: what access checks use */
	uint32_t suid, sgid; /* saved set-user/group-ID */
	uint32_t ngroups;
	uint32_t groups[CRED_NGROUPS_MAX];
};

/* The current process's credentials (core/proc.c); never NULL. */
struct cred *current_cred(void);

/* True when gid is c's effective group or one of its supplementary ones. */
static inline bool cred_in_group(const struct cred *c, uint32_t gid)
{
	if (c->egid == gid)
		return true;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/*
 * CAP_WAKE_ALARM, which Linux asks of timers and sleeps on the alarm
 * clocks: Kiln keeps no capability sets, so root's effective id has it.
 */
static inline bool cred_wake_alarm(const struct cred *c)
{
	return c->euid == 0;
}

#endif
