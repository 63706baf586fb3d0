proc.o: kernel/linux/proc.c kernel/linux/proc.h kernel/arch.h \
 kernel/core/page.h kernel/core/panic.h kernel/core/printk.h \
 kernel/core/sched.h kernel/core/uaccess.h kernel/fs/vfs.h \
 kernel/linux/sys_futex.h kernel/linux/thread.h kernel/linux/mm.h \
 kernel/linux/syscall.h
kernel/linux/proc.h:
kernel/arch.h:
kernel/core/page.h:
kernel/core/panic.h:
kernel/core/printk.h:
kernel/core/sched.h:
kernel/core/uaccess.h:
kernel/fs/vfs.h:
kernel/linux/sys_futex.h:
kernel/linux/thread.h:
kernel/linux/mm.h:
kernel/linux/syscall.h:
