/* hello.c - a dynamically linked program for the closure tests (musl and glibc). */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
