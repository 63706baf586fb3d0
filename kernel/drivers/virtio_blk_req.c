/* virtio_blk_req.c - virtio-blk request headers and the check of a device's answer (virtio 1.2, 5.2.6). */
#include "drivers/virtio_blk_req.h"

#include <asm-generic/errno.h>

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void virtio_blk_hdr_put(uint8_t hdr[VIRTIO_BLK_HDR_LEN], uint32_t type,
			uint64_t sector)
{
	put_le(hdr, type, 4);
	put_le(hdr + 4, 0, 4);
	put_le(hdr + 8, sector, 8);
}

void virtio_blk_range_put(uint8_t r[VIRTIO_BLK_RANGE_LEN], uint64_t sector,
			  uint32_t sectors, uint32_t flags)
{
	put_le(r, sector, 8);
	put_le(r + 8, sectors, 4);
	put_le(r + 12, flags, 4);
}

int virtio_blk_result(uint32_t type, uint8_t status, uint32_t used_len,
		      uint32_t data_in)
{
	(void)type;
	if (status == VIRTIO_BLK_S_UNSUPP)
		return -EOPNOTSUPP;
	if (status != VIRTIO_BLK_S_OK)
		return -EIO; /* IOERR, never written, or nonsense */
	/*
	 * 2.7.8.2: the device wrote at least used_len bytes. A read whose
	 * length does not cover the data and the status byte may have left
	 * stale bytes in the buffer: refuse it rather than hand them on.
	 */
	if (used_len < (uint64_t)data_in + 1)
		return -EIO;
	return 0;
}
