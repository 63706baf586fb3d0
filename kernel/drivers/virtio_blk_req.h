/* virtio_blk_req.h - virtio-blk request headers and the check of a device's answer (virtio 1.2, 5.2.6). */
#ifndef KILN_DRIVERS_VIRTIO_BLK_REQ_H
#define KILN_DRIVERS_VIRTIO_BLK_REQ_H

#include <stdint.h>

/*
 * virtio 1.2, 5.2.6: a request is a chain, little-endian:
 *
 *   device-readable   type u32 | reserved u32 | sector u64   (16 bytes)
 *   device-readable   data (OUT), or discard/write-zeroes ranges
 *   device-writable   data (IN)
 *   device-writable   status u8
 *
 * This file is portable (the kernel and the host tests link it).
 */
#define VIRTIO_BLK_HDR_LEN 16
#define VIRTIO_BLK_SECTOR 512

/* 5.2.6: request types. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* 5.2.6: status values; STATUS_NONE is Kiln's "not written yet" mark. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_S_NONE 0xff

/* 5.2.6: one discard / write-zeroes range (16 bytes). */
#define VIRTIO_BLK_RANGE_LEN 16
#define VIRTIO_BLK_WZ_UNMAP 1

void virtio_blk_hdr_put(uint8_t hdr[VIRTIO_BLK_HDR_LEN], uint32_t type,
			uint64_t sector);
void virtio_blk_range_put(uint8_t r[VIRTIO_BLK_RANGE_LEN], uint64_t sector,
			  uint32_t sectors, uint32_t flags);

/*
 * The result of a completed request of type, whose data part had
 * data_in device-writable bytes (IN: the data; else 0), from the status
 * byte the device wrote and the used length it reported. The device is
 * untrusted: anything but OK with every byte accounted for is an error.
 * 0, -EIO (IOERR, a status never written or out of range, a short
 * read), or -EOPNOTSUPP (UNSUPP).
 */
int virtio_blk_result(uint32_t type, uint8_t status, uint32_t used_len,
		      uint32_t data_in);

#endif
