// SPDX-License-Identifier: GPL-2.0
/*
 * BPF fentry/fexit programs on the dma-buf attach entry points the shim's
 * kprobes redirect (src/hook_kprobe.c). They only count their runs and
 * record the return value they saw: what matters is that a BPF trampoline
 * sits on the same function as the kprobe. No CO-RE, no vmlinux.h: the
 * arguments are read as integers.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "dbr_bpf.h"

#define DBR_EOPNOTSUPP 95
#define DBR_MAX_ERRNO 4095

struct dbr_bpf_counts counts;

static __always_inline void dbr_seen_return(int slot, long ret)
{
	__sync_fetch_and_add(&counts.runs[slot], 1);
	counts.last[slot] = ret;
	if (ret == -DBR_EOPNOTSUPP)
		__sync_fetch_and_add(&counts.eopnotsupp[slot], 1);
	if (ret < 0 && ret >= -DBR_MAX_ERRNO)
		__sync_fetch_and_add(&counts.err[slot], 1);
	else if (ret)
		__sync_fetch_and_add(&counts.ok[slot], 1);
}

SEC("fentry/dma_buf_dynamic_attach")
int BPF_PROG(fentry_dyn, void *dmabuf, void *dev, void *importer_ops,
	     void *importer_priv)
{
	__sync_fetch_and_add(&counts.runs[DBR_BPF_FENTRY_DYN], 1);
	return 0;
}

SEC("fexit/dma_buf_dynamic_attach")
int BPF_PROG(fexit_dyn, void *dmabuf, void *dev, void *importer_ops,
	     void *importer_priv, long ret)
{
	dbr_seen_return(DBR_BPF_FEXIT_DYN, ret);
	return 0;
}

SEC("fexit/dma_buf_attach")
int BPF_PROG(fexit_att, void *dmabuf, void *dev, long ret)
{
	dbr_seen_return(DBR_BPF_FEXIT_ATT, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
