/* shebang.c - the "#!" line of a script, parsed as Linux's binfmt_script. */
#include "lib/shebang.h"

#include <stdbool.h>
#include <stddef.h>

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* First char in [first, last] that is not a blank, or NULL. */
static char *next_non_spacetab(char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* First blank or NUL in [first, last], or NULL. */
static char *next_terminator(char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

/* Linux's strnchr: a newline in the first n chars, stopping at a NUL. */
static char *find_newline(char *s, size_t n)
{
	for (; n-- && *s; s++)
		if (*s == '\n')
			return s;
	return NULL;
}

int shebang_parse(char *buf, char **name, char **arg)
{
	const char *buf_end = buf + SHEBANG_BUF_SIZE - 1;
	char *i_end, *i_sep;

	if (buf[0] != '#' || buf[1] != '!')
		return SHEBANG_NONE;
	i_end = find_newline(buf, SHEBANG_BUF_SIZE);
	if (!i_end) {
		i_end = next_non_spacetab(buf + 2, buf_end);
		if (!i_end)
			return SHEBANG_BAD; /* the whole buffer is blanks */
		/* No blank or NUL after it: the path may be cut short. */
		if (!next_terminator(i_end, buf_end))
			return SHEBANG_BAD;
		i_end = buf + SHEBANG_BUF_SIZE - 1;
	}
	/* i_end > buf + 1: buf[1] is the '!', no blank, so this stops. */
	while (spacetab(i_end[-1]))
		i_end--;
	*name = next_non_spacetab(buf + 2, i_end);
	if (!*name || *name == i_end)
		return SHEBANG_BAD; /* no interpreter named */
	*arg = NULL;
	i_sep = next_terminator(*name, i_end);
	if (i_sep && *i_sep != '\0')
		*arg = next_non_spacetab(i_sep, i_end);
	*i_end = '\0';
	if (*arg)
		*i_sep = '\0';
	return SHEBANG_OK;
}
