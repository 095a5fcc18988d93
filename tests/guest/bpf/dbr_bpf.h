/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the BPF programs (dbr_attach_trace.bpf.c) and their loader
 * (dbr_bpf.c): what the programs record, in their one-entry array map.
 */
#ifndef DBR_BPF_H
#define DBR_BPF_H

/* One slot per program. */
enum {
	DBR_BPF_FENTRY_DYN,	/* fentry/dma_buf_dynamic_attach */
	DBR_BPF_FEXIT_DYN,	/* fexit/dma_buf_dynamic_attach */
	DBR_BPF_FEXIT_ATT,	/* fexit/dma_buf_attach */
	DBR_BPF_NPROGS
};

struct dbr_bpf_counts {
	__u64 runs[DBR_BPF_NPROGS];	/* times the program ran */
	__s64 last[DBR_BPF_NPROGS];	/* fexit: the last return value seen */
	__u64 eopnotsupp[DBR_BPF_NPROGS];	/* fexit: returns of ERR_PTR(-EOPNOTSUPP) */
	__u64 err[DBR_BPF_NPROGS];	/* fexit: returns of any ERR_PTR */
	__u64 ok[DBR_BPF_NPROGS];	/* fexit: returns of an attachment */
};

#endif
