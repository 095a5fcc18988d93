/* SPDX-License-Identifier: GPL-2.0 */
/* The vfio dma-buf uAPI for the guest programs, where the headers lack it. */
#ifndef DBR_VFIO_UAPI_H
#define DBR_VFIO_UAPI_H

#include <linux/types.h>
#include <linux/vfio.h>

/* v6.19 uAPI (5d74781ebc86); the host's 6.1 headers predate it. */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

#endif /* DBR_VFIO_UAPI_H */
