/* origin.c - a program that finds libkclo through RUNPATH $ORIGIN/../lib (the closure tests). */
#include <stdio.h>

int kclo_value(void);

int main(void)
{
	printf("kclo %d\n", kclo_value());
	return 0;
}
