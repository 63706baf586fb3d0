/* kiln_asan.c - the sanitizers' defaults for build/asan/kiln (make cli-asan), linked into that binary only. */

/*
 * Tests run kiln with environments of their own (some drop the caller's),
 * so the options live in the binary: a finding ends kiln at once with
 * SIGABRT and a report on stderr, which fails the test that met it.
 * ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override these
 * (detect_leaks=1 for the leak runs, log_path to collect reports).
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1:detect_leaks=0:"
	       "strict_string_checks=1:detect_stack_use_after_return=1:"
	       "check_initialization_order=1";
}

const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1:print_stacktrace=1";
}
