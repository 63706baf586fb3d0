/* hello.c - the end-to-end benchmark's program: print one line, exit 0. */
#include <stdio.h>

int main(void)
{
	puts("hello from kiln bench");
	return 0;
}
