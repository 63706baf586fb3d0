/* config.c - the image's boot configuration (program, argv, env, workdir, network) in and out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "lib/bundle.h"

/* Copy one value as a C string; NULL if it holds a NUL byte. */
static char *value_dup(const char *val, uint32_t len)
{
	char *s;

	if (memchr(val, '\0', len))
		return NULL;
	s = kiln_xmalloc((size_t)len + 1);
	memcpy(s, val, len);
	s[len] = '\0';
	return s;
}

/* kiln.h: checked for --volume, -v and --disk alike. */
const char *volume_dir_error(const char *dir)
{
	const char *p = dir;

	if (dir[0] != '/')
		return "GUESTDIR must be an absolute path";
	if (!dir[strspn(dir, "/")])
		return "GUESTDIR cannot be /";
	if (strlen(dir) > 255)
		return "GUESTDIR is longer than 255 bytes";
	/*
	 * The kernel reads kiln.9p= and kiln.mount= lists of DIR[:ro], in a
	 * command line where a blank ends the word and a quote opens one:
	 * either would let a GUESTDIR add flags of its own. Any other
	 * white space or control byte is refused with them.
	 */
	for (p = dir; *p; p++)
		if (strchr(",:\"'", *p) || (unsigned char)*p <= ' ' ||
		    *p == 0x7f)
			return "GUESTDIR cannot hold ',', ':', quotes, blanks or "
			       "control characters";
	p = dir;
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return "GUESTDIR cannot hold . or .. parts";
		p += n;
	}
	return NULL;
}

/* Store one entry into c; -EINVAL if it breaks include/kiln/image.h. */
static int config_store(struct kiln_config *c, uint32_t type, char *s)
{
	switch (type) {
	case KILN_CFG_PROGRAM:
		if (c->program)
			return -EINVAL;
		c->program = s;
		return 0;
	case KILN_CFG_WORKDIR:
		if (c->workdir)
			return -EINVAL;
		c->workdir = s;
		return 0;
	case KILN_CFG_NET:
		if (c->net)
			return -EINVAL;
		c->net = s;
		return 0;
	case KILN_CFG_USER:
		if (c->user)
			return -EINVAL;
		c->user = s;
		return 0;
	case KILN_CFG_FROM:
		if (c->from)
			return -EINVAL;
		c->from = s;
		return 0;
	case KILN_CFG_PORT:
	case KILN_CFG_VOLUME:
		if (c->ports.n + c->volumes.n >= KILN_CFG_MAX_ARGS)
			return -EINVAL;
		strvec_push(type == KILN_CFG_PORT ? &c->ports : &c->volumes, s);
		free(s);
		return 0;
	case KILN_CFG_LIBRARY:
		if (c->libs.n >= KILN_CFG_MAX_LIBS)
			return -EINVAL;
		strvec_push(&c->libs, s);
		free(s);
		return 0;
	case KILN_CFG_ARG:
	case KILN_CFG_ENV: {
		struct strvec *sv = type == KILN_CFG_ARG ? &c->argv : &c->env;

		if (sv->n >= (type == KILN_CFG_ARG ? KILN_CFG_MAX_ARGS :
						     KILN_CFG_MAX_ENVS))
			return -EINVAL;
		strvec_push(sv, s);
		free(s);
		return 0;
	}
	default: /* newer entry types: not ours to judge */
		free(s);
		return 0;
	}
}

/* config_store, which always consumes s. */
static int config_take(struct kiln_config *c, uint32_t type, char *s)
{
	int err = config_store(c, type, s);

	if (err)
		free(s);
	return err;
}

int config_parse(const char *name, const void *cfg, size_t size,
		 struct kiln_config *c)
{
	size_t pos = 0;
	uint32_t type, len;
	const char *val;
	int r;

	*c = (struct kiln_config){ 0 };
	while ((r = cfg_next(cfg, size, &pos, &type, &val, &len)) == 1) {
		char *s = value_dup(val, len);

		if (!s || config_take(c, type, s) < 0) {
			r = -1;
			break;
		}
	}
	if (r < 0 || !c->program || c->program[0] != '/') {
		kiln_err("%s: not a Kiln image (bad boot configuration)", name);
		config_free(c);
		return KILN_EXIT_FAIL;
	}
	if (!c->workdir)
		c->workdir = kiln_xstrdup("/");
	return 0;
}

int config_setenv(struct kiln_config *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen;

	if (!eq || eq == kv) {
		kiln_err("--env %s: expected KEY=VALUE", kv);
		return KILN_EXIT_FAIL;
	}
	klen = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < c->env.n; i++) {
		if (strncmp(c->env.v[i], kv, klen) == 0) {
			free(c->env.v[i]);
			c->env.v[i] = kiln_xstrdup(kv);
			return 0;
		}
	}
	strvec_push(&c->env, kv);
	return 0;
}

static int put(struct kbuf *out, uint32_t type, const char *s)
{
	size_t len = strlen(s), need;

	if (len > KILN_CFG_MAX_VALUE) {
		kiln_err("%.40s...: longer than %d bytes", s,
			 KILN_CFG_MAX_VALUE);
		return KILN_EXIT_FAIL;
	}
	need = cfg_entry_size((uint32_t)len);
	kbuf_reserve(out, need);
	out->len = cfg_put(out->data, out->cap, out->len, type, s,
			   (uint32_t)len);
	return 0;
}

int config_write(const struct kiln_config *c, struct kbuf *out)
{
	int err;

	if (c->argv.n > KILN_CFG_MAX_ARGS || c->env.n > KILN_CFG_MAX_ENVS) {
		kiln_err("too many %s (at most %d)",
			 c->argv.n > KILN_CFG_MAX_ARGS ? "arguments" :
							 "--env entries",
			 KILN_CFG_MAX_ARGS);
		return KILN_EXIT_FAIL;
	}
	if (c->libs.n > KILN_CFG_MAX_LIBS) {
		kiln_err("too many shared libraries (at most %d)",
			 KILN_CFG_MAX_LIBS);
		return KILN_EXIT_FAIL;
	}
	err = put(out, KILN_CFG_PROGRAM, c->program);
	for (size_t i = 0; i < c->argv.n && !err; i++)
		err = put(out, KILN_CFG_ARG, c->argv.v[i]);
	for (size_t i = 0; i < c->env.n && !err; i++)
		err = put(out, KILN_CFG_ENV, c->env.v[i]);
	if (!err)
		err = put(out, KILN_CFG_WORKDIR, c->workdir ? c->workdir : "/");
	if (!err && c->net)
		err = put(out, KILN_CFG_NET, c->net);
	for (size_t i = 0; i < c->libs.n && !err; i++)
		err = put(out, KILN_CFG_LIBRARY, c->libs.v[i]);
	if (!err && c->user)
		err = put(out, KILN_CFG_USER, c->user);
	if (!err && c->from)
		err = put(out, KILN_CFG_FROM, c->from);
	if (!err && c->ports.n + c->volumes.n > KILN_CFG_MAX_ARGS) {
		kiln_err("too many exposed ports and volumes (at most %d)",
			 KILN_CFG_MAX_ARGS);
		return KILN_EXIT_FAIL;
	}
	for (size_t i = 0; i < c->ports.n && !err; i++)
		err = put(out, KILN_CFG_PORT, c->ports.v[i]);
	for (size_t i = 0; i < c->volumes.n && !err; i++)
		err = put(out, KILN_CFG_VOLUME, c->volumes.v[i]);
	return err;
}

void config_free(struct kiln_config *c)
{
	free(c->program);
	free(c->workdir);
	free(c->net);
	free(c->user);
	free(c->from);
	strvec_free(&c->ports);
	strvec_free(&c->volumes);
	strvec_free(&c->argv);
	strvec_free(&c->env);
	strvec_free(&c->libs);
	*c = (struct kiln_config){ 0 };
}
