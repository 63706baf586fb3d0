/* shebang.h - the "#!" line of a script, parsed as Linux's binfmt_script. */
#ifndef KILN_LIB_SHEBANG_H
#define KILN_LIB_SHEBANG_H

/* Linux's BINPRM_BUF_SIZE: the bytes of a file binfmt_script looks at. */
#define SHEBANG_BUF_SIZE 256

/* Errors follow lib/'s rule (lib/bundle.h): never an errno. */
enum {
	SHEBANG_OK = 0,
	SHEBANG_NONE = 1, /* the file does not start with "#!" */
	SHEBANG_BAD = 2,  /* no interpreter path, or one the buffer cuts */
};

/*
 * Parse the first SHEBANG_BUF_SIZE bytes of a file (untrusted; zero-padded
 * past the file's end) in buf, in place, as fs/binfmt_script.c: the
 * interpreter path after "#!" and optional blanks (spaces, tabs); the rest
 * of the line after the next blank run, trailing blanks removed, is one
 * argument (*arg, or NULL), never split further. A line the buffer cuts
 * is fine as long as the path ends inside it (the argument is cut). A NUL
 * ends the path or the argument. On SHEBANG_OK both are NUL-terminated
 * inside buf.
 */
int shebang_parse(char *buf, char **name, char **arg);

#endif
