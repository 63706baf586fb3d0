/* netcfg.h - the network configuration words "ip= gw= dns=", read and checked alike by the kernel and the CLI. */
#ifndef KILN_LIB_NETCFG_H
#define KILN_LIB_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How the interface gets its address: "ip=dhcp" or "ip=A.B.C.D[/N]" (N
 * 1..32, 24 when left out), with "gw=A.B.C.D" (static only: it must be
 * another host of the address's subnet) and "dns=A.B.C.D" (with DHCP it
 * replaces the server the lease names). The kernel command line spells
 * the keys kiln.ip, kiln.gw and kiln.dns; an image's KILN_CFG_NET entry
 * holds the same words without the prefix (include/kiln/image.h).
 */
struct netcfg {
	bool dhcp;
	uint32_t addr, netmask; /* host order; 0 with dhcp */
	uint32_t gateway, dns;	/* host order; 0 when not given */
};

enum netcfg_key { NETCFG_IP, NETCFG_GW, NETCFG_DNS };

/* What was wrong, for one log or error line. */
struct netcfg_err {
	enum netcfg_key key;
	const char *why; /* "want A.B.C.D", "not a host address", ... */
	char value[40];	 /* the value as given, cut to fit */
};

/* The key's name without a prefix: "ip", "gw", "dns". */
const char *netcfg_key_name(enum netcfg_key key);

/*
 * Parses "A.B.C.D" from s[0..n) (no NUL needed) into *out, host order;
 * false, with *out untouched, when it is not one.
 */
bool netcfg_parse_addr(const char *s, size_t n, uint32_t *out);

/*
 * Sets one key's value in c from s[0..n): false when it does not parse
 * (*why then says what was wanted). Consistency is netcfg_check's job.
 */
bool netcfg_set(struct netcfg *c, enum netcfg_key key, const char *s, size_t n,
		const char **why);

/*
 * Whether c makes sense as a whole: true, or false with *key naming the
 * value at fault and *why saying what is wrong with it (a network or
 * broadcast address, a gateway outside the subnet or with dhcp...).
 */
bool netcfg_check(const struct netcfg *c, enum netcfg_key *key,
		  const char **why);

/*
 * Reads the configuration from words in command-line syntax
 * (lib/cmdline.h; untrusted, len bounds it), keys prefixed with prefix
 * ("kiln." or ""; at most 8 bytes). Returns 1 when there is no ip key
 * (nothing asked for; *c zeroed), 0 with *c set, or -1 (malformed; not an
 * errno, as nowhere in lib/) with *err filled.
 */
int netcfg_read(const char *words, size_t len, const char *prefix,
		struct netcfg *c, struct netcfg_err *err);

/*
 * Writes c as words with prefix ("ip=10.0.2.20/24 gw=10.0.2.2") into
 * buf, NUL-terminated. Returns the length, or 0 when n is too small.
 */
size_t netcfg_format(const struct netcfg *c, const char *prefix, char *buf,
		     size_t n);

/* The prefix length of a contiguous netmask (0..32). */
int netcfg_mask_bits(uint32_t mask);

#endif
