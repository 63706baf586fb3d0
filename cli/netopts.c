/* netopts.c - --ip, --gateway and --dns of `kiln build` and `kiln run`, checked and turned into netcfg words. */
#include <stdio.h>
#include <string.h>

#include "kiln.h"
#include "lib/netcfg.h"

static const char *const option_names[] = { "--ip", "--gateway", "--dns" };

/* "bad --gateway 10.0.3.1 (why)" as one usage-error line. */
static int bad_value(const char *cmd, enum netcfg_key key, const char *val,
		     const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "bad %s %.40s (%s)", option_names[key],
		 val, why);
	return kiln_usage_error(cmd, what, NULL);
}

int netopts_format(const char *cmd, const struct netopts *o, const char *prefix,
		   char *buf, size_t n)
{
	const char *vals[] = { o->ip, o->gateway, o->dns }, *why;
	struct netcfg c = { 0 };
	enum netcfg_key key;

	buf[0] = '\0';
	if (!o->ip) {
		if (o->gateway || o->dns)
			return kiln_usage_error(cmd,
						o->gateway ? "--gateway needs" :
							     "--dns needs",
						"--ip");
		return 0;
	}
	for (key = NETCFG_IP; key <= NETCFG_DNS; key++)
		if (vals[key] &&
		    !netcfg_set(&c, key, vals[key], strlen(vals[key]), &why))
			return bad_value(cmd, key, vals[key], why);
	if (!netcfg_check(&c, &key, &why))
		return bad_value(cmd, key, vals[key], why);
	if (netcfg_format(&c, prefix, buf, n) == 0) {
		kiln_err("network configuration too long");
		return KILN_EXIT_USAGE;
	}
	return 0;
}
