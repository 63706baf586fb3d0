/* ext4_bs.h - the block sizes the ext4 unit tests run each case on: ON_BS(test, 1k) is a cmocka test named "test/1k" whose setup gets the size. */
#ifndef KILN_TESTS_EXT4_BS_H
#define KILN_TESTS_EXT4_BS_H

#include <stdint.h>

static const uint32_t bs_4k = 4096, bs_1k = 1024, bs_2k = 2048;

/*
 * Test f on images of block size b, named "f/b" (for the filter); the
 * including file's setup(state) reads the size from *state.
 */
#define ON_BS(f, b)                                                     \
	{                                                               \
		.name = #f "/" #b, .test_func = f, .setup_func = setup, \
		.initial_state = (void *)(uintptr_t)&bs_##b             \
	}
#define ALL_BS(f) ON_BS(f, 4k), ON_BS(f, 1k), ON_BS(f, 2k)

#endif
