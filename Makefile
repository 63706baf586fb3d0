# Kiln - build, test, run and benchmark. `make` builds everything into build/.

BUILD := build
CC := gcc
LD := ld
NM := nm
OBJCOPY := objcopy

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings -Werror
# Kernel headers are reached only with quotes ("linux/proc.h"): -iquote
# keeps kernel/linux/X.h from shadowing the UAPI's <linux/X.h>.
INCLUDES := -iquote kernel -Iinclude

# The kernel: freestanding, no SIMD (no state to save on traps), kernel code
# model for the higher half, frame pointers for backtraces. Without SSE
# nothing needs a 16-byte aligned stack, so 8 (as Linux does) spares the
# padding of frames: 2 KB of text.
KCFLAGS := -std=c11 -Os -g $(WARN) $(INCLUDES) -ffreestanding -fno-builtin \
	-nostdlib -mno-red-zone -mno-sse -mno-mmx -mno-sse2 -mno-avx \
	-mpreferred-stack-boundary=3 \
	-mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
	-fno-delete-null-pointer-checks -ffunction-sections -fdata-sections -MMD -MP
# Linux ABI constants and layouts come from Debian's linux-libc-dev UAPI
# headers, and only from them: -nostdinc keeps libc headers out.
UAPI := $(BUILD)/gen/uapi
# gcc's own freestanding headers (stdint.h, stddef.h...). Before deps.sh has
# installed gcc this is empty, and quiet: `make run` and the like only build
# in a second make, after it (see the top-level commands at the end).
KCFLAGS += -nostdinc -isystem $(UAPI) -isystem $(shell $(CC) -print-file-name=include 2>/dev/null)
KASFLAGS := $(INCLUDES) -D__ASSEMBLER__ -MMD -MP
# --emit-relocs keeps the relocations in the output: scripts/gen_krelocs.py
# finds in them the addresses KASLR adjusts at boot.
KLDFLAGS := -nostdlib -n -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	--gc-sections --emit-relocs

# Host code: the CLI and the unit tests (sanitizers catch what cmocka can't).
HCFLAGS := -std=c11 -O1 -g $(WARN) $(INCLUDES) -D_DEFAULT_SOURCE \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP
TEST_CFLAGS := $(HCFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all

KERNEL_SRCS := $(wildcard kernel/arch/x86_64/*.S kernel/arch/x86_64/*.c \
	kernel/core/*.c kernel/lib/*.c kernel/drivers/*.c kernel/fs/*.c kernel/init/*.c \
	kernel/linux/*.c kernel/linux/*.S kernel/net/*.c)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))
KERNEL_LDS := kernel/arch/x86_64/kernel.ld

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

.PHONY: closure-tests FORCE go-guest all kernel tests unit-tests run test bench clean deps guest cli format \
	fuzzers fuzz
all: kernel unit-tests guest go-guest cli fuzzers closure-tests

kernel: $(BUILD)/kernel.elf

# Objects are rebuilt when the flags change, not only the sources (the
# vDSO's too).
$(BUILD)/kflags: FORCE
	@mkdir -p $(@D)
	@echo '$(KCFLAGS) $(KASFLAGS) $(VDSO_CFLAGS)' | cmp -s - $@ || \
		echo '$(KCFLAGS) $(KASFLAGS) $(VDSO_CFLAGS)' > $@
FORCE:

$(UAPI)/.stamp:
	@mkdir -p $(@D)
	@ln -sfn /usr/include/linux $(UAPI)/linux
	@ln -sfn /usr/include/x86_64-linux-gnu/asm $(UAPI)/asm
	@ln -sfn /usr/include/asm-generic $(UAPI)/asm-generic
	@touch $@

# Syscall names, generated from the UAPI header (kernel/linux/syscall.c).
GEN := $(BUILD)/gen
KCFLAGS += -I$(GEN)
$(GEN)/syscall_names.h: /usr/include/x86_64-linux-gnu/asm/unistd_64.h scripts/gen_syscall_names.sh
	@mkdir -p $(@D)
	@sh scripts/gen_syscall_names.sh $< > $@

$(BUILD)/kernel/linux/syscall.c.o: $(GEN)/syscall_names.h

# Errno names and descriptions for syscall tracing (kernel/linux/trace.c).
ERRNO_HDRS := /usr/include/asm-generic/errno-base.h /usr/include/asm-generic/errno.h
$(GEN)/errno_names.h: $(ERRNO_HDRS) scripts/gen_errno.sh
	@mkdir -p $(@D)
	@sh scripts/gen_errno.sh $(ERRNO_HDRS) > $@

$(BUILD)/kernel/linux/trace.c.o: $(GEN)/errno_names.h

$(BUILD)/%.c.o: %.c $(BUILD)/kflags | $(UAPI)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

# kaslr.c runs before the kernel is at any address of the top 2 GiB: at
# the low physical address the loader put it (kernel.ld), so it is built
# for the small code model, and loops must stay loops (no memset exists
# down there).
KASLR_CFLAGS = $(subst -mcmodel=kernel,-mcmodel=small,$(KCFLAGS)) \
	-fno-tree-loop-distribute-patterns
$(BUILD)/kernel/arch/x86_64/kaslr.c.o: kernel/arch/x86_64/kaslr.c $(BUILD)/kflags | $(UAPI)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KASLR_CFLAGS) -c $< -o $@

$(BUILD)/%.S.o: %.S $(BUILD)/kflags
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# The vDSO (kernel/linux/vdso/): a shared object the kernel embeds
# (linux/vdso_image.S) and maps into every process. It runs in ring 3
# anywhere it is mapped, so it is position-independent and must need no
# loader: one R+X segment, no relocations, nothing undefined, no
# writable data, no stack protector (no canary to read), no SSE.
VDSO_SRCS := kernel/linux/vdso/vdso.c
VDSO_CFLAGS := -std=c11 -O2 -g $(WARN) $(INCLUDES) -ffreestanding -fno-builtin \
	-nostdinc -isystem $(UAPI) -isystem $(shell $(CC) -print-file-name=include 2>/dev/null) \
	-fPIC -fno-stack-protector -fno-plt -mno-sse -mno-mmx -mno-sse2 -mno-avx \
	-fasynchronous-unwind-tables -fno-omit-frame-pointer -MMD -MP
VDSO_LDFLAGS := -nostdlib -shared -Wl,-T,kernel/linux/vdso/vdso.lds \
	-Wl,--version-script=kernel/linux/vdso/vdso.map -Wl,--hash-style=both \
	-Wl,-soname=linux-vdso.so.1 -Wl,-Bsymbolic -Wl,--no-undefined \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--eh-frame-hdr -Wl,--build-id=none

$(BUILD)/vdso/%.o: kernel/linux/vdso/%.c $(BUILD)/kflags | $(UAPI)/.stamp
	@mkdir -p $(@D)
	@echo "  VDSOCC  $<"
	$(Q)$(CC) $(VDSO_CFLAGS) -c $< -o $@

$(BUILD)/vdso/vdso.dbg.so: $(patsubst kernel/linux/vdso/%.c,$(BUILD)/vdso/%.o,$(VDSO_SRCS)) \
		kernel/linux/vdso/vdso.lds kernel/linux/vdso/vdso.map
	@echo "  VDSOLD  $@"
	$(Q)$(CC) $(VDSO_LDFLAGS) -o $@.tmp $(filter %.o,$^)
	$(Q)LC_ALL=C readelf -rW $@.tmp | grep -q "no relocations" || \
		{ echo "$@: the vDSO has relocations" >&2; readelf -rW $@.tmp >&2; exit 1; }
	$(Q)test "$$(readelf -lW $@.tmp | grep -c ' LOAD ')" = 1 && \
		readelf -lW $@.tmp | grep ' LOAD ' | grep -q ' R E ' || \
		{ echo "$@: the vDSO must be one R+X segment" >&2; exit 1; }
	$(Q)! readelf --dyn-syms -W $@.tmp | awk '$$7 == "UND" && $$8 != ""' | grep -q . || \
		{ echo "$@: the vDSO needs symbols from elsewhere" >&2; exit 1; }
	$(Q)mv $@.tmp $@

$(BUILD)/vdso/vdso.so: $(BUILD)/vdso/vdso.dbg.so
	$(Q)$(OBJCOPY) -S $< $@

$(BUILD)/kernel/linux/vdso_image.S.o: $(BUILD)/vdso/vdso.so
$(BUILD)/kernel/linux/vdso_image.S.o: KASFLAGS += -DVDSO_IMAGE='"$(BUILD)/vdso/vdso.so"'

# Two links: from the first come the embedded symbol table (.ksyms) and
# the list of sites KASLR adjusts (.krelocs) of the second. Both sit last
# in the image so nothing else moves; the checks below fail the build if
# the text or any relocation site ever does.
$(BUILD)/ksyms_empty.S: scripts/gen_ksyms.py
	@mkdir -p $(@D)
	@python3 scripts/gen_ksyms.py --empty > $@

$(BUILD)/krelocs_empty.S: scripts/gen_krelocs.py
	@mkdir -p $(@D)
	@python3 scripts/gen_krelocs.py --empty > $@

$(BUILD)/ksyms%.o: $(BUILD)/ksyms%.S
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/krelocs%.o: $(BUILD)/krelocs%.S
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o $(BUILD)/krelocs_empty.o $(KERNEL_LDS)
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T $(KERNEL_LDS) -o $@ $(KERNEL_OBJS) \
		$(BUILD)/ksyms_empty.o $(BUILD)/krelocs_empty.o

$(BUILD)/ksyms_table.S: $(BUILD)/kernel.pass1.elf scripts/gen_ksyms.py
	@python3 scripts/gen_ksyms.py $(NM) $< > $@.tmp && mv $@.tmp $@

$(BUILD)/krelocs_table.S: $(BUILD)/kernel.pass1.elf scripts/gen_krelocs.py
	@python3 scripts/gen_krelocs.py $< > $@.tmp && mv $@.tmp $@

# kernel.debug.elf keeps symbols, relocations and debug info (gdb, nm, the
# tests); kernel.elf, the one images carry, is stripped: the kernel
# symbolizes its own backtraces from .ksyms, which stripping keeps.
$(BUILD)/kernel.debug.elf: $(BUILD)/kernel.pass1.elf $(BUILD)/ksyms_table.o $(BUILD)/krelocs_table.o
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T $(KERNEL_LDS) -o $@ $(KERNEL_OBJS) \
		$(BUILD)/ksyms_table.o $(BUILD)/krelocs_table.o
	@$(NM) -n $(BUILD)/kernel.pass1.elf | grep ' [tT] ' > $(BUILD)/syms1.txt
	@$(NM) -n $@ | grep ' [tT] ' > $(BUILD)/syms2.txt
	@cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || \
		{ echo "kernel text moved between links; ksyms would lie" >&2; rm -f $@; exit 1; }
	@python3 scripts/gen_krelocs.py $@ > $(BUILD)/krelocs2.S
	@cmp -s $(BUILD)/krelocs_table.S $(BUILD)/krelocs2.S || \
		{ echo "relocation sites moved between links; krelocs would lie" >&2; rm -f $@; exit 1; }

$(BUILD)/kernel.elf: $(BUILD)/kernel.debug.elf
	@echo "  STRIP   $@"
	$(Q)strip --strip-all --remove-section='.rela*' -o $@ $<

# ---- The host CLI: cli/*.c + the portable parsers it shares with the kernel ----
# build/kiln finds build/kernel.elf next to itself (or $KILN_KERNEL).
CLI_SRCS := $(wildcard cli/*.c) kernel/lib/bundle.c kernel/lib/cpio.c kernel/lib/ctype.c \
	kernel/lib/elf.c kernel/lib/elf_dyn.c kernel/lib/elf_sym.c kernel/lib/netcfg.c kernel/lib/cmdline.c \
	kernel/lib/stdin_frame.c
CLI_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(CLI_SRCS))
# Debian's libraries for the standard formats of --from (cli/oci_*.c):
# libarchive (tar, gzip, zstd), libcurl (registries), json-c, libcrypto.
# libcurl, libarchive and libcrypto are loaded on first use (cli/lazylib.c).
CLI_LIBS := -ljson-c
cli: $(BUILD)/kiln $(BUILD)/kiln-runtime

$(BUILD)/host/%.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HCFLAGS) -c $< -o $@

$(BUILD)/kiln: $(CLI_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(HCFLAGS) -o $@ $(CLI_OBJS) $(CLI_LIBS)

# kiln-runtime is `kiln oci` (argv[0]): the name containerd runs as runc.
$(BUILD)/kiln-runtime: $(BUILD)/kiln
	$(Q)ln -sf kiln $@

# ---- The CLI again under AddressSanitizer and UBSan: build/asan/kiln ----
# For the e2e tests against hostile input (images, registries, tars):
# KILN_BIN=build/asan/kiln makes tests/e2e use it (tests/e2e/guest_util.py).
# Its defaults (abort on the first finding, leaks off) are compiled in by
# tests/sanitize/kiln_asan.c; ASAN_OPTIONS overrides them. No
# _FORTIFY_SOURCE: its checked str* and mem* calls bypass ASan's own.
ASAN_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(TEST_CFLAGS)) -fno-omit-frame-pointer
ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/%.o,$(CLI_SRCS) tests/sanitize/kiln_asan.c)
.PHONY: cli-asan
cli-asan: $(BUILD)/asan/kiln $(BUILD)/asan/kiln-runtime $(BUILD)/asan/kernel.elf

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	@echo "  ASANCC  $<"
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(BUILD)/asan/kiln: $(ASAN_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $(ASAN_OBJS) $(CLI_LIBS)

$(BUILD)/asan/kiln-runtime: $(BUILD)/asan/kiln
	$(Q)ln -sf kiln $@

# kiln finds the kernel next to itself.
$(BUILD)/asan/kernel.elf: $(BUILD)/kernel.elf
	@mkdir -p $(@D)
	$(Q)ln -sf ../kernel.elf $@

# ---- Host unit tests: tests/unit/NAME_test.c + the sources it tests ----
UNIT_TESTS := format string cmdline page heap cpio elf bundle
# elf_dynamic, and the library closure `kiln build` resolves (on a fake root).
UNIT_TESTS += elf_dyn closure
elf_dyn_SRCS := kernel/lib/elf.c kernel/lib/elf_dyn.c tests/unit/elf_make.c
closure_SRCS := cli/closure.c cli/pathwalk.c cli/libpath.c cli/rootfs.c cli/util.c kernel/lib/cpio.c \
	kernel/lib/ctype.c kernel/lib/elf.c kernel/lib/elf_dyn.c tests/unit/elf_make.c
closure_FLAGS := -iquote cli
# Named volumes' names, sizes, data directory and QEMU's lock bytes.
UNIT_TESTS += volume
volume_SRCS := cli/volume.c cli/util.c
volume_FLAGS := -iquote cli
# The JSON of registries' manifests and configs, parsed within its bytes.
UNIT_TESTS += oci_json
oci_json_SRCS := cli/oci_blob.c cli/util.c
oci_json_FLAGS := -iquote cli
oci_json_LIBS := -ljson-c -lcrypto
# A registry's Bearer challenge, as the token flow reads it.
UNIT_TESTS += oci_auth
oci_auth_SRCS := cli/oci_auth.c cli/util.c
oci_auth_FLAGS := -iquote cli
cpio_SRCS := kernel/lib/cpio.c kernel/lib/ctype.c
elf_SRCS := kernel/lib/elf.c kernel/lib/elf_dyn.c kernel/lib/elf_sym.c
bundle_SRCS := kernel/lib/bundle.c
format_SRCS := kernel/lib/format.c
string_SRCS := kernel/lib/string.c
string_FLAGS := -include tests/unit/string_rename.h -fno-builtin
cmdline_SRCS := kernel/lib/cmdline.c kernel/lib/ctype.c
# The framing of a streamed stdin: kiln encodes, the kernel decodes.
UNIT_TESTS += stdin_frame
stdin_frame_SRCS := kernel/lib/stdin_frame.c
UNIT_TESTS += netcfg shebang
shebang_SRCS := kernel/lib/shebang.c
netcfg_SRCS := kernel/lib/netcfg.c kernel/lib/cmdline.c kernel/lib/ctype.c
page_SRCS := kernel/core/page.c
heap_SRCS := kernel/core/heap.c kernel/core/page.c
UNIT_TESTS += chacha time
UNIT_TESTS += vfs
vfs_SRCS := kernel/fs/vnode.c kernel/fs/dir.c kernel/fs/path.c kernel/fs/tmpfs.c kernel/fs/rename.c \
	kernel/fs/perm.c kernel/fs/xattr.c kernel/fs/notify.c kernel/fs/devfs.c kernel/fs/procfs.c kernel/core/proc.c
vfs_FLAGS := -include sys/stat.h
chacha_SRCS := kernel/lib/chacha20.c
time_SRCS := kernel/lib/time.c
UNIT_TESTS += vclock
vclock_SRCS := kernel/lib/vclock.c
# The vDSO's clock reads, on the host, over a fake [vvar] page.
UNIT_TESTS += vdso
vdso_SRCS := kernel/lib/vclock.c tests/unit/vdso_vvar.c
# Choosing the TSC and LAPIC rates from samples a host stall disturbed.
UNIT_TESTS += calib
calib_SRCS := kernel/lib/calib.c
# The checks and the clamp of the timeouts applications pass (a header).
UNIT_TESTS += timespec
# The network stack below TCP, driven through a fake interface (net_fake.c).
NET_SRCS := kernel/net/pkt.c kernel/net/eth.c kernel/net/arp.c kernel/net/ipv4.c \
	kernel/net/ipv4_frag.c kernel/net/icmp.c kernel/net/udp.c kernel/net/netif.c \
	kernel/lib/inet_csum.c tests/unit/net_fake.c
UNIT_TESTS += inet_csum eth arp ipv4 icmp udp dhcp net_fuzz
inet_csum_SRCS := kernel/lib/inet_csum.c
eth_SRCS := $(NET_SRCS)
arp_SRCS := $(NET_SRCS)
ipv4_SRCS := $(NET_SRCS)
icmp_SRCS := $(NET_SRCS)
udp_SRCS := $(NET_SRCS)
dhcp_SRCS := kernel/net/dhcp.c
net_fuzz_SRCS := $(NET_SRCS) kernel/net/dhcp.c $(wildcard kernel/net/tcp_*.c)
# TCP, driven by a scripted peer (tcp_peer.c) over the fake interface.
TCP_SRCS := $(NET_SRCS) $(wildcard kernel/net/tcp*.c) tests/unit/tcp_peer.c
UNIT_TESTS += tcp_seg tcp_state tcp_data tcp_buf
tcp_buf_SRCS := $(TCP_SRCS)
tcp_seg_SRCS := $(TCP_SRCS)
tcp_state_SRCS := $(TCP_SRCS)
tcp_data_SRCS := $(TCP_SRCS)
# The loopback interface, carrying TCP and UDP between local sockets.
UNIT_TESTS += loopback
loopback_SRCS := $(TCP_SRCS) kernel/net/loopback.c
# The virtio-net header and merged receive buffers (the driver's pure part).
UNIT_TESTS += virtio_net_hdr
virtio_net_hdr_SRCS := kernel/drivers/virtio_net_hdr.c
# The block cache over a fake disk, and the check of a virtio-blk device's answers.
UNIT_TESTS += bcache virtio_blk_req virtq
virtq_SRCS := kernel/drivers/virtq.c tests/unit/kernel_host.c
bcache_SRCS := kernel/fs/bcache.c kernel/fs/bcache_wb.c tests/unit/kernel_host.c
virtio_blk_req_SRCS := kernel/drivers/virtio_blk_req.c
# 9P2000.L messages: requests as bytes, hostile replies.
UNIT_TESTS += p9_msg
p9_msg_SRCS := kernel/fs/9p_msg.c
# ext4 against images mke2fs makes at test time, and fuzzed copies.
# The writes run over tests/unit/ext4_jbd2_stub.c (straight to the cache,
# credits counted), not the journal: e2fsck -fn on the result is the oracle.
UNIT_TESTS += ext4 ext4w crc32c ext4_hash
EXT4_ALL := kernel/fs/bcache.c kernel/fs/bcache_wb.c $(wildcard kernel/fs/ext4_*.c) kernel/lib/crc32c.c
NOT_EXT4_VFS := kernel/fs/ext4_vfs.c kernel/fs/ext4_vfs_write.c kernel/fs/ext4_ncache.c \
	kernel/fs/ext4_pagecache.c
JBD2_WRITER := kernel/fs/ext4_jbd2.c kernel/fs/ext4_jbd2_commit.c
# kernel_host.c: malloc for the kernel's allocators; memdisk.c: the disk.
FS_TEST_SRCS := tests/unit/kernel_host.c tests/unit/memdisk.c
ext4_SRCS := $(filter-out $(NOT_EXT4_VFS) $(JBD2_WRITER),$(EXT4_ALL)) \
	tests/unit/ext4_jbd2_stub.c $(FS_TEST_SRCS)
ext4w_SRCS := $(ext4_SRCS)
# Hashed directories: thousands of names, collisions, every hash.
UNIT_TESTS += ext4_htree
ext4_htree_SRCS := $(ext4_SRCS)
crc32c_SRCS := kernel/lib/crc32c.c
# The htree hashes against debugfs's dx_hash.
ext4_hash_SRCS := kernel/fs/ext4_hash.c
# The jbd2 journal writer (the real one): its log replayed by Kiln's
# recovery and by e2fsck, under the file system's own writes too.
UNIT_TESTS += ext4_jbd2
ext4_jbd2_SRCS := $(filter-out $(NOT_EXT4_VFS),$(EXT4_ALL)) $(FS_TEST_SRCS)

UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/%_test,$(UNIT_TESTS))
unit-tests: $(UNIT_BINS)

# Each source is compiled on its own, into the test's own directory (the
# test's _FLAGS may differ from another's), so that each object has its
# own -MMD file: one compile of all the sources would leave only the last
# one's headers in the test's .d, and a change to the others' headers
# would not rebuild it. The _FLAGS are on the link line too, so that a
# flag the linker needs (-fsanitize, -pthread) reaches it; preprocessor
# ones (-include, -iquote) do nothing there.
define unit_rule
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/tests/unit/$(1).o/%.o,tests/unit/$(1)_test.c $($(1)_SRCS))
$(BUILD)/tests/unit/$(1).o/%.o: %.c
	@mkdir -p $$(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $($(1)_FLAGS) -c $$< -o $$@
$(BUILD)/tests/unit/$(1)_test: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	@rm -f $$@.d # the one .d of a build before the objects
	$(Q)$(CC) $(TEST_CFLAGS) $($(1)_FLAGS) -o $$@ $$(filter %.o,$$^) $($(1)_LIBS) -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# ---- Guest programs: tests/guest/NAME.c, run inside images by tests/e2e ----
# Each is built five ways: static musl, static glibc, static-pie musl, and
# dynamically linked against musl and against glibc (a PIE, as gcc makes
# it), so the whole guest suite also runs through each ld.so.
# Debian's musl-gcc specs know nothing of -static-pie (they would add an
# interpreter and Scrt1.o), so the PIE link names musl's self-relocating
# rcrt1.o itself; the recipe then checks it is ET_DYN without PT_INTERP.
# The headers the guest programs share (check.h, fnv.h).
GUEST_HDRS := $(wildcard tests/guest/*.h)
GUEST_PROGS := $(basename $(notdir $(wildcard tests/guest/*.c)))
GUEST_FLAVOURS := musl glibc musl-pie musl-dyn glibc-dyn
GUEST_CFLAGS := -std=c11 -O2 -Wall -Wextra -Wshadow -Werror
MUSL_LIB := /usr/lib/x86_64-linux-musl
GUEST_BINS := $(foreach f,$(GUEST_FLAVOURS),$(patsubst %,$(BUILD)/tests/guest/$(f)/%,$(GUEST_PROGS)))
guest: $(GUEST_BINS)

$(BUILD)/tests/guest/musl/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSL    $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -static -o $@ $<

$(BUILD)/tests/guest/glibc/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBC   $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -static -o $@ $<

$(BUILD)/tests/guest/musl-dyn/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLDYN $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -o $@ $<

$(BUILD)/tests/guest/glibc-dyn/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBDYN $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -o $@ $<

$(BUILD)/tests/guest/musl-pie/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLPIE $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -fPIE -static-pie -nostartfiles -Wl,-static \
		-Wl,--no-dynamic-linker -Wl,-z,text -o $@.tmp \
		$(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $(shell $(CC) -print-file-name=crtbeginS.o) \
		$< $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o
	$(Q)readelf -h $@.tmp | grep -q 'Type: *DYN' && ! readelf -l $@.tmp | grep -q INTERP || \
		{ echo "$@: not a static PIE" >&2; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

# ---- Dynamic programs for the library closure tests (tests/e2e/test_cli.py) ----
# lib/libkclo.so.1.0.0 (soname libkclo.so.1, with the usual symlinks) and
# bin/origin, which finds it through RUNPATH $ORIGIN/../lib; gone/ holds a
# library bin/needs-gone needs but no search path names; plugins/plugin.so
# needs libm; hello-musl and hello-glibc are plain dynamic programs.
CLO := $(BUILD)/tests/closure
CLOSURE_BINS := $(CLO)/bin/origin $(CLO)/bin/needs-gone $(CLO)/plugins/plugin.so \
	$(CLO)/bin/hello-musl $(CLO)/bin/hello-glibc
closure-tests: $(CLOSURE_BINS)

$(CLO)/lib/libkclo.so.1.0.0: tests/closure/kclo.c
	@mkdir -p $(@D)
	@echo "  SO      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -shared -fPIC -Wl,-soname,libkclo.so.1 -o $@ $<
	$(Q)ln -sfn libkclo.so.1.0.0 $(@D)/libkclo.so.1
	$(Q)ln -sfn libkclo.so.1 $(@D)/libkclo.so

$(CLO)/bin/origin: tests/closure/origin.c $(CLO)/lib/libkclo.so.1.0.0
	@mkdir -p $(@D)
	@echo "  DYN     $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -o $@ $< -L$(CLO)/lib -lkclo \
		-Wl,--enable-new-dtags,-rpath,'$$ORIGIN/../lib'

$(CLO)/gone/libgone.so: tests/closure/kclo.c
	@mkdir -p $(@D)
	@echo "  SO      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -shared -fPIC -Wl,-soname,libgone.so -o $@ $<

$(CLO)/bin/needs-gone: tests/closure/origin.c $(CLO)/gone/libgone.so
	@mkdir -p $(@D)
	@echo "  DYN     $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -o $@ $< -L$(CLO)/gone -lgone

$(CLO)/plugins/plugin.so: tests/closure/plugin.c
	@mkdir -p $(@D)
	@echo "  SO      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -shared -fPIC -o $@ $< -Wl,--no-as-needed -lm

$(CLO)/bin/hello-musl: tests/closure/hello.c
	@mkdir -p $(@D)
	@echo "  DYN     $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -o $@ $<

$(CLO)/bin/hello-glibc: tests/closure/hello.c
	@mkdir -p $(@D)
	@echo "  DYN     $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -o $@ $<

# ---- Dynamic programs: run through their own ld.so (tests/e2e/test_dynamic.py) ----
# tests/dynamic/NAME.c and a few tests/guest programs, linked against the
# shared libc of musl and of glibc (a PIE, and a fixed-address -no-pie
# build). kplugin.so is the library dlopen.c loads: built without libc, so
# musl's ld.so and glibc's can both load it.
DYN_DIR := $(BUILD)/tests/dynamic
DYN_PROGS := auxv dlopen args_env
DYN_FLAVOURS := musl glibc glibc-nopie
DYN_BINS := $(foreach f,$(DYN_FLAVOURS),$(patsubst %,$(DYN_DIR)/$(f)/%,$(DYN_PROGS))) \
	$(DYN_DIR)/kplugin.so
guest: $(DYN_BINS)

$(DYN_DIR)/musl/%: tests/dynamic/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLDYN $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -o $@ $<
$(DYN_DIR)/musl/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  MUSLDYN $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -o $@ $<
$(DYN_DIR)/glibc/%: tests/dynamic/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBDYN $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -fPIE -pie -o $@ $<
$(DYN_DIR)/glibc/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBDYN $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -fPIE -pie -o $@ $<
$(DYN_DIR)/glibc-nopie/%: tests/dynamic/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBDYN $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -fno-pie -no-pie -o $@ $<
$(DYN_DIR)/glibc-nopie/%: tests/guest/%.c $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  GLIBDYN $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -fno-pie -no-pie -o $@ $<
$(DYN_DIR)/kplugin.so: tests/dynamic/kplugin.c
	@mkdir -p $(@D)
	@echo "  SO      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -fPIC -shared -nostdlib -o $@ $<

# ---- Fuzzers (tests/fuzz/, docs/security.md "Fuzzing") ----
# tests/fuzz/NAME_fuzz.c: a libFuzzer harness of a parser the kernel and
# the CLI share, built by clang with ASan and UBSan against the sources
# NAME_FUZZ lists. syscall_fuzz: a guest program making random system
# calls, static musl like the guest programs. scripts/fuzz.sh runs them:
# briefly from `make test`, at length from `make fuzz`.
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -O1 -g $(WARN) $(INCLUDES) -iquote cli -D_DEFAULT_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
PARSER_FUZZERS := bundle cpio elf config netcfg cmdline image oci_layer
bundle_FUZZ := kernel/lib/bundle.c kernel/lib/cpio.c kernel/lib/ctype.c
cpio_FUZZ := kernel/lib/cpio.c kernel/lib/ctype.c cli/rootfs.c cli/util.c
elf_FUZZ := kernel/lib/elf.c kernel/lib/elf_dyn.c kernel/lib/elf_sym.c
config_FUZZ := cli/config.c cli/util.c kernel/lib/bundle.c
netcfg_FUZZ := kernel/lib/netcfg.c kernel/lib/cmdline.c kernel/lib/ctype.c
cmdline_FUZZ := kernel/lib/cmdline.c kernel/lib/ctype.c
image_FUZZ := cli/image.c cli/config.c cli/rootfs.c cli/util.c kernel/lib/bundle.c \
	kernel/lib/elf.c kernel/lib/elf_dyn.c kernel/lib/cpio.c kernel/lib/ctype.c
oci_layer_FUZZ := cli/oci_tree.c cli/rootfs.c cli/util.c kernel/lib/cpio.c kernel/lib/ctype.c
oci_layer_LIBS := -larchive
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%_fuzz,$(PARSER_FUZZERS))
SYSCALL_FUZZ_SRCS := $(wildcard tests/fuzz/syscall_fuzz*.c)
fuzzers: $(FUZZ_BINS) $(BUILD)/fuzz/syscall_fuzz

define fuzz_rule
$(BUILD)/fuzz/$(1)_fuzz: tests/fuzz/$(1)_fuzz.c $(wildcard tests/fuzz/fuzz_*.h) $($(1)_FUZZ)
	@mkdir -p $$(@D)
	@echo "  FUZZ    $$@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ tests/fuzz/$(1)_fuzz.c $($(1)_FUZZ) $($(1)_LIBS)
endef
$(foreach f,$(PARSER_FUZZERS),$(eval $(call fuzz_rule,$(f))))

$(BUILD)/fuzz/syscall_fuzz: $(SYSCALL_FUZZ_SRCS) tests/fuzz/syscall_fuzz.h
	@mkdir -p $(@D)
	@echo "  MUSL    $@"
	$(Q)musl-gcc $(GUEST_CFLAGS) -static -o $@ $(SYSCALL_FUZZ_SRCS)

# ---- Generated documentation (committed; `make docs` refreshes it) ----
.PHONY: docs
docs: docs/syscalls.md
docs/syscalls.md: scripts/gen_syscall_doc.sh /usr/include/x86_64-linux-gnu/asm/unistd_64.h \
		$(wildcard kernel/*/*.c tests/guest/*.c)
	@echo "  GEN     $@"
	$(Q)sh scripts/gen_syscall_doc.sh > $@.tmp && mv $@.tmp $@

# ---- Go guest programs: tests/go/NAME/*.go, static by default (CGO off) ----
GO_PROGS := $(patsubst tests/go/%/,%,$(wildcard tests/go/*/))
GO_BINS := $(patsubst %,$(BUILD)/tests/go/%,$(GO_PROGS))
go-guest: $(GO_BINS)

$(BUILD)/tests/go/%: tests/go/%/*.go tests/go/go.mod
	@mkdir -p $(@D)
	@echo "  GO      $@"
	$(Q)cd tests/go && HOME=$(abspath $(BUILD)) GOCACHE=$(abspath $(BUILD))/gocache \
		GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o $(abspath $@) ./$*

# ---- Top-level commands ----
# run, test and bench are the first commands on a bare machine: they install
# the packages (scripts/deps.sh) and only then build, in a second make. That
# make reads this Makefile afresh, once gcc and the headers exist, so the
# $(shell $(CC) ...) above sees the real compiler; and with -j nothing can
# start building while apt-get is still installing, as it could if deps were
# one prerequisite among others.
deps:
	@sh scripts/deps.sh

# The demo: Debian's busybox-static, unmodified, as a Kiln image.
$(BUILD)/demo.img: $(BUILD)/kiln $(BUILD)/kernel.elf scripts/demo.sh
	$(Q)$(BUILD)/kiln build -o $@ --env USER=root --file scripts/demo.sh:/demo.sh \
		/bin/busybox sh /demo.sh

run:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all $(BUILD)/demo.img
	@$(BUILD)/kiln run $(BUILD)/demo.img

test:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@sh scripts/test.sh

# Long fuzzing runs: FUZZ_TIME seconds per parser, FUZZ_SEEDS new seeds of
# FUZZ_CALLS system calls each (scripts/fuzz.sh; new corpus entries and
# crashes go to build/fuzz/).
fuzz:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@sh scripts/fuzz.sh long

# The benches need the kernel, the CLI and the HTTP server guest only (not
# the unit tests, fuzzers and test guests of `all`): a fresh clone starts
# measuring sooner. Extra bench options: make bench BENCH_ARGS="--runs 20".
bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory kernel cli $(BUILD)/tests/guest/musl/http_server
	@sh bench/run.sh $(BENCH_ARGS)

# Lay out the C sources as .clang-format says (make test checks it).
FORMAT_SRCS = $(shell find bench cli include kernel tests -name '*.[ch]')
format:
	@clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

# build/bench is pruned: it holds the benches' Linux tree, whose own .d
# files (and test.d directories) are not ours.
-include $(shell find $(BUILD) -path $(BUILD)/bench -prune -o -name '*.d' -print 2>/dev/null)
