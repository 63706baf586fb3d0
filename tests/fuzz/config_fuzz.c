/* config_fuzz.c - libFuzzer harness for cli/config.c: the image's boot configuration as `kiln run` and `inspect` read it. */
#include "fuzz_check.h"

#include "kiln.h"

static int same_vec(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* A configuration that parses writes back to one that parses the same. */
static void round_trip(const struct kiln_config *c)
{
	struct kbuf out = { 0 };
	struct kiln_config back;

	if (config_write(c, &out) != 0) {
		kbuf_free(&out);
		return; /* too many or too long values: refused with a line */
	}
	FUZZ_CHECK(config_parse("round trip", out.data, out.len, &back) == 0);
	FUZZ_CHECK(!strcmp(back.program, c->program));
	FUZZ_CHECK(!strcmp(back.workdir, c->workdir));
	FUZZ_CHECK((!back.net && !c->net) ||
		   (back.net && c->net && !strcmp(back.net, c->net)));
	FUZZ_CHECK(same_vec(&back.argv, &c->argv) &&
		   same_vec(&back.env, &c->env));
	FUZZ_CHECK((!back.user && !c->user) ||
		   (back.user && c->user && !strcmp(back.user, c->user)));
	FUZZ_CHECK((!back.from && !c->from) ||
		   (back.from && c->from && !strcmp(back.from, c->from)));
	FUZZ_CHECK(same_vec(&back.ports, &c->ports) &&
		   same_vec(&back.volumes, &c->volumes));
	config_free(&back);
	kbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *cfg = fuzz_copy(data, size);
	struct kiln_config c;
	int r = config_parse("fuzz", cfg, size, &c);

	FUZZ_CHECK(r == 0 || r == KILN_EXIT_FAIL);
	if (r == 0) {
		FUZZ_CHECK(c.program && c.program[0] == '/' && c.workdir);
		FUZZ_CHECK(c.argv.n <= KILN_CFG_MAX_ARGS &&
			   c.env.n <= KILN_CFG_MAX_ENVS);
		round_trip(&c);
		FUZZ_CHECK(config_setenv(&c, "FUZZ=1") == 0);
		config_free(&c);
	}
	free(cfg);
	return 0;
}
