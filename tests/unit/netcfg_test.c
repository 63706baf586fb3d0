/* netcfg_test.c - the "ip= gw= dns=" network configuration words, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/netcfg.h"

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static int read_line(const char *line, const char *prefix, struct netcfg *c,
		     struct netcfg_err *err)
{
	return netcfg_read(line, strlen(line), prefix, c, err);
}

/* line must be refused for key, with why and the value shown as given. */
static void expect_bad(const char *line, enum netcfg_key key, const char *value,
		       const char *why)
{
	struct netcfg c;
	struct netcfg_err err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(read_line(line, "", &c, &err), -1);
	assert_int_equal(err.key, key);
	assert_string_equal(err.value, value);
	assert_string_equal(err.why, why);
}

static void test_addr(void **state)
{
	uint32_t a = 7;

	(void)state;
	assert_true(netcfg_parse_addr("10.0.2.15", 9, &a));
	assert_int_equal(a, A(10, 0, 2, 15));
	assert_true(netcfg_parse_addr("255.255.255.255", 15, &a));
	assert_int_equal(a, 0xffffffffu);
	assert_true(netcfg_parse_addr("10.0.2.15xyz", 9, &a)); /* n bounds it */
	static const char *const bad[] = {
		"",	      "10.0.2",	 "10.0.2.15.1", "10.0.2.256",
		"10..2.15",   ".10.0.2", "10.0.2.",	"1000.0.0.1",
		"10.0.2.15 ", "a.b.c.d", "10.0.2.-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 7;
		assert_false(netcfg_parse_addr(bad[i], strlen(bad[i]), &a));
		assert_int_equal(a, 7);
	}
}

static void test_read_static(void **state)
{
	struct netcfg c;
	struct netcfg_err err;

	(void)state;
	assert_int_equal(
		read_line("quiet kiln.ip=10.0.2.15/24 kiln.gw=10.0.2.2 "
			  "kiln.dns=10.0.2.3 kiln.trace",
			  "kiln.", &c, &err),
		0);
	assert_false(c.dhcp);
	assert_int_equal(c.addr, A(10, 0, 2, 15));
	assert_int_equal(c.netmask, 0xffffff00u);
	assert_int_equal(c.gateway, A(10, 0, 2, 2));
	assert_int_equal(c.dns, A(10, 0, 2, 3));

	/* No /N means /24; gw and dns are optional; DNS may be anywhere. */
	assert_int_equal(read_line("ip=192.168.7.9 dns=8.8.8.8", "", &c, &err),
			 0);
	assert_int_equal(c.addr, A(192, 168, 7, 9));
	assert_int_equal(c.netmask, 0xffffff00u);
	assert_int_equal(c.gateway, 0);
	assert_int_equal(c.dns, A(8, 8, 8, 8));

	/* RFC 3021: both addresses of a /31 are hosts; a /32 has one. */
	assert_int_equal(read_line("ip=10.0.0.0/31 gw=10.0.0.1", "", &c, &err),
			 0);
	assert_int_equal(c.netmask, 0xfffffffeu);
	assert_int_equal(read_line("ip=10.1.2.3/32", "", &c, &err), 0);
	assert_int_equal(c.netmask, 0xffffffffu);
	assert_int_equal(read_line("ip=10.0.0.1/8", "", &c, &err), 0);
	assert_int_equal(c.netmask, 0xff000000u);
}

static void test_read_dhcp(void **state)
{
	struct netcfg c;
	struct netcfg_err err;

	(void)state;
	assert_int_equal(read_line("kiln.ip=dhcp", "kiln.", &c, &err), 0);
	assert_true(c.dhcp);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.dns, 0);
	assert_int_equal(read_line("ip=dhcp dns=1.1.1.1", "", &c, &err), 0);
	assert_true(c.dhcp);
	assert_int_equal(c.dns, A(1, 1, 1, 1));
}

static void test_read_absent(void **state)
{
	struct netcfg c;
	struct netcfg_err err;

	(void)state;
	/* No ip key: nothing asked for, whatever else is there. */
	assert_int_equal(read_line("", "", &c, &err), 1);
	assert_int_equal(
		read_line("kiln.gw=10.0.2.2 kiln.dns=x", "kiln.", &c, &err), 1);
	assert_int_equal(c.gateway, 0);
	/* The prefix matters both ways. */
	assert_int_equal(read_line("ip=10.0.2.15", "kiln.", &c, &err), 1);
	assert_int_equal(read_line("kiln.ip=10.0.2.15", "", &c, &err), 1);
	assert_int_equal(netcfg_read(NULL, 0, "", &c, &err), 1);
	/* The length bounds the words: the ip key lies past it. */
	assert_int_equal(netcfg_read("quiet ip=10.0.2.15", 5, "", &c, &err), 1);
}

static void test_read_bad_syntax(void **state)
{
	(void)state;
	expect_bad("ip=10.0.2.300/24", NETCFG_IP, "10.0.2.300/24",
		   "want A.B.C.D/N or dhcp");
	expect_bad("ip=10.0.2.15/0", NETCFG_IP, "10.0.2.15/0",
		   "want A.B.C.D/N or dhcp");
	expect_bad("ip=10.0.2.15/33", NETCFG_IP, "10.0.2.15/33",
		   "want A.B.C.D/N or dhcp");
	expect_bad("ip=10.0.2.15/", NETCFG_IP, "10.0.2.15/",
		   "want A.B.C.D/N or dhcp");
	expect_bad("ip=", NETCFG_IP, "", "want A.B.C.D/N or dhcp");
	expect_bad("ip", NETCFG_IP, "", "want A.B.C.D/N or dhcp");
	expect_bad("ip=DHCP", NETCFG_IP, "DHCP", "want A.B.C.D/N or dhcp");
	expect_bad("ip=dhcpx", NETCFG_IP, "dhcpx", "want A.B.C.D/N or dhcp");
	expect_bad("ip=10.0.2.15 gw=10.0.2", NETCFG_GW, "10.0.2",
		   "want A.B.C.D");
	expect_bad("ip=10.0.2.15 dns=", NETCFG_DNS, "", "want A.B.C.D");
	expect_bad("ip=10.0.2.15 dns=0.0.0.0", NETCFG_DNS, "0.0.0.0",
		   "not a host address");
	expect_bad("ip=10.0.2.15 gw=0.0.0.0", NETCFG_GW, "0.0.0.0",
		   "not a host address");
	/* Longer than any address: refused, shown cut. */
	expect_bad("ip=10.0.2.15/24.........................................",
		   NETCFG_IP, "10.0.2.15/24...........................",
		   "too long");
}

static void test_read_bad_values(void **state)
{
	(void)state;
	expect_bad("ip=10.0.2.0/24", NETCFG_IP, "10.0.2.0/24",
		   "not a host address");
	expect_bad("ip=10.0.2.255/24", NETCFG_IP, "10.0.2.255/24",
		   "not a host address");
	expect_bad("ip=10.0.2.3/30", NETCFG_IP, "10.0.2.3/30",
		   "not a host address");
	expect_bad("ip=127.0.0.2/8", NETCFG_IP, "127.0.0.2/8",
		   "not a host address");
	expect_bad("ip=224.0.0.1/24", NETCFG_IP, "224.0.0.1/24",
		   "not a host address");
	expect_bad("ip=0.0.0.5/24", NETCFG_IP, "0.0.0.5/24",
		   "not a host address");
	expect_bad("ip=10.0.2.20/24 gw=10.0.3.1", NETCFG_GW, "10.0.3.1",
		   "outside the address's subnet");
	expect_bad("ip=10.0.2.20/24 gw=10.0.2.20", NETCFG_GW, "10.0.2.20",
		   "the address itself");
	expect_bad("ip=10.0.2.20/24 gw=10.0.2.255", NETCFG_GW, "10.0.2.255",
		   "not a host address");
	expect_bad("ip=10.1.2.3/32 gw=10.1.2.4", NETCFG_GW, "10.1.2.4",
		   "outside the address's subnet");
	expect_bad("ip=dhcp gw=10.0.2.2", NETCFG_GW, "10.0.2.2",
		   "not with dhcp, which names the gateway");
	expect_bad("ip=10.0.2.20 dns=239.1.1.1", NETCFG_DNS, "239.1.1.1",
		   "not a host address");
}

static void test_format(void **state)
{
	struct netcfg c = { .addr = A(10, 0, 2, 20),
			    .netmask = 0xffffff00u,
			    .gateway = A(10, 0, 2, 2),
			    .dns = A(10, 0, 2, 3) };
	struct netcfg back;
	struct netcfg_err err;
	char buf[80];

	(void)state;
	assert_int_equal(netcfg_format(&c, "", buf, sizeof(buf)), 40);
	assert_string_equal(buf, "ip=10.0.2.20/24 gw=10.0.2.2 dns=10.0.2.3");
	assert_int_equal(read_line(buf, "", &back, &err), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	netcfg_format(&c, "kiln.", buf, sizeof(buf));
	assert_string_equal(buf, "kiln.ip=10.0.2.20/24 kiln.gw=10.0.2.2 "
				 "kiln.dns=10.0.2.3");
	/* Too small: 0 and an empty string, never a cut configuration. */
	assert_int_equal(netcfg_format(&c, "", buf, 40), 0);
	assert_string_equal(buf, "");
	assert_int_equal(netcfg_format(&c, "", buf, 41), 40);

	c = (struct netcfg){ .dhcp = true };
	assert_int_equal(netcfg_format(&c, "kiln.", buf, sizeof(buf)), 12);
	assert_string_equal(buf, "kiln.ip=dhcp");
	c = (struct netcfg){ .dhcp = true, .dns = A(1, 1, 1, 1) };
	netcfg_format(&c, "", buf, sizeof(buf));
	assert_string_equal(buf, "ip=dhcp dns=1.1.1.1");
	c = (struct netcfg){ .addr = A(192, 168, 100, 200),
			     .netmask = 0xffffffffu };
	netcfg_format(&c, "", buf, sizeof(buf));
	assert_string_equal(buf, "ip=192.168.100.200/32");
}

static void test_set(void **state)
{
	struct netcfg c = { 0 };
	const char *why = NULL;

	(void)state;
	assert_true(netcfg_set(&c, NETCFG_IP, "10.0.2.20/16", 12, &why));
	assert_int_equal(c.netmask, 0xffff0000u);
	assert_true(netcfg_set(&c, NETCFG_IP, "dhcp", 4, &why));
	assert_true(c.dhcp);
	assert_int_equal(c.addr, 0);
	assert_false(netcfg_set(&c, NETCFG_DNS, "1.2.3", 5, &why));
	assert_string_equal(why, "want A.B.C.D");
	assert_string_equal(netcfg_key_name(NETCFG_GW), "gw");
	assert_int_equal(netcfg_mask_bits(0xfffff000u), 20);
	assert_int_equal(netcfg_mask_bits(0), 0);
}

/* netcfg_check: true for a sound whole, false naming the key and why. */
static void test_check(void **state)
{
	struct netcfg c = { .addr = A(10, 0, 2, 15),
			    .netmask = 0xffffff00u,
			    .gateway = A(10, 0, 2, 2),
			    .dns = A(10, 0, 2, 3) };
	enum netcfg_key key = NETCFG_DNS;
	const char *why = "unset";

	(void)state;
	assert_true(netcfg_check(&c, &key, &why));
	assert_null(why);
	c.gateway = A(10, 0, 3, 1);
	assert_false(netcfg_check(&c, &key, &why));
	assert_int_equal(key, NETCFG_GW);
	assert_string_equal(why, "outside the address's subnet");
	c.gateway = 0;
	c.addr = A(10, 0, 2, 255);
	assert_false(netcfg_check(&c, &key, &why));
	assert_int_equal(key, NETCFG_IP);
	assert_string_equal(why, "not a host address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_read_static),
		cmocka_unit_test(test_read_dhcp),
		cmocka_unit_test(test_read_absent),
		cmocka_unit_test(test_read_bad_syntax),
		cmocka_unit_test(test_read_bad_values),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
