// SPDX-License-Identifier: GPL-2.0
/* TEMPORARY STUB: replaced by the real registry before landing. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "dmabuf_revoke.h"
#include "dmabuf_revoke_compat.h"

enum dbr_class dmabuf_revoke_classify(const struct dma_buf_attachment *attach,
				      const char **reason)
{
	*reason = "stub";
	return attach->importer_ops ? DBR_CLASS_REVOCABLE : DBR_CLASS_LEGACY;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_classify, DBR_NS(DMABUF_REVOKE));

bool dmabuf_revoke_attach_revocable(const struct dma_buf_attachment *attach)
{
	return attach->importer_ops;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_attach_revocable, DBR_NS(DMABUF_REVOKE));

int dmabuf_revoke_check_attach(struct dma_buf_attachment *attach)
{
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_check_attach, DBR_NS(DMABUF_REVOKE));

int dmabuf_revoke_register_importer(const struct dma_buf_attach_ops *ops,
				    enum dmabuf_revoke_cap cap,
				    struct module *owner)
{
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_register_importer, DBR_NS(DMABUF_REVOKE));

void dmabuf_revoke_unregister_importer(const struct dma_buf_attach_ops *ops)
{
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_unregister_importer, DBR_NS(DMABUF_REVOKE));

int dmabuf_revoke_deny_add(const char *entry) { return 0; }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_deny_add, DBR_NS(DMABUF_REVOKE));
int dmabuf_revoke_deny_del(const char *entry) { return 0; }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_deny_del, DBR_NS(DMABUF_REVOKE));
int dmabuf_revoke_allow_add(const char *entry) { return 0; }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_allow_add, DBR_NS(DMABUF_REVOKE));
int dmabuf_revoke_allow_del(const char *entry) { return 0; }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_allow_del, DBR_NS(DMABUF_REVOKE));

int dmabuf_revoke_track_buffer(struct dma_buf *dmabuf, bool guarded) { return 0; }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_track_buffer, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_untrack_buffer(struct dma_buf *dmabuf) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_untrack_buffer, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_note_attach(struct dma_buf_attachment *attach) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_attach, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_note_detach(struct dma_buf_attachment *attach) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_detach, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_note_mapped(struct dma_buf_attachment *attach, bool mapped) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_mapped, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_note_revoke(struct dma_buf *dmabuf, unsigned int stale) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_revoke, DBR_NS(DMABUF_REVOKE));
void dmabuf_revoke_note_restore(struct dma_buf *dmabuf) { }
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_restore, DBR_NS(DMABUF_REVOKE));
enum dmabuf_revoke_state dmabuf_revoke_buffer_state(struct dma_buf *dmabuf)
{
	return DMABUF_REVOKE_STATE_UNKNOWN;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_buffer_state, DBR_NS(DMABUF_REVOKE));
