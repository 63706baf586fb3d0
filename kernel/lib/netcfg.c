/* netcfg.c - the network configuration words "ip= gw= dns=" (portable: kernel and CLI). */
#include "lib/netcfg.h"

#include "lib/cmdline.h"

#define PREFIX_MAX 8

static const char *const key_names[] = { "ip", "gw", "dns" };

const char *netcfg_key_name(enum netcfg_key key)
{
	return key_names[key];
}

bool netcfg_parse_addr(const char *s, size_t n, uint32_t *out)
{
	uint32_t addr = 0, part = 0;
	int dots = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			part = part * 10 + (uint32_t)(s[i] - '0');
			if (++digits > 3 || part > 255)
				return false;
			continue;
		}
		if (digits == 0 || (i < n && (s[i] != '.' || ++dots > 3)))
			return false;
		addr = addr << 8 | part;
		part = 0;
		digits = 0;
	}
	if (dots != 3)
		return false;
	*out = addr;
	return true;
}

/* "A.B.C.D" or "A.B.C.D/N" with N 1..32 (24 when left out). */
static bool parse_cidr(const char *s, size_t n, uint32_t *addr, uint32_t *mask)
{
	size_t slash = 0;
	uint64_t bits = 24;

	while (slash < n && s[slash] != '/')
		slash++;
	if (slash < n &&
	    (!cmdline_parse_u64(s + slash + 1, n - slash - 1, &bits) ||
	     bits < 1 || bits > 32))
		return false;
	*mask = (uint32_t)(0xffffffffull << (32 - bits));
	return netcfg_parse_addr(s, slash, addr);
}

static bool is_word(const char *s, size_t n, const char *w)
{
	size_t i = 0;

	for (; i < n && w[i]; i++)
		if (s[i] != w[i])
			return false;
	return i == n && !w[i];
}

bool netcfg_set(struct netcfg *c, enum netcfg_key key, const char *s, size_t n,
		const char **why)
{
	uint32_t addr, mask;

	if (key == NETCFG_IP && is_word(s, n, "dhcp")) {
		c->dhcp = true;
		c->addr = c->netmask = 0;
		return true;
	}
	if (key == NETCFG_IP) {
		*why = "want A.B.C.D/N or dhcp";
		if (!parse_cidr(s, n, &addr, &mask))
			return false;
		c->dhcp = false;
		c->addr = addr;
		c->netmask = mask;
		return true;
	}
	*why = "want A.B.C.D";
	if (!netcfg_parse_addr(s, n, &addr))
		return false;
	*why = "not a host address";
	if (addr == 0)
		return false; /* 0 stands for "not given" */
	if (key == NETCFG_GW)
		c->gateway = addr;
	else
		c->dns = addr;
	return true;
}

/* Not 0.0.0.0/8, not multicast or reserved (224.0.0.0 and up). */
static bool unicast(uint32_t a)
{
	return a >> 24 != 0 && a >> 24 < 224;
}

/* An address a host of the subnet may have (RFC 3021: all of a /31). */
static bool host_of(uint32_t a, uint32_t mask)
{
	uint32_t host = a & ~mask;

	if (!unicast(a) || a >> 24 == 127)
		return false;
	return mask >= 0xfffffffeu || (host != 0 && host != ~mask);
}

/* What is wrong with c, *key naming the value at fault; NULL if nothing. */
static const char *fault(const struct netcfg *c, enum netcfg_key *key)
{
	*key = NETCFG_IP;
	if (!c->dhcp && !host_of(c->addr, c->netmask))
		return "not a host address";
	*key = NETCFG_GW;
	if (c->gateway && c->dhcp)
		return "not with dhcp, which names the gateway";
	if (c->gateway && !host_of(c->gateway, c->netmask))
		return "not a host address";
	if (c->gateway && ((c->gateway ^ c->addr) & c->netmask) != 0)
		return "outside the address's subnet";
	if (c->gateway && c->gateway == c->addr)
		return "the address itself";
	*key = NETCFG_DNS;
	if (c->dns && !unicast(c->dns))
		return "not a host address";
	return NULL;
}

bool netcfg_check(const struct netcfg *c, enum netcfg_key *key,
		  const char **why)
{
	*why = fault(c, key);
	return *why == NULL;
}

/* Copies s (NUL-terminated) into err->value, cut to fit. */
static void err_value(struct netcfg_err *err, const char *s)
{
	size_t i = 0;

	for (; s[i] && i < sizeof(err->value) - 1; i++)
		err->value[i] = s[i];
	err->value[i] = '\0';
}

/* Looks up prefix+key: 1 absent, 0 read into c, -1 bad (err filled). */
static int read_key(const char *words, size_t len, const char *prefix,
		    enum netcfg_key key, struct netcfg *c,
		    struct netcfg_err *err)
{
	char name[PREFIX_MAX + 4], v[sizeof(err->value)];
	size_t i = 0;
	long n;

	for (const char *p = prefix; *p && i < PREFIX_MAX; p++)
		name[i++] = *p;
	for (const char *p = key_names[key]; *p; p++)
		name[i++] = *p;
	name[i] = '\0';
	n = cmdline_get(words, len, name, v, sizeof(v));
	if (n < 0)
		return 1;
	err->key = key;
	err_value(err, v);
	err->why = "too long";
	if (n >= (long)sizeof(v) ||
	    !netcfg_set(c, key, v, (size_t)n, &err->why))
		return -1;
	return 0;
}

int netcfg_read(const char *words, size_t len, const char *prefix,
		struct netcfg *c, struct netcfg_err *err)
{
	enum netcfg_key key;
	const char *why;
	int r;

	*c = (struct netcfg){ 0 };
	r = read_key(words, len, prefix, NETCFG_IP, c, err);
	if (r != 0)
		return r;
	if (read_key(words, len, prefix, NETCFG_GW, c, err) < 0 ||
	    read_key(words, len, prefix, NETCFG_DNS, c, err) < 0)
		return -1;
	if (netcfg_check(c, &key, &why))
		return 0;
	/* Show the value at fault as it was given. */
	read_key(words, len, prefix, key, &(struct netcfg){ 0 }, err);
	err->why = why;
	return -1;
}

int netcfg_mask_bits(uint32_t mask)
{
	int bits = 0;

	for (; mask; mask <<= 1)
		bits++;
	return bits;
}

/* Appends s at buf[*o..n), keeping room for the NUL; false when full. */
static bool put_str(char *buf, size_t n, size_t *o, const char *s)
{
	for (; *s; s++) {
		if (*o + 1 >= n)
			return false;
		buf[(*o)++] = *s;
	}
	return true;
}

static bool put_uint(char *buf, size_t n, size_t *o, unsigned v)
{
	char d[12];
	int i = (int)sizeof(d) - 1;

	d[i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return put_str(buf, n, o, d + i);
}

/* " PREFIXkey=A.B.C.D" (no space first when *o is 0). */
static bool put_addr(char *buf, size_t n, size_t *o, const char *prefix,
		     enum netcfg_key key, uint32_t a)
{
	bool ok = (*o == 0 || put_str(buf, n, o, " ")) &&
		  put_str(buf, n, o, prefix) &&
		  put_str(buf, n, o, key_names[key]) && put_str(buf, n, o, "=");

	for (int shift = 24; ok && shift >= 0; shift -= 8)
		ok = put_uint(buf, n, o, a >> shift & 255) &&
		     (shift == 0 || put_str(buf, n, o, "."));
	return ok;
}

size_t netcfg_format(const struct netcfg *c, const char *prefix, char *buf,
		     size_t n)
{
	size_t o = 0;
	bool ok;

	if (n == 0)
		return 0;
	if (c->dhcp)
		ok = put_str(buf, n, &o, prefix) &&
		     put_str(buf, n, &o, "ip=dhcp");
	else
		ok = put_addr(buf, n, &o, prefix, NETCFG_IP, c->addr) &&
		     put_str(buf, n, &o, "/") &&
		     put_uint(buf, n, &o,
			      (unsigned)netcfg_mask_bits(c->netmask));
	if (ok && c->gateway)
		ok = put_addr(buf, n, &o, prefix, NETCFG_GW, c->gateway);
	if (ok && c->dns)
		ok = put_addr(buf, n, &o, prefix, NETCFG_DNS, c->dns);
	buf[ok ? o : 0] = '\0';
	return ok ? o : 0;
}
