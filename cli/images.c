/* images.c - `kiln images` and `kiln rmi`: list and remove the images of the local store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "store.h"

static const char images_usage[] =
	"usage: kiln images\n"
	"\n"
	"List the images of the local store (kiln pull, kiln run REF): their\n"
	"repository, tag, digest (short), size of the image file and when it\n"
	"was made (the pushed file's time), newest first.\n";

static const char rmi_usage[] =
	"usage: kiln rmi [-f] REF|DIGEST...\n"
	"\n"
	"Remove images from the local store: a reference removes its tag, a\n"
	"digest (or its first 12 or more hex digits) every tag of it. The\n"
	"blobs no tag names any more are deleted. An image a running instance\n"
	"(kiln run -d) was started from is kept unless -f is given.\n";

/* Docker's sizes: decimal units, 3 significant digits ("4.26MB"). */
static void human_size(uint64_t n, char out[16])
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, 16, "%.3g%s", v, unit[u]);
}

static int newer_first(const void *a, const void *b)
{
	const struct store_entry *x = a, *y = b;
	int c = strcmp(y->created, x->created);

	if (!c)
		c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->tag, y->tag);
}

/* Columns as docker's tabwriter: each as wide as its widest cell + 3. */
static void list(struct store_index *ix)
{
	size_t wr = strlen("REPOSITORY"), wt = strlen("TAG");
	char size[16];

	qsort(ix->e, ix->n, sizeof(*ix->e), newer_first);
	for (size_t i = 0; i < ix->n; i++) {
		if (strlen(ix->e[i].repo) > wr)
			wr = strlen(ix->e[i].repo);
		if (strlen(ix->e[i].tag) > wt)
			wt = strlen(ix->e[i].tag);
	}
	printf("%-*s   %-*s   %-12s   %-8s   %s\n", (int)wr, "REPOSITORY",
	       (int)wt, "TAG", "DIGEST", "SIZE", "CREATED");
	for (size_t i = 0; i < ix->n; i++) {
		const struct store_entry *e = &ix->e[i];

		human_size(e->size, size);
		printf("%-*s   %-*s   %.12s   %-8s   %s\n", (int)wr, e->repo,
		       (int)wt, e->tag, e->digest + 7, size,
		       e->created[0] ? e->created : "-");
	}
}

static int help_only(int argc, char **argv, const char *usage)
{
	return argc > 1 &&
	       (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) &&
	       fputs(usage, stdout) >= 0;
}

int cmd_images(int argc, char **argv)
{
	struct store_index ix;
	char root[4096];
	int err;

	if (help_only(argc, argv, images_usage))
		return 0;
	if (argc > 1)
		return kiln_usage_error("images", "unknown argument", argv[1]);
	err = store_root(root, sizeof(root));
	if (!err)
		err = store_index_read(root, &ix);
	if (err)
		return err;
	list(&ix);
	store_index_free(&ix);
	return 0;
}

/* The name of a running instance of e into who, or 0. */
static int in_use(const struct store_entry *e, char *who, size_t n)
{
	char ref[512];

	snprintf(ref, sizeof(ref), "%s:%s", e->repo, e->tag);
	if (instance_using(ref, who, n))
		return 1;
	snprintf(ref, sizeof(ref), "%s@%s", e->repo, e->digest);
	return instance_using(ref, who, n);
}

/* Drop the entries name matches from ix; print what went, as docker. */
static int remove_one(struct store_index *ix, const char *name, int force)
{
	unsigned char *match = kiln_xmalloc(ix->n + 1);
	char who[256];
	int n = store_match(ix, name, "rmi", match), err = 0;
	size_t o = 0;

	if (n == 0) {
		kiln_err("%s: no such image in the store", name);
		err = KILN_EXIT_FAIL;
	}
	for (size_t i = 0; n > 0 && !err && !force && i < ix->n; i++)
		if (match[i] && in_use(&ix->e[i], who, sizeof(who))) {
			kiln_err("%s: in use by running instance %s (-f"
				 " removes it anyway)",
				 name, who);
			err = KILN_EXIT_FAIL;
		}
	for (size_t i = 0; n > 0 && !err && i < ix->n; i++) {
		if (!match[i]) {
			ix->e[o++] = ix->e[i];
			continue;
		}
		if (strcmp(ix->e[i].tag, "<none>"))
			printf("Untagged: %s:%s\n", ix->e[i].repo,
			       ix->e[i].tag);
		else
			printf("Untagged: %s@%s\n", ix->e[i].repo,
			       ix->e[i].digest);
	}
	if (n > 0 && !err)
		ix->n = o;
	free(match);
	return n < 0 ? -n : err;
}

int cmd_rmi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_index ix;
	char root[4096];
	int c, force = 0, fd, err, ret = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hf", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(rmi_usage, stdout);
			return 0;
		}
		if (c != 'f')
			return kiln_usage_error("rmi", "unknown option",
						kiln_bad_option(argv));
		force = 1;
	}
	if (optind >= argc)
		return kiln_usage_error("rmi", "missing REF or DIGEST", NULL);
	err = store_root(root, sizeof(root));
	if (!err)
		err = store_lock(root, 0, &fd);
	if (err)
		return err;
	err = store_index_read(root, &ix);
	if (err) {
		store_unlock(fd);
		return err;
	}
	/* Like docker rmi: each name on its own; the status is the last failure. */
	for (int i = optind; i < argc; i++) {
		err = remove_one(&ix, argv[i], force);
		if (err)
			ret = err;
	}
	if (fd >= 0) {
		err = store_index_write(root, &ix);
		if (err)
			ret = err;
		else
			store_gc(root, &ix);
	}
	store_index_free(&ix);
	store_unlock(fd);
	return ret;
}
