/* main.c - the `kiln` command: dispatch to build, run and inspect; --help, --version. */
#include <stdio.h>
#include <string.h>

#include <kiln/version.h>

#include "instance.h"
#include "kiln.h"
#include "runtime.h"
#include "store.h"
#include "vm.h"
#include "volume.h"

static const char main_usage[] =
	"usage: kiln COMMAND [OPTIONS] ...\n"
	"\n"
	"Build and run unmodified static Linux x86_64 programs as unikernels.\n"
	"\n"
	"commands:\n"
	"  build    turn a program (+ files) into a bootable image\n"
	"  run      boot an image (or a program) under QEMU and pass its output\n"
	"  inspect  show what an image holds\n"
	"  ps       list instances (run -d); -a: the exited ones too\n"
	"  logs     an instance's output (-f: follow)\n"
	"  stop     SIGTERM to an instance's app, end it after -t SECONDS\n"
	"  kill     a signal to an instance (-s HUP|INT|QUIT|TERM|KILL)\n"
	"  rm       remove an exited instance (-f: end it first)\n"
	"  wait     wait for an instance to end, print its status\n"
	"  push     store an image in an OCI registry\n"
	"  pull     fetch an image from a registry into the local store\n"
	"  images   list the local store\n"
	"  rmi      remove images from the local store\n"
	"  oci      an OCI runtime for containerd (runc's commands; also as\n"
	"           kiln-runtime)\n"
	"  volume   named volumes: create, ls, rm, inspect\n"
	"\n"
	"  -h, --help     show this help ('kiln COMMAND --help' for a command)\n"
	"  -V, --version  show the version\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "build", cmd_build },	    { "run", cmd_run },
	{ "inspect", cmd_inspect }, { "ps", cmd_ps },
	{ "logs", cmd_logs },	    { "stop", cmd_stop },
	{ "kill", cmd_kill },	    { "rm", cmd_rm },
	{ "wait", cmd_wait },	    { "push", cmd_push },
	{ "pull", cmd_pull },	    { "images", cmd_images },
	{ "rmi", cmd_rmi },	    { "oci", cmd_oci },
	{ "volume", cmd_volume },
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const char *base = argc ? strrchr(argv[0], '/') : NULL;

	host_tsc_start(); /* kiln.tsc_khz for a TCG guest (cli/host_tsc.c) */
	/* kiln-runtime is `kiln oci`: containerd's BinaryName runs it as runc */
	base = base ? base + 1 : argc ? argv[0] : "";
	if (!strcmp(base, "kiln-runtime")) {
		int ret;

		kiln_tmp_catch_signals();
		ret = cmd_oci(argc, argv);
		kiln_tmp_cleanup();
		return ret;
	}

	if (!cmd)
		return kiln_usage_error(NULL, "missing COMMAND", NULL);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kiln %s\n", KILN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(cmd, commands[i].name)) {
			int ret;

			kiln_tmp_catch_signals();
			ret = commands[i].fn(argc - 1, argv + 1);
			kiln_tmp_cleanup(); /* whatever a failure left registered */
			return ret;
		}
	}
	return kiln_usage_error(
		NULL, cmd[0] == '-' ? "unknown option" : "unknown command",
		cmd);
}
