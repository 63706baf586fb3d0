/* build.c - `kiln build`: a program (+ its libraries, files, args, env) into one bootable image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "oci.h"

static const char build_usage[] =
	"usage: kiln build [-o IMAGE] [--file HOST:GUEST]... [--dir HOSTDIR:GUESTDIR]...\n"
	"                  [--env KEY=VALUE]... [--workdir DIR] [--volume DIR]...\n"
	"                  [--ip ADDR/N|dhcp [--gateway ADDR] [--dns ADDR]]\n"
	"                  [--no-libraries] [--root-disk|--no-root-disk]\n"
	"                  PROGRAM [ARG...]\n"
	"       kiln build --from REF [-o IMAGE] [--entrypoint E] [--insecure]\n"
	"                  [--env KEY=VALUE]... [--workdir DIR] [--ip ...]\n"
	"                  [--root-disk|--no-root-disk] [ARG...]\n"
	"\n"
	"Turn an x86_64 Linux program into a Kiln image. The program is stored\n"
	"at /bin/NAME; argv[0] is that path, then ARG... A dynamic program's\n"
	"interpreter and shared libraries, and those of every ELF file --file\n"
	"and --dir add, are found as the host's loader would and added, their\n"
	"symlinks kept; a library that cannot be found is an error.\n"
	"\n"
	"  -o, --output IMAGE      the image to write (default: NAME.img)\n"
	"  --file HOST:GUEST       copy a host file to GUEST in the image\n"
	"  --dir HOSTDIR:GUESTDIR  copy a directory tree (modes and symlinks kept)\n"
	"  --env KEY=VALUE         add to the environment (PATH=/bin:/usr/bin, HOME=/)\n"
	"  --workdir DIR           the working directory (default /)\n"
	"  --volume DIR            declare DIR (absolute) a mount point for data:\n"
	"                          made at boot, filled by kiln run -v HOSTDIR:DIR\n"
	"  --ip ADDR/N|dhcp        the guest's address when kiln run gives it a\n"
	"                          network: static (N defaults to 24), or by DHCP\n"
	"                          (kiln run's --ip overrides it for one run)\n"
	"  --gateway ADDR          the default route, in ADDR/N's subnet (static only)\n"
	"  --dns ADDR              the DNS server for /etc/resolv.conf (with dhcp:\n"
	"                          instead of the lease's)\n"
	"  --no-libraries          add no interpreter or library: only what\n"
	"                          --file and --dir give, as they are\n"
	"  --root-disk             put the root on a read-only ext4 appended to\n"
	"                          the image, read on demand, not loaded into\n"
	"                          memory (the default from 16 MiB of files)\n"
	"  --no-root-disk          keep the whole root in the image's memory\n"
	"  --from REF              build from an OCI/Docker image: oci:DIR[:TAG]\n"
	"                          (an OCI layout), docker-archive:FILE (docker\n"
	"                          save), or HOST[:PORT]/REPO[:TAG|@DIGEST] (a\n"
	"                          registry); its whole root, Entrypoint + Cmd\n"
	"                          (ARG... replace Cmd), Env, WorkingDir and User\n"
	"                          (default IMAGE: the repository's name + .img)\n"
	"  --entrypoint E          with --from: run E instead of the Entrypoint\n"
	"                          (and drop Cmd), as docker run --entrypoint\n"
	"  --insecure              with --from: a registry over plain HTTP, or\n"
	"                          HTTPS with any certificate (a registry's own\n"
	"                          CA goes in ~/.config/kiln/certs.d/HOST:PORT/ca.crt)\n"
	"  -h, --help              show this help\n";

enum {
	OPT_FILE = 256,
	OPT_DIR,
	OPT_ENV,
	OPT_WORKDIR,
	OPT_IP,
	OPT_GATEWAY,
	OPT_DNS,
	OPT_NO_LIBS,
	OPT_FROM,
	OPT_ENTRYPOINT,
	OPT_INSECURE,
	OPT_VOLUME,
	OPT_ROOT_DISK,
	OPT_NO_ROOT_DISK
};

static const struct option build_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "no-libraries", no_argument, NULL, OPT_NO_LIBS },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "volume", required_argument, NULL, OPT_VOLUME },
	{ "root-disk", no_argument, NULL, OPT_ROOT_DISK },
	{ "no-root-disk", no_argument, NULL, OPT_NO_ROOT_DISK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * One line for a bad command line; exit status 2. The argument is shown
 * as given but for a control byte (a newline, a carriage return, an
 * escape), shown as '?' as ls does: the error stays one line.
 */
int kiln_usage_error(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "kiln%s%s: %s%s", cmd ? " " : "", cmd ? cmd : "", what,
		arg ? " " : "");
	for (const char *p = arg; p && *p; p++)
		fputc((unsigned char)*p < ' ' || *p == 0x7f ? '?' : *p, stderr);
	fprintf(stderr, "; see 'kiln%s%s --help'\n", cmd ? " " : "",
		cmd ? cmd : "");
	return KILN_EXIT_USAGE;
}

/* Name of the option getopt stopped at, for the error line. */
const char *kiln_bad_option(char **argv)
{
	return argv[optind - 1];
}

/*
 * The shape of a --file, --dir, --env or --workdir value, checked here
 * like every other option so a bad one is a usage error (as in kiln run);
 * whether the files exist is build_image's to find out. 0, or the usage
 * status after one line.
 */
static int check_shape(int c, const char *val)
{
	const char *colon;

	switch (c) {
	case OPT_FILE:
	case OPT_DIR:
		colon = strrchr(val, ':');
		if (!colon || colon == val || colon[1] != '/')
			return kiln_usage_error(
				"build",
				c == OPT_FILE ?
					"--file wants HOST:/GUEST/PATH, not" :
					"--dir wants HOSTDIR:/GUEST/DIR, not",
				val);
		return 0;
	case OPT_ENV:
		if (!strchr(val, '=') || val[0] == '=')
			return kiln_usage_error(
				"build", "--env wants KEY=VALUE, not", val);
		return 0;
	case OPT_WORKDIR:
		if (val[0] != '/')
			return kiln_usage_error("build",
						"--workdir wants an "
						"absolute path, not",
						val);
		return 0;
	default:
		return 0;
	}
}

/* The rest of a --from command line: ARG... replace the image's Cmd. */
static int parse_from(int argc, char **argv, struct build_spec *spec,
		      struct oci_spec *oci)
{
	if (spec->files.n || spec->dirs.n || spec->no_libs)
		return kiln_usage_error("build",
					"--file, --dir and --no-libraries do "
					"not go with",
					"--from");
	if (!oci->ref[0])
		return kiln_usage_error("build", "--from wants a reference",
					NULL);
	oci->has_args = optind < argc;
	for (int i = optind; i < argc; i++)
		strvec_push(&oci->args, argv[i]);
	return 0;
}

/*
 * The default output of --from REF: the last path component of the
 * repository or directory, without tag or digest, + ".img".
 */
static char *from_output(const char *ref)
{
	const char *p = strchr(ref, ':');
	char *s, *cut;

	if (!strncmp(ref, "oci:", 4) || !strncmp(ref, "docker-archive:", 15))
		ref = p + 1;
	s = kiln_xmalloc(strlen(ref) + 8);
	strcpy(s, ref);
	cut = strchr(s, '@');
	if (cut)
		*cut = '\0';
	while ((cut = strrchr(s, '/')) && !cut[1] && cut != s)
		*cut = '\0'; /* "dir/" */
	cut = strrchr(s, '/');
	memmove(s, cut ? cut + 1 : s, strlen(cut ? cut + 1 : s) + 1);
	cut = strchr(s, ':');
	if (cut)
		*cut = '\0';
	cut = strstr(s, ".tar");
	if (cut && !cut[4])
		*cut = '\0';
	strcat(s, s[0] ? ".img" : "image.img");
	return s;
}

/*
 * The command line into spec: 0 with spec->program set to build; 0 with
 * it NULL after --help; else the usage status, reported.
 */
static int parse_build(int argc, char **argv, struct build_spec *spec,
		       struct oci_spec *oci, const char **output, char *net,
		       size_t net_size)
{
	struct netopts no = { 0 };
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:ho:", build_opts, NULL)) != -1) {
		ret = check_shape(c, optarg);
		if (ret)
			return ret;
		switch (c) {
		case 'o':
			*output = optarg;
			break;
		case OPT_FILE:
			strvec_push(&spec->files, optarg);
			break;
		case OPT_DIR:
			strvec_push(&spec->dirs, optarg);
			break;
		case OPT_ENV:
			strvec_push(&spec->env, optarg);
			break;
		case OPT_WORKDIR:
			spec->workdir = optarg;
			break;
		case OPT_IP:
			no.ip = optarg;
			break;
		case OPT_GATEWAY:
			no.gateway = optarg;
			break;
		case OPT_DNS:
			no.dns = optarg;
			break;
		case OPT_NO_LIBS:
			spec->no_libs = 1;
			break;
		case OPT_FROM:
			oci->ref = optarg;
			break;
		case OPT_ENTRYPOINT:
			oci->entrypoint = optarg;
			break;
		case OPT_INSECURE:
			oci->insecure = 1;
			break;
		case OPT_VOLUME:
			strvec_push(&spec->volumes, optarg);
			break;
		case OPT_ROOT_DISK:
		case OPT_NO_ROOT_DISK:
			if (spec->root_disk &&
			    spec->root_disk != (c == OPT_ROOT_DISK ?
							ROOT_DISK_YES :
							ROOT_DISK_NO))
				return kiln_usage_error(
					"build",
					"--root-disk and --no-root-disk "
					"do not go together",
					NULL);
			spec->root_disk = c == OPT_ROOT_DISK ? ROOT_DISK_YES :
							       ROOT_DISK_NO;
			break;
		case 'h':
			fputs(build_usage, stdout);
			oci->ref = NULL; /* help only, even after --from */
			return 0;
		case ':':
			return kiln_usage_error("build", "missing value for",
						kiln_bad_option(argv));
		default:
			return kiln_usage_error("build", "unknown option",
						kiln_bad_option(argv));
		}
	}
	ret = netopts_format("build", &no, "", net, net_size);
	if (ret)
		return ret;
	spec->net = net[0] ? net : NULL;
	if (oci->ref)
		return parse_from(argc, argv, spec, oci);
	if (oci->entrypoint || oci->insecure)
		return kiln_usage_error("build",
					oci->entrypoint ?
						"--entrypoint needs --from" :
						"--insecure needs --from",
					NULL);
	if (optind >= argc)
		return kiln_usage_error("build", "missing PROGRAM", NULL);
	spec->program = argv[optind];
	for (int i = optind + 1; i < argc; i++)
		strvec_push(&spec->args, argv[i]);
	return 0;
}

static void spec_free(struct build_spec *spec)
{
	strvec_free(&spec->args);
	strvec_free(&spec->files);
	strvec_free(&spec->dirs);
	strvec_free(&spec->env);
	strvec_free(&spec->volumes);
}

int cmd_build(int argc, char **argv)
{
	struct build_spec spec = { 0 };
	struct oci_spec oci = { 0 };
	struct kbuf img = { 0 };
	const char *output = NULL;
	char *def = NULL, net[128];
	int ret = parse_build(argc, argv, &spec, &oci, &output, net,
			      sizeof(net));

	if (ret || (!spec.program && !oci.ref))
		goto out;
	if (oci.ref) {
		if (!output)
			output = def = from_output(oci.ref);
		ret = oci_build_image(&oci, &spec, &img);
	} else if (!output) {
		const char *slash = strrchr(spec.program, '/');
		const char *base = slash ? slash + 1 : spec.program;

		def = kiln_xmalloc(strlen(base) + 5);
		sprintf(def, "%s.img", base);
		output = def;
	}
	if (!oci.ref)
		ret = build_image(&spec, &img);
	if (!ret) {
		int err = kiln_write_atomic(output, img.data, img.len);

		if (err)
			ret = kiln_file_error(output, err);
	}
out:
	kbuf_free(&img);
	free(def);
	strvec_free(&oci.args);
	spec_free(&spec);
	return ret;
}
