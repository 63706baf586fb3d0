/* image.c - assemble a Kiln image (kernel ELF + bundle segment) and read one back. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kiln/version.h>

#include "kiln.h"
#include "lib/bundle.h"
#include "lib/elf.h"

#define PAGE 4096

void parts_add(struct bundle_parts *p, uint32_t type, const void *data,
	       size_t size)
{
	if (p->n >= KILN_MAX_SECTIONS)
		abort(); /* a fixed, small set of callers */
	p->type[p->n] = type;
	p->data[p->n] = data;
	p->size[p->n] = size;
	p->n++;
}

/*
 * The ELF header and program header table of a kernel or image; untrusted
 * (an image given to `kiln run`/`inspect`): checked before use.
 */
static const char *elf_tables(const uint8_t *f, size_t size,
			      const struct elf64_phdr **ph, uint16_t *phnum)
{
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)f;

	if (size < 4 || memcmp(f,
			       "\x7f"
			       "ELF",
			       4) != 0)
		return "bad magic";
	if (size < sizeof(*eh))
		return "truncated";
	if (f[4] != 2 || f[5] != 1 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phoff % 8)
		return "bad magic";
	if (eh->e_phnum == 0 || eh->e_phnum >= 0xffff)
		return "bad program headers";
	if (eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(**ph) < eh->e_phnum)
		return "truncated";
	*ph = (const struct elf64_phdr *)(f + eh->e_phoff);
	*phnum = eh->e_phnum;
	return NULL;
}

/* Index of the last PT_LOAD, or -1. */
static int last_load(const struct elf64_phdr *ph, uint16_t phnum)
{
	int last = -1;

	for (int i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			last = i;
	return last;
}

/*
 * The crc32 of a mapped image's bundle, a MiB at a time, each piece
 * dropped from memory once read (MADV_DONTNEED on a private mapping
 * not written: it is read again from the file if touched), so checking
 * a big image does not make kiln as big: 1 when it matches.
 */
static int mapped_crc_ok(const struct kiln_image *img)
{
	const struct kiln_bundle *b =
		(const struct kiln_bundle *)(img->file + img->bundle_off);
	size_t at = img->bundle_off + b->header_size;
	size_t end = img->bundle_off + b->total_size;
	uint32_t crc = 0;

	while (at < end) {
		/* the piece ends on a page boundary of the file */
		size_t next = (at & ~(size_t)(PAGE - 1)) + (1u << 20);

		if (next > end)
			next = end;
		crc = crc32_update(crc, img->file + at, next - at);
		madvise(img->file + (at & ~(size_t)(PAGE - 1)),
			(next & ~(size_t)(PAGE - 1)) -
				(at & ~(size_t)(PAGE - 1)),
			MADV_DONTNEED);
		at = next;
	}
	return crc == b->crc32;
}

static const char *find_bundle(struct kiln_image *img)
{
	const struct elf64_phdr *ph;
	uint16_t phnum;
	const char *why = elf_tables(img->file, img->size, &ph, &phnum);
	int i, err;
	size_t avail;

	if (why)
		return why;
	i = last_load(ph, phnum);
	if (i < 0)
		return "bad magic";
	if (ph[i].p_offset > img->size)
		return "truncated";
	if (ph[i].p_offset % 8)
		return "bad magic";
	img->bundle_off = ph[i].p_offset;
	avail = img->size - img->bundle_off;
	if (ph[i].p_filesz < avail)
		avail = ph[i].p_filesz;
	if (img->mapped) {
		err = bundle_check_layout(img->file + img->bundle_off, avail);
		if (!err && !mapped_crc_ok(img))
			err = BUNDLE_ECRC;
	} else {
		err = bundle_check(img->file + img->bundle_off, avail);
	}
	if (err)
		return bundle_strerror(err);
	img->bundle = (const struct kiln_bundle *)(img->file + img->bundle_off);
	return NULL;
}

/*
 * The ROOTDISK section (untrusted, as all the file): whole pages after
 * the bundle, inside the file. NULL, or what is wrong.
 */
static const char *find_rootdisk(struct kiln_image *img)
{
	size_t n;
	const void *p = bundle_section(img->bundle, KILN_SECTION_ROOTDISK, &n);
	const struct kiln_rootdisk *rd = &img->rootdisk;

	if (!p)
		return NULL;
	if (n != sizeof(*rd))
		return "bad root disk record";
	memcpy(&img->rootdisk, p, sizeof(*rd));
	if (rd->offset % PAGE || rd->size % PAGE || rd->size == 0 ||
	    rd->offset < img->bundle_off + img->bundle->total_size)
		return "bad root disk record";
	if (rd->offset > img->size || img->size - rd->offset < rd->size)
		return "root disk truncated";
	img->has_rootdisk = 1;
	return NULL;
}

int image_open(const char *path, struct kiln_image *img, const char **why)
{
	uint8_t *data;
	size_t size;
	int err;

	*img = (struct kiln_image){ 0 };
	*why = NULL;
	err = kiln_read_file(path, &data, &size);
	if (err)
		return err;
	return image_from_buffer(data, size, img, why);
}

/* The checks of an image at img->file: NULL, or what is wrong. */
static const char *image_parse(struct kiln_image *img)
{
	const char *why = find_bundle(img);

	if (why)
		return why;
	img->config = bundle_section(img->bundle, KILN_SECTION_CONFIG,
				     &img->config_size);
	img->rootfs = bundle_section(img->bundle, KILN_SECTION_ROOTFS,
				     &img->rootfs_size);
	img->stdin_data = bundle_section(img->bundle, KILN_SECTION_STDIN,
					 &img->stdin_size);
	if (!img->config || !img->rootfs)
		return "missing config or root file system";
	return find_rootdisk(img);
}

int image_from_buffer(uint8_t *data, size_t size, struct kiln_image *img,
		      const char **why)
{
	*img = (struct kiln_image){ .file = data, .size = size };
	*why = image_parse(img);
	if (*why) {
		image_close(img);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * The image open on fd mapped read-only into img, checked. Mapped, not
 * read: the checks touch the headers and the bundle, never the root
 * disk, which is most of a big image.
 */
static int image_map_fd(int fd, struct kiln_image *img, const char **why)
{
	struct stat st;
	void *map;

	*img = (struct kiln_image){ 0 };
	*why = NULL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	if (st.st_size == 0) {
		*why = "bad magic";
		return -ENOEXEC;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	*img = (struct kiln_image){ .file = map,
				    .size = (size_t)st.st_size,
				    .mapped = 1 };
	*why = image_parse(img);
	if (*why) {
		image_close(img);
		return -ENOEXEC;
	}
	return 0;
}

int image_check_fd(int fd, const char **why)
{
	struct kiln_image img;
	int err = image_map_fd(fd, &img, why);

	if (!err)
		image_close(&img);
	return err;
}

int image_map(const char *path, struct kiln_image *img, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*img = (struct kiln_image){ 0 };
	*why = NULL;
	if (fd < 0)
		return -errno;
	err = image_map_fd(fd, img, why);
	close(fd); /* the mapping stays */
	return err;
}

int image_report(const char *path, int err, const char *why)
{
	if (err != -ENOEXEC)
		return kiln_file_error(path, err);
	kiln_err("%s: not a Kiln image (%s)", path, why);
	return KILN_EXIT_FAIL;
}

void image_close(struct kiln_image *img)
{
	if (img->mapped)
		munmap(img->file, img->size);
	else
		free(img->file);
	*img = (struct kiln_image){ 0 };
}

/* Append the bundle made of parts to out (already page-aligned). */
static void put_bundle(const struct bundle_parts *parts, struct kbuf *out)
{
	size_t start = out->len;
	struct kiln_bundle hdr = { .version = KILN_BUNDLE_VERSION,
				   .header_size = sizeof(struct kiln_bundle) };

	memcpy(hdr.magic, KILN_BUNDLE_MAGIC, sizeof(hdr.magic));
	kbuf_zeros(out, sizeof(hdr));
	for (int i = 0; i < parts->n; i++) {
		kbuf_align(out, 8);
		/* image.h: the archive's pages are the files' pages */
		if (parts->type[i] == KILN_SECTION_ROOTFS)
			kbuf_zeros(out,
				   (KILN_ROOTFS_ALIGN -
				    (out->len - start) % KILN_ROOTFS_ALIGN) %
					   KILN_ROOTFS_ALIGN);
		hdr.sections[i] =
			(struct kiln_section){ .type = parts->type[i],
					       .offset = out->len - start,
					       .size = parts->size[i] };
		kbuf_append(out, parts->data[i], parts->size[i]);
	}
	hdr.nsections = (uint32_t)parts->n;
	hdr.total_size = out->len - start;
	hdr.crc32 = crc32_update(0, out->data + start + sizeof(hdr),
				 hdr.total_size - sizeof(hdr));
	memcpy(out->data + start, &hdr, sizeof(hdr));
}

/* Where the highest PT_LOAD ends in physical memory; 0 if one wraps. */
static uint64_t segments_end(const struct elf64_phdr *ph, uint16_t n)
{
	uint64_t end = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_memsz > UINT64_MAX - ph[i].p_paddr)
			return 0;
		if (ph[i].p_paddr + ph[i].p_memsz > end)
			end = ph[i].p_paddr + ph[i].p_memsz;
	}
	return end;
}

uint64_t image_load_end(const uint8_t *file, size_t size)
{
	const struct elf64_phdr *ph;
	uint16_t n;

	return elf_tables(file, size, &ph, &n) ? 0 : segments_end(ph, n);
}

/* Physical address for the bundle: above every kernel segment, aligned. */
static uint64_t bundle_paddr(const struct elf64_phdr *ph, uint16_t n)
{
	uint64_t end = segments_end(ph, n);

	return (end + KILN_BUNDLE_ALIGN - 1) / KILN_BUNDLE_ALIGN *
	       KILN_BUNDLE_ALIGN;
}

/*
 * Layout (include/kiln/image.h): the kernel bytes unchanged but for
 * e_phoff/e_phnum, padding to a page, the bundle, then the new program
 * header table (the kernel's entries and one PT_LOAD for the bundle).
 */
int image_assemble(const uint8_t *kernel, size_t kernel_size, size_t keep,
		   int drop_last, const struct bundle_parts *parts,
		   struct kbuf *out, const char **why)
{
	const struct elf64_phdr *ph;
	struct elf64_ehdr eh;
	struct elf64_phdr bph;
	uint16_t phnum;
	size_t boff;

	*why = elf_tables(kernel, kernel_size, &ph, &phnum);
	if (*why)
		return -ENOEXEC;
	if (keep < sizeof(eh) || keep > kernel_size) {
		*why = "truncated";
		return -ENOEXEC;
	}
	if (drop_last && last_load(ph, phnum) == phnum - 1)
		phnum--;
	if (last_load(ph, phnum) < 0) {
		*why = "no loadable segment";
		return -ENOEXEC;
	}
	out->len = 0;
	kbuf_append(out, kernel, keep);
	kbuf_align(out, PAGE);
	boff = out->len;
	put_bundle(parts, out);
	bph = (struct elf64_phdr){ .p_type = PT_LOAD,
				   .p_flags = PF_R,
				   .p_offset = boff,
				   .p_vaddr = bundle_paddr(ph, phnum),
				   .p_filesz = out->len - boff,
				   .p_memsz = out->len - boff,
				   .p_align = PAGE };
	bph.p_paddr = bph.p_vaddr;
	kbuf_align(out, 8);
	memcpy(&eh, out->data, sizeof(eh));
	eh.e_phoff = out->len;
	eh.e_phnum = (uint16_t)(phnum + 1);
	memcpy(out->data, &eh, sizeof(eh));
	/* ph points into kernel, not out: still valid after out grows. */
	kbuf_append(out, ph, phnum * sizeof(*ph));
	kbuf_append(out, &bph, sizeof(bph));
	return 0;
}

/* Search the kernel part for "Kiln " followed by a digit. */
const char *image_kernel_version(const struct kiln_image *img, char *buf,
				 size_t n)
{
	static const char key[] = KILN_NAME " ";
	const uint8_t *p = img->file, *end = img->file + img->bundle_off;
	size_t klen = sizeof(key) - 1, len;

	for (; (size_t)(end - p) > klen; p++) {
		const uint8_t *v = p + klen;

		if (memcmp(p, key, klen) == 0 && *v >= '0' && *v <= '9') {
			for (len = klen; p + len < end && len + 1 < n; len++)
				if (p[len] != '.' &&
				    (p[len] < '0' || p[len] > '9'))
					break;
			memcpy(buf, p, len);
			buf[len] = '\0';
			return buf;
		}
	}
	return NULL;
}
