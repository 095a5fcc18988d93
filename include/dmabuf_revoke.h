/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf_revoke.ko: the revocation-capability registry, exported in the
 * DMABUF_REVOKE symbol namespace. Users add
 *	MODULE_IMPORT_NS(DBR_NS(DMABUF_REVOKE));
 * (DBR_NS comes from the generated dmabuf_revoke_compat.h).
 *
 * Exporters that may revoke a buffer ask at attach whether the importer
 * will really stop using it (dmabuf_revoke_check_attach()) and tell the
 * registry about their buffers' life (the note/track calls) so that the
 * debugfs table, the counters and stale-mapping detection see them.
 */
#ifndef DMABUF_REVOKE_H
#define DMABUF_REVOKE_H

#include <linux/dma-buf.h>
#include <linux/module.h>

#include "dmabuf_revoke_core.h"

/* What an importer declares about its ops when it registers them. */
enum dmabuf_revoke_cap {
	DMABUF_REVOKE_CAP_NOT_REVOCABLE,	/* classified "denied" */
	DMABUF_REVOKE_CAP_REVOCABLE,		/* classified "allowed" */
};

/* What the registry knows of a buffer. */
enum dmabuf_revoke_state {
	DMABUF_REVOKE_STATE_UNKNOWN,	/* not tracked */
	DMABUF_REVOKE_STATE_LIVE,
	DMABUF_REVOKE_STATE_REVOKED,
};

enum dbr_class dmabuf_revoke_classify(const struct dma_buf_attachment *attach,
				      const char **reason);
bool dmabuf_revoke_attach_revocable(const struct dma_buf_attachment *attach);
int dmabuf_revoke_check_attach(struct dma_buf_attachment *attach);

int dmabuf_revoke_register_importer(const struct dma_buf_attach_ops *ops,
				    enum dmabuf_revoke_cap cap,
				    struct module *owner);
void dmabuf_revoke_unregister_importer(const struct dma_buf_attach_ops *ops);

int dmabuf_revoke_deny_add(const char *entry);
int dmabuf_revoke_deny_del(const char *entry);
int dmabuf_revoke_allow_add(const char *entry);
int dmabuf_revoke_allow_del(const char *entry);

int dmabuf_revoke_track_buffer(struct dma_buf *dmabuf, bool guarded);
void dmabuf_revoke_untrack_buffer(struct dma_buf *dmabuf);
void dmabuf_revoke_note_attach(struct dma_buf_attachment *attach);
void dmabuf_revoke_note_detach(struct dma_buf_attachment *attach);
void dmabuf_revoke_note_mapped(struct dma_buf_attachment *attach, bool mapped);
void dmabuf_revoke_note_revoking(struct dma_buf *dmabuf);
void dmabuf_revoke_note_revoke(struct dma_buf *dmabuf, unsigned int stale);
void dmabuf_revoke_note_restore(struct dma_buf *dmabuf);
enum dmabuf_revoke_state dmabuf_revoke_buffer_state(struct dma_buf *dmabuf);

/* For the livepatch hook backend (dmabuf_revoke_livepatch.ko). */
int dmabuf_revoke_hook_livepatch_state(bool enabled, const char *failed);
int dmabuf_revoke_hook_check(struct dma_buf_attachment *attach, bool upstream);

#endif /* DMABUF_REVOKE_H */
