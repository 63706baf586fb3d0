/* run.h - `kiln run` internals shared by cli/run.c and cli/run_vm.c. */
#ifndef KILN_CLI_RUN_H
#define KILN_CLI_RUN_H

#include <sys/types.h>

#include "kiln.h"
#include "vm.h"

struct run_args {
	struct vm_opts vm;
	const char *target; /* IMAGE or PROGRAM as given */
	int target_is_file; /* load_target mapped it: QEMU can read it again */
	dev_t target_dev;   /* and which file it is (stdin may be the same) */
	ino_t target_ino;
	struct strvec args; /* replace argv[1..] when have_args */
	int have_args;
	struct strvec env;	  /* KEY=VALUE overrides */
	char tmp_image[32];	  /* "/dev/fd/N": the temporary image, or "" */
	const char *net_mode;	  /* --net: "none", "user", "nat", "tap:NAME",
				   NULL (default) */
	struct strvec forwards;	  /* QEMU hostfwd rules from -p */
	char *netdev;		  /* malloc'ed -netdev value, or NULL */
	struct netopts net;	  /* --ip, --gateway, --dns */
	char net_words[128];	  /* them as kiln.ip=... words, "" if none */
	uint64_t mem_bytes;	  /* --mem in bytes */
	int mem_given;		  /* --mem was on the command line */
	char mem_auto[32];	  /* the -m value kiln chose, when not */
	uint64_t load_end;	  /* guest-physical end of the image to boot */
	struct strvec disks;	  /* QEMU -drive values, one per --disk */
	struct strvec volumes;	  /* QEMU -fsdev values, one per -v */
	char volume_dirs[8][256]; /* their GUESTDIRs, cleaned */
	char volume_mounts[2200]; /* kiln.9p=kiln0:/DIR[:ro],... */
	char disk_dirs[8][256];	  /* --disk FILE:GUESTDIR's, cleaned */
	size_t ndisk_dirs;
	char mounts[1024]; /* kiln.mount=vda:/DIR[:ro],... */
	char *root_drive;  /* the image's root disk's -drive value, or NULL */
	int detach;	   /* -d: an instance in the background */
	const char *name;  /* --name, or NULL */
	int monitor;	   /* this kiln is a detached instance's monitor */
	int publish_all;   /* -P */
	int restarts;	   /* --restart on-failure[:N]: N, -1 for ever */
	const char *pull;  /* --pull always|missing|never, or NULL */
	struct strvec named_volumes; /* -v NAME:...'s NAMEs */
	struct strvec new_volumes;   /* the images of those made by this run */
	int insecure;		     /* --insecure: pull over plain HTTP */
};

/* --stop-timeout's default, docker's (seconds) */
#define RUN_STOP_TIMEOUT 10

/* Host directories one run may share (VIRTIO_9P_MAX_DEVS). */
#define RUN_MAX_VOLUMES 8

/*
 * run_volume.c: check -v HOSTDIR:GUESTDIR[:ro|:rw] (HOSTDIR an existing
 * directory: else status 1; GUESTDIR absolute, not /, no ',' ':' '.'
 * '..' parts, apart from every other volume's: else the usage status)
 * and keep its -fsdev value and kiln.9p word. 0, or the status after
 * one line.
 */
int run_volume_add(struct run_args *ra, const char *spec);

/*
 * run_volume.c: once the image's configuration is known, give the root
 * directory of each named volume this run made to the app's user (the
 * image's "UID:GID", NULL for root), by formatting the still empty
 * image again with that root_owner, as docker hands a new volume to the
 * image's owner. 0, or the exit status after one line.
 */
int run_volume_owner(struct run_args *ra, const char *user);

/*
 * run_volume.c: keep a --disk FILE:GUESTDIR's dir (checked by the
 * caller: absolute, under 256 bytes), refusing one that is, holds or
 * lies inside another disk's or a volume's GUESTDIR: 0, or the usage
 * status after one line.
 */
int run_disk_dir_add(struct run_args *ra, const char *dir, const char *spec);

/* The guest finds at most this many disks (VIRTIO_BLK_MAX_DISKS). */
#define RUN_MAX_DISKS 8

/*
 * run_disk.c: check --disk FILE[:GUESTDIR][:ro] (FILE must exist, not
 * be a directory, and be readable, and writable unless :ro; GUESTDIR
 * absolute, without ',', ':', spaces, quotes, "." or ".." parts) and
 * keep its -drive value in ra->disks / ra->vm, and the mount in
 * ra->mounts. 0, or the exit status after one line.
 */
int run_disk_add(struct run_args *ra, const char *spec);

/*
 * run_disk.c: an image with a root disk gets it as the first virtio-blk
 * device: file (the image, or the temporary copy of one read from a
 * FIFO), read only, at rd's offset and size (docs/storage.md, "Root on a disk"). --disk's own
 * disks come after it and keep their names. 0, or the usage status
 * after one line (too many disks).
 */
int run_disk_root(struct run_args *ra, const struct kiln_rootdisk *rd,
		  const char *file);

/*
 * run_net.c. run_net_publish: check -p HOSTPORT:GUESTPORT[/udp|/tcp] and
 * keep its forward; run_net_set_mode: check --net. run_net_finish: after
 * the options, check --ip/--gateway/--dns and set ra->vm.netdev (user
 * networking by default when -p or --ip was given; for tap:NAME the
 * device must exist and be a tap). Each returns 0, or the usage-error
 * status after one line (KILN_EXIT_VMFAIL for a missing tap device).
 */
int run_net_publish(struct run_args *ra, const char *spec);
int run_net_set_mode(struct run_args *ra, const char *mode);
int run_net_finish(struct run_args *ra);

/*
 * -P, once the image is known: forward a free port of 127.0.0.1 to each
 * port it exposes ("80/tcp", "53/udp", "8080") and rebuild the netdev.
 * 0, or the exit status after one line.
 */
int run_net_publish_all(struct run_args *ra, const struct kiln_config *cfg);

/*
 * The address words for the kernel command line once the image is known
 * (ra->vm.net_cmdline): --ip's; none when the image has its own network
 * configuration; else DHCP on a tap, slirp's fixed 10.0.2.15 on user or
 * nat.
 */
void run_net_cmdline(struct run_args *ra, const struct kiln_config *cfg);

/*
 * run_prepare: apply args, env and piped stdin to cfg and, when anything
 * changed (or the image was built in memory), write a temporary image
 * without a name and point ra->vm.image at it ("/dev/fd/N"). 0, or the exit status after one error line.
 */
int run_prepare(struct run_args *ra, const struct kiln_image *img,
		struct kiln_config *cfg, int built);
/* Close the temporary image run_prepare made, if any (it has no name). */
void run_tmp_close(struct run_args *ra);
/* run_boot: boot, report failures and signals; returns kiln's exit status. */
int run_boot(struct run_args *ra, const struct kiln_image *img,
	     const struct kiln_config *cfg);

#endif
