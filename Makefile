# Kiln - build, test, run and benchmark. `make` builds everything into build/.

BUILD := build
CC := gcc
LD := ld
NM := nm
OBJCOPY := objcopy

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings -Werror
INCLUDES := -Ikernel -Iinclude

# The kernel: freestanding, no SIMD (no state to save on traps), kernel code
# model for the higher half, frame pointers for backtraces.
KCFLAGS := -std=c11 -O2 -g $(WARN) $(INCLUDES) -ffreestanding -fno-builtin \
	-nostdlib -mno-red-zone -mno-sse -mno-mmx -mno-sse2 -mno-avx \
	-mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
	-fno-delete-null-pointer-checks -MMD -MP
KASFLAGS := $(INCLUDES) -D__ASSEMBLER__ -MMD -MP
KLDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

# Host code: the CLI and the unit tests (sanitizers catch what cmocka can't).
HCFLAGS := -std=c11 -O1 -g $(WARN) $(INCLUDES) -D_DEFAULT_SOURCE \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP
TEST_CFLAGS := $(HCFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all

KERNEL_SRCS := $(wildcard kernel/arch/x86_64/*.S kernel/arch/x86_64/*.c \
	kernel/core/*.c kernel/lib/*.c kernel/drivers/*.c)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))
KERNEL_LDS := kernel/arch/x86_64/kernel.ld

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

.PHONY: FORCE all kernel tests unit-tests run test bench clean deps
all: kernel unit-tests

kernel: $(BUILD)/kernel.elf

# Objects are rebuilt when the flags change, not only the sources.
$(BUILD)/kflags: FORCE
	@mkdir -p $(@D)
	@echo '$(KCFLAGS) $(KASFLAGS)' | cmp -s - $@ || echo '$(KCFLAGS) $(KASFLAGS)' > $@
FORCE:

$(BUILD)/%.c.o: %.c $(BUILD)/kflags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/%.S.o: %.S $(BUILD)/kflags
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Two links: the first one's text symbols become the embedded symbol table
# of the second. .ksyms sits last in rodata so text does not move; the
# check below fails the build if it ever does.
$(BUILD)/ksyms_empty.S:
	@mkdir -p $(@D)
	@printf '\t.section .ksyms, "a"\n\t.p2align 3\n\t.globl ksyms_count, ksyms_table, ksyms_names\nksyms_count: .quad 0\nksyms_table:\nksyms_names: .byte 0\n' > $@

$(BUILD)/ksyms%.o: $(BUILD)/ksyms%.S
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o $(KERNEL_LDS)
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T $(KERNEL_LDS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms_empty.o

$(BUILD)/ksyms_table.S: $(BUILD)/kernel.pass1.elf scripts/gen_ksyms.sh
	@sh scripts/gen_ksyms.sh $(NM) $< > $@

$(BUILD)/kernel.elf: $(BUILD)/kernel.pass1.elf $(BUILD)/ksyms_table.o
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T $(KERNEL_LDS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms_table.o
	@$(NM) -n $(BUILD)/kernel.pass1.elf | grep ' [tT] ' > $(BUILD)/syms1.txt
	@$(NM) -n $@ | grep ' [tT] ' > $(BUILD)/syms2.txt
	@cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || \
		{ echo "kernel text moved between links; ksyms would lie" >&2; rm -f $@; exit 1; }

# ---- Host unit tests: tests/unit/NAME_test.c + the sources it tests ----
UNIT_TESTS := format string cmdline page heap
format_SRCS := kernel/lib/format.c
string_SRCS := kernel/lib/string.c
string_FLAGS := -include tests/unit/string_rename.h -fno-builtin
cmdline_SRCS := kernel/lib/cmdline.c
page_SRCS := kernel/core/page.c
heap_SRCS := kernel/core/heap.c kernel/core/page.c

UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/%_test,$(UNIT_TESTS))
unit-tests: $(UNIT_BINS)

define unit_rule
$(BUILD)/tests/unit/$(1)_test: tests/unit/$(1)_test.c $($(1)_SRCS)
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$(Q)$(CC) $(TEST_CFLAGS) $($(1)_FLAGS) -o $$@ $$^ -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# ---- Top-level commands ----
deps:
	@sh scripts/deps.sh

run: deps all
	@python3 scripts/boot.py $(BUILD)/kernel.elf

test: deps all
	@sh scripts/test.sh

bench: deps all
	@sh bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
