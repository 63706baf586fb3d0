/* vdso.c - guest test: the vDSO that AT_SYSINFO_EHDR names, walked by hand, agrees with the system calls. */
#define _GNU_SOURCE
#include <elf.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

/*
 * The ELF walk is the one libcs do (musl's __vdsosym): the load bias from
 * the first PT_LOAD, the dynamic section from PT_DYNAMIC, then the
 * symbol, string, SysV hash and version tables it points at. Linux's
 * vDSO and Kiln's both pass it, so the lines match natively.
 */
struct vdso {
	const Elf64_Ehdr *ehdr;
	uintptr_t bias;
	const Elf64_Sym *syms;
	const char *strs;
	const Elf64_Word *hash;
	const Elf64_Half *versym;
	const Elf64_Verdef *verdef;
};

static struct vdso vd;
static uintptr_t vvar; /* the [vvar] mapping's first page */

static const Elf64_Phdr *phdr_of(uint32_t type)
{
	const Elf64_Phdr *ph = (const void *)((const char *)vd.ehdr +
					      vd.ehdr->e_phoff);

	for (int i = 0; i < vd.ehdr->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	return NULL;
}

static void find_tables(void)
{
	const Elf64_Phdr *load = phdr_of(PT_LOAD), *dynp = phdr_of(PT_DYNAMIC);
	const Elf64_Dyn *dyn;

	check(load && dynp, "the vDSO has PT_LOAD and PT_DYNAMIC");
	vd.bias = (uintptr_t)vd.ehdr + load->p_offset - load->p_vaddr;
	dyn = (const void *)(vd.bias + dynp->p_vaddr);
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = (const void *)(vd.bias + dyn->d_un.d_ptr);

		switch (dyn->d_tag) {
		case DT_SYMTAB:
			vd.syms = p;
			break;
		case DT_STRTAB:
			vd.strs = p;
			break;
		case DT_HASH:
			vd.hash = p;
			break;
		case DT_VERSYM:
			vd.versym = p;
			break;
		case DT_VERDEF:
			vd.verdef = p;
			break;
		}
	}
	check(vd.syms && vd.strs, "DT_SYMTAB and DT_STRTAB");
	check(vd.hash != NULL, "DT_HASH (musl needs it)");
	check(vd.versym && vd.verdef, "DT_VERSYM and DT_VERDEF");
}

static unsigned long elf_hash(const char *name)
{
	unsigned long h = 0, g;

	for (; *name; name++) {
		h = (h << 4) + (unsigned char)*name;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* The name of version index ndx in the version definitions, or NULL. */
static const char *version_name(unsigned ndx)
{
	const Elf64_Verdef *d = vd.verdef;

	for (;;) {
		if (!(d->vd_flags & VER_FLG_BASE) &&
		    (d->vd_ndx & 0x7fff) == ndx) {
			const Elf64_Verdaux *a =
				(const void *)((const char *)d + d->vd_aux);
			return vd.strs + a->vda_name;
		}
		if (!d->vd_next)
			return NULL;
		d = (const void *)((const char *)d + d->vd_next);
	}
}

/* Look name up through the SysV hash table; its index or 0. */
static unsigned lookup(const char *name)
{
	Elf64_Word nbucket = vd.hash[0], nchain = vd.hash[1];
	const Elf64_Word *bucket = vd.hash + 2, *chain = bucket + nbucket;

	for (Elf64_Word i = bucket[elf_hash(name) % nbucket]; i && i < nchain;
	     i = chain[i])
		if (strcmp(vd.strs + vd.syms[i].st_name, name) == 0)
			return i;
	return 0;
}

/* Check that name is a defined function of version LINUX_2.6. */
static const Elf64_Sym *symbol(const char *name, int bind)
{
	unsigned i = lookup(name);
	const Elf64_Sym *s = &vd.syms[i];
	const char *ver;

	check(i != 0, "%s is in the dynamic symbol table", name);
	ver = version_name(vd.versym[i] & 0x7fff);
	check(ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
		      s->st_shndx != SHN_UNDEF &&
		      ELF64_ST_BIND(s->st_info) == bind,
	      "%s is a defined %s function", name,
	      bind == STB_WEAK ? "weak" : "global");
	check(ver && strcmp(ver, "LINUX_2.6") == 0, "%s has version LINUX_2.6",
	      name);
	return s;
}

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, struct timezone *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static gettime_fn v_gettime, v_getres;
static gettimeofday_fn v_gettimeofday;
static time_fn v_time;
static getcpu_fn v_getcpu;

static void *function(const char *name)
{
	char alias[32];
	const Elf64_Sym *s = symbol(name, STB_GLOBAL), *a;

	snprintf(alias, sizeof(alias), "%s", name + strlen("__vdso_"));
	a = symbol(alias, STB_WEAK);
	check(a->st_value == s->st_value, "%s is an alias of %s", alias, name);
	return (void *)(vd.bias + s->st_value);
}

static void find_vdso(void)
{
	vd.ehdr = (const void *)getauxval(AT_SYSINFO_EHDR);
	check(vd.ehdr != NULL, "getauxval(AT_SYSINFO_EHDR) is not 0");
	check(memcmp(vd.ehdr->e_ident, ELFMAG, SELFMAG) == 0 &&
		      vd.ehdr->e_ident[EI_CLASS] == ELFCLASS64 &&
		      vd.ehdr->e_type == ET_DYN,
	      "AT_SYSINFO_EHDR points at a 64-bit ELF shared object");
	find_tables();
	v_gettime = (gettime_fn)function("__vdso_clock_gettime");
	v_gettimeofday = (gettimeofday_fn)function("__vdso_gettimeofday");
	v_time = (time_fn)function("__vdso_time");
	v_getcpu = (getcpu_fn)function("__vdso_getcpu");
	v_getres = (gettime_fn)function("__vdso_clock_getres");
}

/* /proc/self/maps: [vdso] starts at AT_SYSINFO_EHDR, r-x; [vvar] is r--. */
static void maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perms[8], name[64];
	unsigned long lo, hi;
	int vdso = 0;

	check(f != NULL, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %63s", &lo, &hi,
			   perms, name) < 3)
			continue;
		if (strcmp(name, "[vdso]") == 0)
			vdso = lo == (uintptr_t)vd.ehdr &&
			       strcmp(perms, "r-xp") == 0;
		if (strcmp(name, "[vvar]") == 0 && strcmp(perms, "r--p") == 0)
			vvar = lo;
	}
	fclose(f);
	check(vdso, "maps: [vdso] r-xp at AT_SYSINFO_EHDR");
	check(vvar != 0, "maps: [vvar] r--p");
}

/* The clock page is the kernel's: no app may write it, nor grow it. */
static void vvar_is_read_only(void)
{
	int p[2];

	check(pipe(p) == 0 && write(p[1], "x", 1) == 1, "a pipe with a byte");
	check_errno(read(p[0], (void *)vvar, 1), EFAULT, "read into [vvar]");
	check_errno(mprotect((void *)vvar, 4096, PROT_READ | PROT_WRITE),
		    EACCES, "mprotect [vvar] writable");
	check_errno(mprotect((void *)vvar, 4096, PROT_READ | PROT_EXEC), EACCES,
		    "mprotect [vvar] executable");
	check(mprotect((void *)vvar, 4096, PROT_READ) == 0,
	      "mprotect [vvar] PROT_READ");
	check(mremap((void *)vvar, 4096, 8192, 0) == MAP_FAILED &&
		      errno == EFAULT,
	      "mremap cannot grow [vvar] (EFAULT)");
	close(p[0]);
	close(p[1]);
}

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static const struct {
	clockid_t id;
	const char *name;
	long long slack_ns; /* a wall clock may be stepped between reads */
} clocks[] = {
	{ CLOCK_REALTIME, "REALTIME", 1000000 },
	{ CLOCK_MONOTONIC, "MONOTONIC", 0 },
	{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID", 0 },
	{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID", 0 },
	{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", 0 },
	{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE", 1000000 },
	{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", 0 },
	{ CLOCK_BOOTTIME, "BOOTTIME", 0 },
	{ CLOCK_TAI, "TAI", 1000000 },
};

/*
 * Not 16..23: Linux 6.17 made them the auxiliary clocks. Kiln's vDSO
 * looks ids up in a table of 2 bits per id 0..31 and reads id 31's
 * entry for any id above 30 (an unsigned clamp, so negative ids too):
 * 24 is REALTIME_ALARM (8), which the vDSO leaves to the kernel, plus
 * 16; 27 is TAI (11) plus 16; 30 and 31 are the table's last entries;
 * 32, 33, 36, 39, 43 and 64 would alias REALTIME, MONOTONIC,
 * MONOTONIC_RAW, BOOTTIME, TAI and REALTIME again if the id were taken
 * modulo 32 or the shift's count modulo 64.
 */
static const clockid_t bad_clocks[] = { 10, 12,	  15,	      24, 27, 30,
					31, 32,	  33,	      36, 39, 43,
					64, 1000, 0x7fffffff, -1 };

/*
 * This process's first wall-clock read, through the vDSO. The kernel has
 * read the wall clock before main already (the first exec seeds the RNG,
 * which reads it: core/random.c), so [vvar] has the REALTIME offset and
 * this is the fast path; the vDSO's path to the kernel while an offset
 * is unset is tested on the host, tests/unit/vdso_test.c. The answer is
 * checked both ways against the syscall's: at most 1 ms ahead (a wall
 * clock may be stepped, as gettime allows) and at most LAG_NS behind (the
 * time between the calls, under TCG), so a wrong epoch (1970, the TSC's
 * nanoseconds) cannot pass.
 */
#define LAG_NS 100000000LL

static void wall_first(void)
{
	struct timespec v, v2, b;
	int rv = v_gettime(CLOCK_REALTIME, &v);
	long rb = syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
	int rv2 = v_gettime(CLOCK_REALTIME, &v2);

	check(rv == 0 && rb == 0 && rv2 == 0 && v.tv_nsec >= 0 &&
		      v.tv_nsec < 1000000000L,
	      "vDSO REALTIME, the process's first wall-clock read");
	check(ns_of(&v) <= ns_of(&b) + 1000000 &&
		      ns_of(&b) <= ns_of(&v) + LAG_NS,
	      "first vDSO REALTIME: the syscall's, 1 ms ahead to 100 ms behind");
	check(ns_of(&b) <= ns_of(&v2) + 1000000 &&
		      ns_of(&v2) <= ns_of(&b) + LAG_NS,
	      "the next vDSO REALTIME: the syscall's, 1 ms behind to 100 ms "
	      "ahead");
}

/* syscall <= vDSO <= syscall, for every clock; bad ids are -EINVAL. */
static void gettime(void)
{
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec a, v, b;
		long ra = syscall(SYS_clock_gettime, clocks[i].id, &a);
		int rv = v_gettime(clocks[i].id, &v);
		long rb = syscall(SYS_clock_gettime, clocks[i].id, &b);

		check(ra == 0 && rv == 0 && rb == 0 && v.tv_nsec >= 0 &&
			      v.tv_nsec < 1000000000L,
		      "vDSO clock_gettime %s", clocks[i].name);
		check(ns_of(&a) <= ns_of(&v) + clocks[i].slack_ns &&
			      ns_of(&v) <= ns_of(&b) + clocks[i].slack_ns,
		      "%s: syscall <= vDSO <= syscall", clocks[i].name);
	}
	for (size_t i = 0; i < sizeof(bad_clocks) / sizeof(bad_clocks[0]);
	     i++) {
		struct timespec ts;

		check(v_gettime(bad_clocks[i], &ts) == -EINVAL,
		      "vDSO clock_gettime(%d) is -EINVAL", bad_clocks[i]);
		check_errno(syscall(SYS_clock_gettime, bad_clocks[i], &ts),
			    EINVAL, "the syscall");
	}
}

/*
 * The CPU-time clocks of a process or thread are negative ids (~pid <<
 * 3 | type, bit 2 for a thread): not in the vDSO's table, so the kernel
 * answers them through it, as Linux's vDSO does. Their values differ
 * from a native run; that they are read, >= 0 and never go back, not.
 */
static void cpu_clocks(void)
{
	clockid_t ids[2];
	const char *names[2] = { "clock_getcpuclockid(getpid())",
				 "pthread_getcpuclockid(pthread_self())" };

	check(clock_getcpuclockid(getpid(), &ids[0]) == 0 && ids[0] < 0,
	      "%s is a negative id", names[0]);
	check(pthread_getcpuclockid(pthread_self(), &ids[1]) == 0 && ids[1] < 0,
	      "%s is a negative id", names[1]);
	for (int i = 0; i < 2; i++) {
		struct timespec a, b;
		int ra = v_gettime(ids[i], &a), rb = v_gettime(ids[i], &b);

		check(ra == 0 && rb == 0 && a.tv_sec >= 0 && a.tv_nsec >= 0 &&
			      a.tv_nsec < 1000000000L && ns_of(&a) <= ns_of(&b),
		      "vDSO clock_gettime(%s) is 0, >= 0 and nondecreasing",
		      names[i]);
	}
}

static void monotonic_steps(void)
{
	struct timespec prev, now, libc;
	int ok = 1;

	v_gettime(CLOCK_MONOTONIC, &prev);
	for (int i = 0; i < 10000; i++) {
		v_gettime(CLOCK_MONOTONIC, &now);
		ok &= ns_of(&now) >= ns_of(&prev) && now.tv_nsec < 1000000000L;
		prev = now;
	}
	check(ok, "vDSO MONOTONIC never goes back over 10000 calls");
	clock_gettime(CLOCK_MONOTONIC, &libc);
	v_gettime(CLOCK_MONOTONIC, &now);
	check(ns_of(&prev) <= ns_of(&libc) && ns_of(&libc) <= ns_of(&now),
	      "libc's clock_gettime lies between two vDSO reads");
}

static long long us_of(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000LL + tv->tv_usec;
}

static void wall(void)
{
	struct timeval a, v, b;
	struct timezone tz_v = { -1, -1 }, tz_s = { -2, -2 };
	time_t ta, tv, tb, stored = 0;

	check(syscall(SYS_gettimeofday, &a, NULL) == 0 &&
		      v_gettimeofday(&v, NULL) == 0 &&
		      syscall(SYS_gettimeofday, &b, NULL) == 0,
	      "vDSO gettimeofday");
	check(v.tv_usec >= 0 && v.tv_usec < 1000000 &&
		      us_of(&a) <= us_of(&v) + 1000 &&
		      us_of(&v) <= us_of(&b) + 1000,
	      "gettimeofday: syscall <= vDSO <= syscall");
	check(v_gettimeofday(NULL, &tz_v) == 0 &&
		      syscall(SYS_gettimeofday, NULL, &tz_s) == 0 &&
		      tz_v.tz_minuteswest == tz_s.tz_minuteswest &&
		      tz_v.tz_dsttime == tz_s.tz_dsttime,
	      "gettimeofday(NULL, tz) gives the syscall's zone");
	check(v_gettimeofday(NULL, NULL) == 0, "gettimeofday(NULL, NULL)");
	ta = syscall(SYS_time, NULL);
	tv = v_time(NULL);
	tb = syscall(SYS_time, NULL);
	check(ta <= tv && tv <= tb, "time(NULL): syscall <= vDSO <= syscall");
	tv = v_time(&stored);
	check(stored == tv, "time(&t) stores what it returns");
}

static void which_cpu(void)
{
	cpu_set_t one;
	unsigned cpu = ~0u, node = ~0u, scpu, snode;
	int agree = 0;

	/* Pinned, the CPU cannot change between the calls. */
	if (syscall(SYS_getcpu, &scpu, &snode, NULL) == 0) {
		CPU_ZERO(&one);
		CPU_SET(scpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	for (int tries = 0; tries < 3 && !agree; tries++)
		agree = v_getcpu(&cpu, &node, NULL) == 0 &&
			syscall(SYS_getcpu, &scpu, &snode, NULL) == 0 &&
			cpu == scpu && node == snode;
	check(agree, "vDSO getcpu agrees with the syscall");
	check(v_getcpu(NULL, NULL, NULL) == 0, "getcpu(NULL, NULL, NULL)");
}

static void getres(void)
{
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec v = { -1, -1 }, s = { -2, -2 };

		check(v_getres(clocks[i].id, &v) == 0 &&
			      syscall(SYS_clock_getres, clocks[i].id, &s) ==
				      0 &&
			      v.tv_sec == s.tv_sec && v.tv_nsec == s.tv_nsec,
		      "clock_getres %s: vDSO = syscall", clocks[i].name);
		check(v_getres(clocks[i].id, NULL) == 0,
		      "clock_getres(%s, NULL)", clocks[i].name);
	}
	for (size_t i = 0; i < sizeof(bad_clocks) / sizeof(bad_clocks[0]);
	     i++) {
		struct timespec ts;

		check(v_getres(bad_clocks[i], &ts) == -EINVAL,
		      "vDSO clock_getres(%d) is -EINVAL", bad_clocks[i]);
	}
}

int main(void)
{
	check_start("vdso");
	find_vdso();
	maps();
	vvar_is_read_only();
	wall_first();
	gettime();
	cpu_clocks();
	monotonic_steps();
	wall();
	which_cpu();
	getres();
	return check_done();
}
