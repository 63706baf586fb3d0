/* run_net.c - `kiln run` networking: --net, -p HOSTPORT:GUESTPORT[/udp|/tcp] and --ip into QEMU's -netdev and the kernel's command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

/*
 * QEMU user networking (slirp). The host reaches the guest only through
 * the forwards given with -p, which listen on 127.0.0.1 alone. With
 * restrict=on the guest reaches nothing but QEMU's gateway; but libslirp
 * then drops every UDP datagram from the guest other than DHCP and TFTP,
 * replies through a forward included, so a UDP forward needs
 * restrict=off (the guest may then send out through slirp's NAT).
 * --net nat asks for that openly: the guest may connect out, and reaches
 * the host's own 127.0.0.1 at the gateway address 10.0.2.2.
 */
#define NETDEV_RESTRICTED "user,id=net0,restrict=on"
#define NETDEV_OPEN "user,id=net0,restrict=off"

/*
 * slirp always hands out these addresses, so on user networking the
 * kernel is told them statically (no DHCP wait) unless --ip or the image
 * says otherwise. A tap has whatever network the host gave it: DHCP.
 */
#define NET_CMDLINE_USER \
	"kiln.ip=10.0.2.15/24 kiln.gw=10.0.2.2 kiln.dns=10.0.2.3"
#define NET_CMDLINE_TAP "kiln.ip=dhcp"

/*
 * --net tap:NAME: an existing tap device of the host, handed to QEMU as
 * is (no scripts: setting it up is the host's business). The name goes
 * into QEMU's option syntax and a /sys path, so only the characters
 * interface names normally use are taken.
 */
#define TAP_PREFIX "tap:"
#define IFNAME_MAX 15
#define NETDEV_TAP "tap,id=net0,ifname=%s,script=no,downscript=no"

static const char *tap_name(const struct run_args *ra)
{
	const char *m = ra->net_mode;

	return m && !strncmp(m, TAP_PREFIX, strlen(TAP_PREFIX)) ?
		       m + strlen(TAP_PREFIX) :
		       NULL;
}

static int ifname_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= IFNAME_MAX && strcmp(name, ".") &&
	       strcmp(name, "..") &&
	       strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") == n;
}

/* A port number 1..65535 from s[0..n); 0 when it is not one. */
static unsigned port_of(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (unsigned)v : 0;
}

int run_net_publish(struct run_args *ra, const char *spec)
{
	const char *colon = strchr(spec, ':'), *slash, *proto = "tcp";
	unsigned host, guest;
	char fwd[64];

	if (colon == NULL)
		return kiln_usage_error(
			"run", "-p wants HOSTPORT:GUESTPORT[/udp|/tcp], not",
			spec);
	slash = strchr(colon, '/');
	if (slash != NULL) {
		proto = slash + 1;
		if (strcmp(proto, "udp") != 0 && strcmp(proto, "tcp") != 0)
			return kiln_usage_error(
				"run", "-p protocol must be udp or tcp:", spec);
	} else {
		slash = colon + strlen(colon);
	}
	host = port_of(spec, (size_t)(colon - spec));
	guest = port_of(colon + 1, (size_t)(slash - colon - 1));
	if (host == 0 || guest == 0)
		return kiln_usage_error("run",
					"-p ports must be 1-65535:", spec);
	snprintf(fwd, sizeof(fwd), "%s:127.0.0.1:%u-:%u", proto, host, guest);
	strvec_push(&ra->forwards, fwd);
	return 0;
}

int run_net_set_mode(struct run_args *ra, const char *mode)
{
	int tap = !strncmp(mode, TAP_PREFIX, strlen(TAP_PREFIX));

	if ((tap && !ifname_ok(mode + strlen(TAP_PREFIX))) ||
	    (!tap && strcmp(mode, "none") != 0 && strcmp(mode, "user") != 0 &&
	     strcmp(mode, "nat") != 0))
		return kiln_usage_error(
			"run",
			"bad --net (none, user, nat or tap:NAME):", mode);
	ra->net_mode = mode;
	return 0;
}

/* The tap device named by --net tap:NAME, checked before QEMU starts. */
static int tap_netdev(struct run_args *ra, const char *name)
{
	char path[64];
	size_t len = strlen(NETDEV_TAP) + strlen(name);

	if (ra->forwards.n)
		return kiln_usage_error("run",
					"-p forwards are a user networking "
					"feature; not with --net",
					ra->net_mode);
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (access(path, F_OK) != 0) {
		kiln_err("--net %s: no such network interface", ra->net_mode);
		return KILN_EXIT_VMFAIL;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) != 0) {
		kiln_err("--net %s: %s is not a tap device", ra->net_mode,
			 name);
		return KILN_EXIT_VMFAIL;
	}
	ra->netdev = kiln_xmalloc(len);
	snprintf(ra->netdev, len, NETDEV_TAP, name);
	ra->vm.netdev = ra->netdev;
	return 0;
}

int run_net_finish(struct run_args *ra)
{
	const char *base = NETDEV_RESTRICTED;
	size_t len;
	int ret = netopts_format("run", &ra->net, "kiln.", ra->net_words,
				 sizeof(ra->net_words));

	if (ret)
		return ret;
	if (ra->net_mode == NULL)
		ra->net_mode = ra->forwards.n || ra->net_words[0] ? "user" :
								    "none";
	if (strcmp(ra->net_mode, "none") == 0) {
		if (ra->forwards.n)
			return kiln_usage_error("run",
						"-p needs networking; not with",
						"--net none");
		if (ra->net_words[0])
			return kiln_usage_error(
				"run", "--ip needs networking; not with",
				"--net none");
		return 0;
	}
	if (tap_name(ra))
		return tap_netdev(ra, tap_name(ra));
	if (strcmp(ra->net_mode, "nat") == 0)
		base = NETDEV_OPEN;
	len = strlen(NETDEV_OPEN) + 1;
	for (size_t i = 0; i < ra->forwards.n; i++) {
		len += strlen(",hostfwd=") + strlen(ra->forwards.v[i]);
		if (!strncmp(ra->forwards.v[i], "udp:", 4))
			base = NETDEV_OPEN;
	}
	ra->netdev = kiln_xmalloc(len);
	strcpy(ra->netdev, base);
	for (size_t i = 0; i < ra->forwards.n; i++) {
		strcat(ra->netdev, ",hostfwd=");
		strcat(ra->netdev, ra->forwards.v[i]);
	}
	ra->vm.netdev = ra->netdev;
	return 0;
}

void run_net_cmdline(struct run_args *ra, const struct kiln_config *cfg)
{
	if (ra->net_words[0])
		ra->vm.net_cmdline = ra->net_words;
	else if (cfg->net)
		ra->vm.net_cmdline = "";
	else
		ra->vm.net_cmdline = tap_name(ra) ? NET_CMDLINE_TAP :
						    NET_CMDLINE_USER;
}
