/* run.c - `kiln run`: boot an image (or a program, built on the fly) and pass its status through. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"
#include "run.h"
#include "store.h"

static const char run_usage[] =
	"usage: kiln run [--mem SIZE] [--accel auto|kvm|tcg] [--machine microvm|q35]\n"
	"                [--tcg-cache MIB]\n"
	"                [--env KEY=VALUE]... [--verbose] [--trace] [--timeout SECONDS]\n"
	"                [--read-only]\n"
	"                [--stop-timeout SECONDS] [-d [--name NAME]]\n"
	"                [--net none|user|nat|tap:NAME] [--net-loss PERCENT]\n"
	"                [-p HOSTPORT:GUESTPORT[/tcp|/udp]]...\n"
	"                [--ip ADDR/N|dhcp [--gateway ADDR] [--dns ADDR]]\n"
	"                [--disk FILE[:GUESTDIR][:ro]]...\n"
	"                [-v HOSTDIR|NAME:GUESTDIR[:ro]]...\n"
	"                [--pull always|missing|never] [--insecure]\n"
	"                IMAGE|PROGRAM|REF [ARG...]\n"
	"\n"
	"Boot a Kiln image under QEMU (a program is first built into a\n"
	"temporary image). The app's stdout and stderr are kiln's; kiln exits with\n"
	"the app's status, 128+N if it died of signal N. ARGs replace argv[1..];\n"
	"piped stdin is given to the app, then EOF; a terminal on stdin is\n"
	"connected to the app. Kiln's own statuses: 1 bad input, 2 bad command\n"
	"line, 123 the VM could not run, 124 --timeout, 125 the kernel failed,\n"
	"126 the program could not start, 127 it is not in the image.\n"
	"\n"
	"  --mem SIZE         guest memory, as QEMU's -m (default: 128M, or the\n"
	"                     image's size + 96M when that is more)\n"
	"  --accel MODE       auto (KVM when /dev/kvm is usable and not PVM),\n"
	"                     kvm or tcg\n"
	"  --machine TYPE     microvm (default) or q35\n"
	"  --tcg-cache MIB    under TCG, cap QEMU's translated-code buffer at MIB\n"
	"                     (1-1024; QEMU's tb-size): host memory saved for\n"
	"                     small idle services, at the price of translating\n"
	"                     again whenever it fills (default: no cap)\n"
	"  --env KEY=VALUE    add or override an environment variable\n"
	"  --verbose          show the kernel log on stderr\n"
	"  --trace            boot with kiln.trace; show its trace lines on stderr\n"
	"  --read-only        the root stays read only (EROFS), as docker run\n"
	"                     --read-only, a root disk or one in memory; by\n"
	"                     default the root is writable and the changes go\n"
	"                     at exit\n"
	"  --timeout SECONDS  stop the VM after this long (exit 124)\n"
	"  -d, --detach       run in the background as an instance: print its id;\n"
	"                     kiln ps, logs, stop, kill, rm and wait manage it\n"
	"  --name NAME        the instance's name (unique)\n"
	"  --restart no|on-failure[:N]\n"
	"                     with -d: boot again when the app exits non-zero\n"
	"                     (N times at most; default: for ever), not after\n"
	"                     kiln stop or kill\n"
	"  -P, --publish-all  publish every port the image exposes on a free\n"
	"                     port of 127.0.0.1 (kiln ps shows which)\n"
	"  --stop-timeout SECONDS\n"
	"                     SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to kiln go\n"
	"                     to the app; this long after a SIGTERM (default 10,\n"
	"                     as docker) the VM is ended and kiln exits 137\n"
	"  --net MODE         none; user: QEMU user networking, the guest at\n"
	"                     10.0.2.15 reaching only QEMU's gateway (default when\n"
	"                     -p or --ip is given); nat: the same, but the guest may\n"
	"                     connect out, and reaches the host's 127.0.0.1 at\n"
	"                     10.0.2.2; tap:NAME: the host's existing tap device\n"
	"                     NAME, the address by DHCP unless set by --ip or the\n"
	"                     image (kiln build --ip)\n"
	"  -p, --publish HOSTPORT:GUESTPORT[/tcp|/udp]\n"
	"                     forward 127.0.0.1:HOSTPORT to the guest (tcp default);\n"
	"                     a UDP port needs QEMU's NAT open for its replies\n"
	"  --ip ADDR/N|dhcp   the guest's address for this run, instead of the\n"
	"                     image's; user and nat route only 10.0.2.0/24, where\n"
	"                     DHCP gives 10.0.2.15\n"
	"  --gateway ADDR     with a static --ip: the default route\n"
	"  --dns ADDR         the DNS server named in /etc/resolv.conf\n"
	"  --disk FILE[:GUESTDIR][:ro]\n"
	"                     give the guest the raw disk image FILE as /dev/vda,\n"
	"                     the next as /dev/vdb... (8 at most); :ro makes it\n"
	"                     read-only. What the app fsync'd is on FILE (QEMU\n"
	"                     cache=writeback; the guest's flushes reach the disk).\n"
	"                     With GUESTDIR, the ext4 on FILE is mounted there\n"
	"                     (read-write needs 4 KiB blocks: docs/storage.md)\n"
	"  -v, --volume HOSTDIR:GUESTDIR[:ro]\n"
	"                     share the host directory HOSTDIR with the app at\n"
	"                     GUESTDIR (absolute; made when missing) over\n"
	"                     virtio-9p, as docker run -v; :ro refuses writes\n"
	"                     (EROFS). Repeatable, 8 at most. A NAME (no '/',\n"
	"                     not starting with '.') is a named volume (kiln\n"
	"                     volume), made on first use, mounted as a --disk\n"
	"  --net-loss PERCENT the guest drops this share (0-50) of the frames it\n"
	"                     sends and receives, to see how an app copes with loss\n"
	"  --pull POLICY      for a REF (HOST[:PORT]/REPO[:TAG|@DIGEST], or a\n"
	"                     digest, that is not a file): run the local store's\n"
	"                     image (kiln images), pulling it always, when\n"
	"                     missing (default) or never\n"
	"  --insecure         pull over plain HTTP, or HTTPS with any certificate\n"
	"  -h, --help         show this help\n";

enum {
	OPT_MEM = 256,
	OPT_ACCEL,
	OPT_MACHINE,
	OPT_TCG_CACHE,
	OPT_ENV,
	OPT_TRACE,
	OPT_READ_ONLY,
	OPT_TIMEOUT,
	OPT_STOP_TIMEOUT,
	OPT_NAME,
	OPT_RESTART,
	OPT_NET,
	OPT_NET_LOSS,
	OPT_IP,
	OPT_GATEWAY,
	OPT_DNS,
	OPT_DISK,
	OPT_VERBOSE,
	OPT_PULL,
	OPT_INSECURE
};

static const struct option run_opts[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "tcg-cache", required_argument, NULL, OPT_TCG_CACHE },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "volume", required_argument, NULL, 'v' },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "detach", no_argument, NULL, 'd' },
	{ "publish-all", no_argument, NULL, 'P' },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "net", required_argument, NULL, OPT_NET },
	{ "net-loss", required_argument, NULL, OPT_NET_LOSS },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "publish", required_argument, NULL, 'p' },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* QEMU -m syntax we accept: digits, optionally one of K M G T (and B). */
/*
 * QEMU's -m SIZE: digits, then an optional K, M, G or T (and B); no
 * suffix means MiB. 0 with *bytes set, or -1 for anything else.
 */
static int mem_parse(const char *s, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	size_t digits = strspn(s, "0123456789");
	uint64_t v = 0, shift = 20;
	const char *u;

	if (!digits || digits > 12)
		return -1;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	s += digits;
	if (*s && (u = strchr(units, tolower((unsigned char)*s))) != NULL) {
		shift = 10 * (uint64_t)(u - units + 1);
		s++;
	}
	if (*s == 'B' || *s == 'b')
		s++;
	if (*s != '\0' || v > (UINT64_MAX >> shift))
		return -1;
	*bytes = v << shift;
	return 0;
}

/* Store one option; 0, or the usage-error status. */
static int set_option(int c, const char *val, struct run_args *ra)
{
	static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
	static const char *const machines[] = { "microvm", "q35", NULL };
	static const char *const pulls[] = { "always", "missing", "never",
					     NULL };
	char *end;

	switch (c) {
	case OPT_MEM:
		ra->vm.mem = val;
		ra->mem_given = 1;
		return mem_parse(val, &ra->mem_bytes) == 0 ?
			       0 :
			       kiln_usage_error("run", "bad --mem", val);
	case OPT_ACCEL:
		ra->vm.accel = val;
		return one_of(val, accels) ?
			       0 :
			       kiln_usage_error("run", "bad --accel", val);
	case OPT_MACHINE:
		ra->vm.machine = val;
		return one_of(val, machines) ?
			       0 :
			       kiln_usage_error("run", "bad --machine", val);
	case OPT_TCG_CACHE: {
		/* digits only: strtol alone takes " 8" and "+8" too */
		long mib = isdigit((unsigned char)val[0]) ?
				   strtol(val, &end, 10) :
				   0;

		if (mib < 1 || mib > 1024 || *end)
			return kiln_usage_error(
				"run", "bad --tcg-cache (1-1024)", val);
		ra->vm.tcg_cache_mib = (int)mib;
		return 0;
	}
	case OPT_ENV:
		if (!strchr(val, '=') || val[0] == '=')
			return kiln_usage_error(
				"run", "--env wants KEY=VALUE, not", val);
		strvec_push(&ra->env, val);
		return 0;
	case OPT_TIMEOUT:
		ra->vm.timeout = strtod(val, &end);
		if (*end || end == val ||
		    !(ra->vm.timeout > 0 && ra->vm.timeout < 1e7))
			return kiln_usage_error("run", "bad --timeout", val);
		return 0;
	case OPT_STOP_TIMEOUT:
		ra->vm.stop_timeout = strtod(val, &end);
		if (*end || end == val ||
		    !(ra->vm.stop_timeout >= 0 && ra->vm.stop_timeout < 1e7))
			return kiln_usage_error("run", "bad --stop-timeout",
						val);
		return 0;
	case OPT_NET:
		return run_net_set_mode(ra, val);
	case OPT_NET_LOSS: {
		long pct = strtol(val, &end, 10);

		if (*end || end == val || pct < 0 || pct > 50)
			return kiln_usage_error("run", "bad --net-loss (0-50)",
						val);
		ra->vm.net_loss = (int)pct;
		return 0;
	}
	case 'p':
		return run_net_publish(ra, val);
	case OPT_DISK:
		return run_disk_add(ra, val);
	case OPT_PULL:
		ra->pull = val;
		return one_of(val, pulls) ?
			       0 :
			       kiln_usage_error(
				       "run",
				       "--pull wants always, missing or never, not",
				       val);
	case OPT_INSECURE:
		ra->insecure = 1;
		return 0;
	case OPT_IP:
		ra->net.ip = val;
		return 0;
	case OPT_GATEWAY:
		ra->net.gateway = val;
		return 0;
	case OPT_DNS:
		ra->net.dns = val;
		return 0;
	case 'd':
		ra->detach = 1;
		return 0;
	case OPT_RESTART:
		if (!strcmp(val, "no")) {
			ra->restarts = 0;
			return 0;
		}
		if (!strcmp(val, "on-failure")) {
			ra->restarts = -1;
			return 0;
		}
		if (!strncmp(val, "on-failure:", 11)) {
			long n = strtol(val + 11, &end, 10);

			if (!*end && end != val + 11 && n > 0 && n < 1000000) {
				ra->restarts = (int)n;
				return 0;
			}
		}
		return kiln_usage_error("run", "bad --restart", val);
	case 'P':
		ra->publish_all = 1;
		/* The image's ports are known later; networking is needed. */
		if (!ra->net_mode)
			ra->net_mode = "user";
		return 0;
	case OPT_NAME:
		if (!*val || strlen(val) > 64 ||
		    strspn(val,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
			    strlen(val))
			return kiln_usage_error("run", "bad --name", val);
		ra->name = val;
		return 0;
	case 'v':
		return run_volume_add(ra, val);
	case OPT_VERBOSE:
		ra->vm.verbose = 1;
		return 0;
	case OPT_TRACE:
		ra->vm.trace = 1;
		return 0;
	case OPT_READ_ONLY:
		ra->vm.read_only = 1;
		return 0;
	default:
		return kiln_usage_error("run", "unknown option", val);
	}
}

/*
 * A pipe, FIFO or socket on stdin is streamed to the app as it runs
 * (cli/qemu.c). A regular file or a device such as /dev/null is read
 * whole and put in the image: it has an end already, and the image
 * hands it over at memory speed rather than through the UART.
 */
static int stdin_is_stream(void)
{
	struct stat st;

	return fstat(0, &st) == 0 &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/*
 * The command line into ra: 0 with ra->target set to run; 0 with it NULL
 * after --help; else the exit status, reported.
 */
static int parse_run(int argc, char **argv, struct run_args *ra)
{
	int c, ret;

	ra->mem_bytes = 128ULL << 20;
	ra->vm = (struct vm_opts){ .mem = "128M",
				   .accel = "auto",
				   .machine = "microvm",
				   .stop_timeout = RUN_STOP_TIMEOUT };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hv:dPp:", run_opts, NULL)) !=
	       -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			return 0;
		}
		if (c == ':')
			return kiln_usage_error("run", "missing value for",
						kiln_bad_option(argv));
		if (c == '?')
			return kiln_usage_error("run", "unknown option",
						kiln_bad_option(argv));
		ret = set_option(c, optarg, ra);
		if (ret)
			return ret;
	}
	ret = run_net_finish(ra);
	if (ret)
		return ret;
	if (optind >= argc)
		return kiln_usage_error("run", "missing IMAGE or PROGRAM",
					NULL);
	ra->target = argv[optind];
	ra->have_args = argc - optind > 1;
	for (int i = optind + 1; i < argc; i++)
		strvec_push(&ra->args, argv[i]);
	ra->vm.tty_stdin = isatty(0) && !ra->detach;
	ra->vm.stream_stdin = !ra->vm.tty_stdin && !ra->detach &&
			      stdin_is_stream();
	if (ra->name && !ra->detach)
		return kiln_usage_error("run", "--name needs -d", ra->name);
	if (ra->restarts && !ra->detach)
		return kiln_usage_error("run", "--restart needs -d", NULL);
	return 0;
}

/*
 * The image as given, or a program (not an image at all: "bad magic")
 * built into one in memory. 0, or the exit status after one line.
 */
static int load_target(struct run_args *ra, struct kiln_image *img, int *built)
{
	const char *target = ra->target;
	/* in memory, not a file QEMU could read a root disk from */
	struct build_spec spec = { .program = target,
				   .root_disk = ROOT_DISK_NO };
	struct kbuf buf = { 0 };
	const char *why;
	struct stat st;
	int err;

	/*
	 * A file is mapped, not read: booting it as it is touches only its
	 * headers (QEMU reads the file). A FIFO is read whole, once; the
	 * decision is kept (run_prepare), not taken again.
	 */
	ra->target_is_file = stat(target, &st) == 0 && S_ISREG(st.st_mode);
	if (ra->target_is_file) {
		ra->target_dev = st.st_dev;
		ra->target_ino = st.st_ino;
		err = image_map(target, img, &why);
	} else
		err = image_open(target, img, &why);
	*built = 0;
	if (err == 0)
		return 0;
	if (err != -ENOEXEC || strcmp(why, "bad magic") != 0)
		return image_report(target, err, why);
	/* its bytes are gone: build_image would wait for a writer again */
	if (!ra->target_is_file) {
		kiln_err("%s: not a Kiln image (bad magic), and only a regular "
			 "file is built as a program",
			 target);
		return KILN_EXIT_FAIL;
	}
	err = build_image(&spec, &buf);
	if (err) {
		kbuf_free(&buf);
		return err;
	}
	*built = 1;
	ra->target_is_file = 0; /* the image is in memory only */
	if (image_from_buffer(buf.data, buf.len, img, &why)) {
		kiln_err("%s: the image built from it is bad (%s)", target,
			 why);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

/*
 * A target that is no file but a reference (store.h) is the local
 * store's image, pulled by --pull: ra->target becomes its file, shown
 * the reference to show. 0, or the exit status after one line.
 */
static int resolve_ref(struct run_args *ra, char *stored, size_t n, char *shown,
		       size_t sn)
{
	int err;

	if (access(ra->target, F_OK) == 0 || !store_is_reference(ra->target))
		return 0;
	err = store_resolve(ra->target, ra->pull ? ra->pull : "missing",
			    ra->insecure, stored, n, shown, sn);
	if (!err)
		ra->target = stored;
	return err;
}

int cmd_run(int argc, char **argv)
{
	struct run_args ra = { 0 };
	struct kiln_image img = { 0 };
	struct kiln_config cfg = { 0 };
	char stored[4200], shown[512] = "";
	int ret = parse_run(argc, argv, &ra), built;

	if (ret || !ra.target)
		goto out;
	ret = resolve_ref(&ra, stored, sizeof(stored), shown, sizeof(shown));
	if (ret)
		goto out;
	if (ra.detach) {
		ret = instance_detach(ra.name, shown[0] ? shown : ra.target,
				      &ra.forwards);
		if (ret >= INSTANCE_PARENT) {
			ret -= INSTANCE_PARENT;
			goto out;
		}
		/* The monitor: kiln stop ends the VM, not a stop timeout. */
		ra.vm.stop_timeout = -1;
		ra.monitor = 1;
		instance_set_volumes(&ra.named_volumes);
	}
	/* the monitor's mode first: a signal may come as soon as it is caught */
	if (ra.monitor)
		vm_set_monitor();
	vm_catch_signals();
	ret = load_target(&ra, &img, &built);
	if (ret)
		goto out;
	ret = config_parse(ra.target, img.config, img.config_size, &cfg);
	if (ret)
		goto out_image;
	ret = run_volume_owner(&ra, cfg.user);
	if (ret)
		goto out_config;
	if (ra.publish_all)
		ret = run_net_publish_all(&ra, &cfg);
	if (ret)
		goto out_config;
	if (ra.monitor)
		instance_set_ports(&ra.forwards);
	run_net_cmdline(&ra, &cfg);
	ret = run_prepare(&ra, &img, &cfg, built);
	if (!ret)
		ret = run_boot(&ra, &img, &cfg);
	/* --restart on-failure: the monitor boots the app again. */
	for (int n = 1;
	     ra.monitor && ra.restarts && ret != 0 &&
	     (ra.restarts < 0 || n <= ra.restarts) && !instance_stopped();
	     n++) {
		kiln_err("restarting %s (%d) after status %d", ra.target, n,
			 ret);
		ret = run_boot(&ra, &img, &cfg);
	}
	run_tmp_close(&ra);
out_config:
	config_free(&cfg);
out_image:
	image_close(&img);
out:
	if (ra.monitor)
		instance_finish(ret);
	strvec_free(&ra.env);
	strvec_free(&ra.args);
	strvec_free(&ra.forwards);
	strvec_free(&ra.disks);
	strvec_free(&ra.volumes);
	strvec_free(&ra.named_volumes);
	strvec_free(&ra.new_volumes);
	free(ra.netdev);
	free(ra.root_drive);
	return ret;
}
