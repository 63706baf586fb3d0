/* version.h - the Kiln release, shared by the kernel and the CLI. */
#ifndef KILN_VERSION_H
#define KILN_VERSION_H

#define KILN_NAME "Kiln"
#define KILN_VERSION "0.1.0"

#endif
