/* shebang_test.c - the "#!" line as Linux's binfmt_script parses it, malformed lines included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/shebang.h"

/* The file's first bytes as exec sees them: zero-padded to the buffer. */
static void load(char *buf, const char *file, size_t len)
{
	memset(buf, 0, SHEBANG_BUF_SIZE);
	memcpy(buf, file, len < SHEBANG_BUF_SIZE ? len : SHEBANG_BUF_SIZE);
}

static void expect(const char *file, size_t len, const char *name,
		   const char *arg)
{
	char buf[SHEBANG_BUF_SIZE], *n = NULL, *a = NULL;

	load(buf, file, len);
	assert_int_equal(shebang_parse(buf, &n, &a), SHEBANG_OK);
	assert_string_equal(n, name);
	if (arg)
		assert_string_equal(a, arg);
	else
		assert_null(a);
}

static void expect_err(const char *file, size_t len, int err)
{
	char buf[SHEBANG_BUF_SIZE], *n, *a;

	load(buf, file, len);
	assert_int_equal(shebang_parse(buf, &n, &a), err);
}

#define S(text) text, sizeof(text) - 1

static void test_path_and_one_argument(void **state)
{
	(void)state;
	expect(S("#!/bin/sh\necho hi\n"), "/bin/sh", NULL);
	expect(S("#! \t/bin/sh\n"), "/bin/sh", NULL);
	expect(S("#!/usr/bin/env python3\n"), "/usr/bin/env", "python3");
	/* One argument, never split; trailing blanks go, inner ones stay. */
	expect(S("#!/bin/prog -a  -b c \t \n"), "/bin/prog", "-a  -b c");
	expect(S("#!/bin/prog \t \n"), "/bin/prog", NULL);
	/* No newline at all: the file ends (zero padding) the line. */
	expect(S("#!/bin/sh"), "/bin/sh", NULL);
	expect(S("#!/bin/sh -x"), "/bin/sh", "-x");
	/* A NUL ends the argument, and a path followed by NUL has none. */
	expect(S("#!/bin/sh -x\0yz\n"), "/bin/sh", "-x");
	expect(S("#!/bin/sh\0 -x\n"), "/bin/sh", NULL);
	/* A carriage return is no blank: it belongs to the name. */
	expect(S("#!/bin/sh\r\n"), "/bin/sh\r", NULL);
}

static void test_not_a_script(void **state)
{
	(void)state;
	expect_err(S("\177ELF"), SHEBANG_NONE);
	expect_err(S("#/bin/sh\n"), SHEBANG_NONE);
	expect_err(S(" #!/bin/sh\n"), SHEBANG_NONE);
	expect_err(S(""), SHEBANG_NONE);
}

static void test_no_interpreter(void **state)
{
	(void)state;
	expect_err(S("#!\n"), SHEBANG_BAD);
	expect_err(S("#!  \t \n/bin/sh\n"), SHEBANG_BAD);
	expect_err(S("#!"), SHEBANG_OK); /* "" : the open then fails */
}

/* Lines longer than the buffer: fine only when the path ends inside. */
static void test_long_lines(void **state)
{
	char file[400], want[300];

	(void)state;
	memset(file, 'a', sizeof(file));
	memcpy(file, "#!/", 3);
	expect_err(file, sizeof(file), SHEBANG_BAD);
	/* All blanks to the buffer's end: no path at all. */
	memset(file, ' ', sizeof(file));
	memcpy(file, "#!", 2);
	expect_err(file, sizeof(file), SHEBANG_BAD);
	/* The path ends, the argument runs past the buffer: cut there. */
	memset(file, 'z', sizeof(file));
	memcpy(file, "#!/bin/x ", 9);
	memset(want, 'z', SHEBANG_BUF_SIZE - 1 - 9);
	want[SHEBANG_BUF_SIZE - 1 - 9] = '\0';
	expect(file, sizeof(file), "/bin/x", want);
	/* The path ends on the buffer's last byte only by a blank there. */
	memset(file, 'a', sizeof(file));
	memcpy(file, "#!/", 3);
	file[SHEBANG_BUF_SIZE - 1] = ' ';
	expect_err(file, sizeof(file), SHEBANG_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_and_one_argument),
		cmocka_unit_test(test_not_a_script),
		cmocka_unit_test(test_no_interpreter),
		cmocka_unit_test(test_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
