/* memfd.c - anonymous tmpfs files: memfd_create and the seals of fcntl F_ADD_SEALS/F_GET_SEALS. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/memfd.h>
#include <linux/stat.h>

#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * memfd_create(2), as Linux's mm/memfd.c: a regular tmpfs file with no
 * directory entry (nlink 0, mode 0777, open O_RDWR), named
 * "/memfd:NAME (deleted)" in /proc/self/fd. Seals live on the node
 * (vfs.h) and tmpfs enforces them, so they hold for every open of the
 * file, /proc/self/fd/N reopens included; mmap and mprotect check the
 * write seals of shared mappings (sys_mem.c, mm.c).
 */
/* Linux 6.3 flags, newer than the UAPI headers built against. */
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#define MFD_ALL_FLAGS                                                      \
	(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | \
	 MFD_EXEC)
/* "memfd:" and the name fit NAME_MAX */
#define MFD_NAME_MAX (VFS_NAME_MAX - 6)
#define F_ALL_SEALS                                                 \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
	 F_SEAL_FUTURE_WRITE | VFS_SEAL_EXEC)

static int memfd_flags_ok(unsigned int flags)
{
	unsigned int huge = (unsigned int)MFD_HUGE_MASK << MFD_HUGE_SHIFT;

	if (flags & ~(MFD_ALL_FLAGS | (flags & MFD_HUGETLB ? huge : 0)))
		return -EINVAL;
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	return 0;
}

/* The file for a new node vn (the file takes its own reference). */
static int memfd_open(struct vnode *vn, const char *name, struct file **out)
{
	char path[VFS_NAME_MAX + 32];

	fmt_snprintf(path, sizeof(path), "/memfd:%s (deleted)", name);
	return vfs_open_node(vn, O_RDWR | VFS_OPEN_NOPERM, path, out);
}

long sys_memfd_create(uintptr_t uname, unsigned int flags)
{
	char name[MFD_NAME_MAX + 1];
	struct vnode *vn;
	struct file *f;
	long len;
	int err, fd;

	err = memfd_flags_ok(flags);
	if (err < 0)
		return err;
	/* At most MFD_NAME_MAX characters. */
	len = strncpy_from_user(name, uname, sizeof(name));
	if (len == -ENAMETOOLONG)
		return -EINVAL;
	if (len < 0)
		return len;
	if (flags & MFD_HUGETLB)
		return -ENOSYS; /* Linux without hugetlbfs says so */
	vn = vnode_new(S_IFREG | 0777);
	if (vn == NULL)
		return -ENOMEM;
	if (flags & MFD_NOEXEC_SEAL) {
		vn->mode &= ~(uint32_t)0111;
		vn->reg.seals = VFS_SEAL_EXEC;
	} else if (flags & MFD_ALLOW_SEALING) {
		vn->reg.seals = 0;
	}
	err = memfd_open(vn, name, &f);
	vnode_put(vn); /* the file holds it now, or it is freed */
	if (err < 0)
		return err;
	fd = fd_install(current, f, 0, flags & MFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL2(memfd_create);

/*
 * Linux's memfd_add_seals: F_SEAL_EXEC on a file that has x bits seals
 * writes and size as well (W^X from the start); F_SEAL_WRITE waits for
 * no shared mapping that may write (-EBUSY).
 */
static long add_seals(struct file *f, unsigned int seals)
{
	struct vnode *vn = f->vn;
	uint32_t acc = f->flags & O_ACCMODE;

	if (acc != O_WRONLY && acc != O_RDWR)
		return -EPERM;
	if (seals & ~(unsigned int)F_ALL_SEALS)
		return -EINVAL;
	if (vn->reg.seals & F_SEAL_SEAL)
		return -EPERM;
	if ((seals & VFS_SEAL_EXEC) && (vn->mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			 F_SEAL_FUTURE_WRITE;
	/* mapping_deny_writable: not while a shared mapping may write */
	if ((seals & F_SEAL_WRITE) && !(vn->reg.seals & F_SEAL_WRITE) &&
	    mm_file_writably_mapped_any(vn))
		return -EBUSY;
	vn->reg.seals |= seals;
	return 0;
}

long memfd_fcntl(struct file *f, int cmd, unsigned int seals)
{
	if (f->flags & O_PATH)
		return -EBADF;
	/* Only tmpfs files: /proc and /dev nodes carry hooks (vnode_ops). */
	if (f->vn == NULL || !S_ISREG(f->vn->mode) || f->vn->ops != NULL)
		return -EINVAL;
	if (cmd == F_GET_SEALS)
		return f->vn->reg.seals;
	return add_seals(f, seals);
}
