/* oci_auth.c - the parameters of a registry's Bearer challenge (WWW-Authenticate), parsed for the token flow. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "oci_registry.h"

/* RFC 7230 3.2.3: optional (OWS) and "bad" (BWS) whitespace. */
#define WS " \t"

/*
 * RFC 7235 2.1: auth-param = token BWS "=" BWS ( token / quoted-string ),
 * read one after another, so that a quoted value is never taken for a
 * parameter; the list ends at its end or at the next challenge (a token
 * that no '=' follows, RFC 7235 4.1). The input is untrusted: every
 * byte is read once, and each value is copied unquoted into bp->buf,
 * which is as long as the whole list (a value is shorter than its
 * name=value).
 */
int oci_bearer_parse(const char *ch, struct oci_bearer *bp)
{
	static const char *const keys[] = { "realm", "service", "scope" };
	const char **slots[] = { &bp->realm, &bp->service, &bp->scope };
	const char *p = ch;
	char *o = kiln_xmalloc(strlen(ch) + 1);

	bp->buf = o;
	bp->realm = bp->service = bp->scope = NULL;
	for (;;) {
		const char *name, *v = o;
		size_t nl;

		p += strspn(p, WS ",");
		name = p;
		nl = strcspn(p, "=" WS ",");
		p += nl;
		p += strspn(p, WS);
		if (!*name || (nl && *p != '='))
			return 0;
		if (!nl)
			return -EINVAL;
		p++;
		p += strspn(p, WS);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				*o++ = *p == '\\' && p[1] ? *++p : *p;
			if (*p++ != '"')
				return -EINVAL;
		} else {
			while (*p && !strchr(WS ",", *p))
				*o++ = *p++;
		}
		*o++ = '\0';
		for (size_t i = 0; i < 3; i++)
			if (nl == strlen(keys[i]) &&
			    !strncasecmp(name, keys[i], nl) && !*slots[i])
				*slots[i] = v;
	}
}
