/* exec.h - load a program (ELF, its PT_INTERP, or a #! script) into the process: execve and the boot alike. */
#ifndef KILN_LINUX_EXEC_H
#define KILN_LINUX_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/elf.h"
#include "linux/proc.h"

struct lookup;
struct vnode;
struct vma_file;

/*
 * A string vector (argv or envp): each string kmalloc'ed, v[n] NULL.
 * bytes counts the strings with their NULs.
 */
struct exec_strings {
	char **v;
	size_t n, cap, bytes; /* cap: slots in v, the NULL's too */
};

/* Append a copy of s (len bytes, no NUL needed): 0 or -ENOMEM. */
int exec_strings_push(struct exec_strings *s, const char *str, size_t len);
void exec_strings_free(struct exec_strings *s);

/* An executable file opened for loading (the program or its interpreter). */
struct exec_file {
	const void *data; /* its bytes, 8-aligned */
	size_t size;
	void *copy; /* what to free: data when it had to be copied */
	char *path; /* the resolved absolute path, for the areas' names */
	struct vma_file *vf; /* the file for mappings, or NULL (copied) */
	struct vnode *vn;    /* referenced */
};

/*
 * Everything an exec needs, gathered and checked before the point of no
 * return (Linux's struct linux_binprm). The caller fills filename, argv
 * and envp and opens the file (exec_open_*); exec_prepare follows #!
 * scripts and checks the ELF and its interpreter; exec_load_image then
 * builds the new image; exec_bprm_free releases it all.
 */
struct exec_bprm {
	char *filename; /* as given: AT_EXECFN, comm, a script's slot */
	struct exec_strings argv; /* scripts rewrite it */
	struct exec_strings envp;
	struct exec_file file; /* what runs: the last interpreter of scripts */
	char *interp; /* the path a script's interpreter was named by */
	struct elf_info info;
	struct exec_file ld; /* the PT_INTERP, when info.interp */
	struct elf_info ld_info;
	bool has_ld;
	bool fdpath;		/* filename is "/dev/fd/N[/path]" */
	bool path_inaccessible; /* by an fd closed at exec: no scripts */
};

/*
 * Open the file to run: by path (relative to the cwd, symlinks followed,
 * as the boot and a script's interpreter are found), or a node already
 * found (execveat) whose absolute path is resolved. 0, -ENOENT, -ENOTDIR,
 * -ELOOP (a symlink node), -EACCES (not a regular executable file),
 * -ETXTBSY (open for writing), -ENAMETOOLONG, -ENOMEM.
 */
int exec_open_path(struct exec_file *f, const char *path);
int exec_open_node(struct exec_file *f, struct vnode *vn, const char *resolved);
/* The node a lookup found (ending the lookup, whatever happens). */
int exec_open_lookup(struct exec_file *f, struct lookup *lk);
void exec_file_close(struct exec_file *f);

/*
 * Everything that can fail with an errno while the caller stays intact:
 * #! scripts (binfmt_script: argv rewritten, at most 5 levels, else
 * -ELOOP), the ELF checks (-ENOEXEC), the interpreter (-ENOENT, -EACCES,
 * -ENOEXEC), the argument size (-E2BIG past Linux's limit for the
 * current RLIMIT_STACK). Why an ELF file is refused, or its
 * interpreter missing, is logged in one line.
 */
int exec_prepare(struct exec_bprm *b);

/* Linux's MAX_ARG_STRLEN: one argument or environment string, its NUL too. */
#define EXEC_ARG_STRLEN (32 * 4096)
/* The argument area: at most 6 MiB (3/4 of _STK_LIM), at least ARG_MAX. */
#define EXEC_ARGS_MAX (6UL << 20)
#define EXEC_ARG_MAX_MIN (128UL << 10)
/* Nested #! scripts Linux runs (exec_binprm's "depth > 5"). */
#define EXEC_SCRIPT_DEPTH 5

/*
 * binfmt_script (linux/exec_script.c, the line parsed by lib/shebang.c):
 * when b->file starts with "#!",
 * rewrite b->argv to interpreter [argument] script-path argv[1..], and
 * make the interpreter b->file. 0 then, 1 when the file is no script,
 * -ENOEXEC (no interpreter name, or one cut by the buffer), -ENOENT,
 * -EACCES (interpreter), -E2BIG, -ENOMEM.
 */
int exec_script(struct exec_bprm *b);

/*
 * Load the prepared program into p's (empty) address space and build its
 * initial stack (System V x86_64 psABI 3.4.1: argc, argv, envp, auxv,
 * strings); sets p->exe. On success fills *entry (the interpreter's for a
 * dynamic program) and *sp. -ENOMEM (the caller is past the point of no
 * return: the process dies).
 */
int exec_load_image(struct proc *p, struct exec_bprm *b, uint64_t *entry,
		    uint64_t *sp);

/*
 * Before the point of no return: -ENOMEM when the prepared program's
 * segments surely cannot be loaded, even once the caller's address space
 * (freeable pages, an upper bound) is gone; else 0. A 0 promises nothing:
 * page tables and the stack come on top.
 */
int exec_check_memory(const struct exec_bprm *b, size_t freeable);

void exec_bprm_free(struct exec_bprm *b);

/* What exec_build_stack puts on the stack. */
struct exec_args {
	const char *execfn;	 /* AT_EXECFN: the path as given */
	const char *const *argv; /* NULL-terminated */
	const char *const *envp; /* NULL-terminated */
};

#endif
