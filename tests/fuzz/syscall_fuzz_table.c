/* syscall_fuzz_table.c - what each x86_64 syscall takes, and which ones the fuzzer never makes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "syscall_fuzz.h"

/* Argument kinds: which generator of syscall_fuzz_gen.c fills an argument. */
enum kind {
	K_ANY, /* not described: any of the generators */
	K_INT,
	K_FLAGS,
	K_MODE,
	K_UID,
	K_FD,
	K_DIRFD,
	K_PID,
	K_SIG,
	K_PATH,
	K_IN,	 /* a buffer the kernel reads; its K_LEN follows */
	K_OUT,	 /* a buffer the kernel writes */
	K_LEN,	 /* the length of the last K_IN/K_OUT */
	K_COUNT, /* the entries of the last K_IOV/K_POLL */
	K_TMO,	 /* a timeout in milliseconds */
	K_SIGSET,
	K_SIGSZ,
	K_TIME,
	K_IOV,
	K_MSG,
	K_SOCKADDR, /* its K_SOCKLEN follows */
	K_SOCKLEN,
	K_LENP,
	K_POLL,
	K_FDSET,
	K_EPEV,
	K_ADDR, /* an address for the memory calls: arena or hostile */
	K_MLEN, /* its length, which never leaves the arena */
	K_PROT,
	K_CLOCK,
	K_FUTEX,
	K_DOMAIN,
	K_SOCKTYPE,
};

enum {
	F_RETFD = 1,  /* returns a new fd */
	F_PAIRFD = 2, /* writes two new fds where its first pointer points */
};

struct sc {
	uint8_t k[MAX_ARGS];
	uint8_t flags;
};

#define S(...)                     \
	{                          \
		{ __VA_ARGS__ }, 0 \
	}
#define FD(...)                          \
	{                                \
		{ __VA_ARGS__ }, F_RETFD \
	}

/* x86_64 numbers musl 1.2.3's <sys/syscall.h> does not name. */
#define NR_quotactl_fd 443
#define NR_memfd_secret 447
#define NR_process_mrelease 448
#define NR_futex_waitv 449
#define NR_set_mempolicy_home_node 450

static const struct sc table[NSYSCALLS] = {
	[SYS_read] = S(K_FD, K_OUT, K_LEN),
	[SYS_write] = S(K_FD, K_IN, K_LEN),
	[SYS_open] = FD(K_PATH, K_FLAGS, K_MODE),
	[SYS_close] = S(K_FD),
	[SYS_stat] = S(K_PATH, K_OUT),
	[SYS_fstat] = S(K_FD, K_OUT),
	[SYS_lstat] = S(K_PATH, K_OUT),
	[SYS_poll] = S(K_POLL, K_COUNT, K_TMO),
	[SYS_lseek] = S(K_FD, K_INT, K_INT),
	[SYS_mmap] = S(K_ADDR, K_MLEN, K_PROT, K_FLAGS, K_FD, K_INT),
	[SYS_mprotect] = S(K_ADDR, K_MLEN, K_PROT),
	[SYS_munmap] = S(K_ADDR, K_MLEN),
	[SYS_brk] = S(K_INT),
	[SYS_rt_sigaction] = S(K_SIG, K_IN, K_OUT, K_SIGSZ),
	[SYS_rt_sigprocmask] = S(K_INT, K_SIGSET, K_OUT, K_SIGSZ),
	[SYS_ioctl] = S(K_FD, K_INT, K_ANY),
	[SYS_pread64] = S(K_FD, K_OUT, K_LEN, K_INT),
	[SYS_pwrite64] = S(K_FD, K_IN, K_LEN, K_INT),
	[SYS_readv] = S(K_FD, K_IOV, K_COUNT),
	[SYS_writev] = S(K_FD, K_IOV, K_COUNT),
	[SYS_access] = S(K_PATH, K_INT),
	[SYS_pipe] = { { K_OUT }, F_PAIRFD },
	[SYS_select] = S(K_INT, K_FDSET, K_FDSET, K_FDSET, K_TIME),
	[SYS_mremap] = S(K_ADDR, K_MLEN, K_INT, K_FLAGS, K_ADDR),
	[SYS_msync] = S(K_ADDR, K_MLEN, K_FLAGS),
	[SYS_mincore] = S(K_ADDR, K_MLEN, K_OUT),
	[SYS_madvise] = S(K_ADDR, K_MLEN, K_INT),
	[SYS_shmget] = S(K_INT, K_INT, K_FLAGS),
	[SYS_shmat] = S(K_INT, K_ADDR, K_FLAGS),
	[SYS_shmctl] = S(K_INT, K_INT, K_OUT),
	[SYS_dup] = FD(K_FD),
	[SYS_dup2] = FD(K_FD, K_FD),
	[SYS_nanosleep] = S(K_TIME, K_OUT),
	[SYS_getitimer] = S(K_INT, K_OUT),
	[SYS_alarm] = S(K_INT),
	[SYS_setitimer] = S(K_INT, K_TIME, K_OUT),
	[SYS_sendfile] = S(K_FD, K_FD, K_OUT, K_LEN),
	[SYS_socket] = FD(K_DOMAIN, K_SOCKTYPE, K_INT),
	[SYS_connect] = S(K_FD, K_SOCKADDR, K_SOCKLEN),
	[SYS_accept] = FD(K_FD, K_OUT, K_LENP),
	[SYS_sendto] = S(K_FD, K_IN, K_LEN, K_FLAGS, K_SOCKADDR, K_SOCKLEN),
	[SYS_recvfrom] = S(K_FD, K_OUT, K_LEN, K_FLAGS, K_OUT, K_LENP),
	[SYS_sendmsg] = S(K_FD, K_MSG, K_FLAGS),
	[SYS_recvmsg] = S(K_FD, K_MSG, K_FLAGS),
	[SYS_shutdown] = S(K_FD, K_INT),
	[SYS_bind] = S(K_FD, K_SOCKADDR, K_SOCKLEN),
	[SYS_listen] = S(K_FD, K_INT),
	[SYS_getsockname] = S(K_FD, K_OUT, K_LENP),
	[SYS_getpeername] = S(K_FD, K_OUT, K_LENP),
	[SYS_socketpair] = { { K_DOMAIN, K_SOCKTYPE, K_INT, K_OUT }, F_PAIRFD },
	[SYS_setsockopt] = S(K_FD, K_INT, K_INT, K_IN, K_LEN),
	[SYS_getsockopt] = S(K_FD, K_INT, K_INT, K_OUT, K_LENP),
	[SYS_wait4] = S(K_PID, K_OUT, K_FLAGS, K_OUT),
	[SYS_kill] = S(K_PID, K_SIG),
	[SYS_uname] = S(K_OUT),
	[SYS_semget] = S(K_INT, K_INT, K_FLAGS),
	[SYS_semop] = S(K_INT, K_IN, K_LEN),
	[SYS_shmdt] = S(K_ADDR),
	[SYS_msgget] = S(K_INT, K_FLAGS),
	[SYS_msgsnd] = S(K_INT, K_IN, K_LEN, K_FLAGS),
	[SYS_msgrcv] = S(K_INT, K_OUT, K_LEN, K_INT, K_FLAGS),
	[SYS_msgctl] = S(K_INT, K_INT, K_OUT),
	[SYS_fcntl] = S(K_FD, K_INT, K_ANY),
	[SYS_flock] = S(K_FD, K_INT),
	[SYS_fsync] = S(K_FD),
	[SYS_fdatasync] = S(K_FD),
	[SYS_truncate] = S(K_PATH, K_INT),
	[SYS_ftruncate] = S(K_FD, K_INT),
	[SYS_getdents] = S(K_FD, K_OUT, K_LEN),
	[SYS_getcwd] = S(K_OUT, K_LEN),
	[SYS_chdir] = S(K_PATH),
	[SYS_fchdir] = S(K_FD),
	[SYS_rename] = S(K_PATH, K_PATH),
	[SYS_mkdir] = S(K_PATH, K_MODE),
	[SYS_rmdir] = S(K_PATH),
	[SYS_creat] = FD(K_PATH, K_MODE),
	[SYS_link] = S(K_PATH, K_PATH),
	[SYS_unlink] = S(K_PATH),
	[SYS_symlink] = S(K_PATH, K_PATH),
	[SYS_readlink] = S(K_PATH, K_OUT, K_LEN),
	[SYS_chmod] = S(K_PATH, K_MODE),
	[SYS_fchmod] = S(K_FD, K_MODE),
	[SYS_chown] = S(K_PATH, K_UID, K_UID),
	[SYS_fchown] = S(K_FD, K_UID, K_UID),
	[SYS_lchown] = S(K_PATH, K_UID, K_UID),
	[SYS_umask] = S(K_MODE),
	[SYS_gettimeofday] = S(K_OUT, K_OUT),
	[SYS_getrlimit] = S(K_INT, K_OUT),
	[SYS_getrusage] = S(K_INT, K_OUT),
	[SYS_sysinfo] = S(K_OUT),
	[SYS_times] = S(K_OUT),
	[SYS_ptrace] = S(K_INT, K_PID, K_ANY, K_ANY),
	[SYS_syslog] = S(K_INT, K_OUT, K_LEN),
	[SYS_setuid] = S(K_UID),
	[SYS_setgid] = S(K_UID),
	[SYS_setpgid] = S(K_PID, K_PID),
	[SYS_setreuid] = S(K_UID, K_UID),
	[SYS_setregid] = S(K_UID, K_UID),
	[SYS_getgroups] = S(K_INT, K_OUT),
	[SYS_setgroups] = S(K_COUNT, K_IN),
	[SYS_setresuid] = S(K_UID, K_UID, K_UID),
	[SYS_getresuid] = S(K_OUT, K_OUT, K_OUT),
	[SYS_setresgid] = S(K_UID, K_UID, K_UID),
	[SYS_getresgid] = S(K_OUT, K_OUT, K_OUT),
	[SYS_getpgid] = S(K_PID),
	[SYS_setfsuid] = S(K_UID),
	[SYS_setfsgid] = S(K_UID),
	[SYS_getsid] = S(K_PID),
	[SYS_capget] = S(K_IN, K_OUT),
	[SYS_capset] = S(K_IN, K_IN),
	[SYS_rt_sigpending] = S(K_OUT, K_SIGSZ),
	[SYS_rt_sigtimedwait] = S(K_SIGSET, K_OUT, K_TIME, K_SIGSZ),
	[SYS_rt_sigqueueinfo] = S(K_PID, K_SIG, K_IN),
	[SYS_rt_sigsuspend] = S(K_SIGSET, K_SIGSZ),
	[SYS_sigaltstack] = S(K_IN, K_OUT),
	[SYS_utime] = S(K_PATH, K_IN),
	[SYS_mknod] = S(K_PATH, K_MODE, K_INT),
	[SYS_uselib] = S(K_PATH),
	[SYS_personality] = S(K_INT),
	[SYS_ustat] = S(K_INT, K_OUT),
	[SYS_statfs] = S(K_PATH, K_OUT),
	[SYS_fstatfs] = S(K_FD, K_OUT),
	[SYS_sysfs] = S(K_INT, K_ANY, K_ANY),
	[SYS_getpriority] = S(K_INT, K_PID),
	[SYS_setpriority] = S(K_INT, K_PID, K_INT),
	[SYS_sched_setparam] = S(K_PID, K_IN),
	[SYS_sched_getparam] = S(K_PID, K_OUT),
	[SYS_sched_setscheduler] = S(K_PID, K_INT, K_IN),
	[SYS_sched_getscheduler] = S(K_PID),
	[SYS_sched_get_priority_max] = S(K_INT),
	[SYS_sched_get_priority_min] = S(K_INT),
	[SYS_sched_rr_get_interval] = S(K_PID, K_OUT),
	[SYS_mlock] = S(K_ADDR, K_MLEN),
	[SYS_munlock] = S(K_ADDR, K_MLEN),
	[SYS_mlockall] = S(K_FLAGS),
	[SYS_modify_ldt] = S(K_INT, K_IN, K_LEN),
	[SYS_pivot_root] = S(K_PATH, K_PATH),
	[SYS__sysctl] = S(K_IN),
	[SYS_prctl] = S(K_INT, K_ANY, K_ANY, K_ANY, K_ANY),
	[SYS_arch_prctl] = S(K_INT, K_OUT),
	[SYS_adjtimex] = S(K_OUT),
	[SYS_setrlimit] = S(K_INT, K_IN),
	[SYS_chroot] = S(K_PATH),
	[SYS_acct] = S(K_PATH),
	[SYS_settimeofday] = S(K_TIME, K_IN),
	[SYS_mount] = S(K_PATH, K_PATH, K_PATH, K_FLAGS, K_IN),
	[SYS_umount2] = S(K_PATH, K_FLAGS),
	[SYS_swapon] = S(K_PATH, K_FLAGS),
	[SYS_swapoff] = S(K_PATH),
	[SYS_sethostname] = S(K_IN, K_LEN),
	[SYS_setdomainname] = S(K_IN, K_LEN),
	[SYS_iopl] = S(K_INT),
	[SYS_ioperm] = S(K_INT, K_INT, K_INT),
	[SYS_init_module] = S(K_IN, K_LEN, K_PATH),
	[SYS_delete_module] = S(K_PATH, K_FLAGS),
	[SYS_quotactl] = S(K_INT, K_PATH, K_INT, K_ANY),
	[SYS_readahead] = S(K_FD, K_INT, K_INT),
	[SYS_setxattr] = S(K_PATH, K_PATH, K_IN, K_LEN, K_FLAGS),
	[SYS_lsetxattr] = S(K_PATH, K_PATH, K_IN, K_LEN, K_FLAGS),
	[SYS_fsetxattr] = S(K_FD, K_PATH, K_IN, K_LEN, K_FLAGS),
	[SYS_getxattr] = S(K_PATH, K_PATH, K_OUT, K_LEN),
	[SYS_lgetxattr] = S(K_PATH, K_PATH, K_OUT, K_LEN),
	[SYS_fgetxattr] = S(K_FD, K_PATH, K_OUT, K_LEN),
	[SYS_listxattr] = S(K_PATH, K_OUT, K_LEN),
	[SYS_llistxattr] = S(K_PATH, K_OUT, K_LEN),
	[SYS_flistxattr] = S(K_FD, K_OUT, K_LEN),
	[SYS_removexattr] = S(K_PATH, K_PATH),
	[SYS_lremovexattr] = S(K_PATH, K_PATH),
	[SYS_fremovexattr] = S(K_FD, K_PATH),
	[SYS_tkill] = S(K_PID, K_SIG),
	[SYS_time] = S(K_OUT),
	[SYS_futex] = S(K_FUTEX, K_INT, K_INT, K_TIME, K_FUTEX, K_INT),
	[SYS_sched_setaffinity] = S(K_PID, K_INT, K_IN),
	[SYS_sched_getaffinity] = S(K_PID, K_INT, K_OUT),
	[SYS_set_thread_area] = S(K_IN),
	[SYS_io_setup] = S(K_INT, K_OUT),
	[SYS_io_destroy] = S(K_INT),
	[SYS_io_getevents] = S(K_INT, K_INT, K_INT, K_OUT, K_TIME),
	[SYS_io_submit] = S(K_INT, K_INT, K_IN),
	[SYS_io_cancel] = S(K_INT, K_IN, K_OUT),
	[SYS_get_thread_area] = S(K_OUT),
	[SYS_lookup_dcookie] = S(K_INT, K_OUT, K_LEN),
	[SYS_epoll_create] = FD(K_INT),
	[SYS_remap_file_pages] = S(K_ADDR, K_MLEN, K_INT, K_INT, K_FLAGS),
	[SYS_getdents64] = S(K_FD, K_OUT, K_LEN),
	[SYS_set_tid_address] = S(K_OUT),
	[SYS_semtimedop] = S(K_INT, K_IN, K_LEN, K_TIME),
	[SYS_fadvise64] = S(K_FD, K_INT, K_INT, K_INT),
	[SYS_timer_create] = S(K_CLOCK, K_IN, K_OUT),
	[SYS_timer_settime] = S(K_INT, K_FLAGS, K_TIME, K_OUT),
	[SYS_timer_gettime] = S(K_INT, K_OUT),
	[SYS_timer_getoverrun] = S(K_INT),
	[SYS_timer_delete] = S(K_INT),
	[SYS_clock_settime] = S(K_CLOCK, K_TIME),
	[SYS_clock_gettime] = S(K_CLOCK, K_OUT),
	[SYS_clock_getres] = S(K_CLOCK, K_OUT),
	[SYS_clock_nanosleep] = S(K_CLOCK, K_FLAGS, K_TIME, K_OUT),
	[SYS_epoll_wait] = S(K_FD, K_OUT, K_INT, K_TMO),
	[SYS_epoll_ctl] = S(K_FD, K_INT, K_FD, K_EPEV),
	[SYS_tgkill] = S(K_PID, K_PID, K_SIG),
	[SYS_utimes] = S(K_PATH, K_TIME),
	[SYS_mbind] = S(K_ADDR, K_MLEN, K_INT, K_IN, K_INT, K_FLAGS),
	[SYS_set_mempolicy] = S(K_INT, K_IN, K_INT),
	[SYS_get_mempolicy] = S(K_OUT, K_OUT, K_INT, K_ADDR, K_FLAGS),
	[SYS_mq_open] = FD(K_PATH, K_FLAGS, K_MODE, K_IN),
	[SYS_mq_unlink] = S(K_PATH),
	[SYS_mq_timedsend] = S(K_FD, K_IN, K_LEN, K_INT, K_TIME),
	[SYS_mq_timedreceive] = S(K_FD, K_OUT, K_LEN, K_OUT, K_TIME),
	[SYS_mq_notify] = S(K_FD, K_IN),
	[SYS_mq_getsetattr] = S(K_FD, K_IN, K_OUT),
	[SYS_waitid] = S(K_INT, K_PID, K_OUT, K_FLAGS, K_OUT),
	[SYS_add_key] = S(K_PATH, K_PATH, K_IN, K_LEN, K_INT),
	[SYS_request_key] = S(K_PATH, K_PATH, K_PATH, K_INT),
	[SYS_ioprio_set] = S(K_INT, K_PID, K_INT),
	[SYS_ioprio_get] = S(K_INT, K_PID),
	[SYS_inotify_init] = FD(K_ANY),
	[SYS_inotify_add_watch] = S(K_FD, K_PATH, K_FLAGS),
	[SYS_inotify_rm_watch] = S(K_FD, K_INT),
	[SYS_migrate_pages] = S(K_PID, K_INT, K_IN, K_IN),
	[SYS_openat] = FD(K_DIRFD, K_PATH, K_FLAGS, K_MODE),
	[SYS_mkdirat] = S(K_DIRFD, K_PATH, K_MODE),
	[SYS_mknodat] = S(K_DIRFD, K_PATH, K_MODE, K_INT),
	[SYS_fchownat] = S(K_DIRFD, K_PATH, K_UID, K_UID, K_FLAGS),
	[SYS_futimesat] = S(K_DIRFD, K_PATH, K_TIME),
	[SYS_newfstatat] = S(K_DIRFD, K_PATH, K_OUT, K_FLAGS),
	[SYS_unlinkat] = S(K_DIRFD, K_PATH, K_FLAGS),
	[SYS_renameat] = S(K_DIRFD, K_PATH, K_DIRFD, K_PATH),
	[SYS_linkat] = S(K_DIRFD, K_PATH, K_DIRFD, K_PATH, K_FLAGS),
	[SYS_symlinkat] = S(K_PATH, K_DIRFD, K_PATH),
	[SYS_readlinkat] = S(K_DIRFD, K_PATH, K_OUT, K_LEN),
	[SYS_fchmodat] = S(K_DIRFD, K_PATH, K_MODE, K_FLAGS),
	[SYS_faccessat] = S(K_DIRFD, K_PATH, K_INT, K_FLAGS),
	[SYS_pselect6] = S(K_INT, K_FDSET, K_FDSET, K_FDSET, K_TIME, K_ANY),
	[SYS_ppoll] = S(K_POLL, K_COUNT, K_TIME, K_SIGSET, K_SIGSZ),
	[SYS_unshare] = S(K_FLAGS),
	[SYS_set_robust_list] = S(K_IN, K_LEN),
	[SYS_get_robust_list] = S(K_PID, K_OUT, K_OUT),
	[SYS_splice] = S(K_FD, K_OUT, K_FD, K_OUT, K_INT, K_FLAGS),
	[SYS_tee] = S(K_FD, K_FD, K_INT, K_FLAGS),
	[SYS_sync_file_range] = S(K_FD, K_INT, K_INT, K_FLAGS),
	[SYS_vmsplice] = S(K_FD, K_IOV, K_COUNT, K_FLAGS),
	[SYS_move_pages] = S(K_PID, K_INT, K_IN, K_IN, K_OUT, K_FLAGS),
	[SYS_utimensat] = S(K_DIRFD, K_PATH, K_TIME, K_FLAGS),
	[SYS_epoll_pwait] = S(K_FD, K_OUT, K_INT, K_TMO, K_SIGSET, K_SIGSZ),
	[SYS_signalfd] = FD(K_FD, K_SIGSET, K_SIGSZ),
	[SYS_timerfd_create] = FD(K_CLOCK, K_FLAGS),
	[SYS_eventfd] = FD(K_INT),
	[SYS_fallocate] = S(K_FD, K_INT, K_INT, K_INT),
	[SYS_timerfd_settime] = S(K_FD, K_FLAGS, K_TIME, K_OUT),
	[SYS_timerfd_gettime] = S(K_FD, K_OUT),
	[SYS_accept4] = FD(K_FD, K_OUT, K_LENP, K_FLAGS),
	[SYS_signalfd4] = FD(K_FD, K_SIGSET, K_SIGSZ, K_FLAGS),
	[SYS_eventfd2] = FD(K_INT, K_FLAGS),
	[SYS_epoll_create1] = FD(K_FLAGS),
	[SYS_dup3] = FD(K_FD, K_FD, K_FLAGS),
	[SYS_pipe2] = { { K_OUT, K_FLAGS }, F_PAIRFD },
	[SYS_inotify_init1] = FD(K_FLAGS),
	[SYS_preadv] = S(K_FD, K_IOV, K_COUNT, K_INT, K_INT),
	[SYS_pwritev] = S(K_FD, K_IOV, K_COUNT, K_INT, K_INT),
	[SYS_rt_tgsigqueueinfo] = S(K_PID, K_PID, K_SIG, K_IN),
	[SYS_perf_event_open] = FD(K_IN, K_PID, K_INT, K_FD, K_FLAGS),
	[SYS_recvmmsg] = S(K_FD, K_MSG, K_COUNT, K_FLAGS, K_TIME),
	[SYS_fanotify_init] = FD(K_FLAGS, K_FLAGS),
	[SYS_fanotify_mark] = S(K_FD, K_FLAGS, K_INT, K_DIRFD, K_PATH),
	[SYS_prlimit64] = S(K_PID, K_INT, K_IN, K_OUT),
	[SYS_name_to_handle_at] = S(K_DIRFD, K_PATH, K_OUT, K_OUT, K_FLAGS),
	[SYS_open_by_handle_at] = FD(K_FD, K_IN, K_FLAGS),
	[SYS_clock_adjtime] = S(K_CLOCK, K_OUT),
	[SYS_syncfs] = S(K_FD),
	[SYS_sendmmsg] = S(K_FD, K_MSG, K_COUNT, K_FLAGS),
	[SYS_setns] = S(K_FD, K_FLAGS),
	[SYS_getcpu] = S(K_OUT, K_OUT, K_OUT),
	[SYS_process_vm_readv] = S(K_PID, K_IOV, K_COUNT, K_IOV, K_COUNT,
				   K_FLAGS),
	[SYS_kcmp] = S(K_PID, K_PID, K_INT, K_FD, K_FD),
	[SYS_finit_module] = S(K_FD, K_PATH, K_FLAGS),
	[SYS_sched_setattr] = S(K_PID, K_IN, K_FLAGS),
	[SYS_sched_getattr] = S(K_PID, K_OUT, K_LEN, K_FLAGS),
	[SYS_renameat2] = S(K_DIRFD, K_PATH, K_DIRFD, K_PATH, K_FLAGS),
	[SYS_getrandom] = S(K_OUT, K_LEN, K_FLAGS),
	[SYS_memfd_create] = FD(K_PATH, K_FLAGS),
	[SYS_bpf] = S(K_INT, K_IN, K_LEN),
	[SYS_membarrier] = S(K_INT, K_FLAGS, K_INT),
	[SYS_mlock2] = S(K_ADDR, K_MLEN, K_FLAGS),
	[SYS_copy_file_range] = S(K_FD, K_OUT, K_FD, K_OUT, K_INT, K_FLAGS),
	[SYS_preadv2] = S(K_FD, K_IOV, K_COUNT, K_INT, K_INT, K_FLAGS),
	[SYS_pwritev2] = S(K_FD, K_IOV, K_COUNT, K_INT, K_INT, K_FLAGS),
	[SYS_pkey_mprotect] = S(K_ADDR, K_MLEN, K_PROT, K_INT),
	[SYS_pkey_alloc] = S(K_FLAGS, K_INT),
	[SYS_pkey_free] = S(K_INT),
	[SYS_statx] = S(K_DIRFD, K_PATH, K_FLAGS, K_FLAGS, K_OUT),
	[SYS_io_pgetevents] = S(K_INT, K_INT, K_INT, K_OUT, K_TIME, K_IN),
	[SYS_rseq] = S(K_OUT, K_LEN, K_FLAGS, K_INT),
	[SYS_pidfd_send_signal] = S(K_FD, K_SIG, K_IN, K_FLAGS),
	[SYS_open_tree] = FD(K_DIRFD, K_PATH, K_FLAGS),
	[SYS_move_mount] = S(K_DIRFD, K_PATH, K_DIRFD, K_PATH, K_FLAGS),
	[SYS_fsopen] = FD(K_PATH, K_FLAGS),
	[SYS_fsconfig] = S(K_FD, K_INT, K_PATH, K_IN, K_INT),
	[SYS_fsmount] = FD(K_FD, K_FLAGS, K_FLAGS),
	[SYS_fspick] = FD(K_DIRFD, K_PATH, K_FLAGS),
	[SYS_pidfd_open] = FD(K_PID, K_FLAGS),
	[SYS_close_range] = S(K_FD, K_FD, K_FLAGS),
	[SYS_openat2] = FD(K_DIRFD, K_PATH, K_IN, K_LEN),
	[SYS_pidfd_getfd] = FD(K_FD, K_INT, K_FLAGS),
	[SYS_faccessat2] = S(K_DIRFD, K_PATH, K_INT, K_FLAGS),
	[SYS_epoll_pwait2] = S(K_FD, K_OUT, K_INT, K_TIME, K_SIGSET, K_SIGSZ),
	[SYS_mount_setattr] = S(K_DIRFD, K_PATH, K_FLAGS, K_IN, K_LEN),
	[NR_quotactl_fd] = S(K_FD, K_INT, K_INT, K_ANY),
	[SYS_landlock_create_ruleset] = FD(K_IN, K_LEN, K_FLAGS),
	[SYS_landlock_add_rule] = S(K_FD, K_INT, K_IN, K_FLAGS),
	[SYS_landlock_restrict_self] = S(K_FD, K_FLAGS),
	[NR_memfd_secret] = FD(K_FLAGS),
	[NR_process_mrelease] = S(K_FD, K_FLAGS),
	[NR_futex_waitv] = S(K_IN, K_COUNT, K_FLAGS, K_TIME, K_CLOCK),
	[NR_set_mempolicy_home_node] = S(K_ADDR, K_MLEN, K_INT, K_FLAGS),
};

/* The calls never made, and why (docs/security.md lists them too). */
static const struct {
	int nr;
	const char *why;
} skips[] = {
	{ SYS_exit, "ends the process" },
	{ SYS_exit_group, "ends the process" },
	{ SYS_rt_sigreturn, "jumps to whatever a random frame holds" },
	{ SYS_clone,
	  "a random child stack and flags: threads that run garbage" },
	{ SYS_clone3, "as clone" },
	{ SYS_fork, "a second fuzzer doing its own random calls" },
	{ SYS_vfork, "as fork, with the parent stopped" },
	{ SYS_execve, "replaces the fuzzer" },
	{ SYS_execveat, "replaces the fuzzer" },
	{ SYS_reboot, "ends the VM" },
	{ SYS_kexec_load, "replaces the kernel" },
	{ SYS_kexec_file_load, "replaces the kernel" },
	{ SYS_vhangup, "hangs up the console the results go to" },
	{ SYS_seccomp, "a random filter kills the fuzzer" },
	{ SYS_process_vm_writev, "writes into its own memory" },
	{ SYS_process_madvise, "advice on its own code and stack" },
	{ SYS_userfaultfd,
	  "a registered range makes the kernel's own accesses wait forever" },
	{ SYS_io_uring_setup, "runs random operations past every guard here" },
	{ SYS_io_uring_enter, "as io_uring_setup" },
	{ SYS_io_uring_register, "as io_uring_setup" },
};

const char *skip_reason(int nr)
{
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (skips[i].nr == nr)
			return skips[i].why;
	return NULL;
}

/* ---- generating by kind ---- */

struct gen_state {
	uint64_t last_ptr; /* for K_LEN */
	uint64_t count;	   /* for K_COUNT, set by K_IOV and K_POLL */
	bool have_count;
	uint64_t socklen;   /* for K_SOCKLEN */
	uint64_t last_addr; /* for K_MLEN */
};

static uint64_t gen_any(void)
{
	switch (rnd_below(6)) {
	case 0:
		return gen_int();
	case 1:
		return gen_ptr(true);
	case 2:
		return gen_hostile();
	case 3:
		return (uint64_t)gen_fd();
	case 4:
		return gen_flags();
	default:
		return rnd();
	}
}

static uint64_t gen_domain(void)
{
	static const uint64_t d[] = { AF_UNIX,	  AF_UNIX,   AF_INET,
				      AF_INET,	  AF_INET,   AF_INET6,
				      AF_NETLINK, AF_PACKET, AF_UNSPEC };

	return chance(90) ? d[rnd_below(sizeof(d) / sizeof(d[0]))] : gen_int();
}

static uint64_t gen_socktype(void)
{
	static const uint64_t t[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,
				      SOCK_SEQPACKET };
	uint64_t v = t[rnd_below(4)];

	if (chance(30))
		v |= SOCK_NONBLOCK;
	if (chance(30))
		v |= SOCK_CLOEXEC;
	return chance(90) ? v : gen_int();
}

static uint64_t gen_kind(enum kind k, struct gen_state *g)
{
	uint64_t v;

	switch (k) {
	case K_INT:
		return gen_int();
	case K_FLAGS:
		return gen_flags();
	case K_MODE:
		return gen_mode();
	case K_UID:
		return gen_uid();
	case K_FD:
		return (uint64_t)gen_fd();
	case K_DIRFD:
		return (uint64_t)gen_dirfd();
	case K_PID:
		return (uint64_t)gen_pid();
	case K_SIG:
		return (uint64_t)(int64_t)gen_signal();
	case K_PATH:
		return gen_path();
	case K_IN:
		return g->last_ptr = gen_ptr(false);
	case K_OUT:
		return g->last_ptr = gen_ptr(true);
	case K_LEN:
		return gen_len(g->last_ptr);
	case K_COUNT:
		v = g->have_count ? g->count : gen_count();
		g->have_count = false;
		return v;
	case K_TMO:
		return gen_timeout_ms();
	case K_SIGSET:
		return gen_sigset();
	case K_SIGSZ:
		return chance(85) ? 8 : gen_int();
	case K_TIME:
		return gen_times();
	case K_IOV:
		g->have_count = true;
		return gen_iov(&g->count);
	case K_MSG:
		return gen_msghdr();
	case K_SOCKADDR:
		return gen_sockaddr(&g->socklen);
	case K_SOCKLEN:
		return g->socklen;
	case K_LENP:
		return gen_lenp();
	case K_POLL:
		g->have_count = true;
		return gen_pollfds(&g->count);
	case K_FDSET:
		return gen_fdset();
	case K_EPEV:
		return gen_epoll_event();
	case K_ADDR:
		return g->last_addr = gen_arena_addr();
	case K_MLEN:
		return gen_arena_len(g->last_addr);
	case K_PROT:
		return gen_prot();
	case K_CLOCK:
		return gen_clock();
	case K_FUTEX:
		return gen_futex_addr();
	case K_DOMAIN:
		return gen_domain();
	case K_SOCKTYPE:
		return gen_socktype();
	default:
		return gen_any();
	}
}

bool args_make(int nr, uint64_t a[MAX_ARGS])
{
	struct gen_state g = { 0 };

	if (nr < 0 || nr >= NSYSCALLS || skip_reason(nr))
		return false;
	for (int i = 0; i < MAX_ARGS; i++)
		a[i] = gen_kind((enum kind)table[nr].k[i], &g);
	return args_fixup(nr, a);
}

void args_after(int nr, const uint64_t a[MAX_ARGS], long ret)
{
	if (ret < 0 || nr < 0 || nr >= NSYSCALLS)
		return;
	if (table[nr].flags & F_RETFD)
		fd_remember(ret);
	if (nr == SYS_fcntl && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC))
		fd_remember(ret);
	if ((table[nr].flags & F_PAIRFD) && ret == 0) {
		uint64_t p = nr == SYS_socketpair ? a[3] : a[0];

		if (in_scratch(p, 2 * sizeof(int))) {
			const int *fds = (const int *)(uintptr_t)p;

			fd_remember(fds[0]);
			fd_remember(fds[1]);
		}
	}
}
