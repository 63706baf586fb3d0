/* random.c - a ChaCha20 generator with fast key erasure, seeded from RDSEED/RDRAND and TSC jitter. */
#include "core/random.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "core/clock.h"
#include "core/printk.h"
#include "lib/chacha20.h"
#include "lib/string.h"

/*
 * The state is one 256-bit key. Every request (or every MiB of one) turns
 * the key into one ChaCha20 block: the first half becomes the next key,
 * the second half the key of this request's output stream. The old key is
 * gone before any output is produced, so a later compromise of the state
 * reveals nothing already handed out ("fast key erasure", Bernstein 2017).
 *
 * Seeding XORs each 32-byte chunk of seed material into the key, then
 * stirs the key through one ChaCha20 block under a separate nonce.
 */
#define CHUNK_MAX (1024 * 1024)
#define JITTER_SAMPLES 128 /* costly where RDTSC traps (nested VMs): keep few */
#define HW_WORDS 8	   /* 512 bits from the CPU */

static const uint8_t nonce_output[CHACHA20_NONCE_SIZE] = "kiln-output";
static const uint8_t nonce_stir[CHACHA20_NONCE_SIZE] = "kiln-stir!!";
static uint8_t rng_key[CHACHA20_KEY_SIZE];

static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static void random_stir(void)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];

	chacha20_block(rng_key, 0, nonce_stir, block);
	memcpy(rng_key, block, sizeof(rng_key));
	wipe(block, sizeof(block));
}

/* Fold n bytes of seed material into the key. */
static void random_mix(const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n) {
		size_t k = n < sizeof(rng_key) ? n : sizeof(rng_key);

		for (size_t i = 0; i < k; i++)
			rng_key[i] ^= p[i];
		random_stir();
		p += k;
		n -= k;
	}
}

/*
 * Timing noise: how long a small loop of memory accesses takes varies
 * with caches, interrupts and (in a VM) the host. Weak on its own under
 * an emulator; it is mixed with everything else, never trusted alone.
 */
static void mix_jitter(void)
{
	uint64_t pool[8] = { 0 };
	volatile uint64_t sink = 0;

	for (int i = 0; i < JITTER_SAMPLES; i++) {
		uint64_t t0 = rdtsc();

		for (int j = 0; j < 16 + (int)(t0 & 15); j++)
			sink += (uint64_t)j * t0;
		uint64_t d = rdtsc() - t0;

		pool[i % 8] = (pool[i % 8] << 7 | pool[i % 8] >> 57) ^ d;
	}
	random_mix(pool, sizeof(pool));
	wipe(pool, sizeof(pool));
}

/* Returns the name of the CPU source used, or NULL when none worked. */
static const char *mix_cpu(void)
{
	uint64_t words[HW_WORDS];
	bool (*get)(uint64_t *) = arch_rdseed;
	const char *name = "RDSEED";

	if (!arch_rdseed(&words[0])) {
		get = arch_rdrand;
		name = "RDRAND";
		if (!arch_rdrand(&words[0]))
			return NULL;
	}
	for (int i = 1; i < HW_WORDS; i++)
		if (!get(&words[i]))
			return NULL;
	random_mix(words, sizeof(words));
	wipe(words, sizeof(words));
	return name;
}

static bool seeded;

/* Seed on first use: boots that never need randomness skip the cost. */
void random_init(void)
{
	seeded = false;
}

static void random_seed(void)
{
	uint64_t times[3] = { boot_info.tsc_entry, rdtsc(),
			      clock_realtime_ns() };
	const char *cpu;

	random_mix(times, sizeof(times));
	cpu = mix_cpu();
	mix_jitter();
	if (cpu)
		printk_info("random: seeded from %s and TSC jitter\n", cpu);
	else
		printk("random: no CPU random source; seeded from TSC jitter "
		       "only (weak)\n");
}

/* Take this chunk's stream key and replace the state key, atomically. */
static void random_next_key(uint8_t out[CHACHA20_KEY_SIZE])
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	uint64_t flags = irq_save();

	chacha20_block(rng_key, 0, nonce_output, block);
	memcpy(rng_key, block, CHACHA20_KEY_SIZE);
	irq_restore(flags);
	memcpy(out, block + CHACHA20_KEY_SIZE, CHACHA20_KEY_SIZE);
	wipe(block, sizeof(block));
}

void random_bytes(void *buf, size_t n)
{
	uint8_t key[CHACHA20_KEY_SIZE], block[CHACHA20_BLOCK_SIZE];
	uint8_t *p = buf;

	if (!seeded) {
		seeded = true;
		random_seed();
	}
	while (n) {
		size_t chunk = n < CHUNK_MAX ? n : CHUNK_MAX;
		uint32_t counter = 0;

		random_next_key(key);
		n -= chunk;
		while (chunk) {
			size_t k = chunk < sizeof(block) ? chunk :
							   sizeof(block);

			chacha20_block(key, counter++, nonce_output, block);
			memcpy(p, block, k);
			p += k;
			chunk -= k;
		}
	}
	wipe(key, sizeof(key));
	wipe(block, sizeof(block));
}
