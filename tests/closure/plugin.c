/* plugin.c - a shared object that needs libm, which the closure tests' program does not. */
#include <math.h>

double plugin_root(double x);

double plugin_root(double x)
{
	return sqrt(x);
}
