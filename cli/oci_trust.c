/* oci_trust.c - what kiln holds for a registry host: credentials from Docker's config.json, the CA of its certs.d directory. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"

/*
 * "Basic B64" for host from $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json "auths" (the "auth" field is already
 * base64("user:password")), or NULL.
 */
char *oci_docker_creds(const char *host)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char path[4096], keys[3][300];
	struct json_object *root, *auths, *ent, *a;
	uint8_t *data;
	size_t size;
	char *out = NULL;

	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/config.json", dir);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.docker/config.json", home);
	else
		return NULL;
	if (kiln_read_file(path, &data, &size) < 0)
		return NULL;
	root = oci_json_parse(data, size);
	free(data);
	snprintf(keys[0], sizeof(keys[0]), "%s", host);
	snprintf(keys[1], sizeof(keys[1]), "https://%s", host);
	snprintf(keys[2], sizeof(keys[2]), "http://%s", host);
	for (int i = 0; i < 3 && root && !out; i++) {
		const char *s;

		if (!json_object_object_get_ex(root, "auths", &auths) ||
		    !json_object_object_get_ex(auths, keys[i], &ent) ||
		    !json_object_object_get_ex(ent, "auth", &a) ||
		    !oci_json_cstr(a))
			continue;
		/* all of it: a "\u0000" would leave a prefix as the creds */
		s = json_object_get_string(a);
		if (*s &&
		    strspn(s,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
			    strlen(s)) {
			out = kiln_xmalloc(strlen(s) + 8);
			sprintf(out, "Basic %s", s);
		}
	}
	json_object_put(root);
	return out;
}

/*
 * The registry's own CA, as Docker's /etc/docker/certs.d/HOST:PORT/ca.crt:
 * $XDG_CONFIG_HOME/kiln/certs.d (else ~/.config/kiln/certs.d), then
 * /etc/kiln/certs.d, then /etc/docker/certs.d; the first HOST[:PORT]/ca.crt
 * found. 0 with *ca set (or NULL: none), or the exit status after one
 * line when the file holds no PEM certificate.
 */
int oci_find_ca(const char *ref, const char *host, char **ca)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dirs[4][4096], path[sizeof(dirs) + 300];
	int n = 0;

	*ca = NULL;
	if (xdg && xdg[0] == '/')
		snprintf(dirs[n++], sizeof(dirs[0]), "%s/kiln/certs.d", xdg);
	else if (home && home[0] == '/')
		snprintf(dirs[n++], sizeof(dirs[0]), "%s/.config/kiln/certs.d",
			 home);
	snprintf(dirs[n++], sizeof(dirs[0]), "/etc/kiln/certs.d");
	snprintf(dirs[n++], sizeof(dirs[0]), "/etc/docker/certs.d");
	for (int i = 0; i < n && !*ca; i++) {
		uint8_t *data;
		size_t size;
		int ok = 0;

		snprintf(path, sizeof(path), "%s/%s/ca.crt", dirs[i], host);
		if (access(path, F_OK))
			continue;
		if (!kiln_read_file(path, &data, &size)) {
			static const char pem[] = "-----BEGIN CERTIFICATE-----";

			for (size_t at = 0; !ok && at + 27 <= size; at++)
				ok = !memcmp(data + at, pem, 27);
			free(data);
		}
		if (!ok) {
			kiln_err("%s: %s: no PEM certificate in it", ref, path);
			return KILN_EXIT_FAIL;
		}
		*ca = kiln_xstrdup(path);
	}
	return 0;
}
