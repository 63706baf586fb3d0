/* kplugin.c - the shared library dlopen.c loads: no libc, so any ld.so can load it. */

int kplugin_loaded;

__attribute__((constructor)) static void kplugin_init(void)
{
	kplugin_loaded = 1;
}

int kplugin_mul(int a, int b)
{
	return a * b;
}

const char *kplugin_greeting(void)
{
	return "hello from kplugin";
}
