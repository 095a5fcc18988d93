// SPDX-License-Identifier: GPL-2.0
/*
 * BPF fentry/fexit programs on the dma-buf attach entry points the shim's
 * kprobes redirect (src/hook_kprobe.c). They only count their runs and
 * record the return value they saw: what matters is that a BPF trampoline
 * sits on the same function as the kprobe. No CO-RE, no vmlinux.h: the
 * arguments are read as integers.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "dbr_bpf.h"

#define DBR_EOPNOTSUPP 95
#define DBR_MAX_ERRNO 4095

/*
 * An explicit array map, not a global: libbpf decides whether the kernel
 * has global data (.bss) by loading a socket filter, and a kernel without
 * CONFIG_NET (the debug kernel) has none, so libbpf would not create .bss.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dbr_bpf_counts);
} dbr_counts SEC(".maps");

static __always_inline struct dbr_bpf_counts *dbr_counts_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&dbr_counts, &key);
}

static __always_inline void dbr_seen_return(int slot, long ret)
{
	struct dbr_bpf_counts *c = dbr_counts_get();

	if (!c)
		return;
	__sync_fetch_and_add(&c->runs[slot], 1);
	c->last[slot] = ret;
	if (ret == -DBR_EOPNOTSUPP)
		__sync_fetch_and_add(&c->eopnotsupp[slot], 1);
	if (ret < 0 && ret >= -DBR_MAX_ERRNO)
		__sync_fetch_and_add(&c->err[slot], 1);
	else if (ret)
		__sync_fetch_and_add(&c->ok[slot], 1);
}

SEC("fentry/dma_buf_dynamic_attach")
int BPF_PROG(fentry_dyn, void *dmabuf, void *dev, void *importer_ops,
	     void *importer_priv)
{
	struct dbr_bpf_counts *c = dbr_counts_get();

	if (c)
		__sync_fetch_and_add(&c->runs[DBR_BPF_FENTRY_DYN], 1);
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
