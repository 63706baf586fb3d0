/* kclo.c - a tiny shared library for the `kiln build` closure tests (tests/e2e/test_cli.py). */
int kclo_value(void);

int kclo_value(void)
{
	return 42;
}
