/* exec_script.c - #! scripts as Linux's binfmt_script, and the argument vectors exec carries. */
#include <asm-generic/errno.h>

#include "core/heap.h"
#include "lib/shebang.h"
#include "lib/string.h"
#include "linux/exec.h"

int exec_strings_push(struct exec_strings *s, const char *str, size_t len)
{
	char *copy = kmalloc(len + 1);
	char **v;

	if (!copy)
		return -ENOMEM;
	if (s->n + 2 > s->cap) { /* doubling: a long argv costs O(n) */
		size_t cap = s->cap ? 2 * s->cap : 16;

		v = kmalloc(cap * sizeof(char *));
		if (!v) {
			kfree(copy);
			return -ENOMEM;
		}
		if (s->n)
			memcpy(v, s->v, s->n * sizeof(char *));
		kfree(s->v);
		s->v = v;
		s->cap = cap;
	}
	memcpy(copy, str, len);
	copy[len] = '\0';
	s->v[s->n++] = copy;
	s->v[s->n] = NULL;
	s->bytes += strlen(copy) + 1;
	return 0;
}

void exec_strings_free(struct exec_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		kfree(s->v[i]);
	kfree(s->v);
	*s = (struct exec_strings){ 0 };
}

/*
 * argv becomes front[0..k) followed by argv[1..] (Linux's remove_arg_zero
 * and copy_string_kernel, done in one step). 0 or -ENOMEM.
 */
static int strings_replace_first(struct exec_strings *s,
				 const char *const *front, size_t k)
{
	struct exec_strings out = { 0 };
	int err = 0;

	for (size_t i = 0; !err && i < k; i++)
		err = exec_strings_push(&out, front[i], strlen(front[i]));
	for (size_t i = 1; !err && i < s->n; i++)
		err = exec_strings_push(&out, s->v[i], strlen(s->v[i]));
	if (err) {
		exec_strings_free(&out);
		return err;
	}
	exec_strings_free(s);
	*s = out;
	return 0;
}

int exec_script(struct exec_bprm *b)
{
	char buf[SHEBANG_BUF_SIZE] = { 0 }, *name, *arg;
	const char *front[3];
	size_t n = b->file.size < sizeof(buf) ? b->file.size : sizeof(buf);
	struct exec_file interp;
	char *old;
	int err;

	memcpy(buf, b->file.data, n);
	err = shebang_parse(buf, &name, &arg);
	if (err == SHEBANG_NONE)
		return 1;
	if (err)
		return -ENOEXEC;
	/* The interpreter would have to open the script by a closed fd. */
	if (b->path_inaccessible)
		return -ENOENT;
	old = b->interp ? b->interp : b->filename;
	front[0] = name;
	front[1] = arg ? arg : old;
	front[2] = old;
	err = strings_replace_first(&b->argv, front, arg ? 3 : 2);
	if (err)
		return err;
	err = exec_open_path(&interp, name);
	if (err)
		return err;
	kfree(b->interp);
	b->interp = kmalloc(strlen(name) + 1);
	if (!b->interp) {
		exec_file_close(&interp);
		return -ENOMEM;
	}
	strlcpy(b->interp, name, strlen(name) + 1);
	exec_file_close(&b->file);
	b->file = interp;
	return 0;
}
