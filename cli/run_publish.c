/* run_publish.c - `kiln run -P`: every port the image exposes, published on a free port of 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"

/* A port of 127.0.0.1 free now (the kernel's choice), or 0. */
static unsigned free_port(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	unsigned port = 0;

	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int run_net_publish_all(struct run_args *ra, const struct kiln_config *cfg)
{
	char spec[64];
	int ret;

	for (size_t i = 0; i < cfg->ports.n; i++) {
		const char *p = cfg->ports.v[i];
		int udp = strstr(p, "/udp") != NULL;
		unsigned host = free_port(udp ? SOCK_DGRAM : SOCK_STREAM);
		unsigned long guest = strtoul(p, NULL, 10);

		/* The image's list is checked by config_parse, not trusted. */
		if (host == 0 || guest == 0 || guest > 65535) {
			kiln_err("-P: cannot publish the image's port %s", p);
			return KILN_EXIT_FAIL;
		}
		snprintf(spec, sizeof(spec), "%u:%lu/%s", host, guest,
			 udp ? "udp" : "tcp");
		ret = run_net_publish(ra, spec);
		if (ret)
			return ret;
	}
	free(ra->netdev);
	ra->netdev = NULL;
	ra->vm.netdev = NULL;
	return run_net_finish(ra);
}
