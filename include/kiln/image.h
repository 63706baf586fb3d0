/* image.h - the Kiln image format, shared by `kiln build/run/inspect` and the kernel. */
#ifndef KILN_IMAGE_H
#define KILN_IMAGE_H

#include <stdint.h>

/*
 * A Kiln image is the kernel ELF (build/kernel.elf) plus one more PT_LOAD
 * segment, the bundle, so any PVH loader boots it with -kernel alone:
 *
 *   ELF header (e_phoff/e_phnum rewritten to the new program header table)
 *   the kernel's segments, byte for byte as in kernel.elf
 *   the bundle, loaded at KILN_BUNDLE_ALIGN-aligned physical address right
 *   after the kernel's highest segment end (kernel: phys(__kernel_end))
 *   the new program header table: the kernel's + one PT_LOAD (R) for the bundle
 *
 * The bundle starts with struct kiln_bundle, then its sections. All integers
 * little-endian. Everything in it is untrusted input to the kernel: sizes and
 * offsets are checked against total_size before use, and the crc32 (IEEE,
 * as zlib's) over bytes [header_size, total_size) catches corruption.
 */
#define KILN_BUNDLE_MAGIC "KILNBDL1" /* 8 bytes, no NUL */
#define KILN_BUNDLE_VERSION 1
#define KILN_BUNDLE_ALIGN 4096
#define KILN_MAX_SECTIONS 8

enum kiln_section_type {
	KILN_SECTION_CONFIG = 1, /* boot configuration, see below */
	KILN_SECTION_ROOTFS = 2, /* cpio "newc" archive: the root file system */
	KILN_SECTION_STDIN = 3,	 /* bytes the app reads on fd 0, then EOF */
	KILN_SECTION_ROOTDISK = 4, /* struct kiln_rootdisk: root on a disk */
};

/*
 * A big root lives on a read-only ext4 appended to the image file
 * (docs/storage.md, "Root on a disk"): the ROOTDISK section says where.
 * The ext4's bytes are [offset, offset + size) of the image file, offset
 * a multiple of KILN_BUNDLE_ALIGN, after the program header table, so no
 * PT_LOAD covers them: a PVH loader never copies them into memory. The
 * runner gives them to the guest as its first virtio-blk device, read
 * only; the kernel mounts the ext4 whose superblock uuid is uuid. The
 * ROOTFS archive then holds only what is not on the disk (the top
 * level's files and symlinks, /dev, /proc, /tmp).
 */
struct kiln_rootdisk {
	uint64_t offset; /* in the image file */
	uint64_t size;	 /* bytes, a multiple of 4096 */
	uint8_t uuid[16];
};

_Static_assert(sizeof(struct kiln_rootdisk) == 32, "rootdisk layout");

/*
 * The ROOTFS section starts at a multiple of KILN_ROOTFS_ALIGN from the
 * bundle (itself KILN_BUNDLE_ALIGN-aligned in the file and in physical
 * memory), and every regular file of at least KILN_ROOTFS_ALIGN bytes has
 * its data at a multiple of it in the archive: the entry's namesize
 * counts NULs after the name's own to get there (the archive stays a
 * valid newc archive; GNU cpio lists exactly its files). The kernel then
 * maps those pages in place. Readers must not rely on it: an image
 * without the padding is still valid, its files are copied when mapped.
 */
#define KILN_ROOTFS_ALIGN 4096

struct kiln_section {
	uint32_t type;	   /* enum kiln_section_type */
	uint32_t reserved; /* 0 */
	uint64_t offset;   /* from the start of the bundle, 8-aligned */
	uint64_t size;	   /* bytes */
};

struct kiln_bundle {
	uint8_t magic[8];     /* KILN_BUNDLE_MAGIC */
	uint32_t version;     /* KILN_BUNDLE_VERSION */
	uint32_t header_size; /* sizeof(struct kiln_bundle) */
	uint64_t total_size;  /* header plus all sections */
	uint32_t nsections;   /* <= KILN_MAX_SECTIONS; each type at most once */
	uint32_t crc32;	      /* of bytes [header_size, total_size) */
	struct kiln_section sections[KILN_MAX_SECTIONS];
};

_Static_assert(sizeof(struct kiln_section) == 24, "section layout");
_Static_assert(sizeof(struct kiln_bundle) == 32 + 24 * KILN_MAX_SECTIONS,
	       "bundle header layout");
_Static_assert(__builtin_offsetof(struct kiln_bundle, sections) == 32,
	       "bundle header layout");

/*
 * The CONFIG section is a list of entries, each a header followed by len
 * bytes of value (not NUL-terminated) and zero padding to 8 bytes.
 * PROGRAM once; ARG entries in order form argv (argv[0] first); ENV entries
 * "KEY=VALUE" in order; WORKDIR at most once (default "/"); NET at most
 * once: how the network device gets its address, as words
 * "ip=A.B.C.D/N gw=A.B.C.D dns=A.B.C.D" or "ip=dhcp [dns=A.B.C.D]"
 * (kernel/lib/netcfg.h), used unless the kernel command line has kiln.ip.
 * LIBRARY entries, for `kiln inspect` only (the kernel skips them), say
 * where each shared library of the closure came from: four fields
 * separated by '\n', "NAME\nGUEST PATH\nHOST PATH\nNEEDED BY" (NAME is the
 * DT_NEEDED name, or the PT_INTERP path for the interpreter).
 * USER at most once: "UID:GID", decimal, the ids the program starts
 * with. PORT, VOLUME and FROM record an OCI image's ExposedPorts,
 * Volumes and source for `kiln inspect` (docs/containers.md). VOLUME
 * entries are also `kiln build --volume DIR`'s: the kernel makes each
 * directory at boot when the image lacks it, and `kiln run -v
 * HOSTDIR:DIR` mounts a volume there.
 * Readers ignore entry types they do not know.
 */
enum kiln_cfg_type {
	KILN_CFG_PROGRAM = 1, /* absolute path of the executable in the rootfs */
	KILN_CFG_ARG = 2,
	KILN_CFG_ENV = 3,
	KILN_CFG_WORKDIR = 4,
	KILN_CFG_NET = 5,
	KILN_CFG_LIBRARY = 6,
	KILN_CFG_USER = 7,   /* "UID:GID" the program runs as (default 0:0) */
	KILN_CFG_PORT = 8,   /* an exposed port, "80/tcp" (kiln inspect) */
	KILN_CFG_VOLUME = 9, /* a mount point, made at boot */
	KILN_CFG_FROM = 10,  /* "REF@sha256:..." built from (kiln inspect) */
};

struct kiln_cfg_entry {
	uint32_t type; /* enum kiln_cfg_type */
	uint32_t len;  /* value bytes that follow */
};

_Static_assert(sizeof(struct kiln_cfg_entry) == 8, "config entry layout");

/* Limits both sides enforce. */
#define KILN_CFG_MAX_ARGS 1024
#define KILN_CFG_MAX_ENVS 1024
#define KILN_CFG_MAX_VALUE 4096 /* bytes in one value */

#endif
