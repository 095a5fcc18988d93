// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_vfio_test [kselftest harness options]: a real vfio-pci dma-buf (one
 * page of BAR0 of QEMU's edu device, VFIO_DEVICE_FEATURE_DMA_BUF) against
 * the test importer, through the shim's hook: what vfio-pci refuses itself,
 * what the shim refuses, and what an accepted importer holds after vfio-pci
 * revokes the buffer (VFIO_DEVICE_RESET, PCI_COMMAND memory off, close).
 * KTAP on stdout.
 *
 * The kernel decides what must happen (its conftest results, dbr_have()):
 *   noexport  before v6.19 vfio-pci exports no dma-bufs: ENOTTY
 *   exposed   v6.19/7.0: vfio-pci refuses only importers without peer2peer
 *             (legacy); with CONFIG_DMABUF_MOVE_NOTIFY=n the core pins every
 *             dynamic importer on map and vfio's pin op fails, so nothing
 *             maps, but a stub is accepted and keeps its attachment across
 *             every revoke (the hazard the shim closes under enforce)
 *   upstream  v7.1+: vfio-pci refuses importers without a callback itself
 *             (dma_buf_attach_revocable()); attached as the edu device, an
 *             importer maps the BAR (P2P to itself)
 * and the shim's backend (hook/backend) decides who is asked first:
 *   kprobe    the shim, at the entry of vfio_pci_dma_buf_attach() (7.1+: it
 *             leaves importers vfio-pci refuses itself to it, attach_upstream)
 *   livepatch dmabuf_revoke_livepatch's replacement of it makes vfio-pci's
 *             own checks first (peer2peer, revoked, 7.1+ callback), then asks
 *             the shim: what vfio-pci refuses, the hook never sees (hits=0)
 * The shell chooses the backend at load time; the "backend" test fails
 * unless it is $DBR_EXPECT_BACKEND (which must be set). Each variant says on
 * which kinds it runs; on the others it skips, naming the kernel feature.
 * Each fixture sets policy, strict and deny itself and puts them back in its
 * teardown.
 *
 * Needs dmabuf_revoke (exporters=vfio_pci_core; backend=livepatch with
 * dmabuf_revoke_livepatch loaded and its patch applied, or kprobe),
 * dmabuf_revoke_importer, vfio-pci and vfio_iommu_type1 loaded, the device
 * ($DBR_VFIO_BDF, else the first edu) bound to vfio-pci, debugfs mounted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dbr_vfio_lib.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define REGISTRY "/sys/kernel/debug/dmabuf_revoke/registry"

enum kind { NOEXPORT = 1, EXPOSED = 2, UPSTREAM = 4 };

#define NOEXPORT_SKIP "vfio-pci dma-buf export (5d74781ebc86, v6.19)"
#define UPSTREAM_SKIP \
	"vfio-pci's own callback check, dma_buf_attach_revocable() (be6d4c9e9d71, v7.1)"
#define EXPOSED_SKIP \
	"the v6.19/7.0 window: vfio-pci without dma_buf_attach_revocable() (be6d4c9e9d71, v7.1)"

static enum kind kernel_kind(void)
{
	if (!dbr_have("HAVE_VFIO_DEVICE_FEATURE_DMA_BUF"))
		return NOEXPORT;
	return dbr_have("HAVE_DMA_BUF_ATTACH_REVOCABLE") ? UPSTREAM : EXPOSED;
}

static const char *kind_skip(enum kind k)
{
	return k == NOEXPORT ? NOEXPORT_SKIP : k == EXPOSED ? UPSTREAM_SKIP : EXPOSED_SKIP;
}

enum backend { KPROBE, LIVEPATCH, BACKENDS };

static const char *const backend_name[BACKENDS] = { "kprobe", "livepatch" };

/* The shim's backend (hook/backend); -1 if none or unknown. */
static int shim_backend(void)
{
	char b[64];
	int i;

	if (sysfs_get(DBR_HOOK "backend", b, sizeof(b)))
		return -1;
	for (i = 0; i < BACKENDS; i++)
		if (!strcmp(b, backend_name[i]))
			return i;
	return -1;
}

/* The device: $DBR_VFIO_BDF, else the first edu; 0 if there is none. */
static int find_bdf(char *bdf, size_t len)
{
	const char *env = getenv("DBR_VFIO_BDF");

	if (env && *env) {
		copy(bdf, len, env);
		return 1;
	}
	return dbr_find_edu(bdf, len);
}

/* Where the shim's deny list points for a variant. */
enum deny { DENY_NONE, DENY_STUB_CB, DENY_MOD };

struct knobs {
	const char *policy, *strict;
	enum deny deny;
};

#define OFF	{ "off", "N", DENY_NONE }
#define ENFORCE	{ "enforce", "N", DENY_NONE }
#define STRICT	{ "enforce", "Y", DENY_NONE }

/* Everything a test here holds: the device, its exported BAR0, the importer. */
struct ctx {
	struct dbr_vfio v;
	int imp, buf;
	uint32_t id;
	enum kind kind;
	enum backend bk;
	char cb[128];
	struct dbr_knobs knobs;
	struct dbr_hook h0;
};

/*
 * The stub's callback as the registry names it once the shim classed it:
 * "cached OPS class=revocable callback=SYM [dmabuf_revoke_importer] ...".
 */
static int stub_cb(char *cb, size_t len)
{
	char line[512], *p, *end;
	FILE *f = fopen(REGISTRY, "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f)) {
		p = strstr(line, " class=revocable callback=");
		if (!p)
			continue;
		p += strlen(" class=revocable callback=");
		end = p + strcspn(p, "\n ");
		if (strncmp(end, " [dmabuf_revoke_importer]", 25))
			continue;
		*end = '\0';
		copy(cb, len, p);
		r = 0;
	}
	fclose(f);
	return r;
}

/*
 * Fixture setup shared by every fixture: skip unless the kernel is one of
 * @kinds (naming @skip, or what its kind lacks); open the device, export
 * BAR0, open the importer; then set the knobs, with little left to fail
 * after (a failed setup gets no teardown), and take the hook's counts.
 */
static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c, unsigned int kinds,
		      const char *skip, const struct knobs *k)
{
	char why[256];
	uint32_t id;
	int r;

	c->v.device = c->v.group = c->v.container = -1;
	c->imp = c->buf = -1;
	c->kind = kernel_kind();
	if (!(kinds & c->kind))
		SKIP(return, "%s", skip && c->kind != NOEXPORT ? skip : kind_skip(c->kind));
	r = shim_backend();
	ASSERT_LE(0, r) TH_LOG("%sbackend: kprobe or livepatch", DBR_HOOK);
	c->bk = r;
	ASSERT_TRUE(find_bdf(c->v.bdf, sizeof(c->v.bdf)))
		TH_LOG("no edu PCI device (%04x:%04x) and no $DBR_VFIO_BDF", EDU_VENDOR, EDU_DEVICE);
	r = dbr_vfio_open(&c->v, why, sizeof(why));
	ASSERT_EQ(0, r) TH_LOG("%s", why);
	c->buf = dbr_vfio_export_bar0(c->v.device);
	ASSERT_LE(0, c->buf) TH_LOG("export BAR0 of %s: %s", c->v.bdf, strerror(-c->buf));
	c->imp = dbr_open(DBR_IMP_DEV);
	ASSERT_LE(0, c->imp) TH_LOG("open %s: %s", DBR_IMP_DEV, strerror(-c->imp));

	ASSERT_EQ(0, dbr_knobs_save(&c->knobs, "policy strict deny"));
	if (k->deny == DENY_STUB_CB) {
		/* The shim names the stub's callback once it has classed it. */
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny", ""));
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", "enforce"));
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", "N"));
		ASSERT_EQ(0, dbr_vfio_import(c->imp, c->buf, DBR_IMP_STUB, c->v.bdf, &id))
			TH_LOG("a stub import to have its callback classed");
		ASSERT_EQ(0, dbr_release(c->imp, id));
		ASSERT_EQ(0, stub_cb(c->cb, sizeof(c->cb)))
			TH_LOG("the stub's callback in %s", REGISTRY);
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny", c->cb)) TH_LOG("deny %s", c->cb);
		ksft_print_msg("deny-listed the stub's callback: %s\n", c->cb);
	} else {
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny",
				       k->deny == DENY_MOD ? "mod:dmabuf_revoke_importer" : ""));
	}
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", k->policy));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", k->strict));
	ASSERT_EQ(0, dbr_hook_read(&c->h0));
}

static void ctx_teardown(struct __test_metadata *_metadata, struct ctx *c)
{
	if (c->id)
		dbr_release(c->imp, c->id);
	EXPECT_EQ(0, dbr_knobs_restore(&c->knobs)) TH_LOG("restore policy, strict, deny");
	if (c->imp >= 0)
		close(c->imp);
	if (c->buf >= 0)
		close(c->buf);
	dbr_vfio_close(&c->v);
}

/* The hook's counts moved by exactly hits, refused, upstream since setup. */
static void expect_moved(struct __test_metadata *_metadata, struct ctx *c,
			 long long hits, long long refused, long long upstream)
{
	struct dbr_hook h;

	ASSERT_EQ(0, dbr_hook_read(&h));
	EXPECT_EQ(hits, h.hits - c->h0.hits) TH_LOG("hook hits");
	EXPECT_EQ(refused, h.refused - c->h0.refused) TH_LOG("attach_refused (by the shim)");
	EXPECT_EQ(upstream, h.upstream - c->h0.upstream)
		TH_LOG("attach_upstream (left to vfio-pci)");
}

/* Attach-only import as the edu device (@pci) or the importer's misc one. */
static int import(struct ctx *c, uint32_t mode, int pci)
{
	return dbr_vfio_import(c->imp, c->buf, mode, pci ? c->v.bdf : NULL, &c->id);
}

static int release(struct ctx *c)
{
	uint32_t id = c->id;

	c->id = 0;
	return dbr_release(c->imp, id);
}

/* ---- the backend and the export itself ---------------------------------- */

/* The backend the shell loaded the shim with, the one the outcomes follow. */
TEST(backend)
{
	const char *want = getenv("DBR_EXPECT_BACKEND");
	int bk = shim_backend();

	ASSERT_NE(NULL, want) TH_LOG("set DBR_EXPECT_BACKEND to the backend the suite loaded");
	ASSERT_LE(0, bk) TH_LOG("%sbackend: absent, or neither kprobe nor livepatch", DBR_HOOK);
	ksft_print_msg("dmabuf_revoke backend: %s\n", backend_name[bk]);
	EXPECT_STREQ(want, backend_name[bk]);
}

/* BAR0 exported by vfio_pci_core with nobody attached, or ENOTTY before v6.19. */
TEST(export_bar0)
{
	struct dbr_vfio v = { .container = -1, .group = -1, .device = -1 };
	char why[256], name[64];
	int buf;

	ASSERT_TRUE(find_bdf(v.bdf, sizeof(v.bdf)))
		TH_LOG("no edu PCI device (%04x:%04x) and no $DBR_VFIO_BDF", EDU_VENDOR, EDU_DEVICE);
	ASSERT_EQ(0, dbr_vfio_open(&v, why, sizeof(why))) TH_LOG("%s", why);
	buf = dbr_vfio_export_bar0(v.device);
	if (kernel_kind() == NOEXPORT) {
		EXPECT_EQ(-ENOTTY, buf)
			TH_LOG("VFIO_DEVICE_FEATURE_DMA_BUF is unknown here (" NOEXPORT_SKIP ")");
	} else {
		ASSERT_LE(0, buf) TH_LOG("export: %s", strerror(-buf));
		ASSERT_EQ(0, dbr_buf_exp_name(buf, name, sizeof(name)));
		EXPECT_STREQ("vfio_pci_core", name) TH_LOG("exporter of the dma-buf");
		EXPECT_EQ(0, dbr_buf_attachments(buf)) TH_LOG("no attachment yet");
	}
	if (buf >= 0)
		close(buf);
	dbr_vfio_close(&v);
}

/* ---- who refuses an attach: vfio-pci, the shim, nobody ------------------- */

FIXTURE(decision) {
	struct ctx c;
};

/* What an attach-only import does on one kind of kernel. */
struct outcome {
	int runs;		/* the variant runs on this kind, else skips: */
	const char *skip;	/* the feature it lacks (default: the kind's) */
	int attach_err;		/* 0 or -EOPNOTSUPP */
	long long hits, refused, upstream;
};

/* The outcomes on the kernels vfio-pci exports dma-bufs on. */
struct outcomes {
	struct outcome exposed, upstream;
};

FIXTURE_VARIANT(decision) {
	struct knobs k;
	uint32_t mode;
	struct outcomes by[BACKENDS];	/* per backend */
};

/* Importer ops without a callback cannot exist before v7.1. */
#define NO_NOCB		{ 0, DBR_NOCB_SKIP }
/* Accepted, the hook saw it and let it pass. */
#define PASSED		{ 1, NULL, 0, 1, 0, 0 }
/* Refused by the shim; by vfio-pci (peer2peer, or its callback check). */
#define SHIM_REFUSED	{ 1, NULL, -EOPNOTSUPP, 1, 1, 0 }
#define VFIO_REFUSED	{ 1, NULL, -EOPNOTSUPP, 1, 0, 0 }
#define LEFT_UPSTREAM	{ 1, NULL, -EOPNOTSUPP, 1, 0, 1 }
/* Refused by vfio-pci's own checks before the livepatch asks the shim. */
#define VFIO_FIRST	{ 1, NULL, -EOPNOTSUPP, 0, 0, 0 }
/* The shim decides alike under both backends. */
#define BOTH(e, u)	{ [KPROBE] = { e, u }, [LIVEPATCH] = { e, u } }

FIXTURE_VARIANT_ADD(decision, off_legacy) {
	.k = OFF, .mode = DBR_IMP_LEGACY,
	.by = { [KPROBE] = { VFIO_REFUSED, LEFT_UPSTREAM },
		[LIVEPATCH] = { VFIO_FIRST, VFIO_FIRST } },
};
FIXTURE_VARIANT_ADD(decision, off_nocb) {
	.k = OFF, .mode = DBR_IMP_NOCB,
	.by = { [KPROBE] = { NO_NOCB, LEFT_UPSTREAM }, [LIVEPATCH] = { NO_NOCB, VFIO_FIRST } },
};
FIXTURE_VARIANT_ADD(decision, enforce_legacy) {
	.k = ENFORCE, .mode = DBR_IMP_LEGACY,
	.by = { [KPROBE] = { SHIM_REFUSED, LEFT_UPSTREAM },
		[LIVEPATCH] = { VFIO_FIRST, VFIO_FIRST } },
};
FIXTURE_VARIANT_ADD(decision, enforce_nocb) {
	.k = ENFORCE, .mode = DBR_IMP_NOCB,
	.by = { [KPROBE] = { NO_NOCB, LEFT_UPSTREAM }, [LIVEPATCH] = { NO_NOCB, VFIO_FIRST } },
};
/* Its callback looks revocable. */
FIXTURE_VARIANT_ADD(decision, enforce_stub) {
	.k = ENFORCE, .mode = DBR_IMP_STUB, .by = BOTH(PASSED, PASSED),
};
FIXTURE_VARIANT_ADD(decision, enforce_deny_stub) {
	.k = { "enforce", "N", DENY_STUB_CB }, .mode = DBR_IMP_STUB,
	.by = BOTH(SHIM_REFUSED, SHIM_REFUSED),
};
FIXTURE_VARIANT_ADD(decision, off_deny_stub) {
	.k = { "off", "N", DENY_STUB_CB }, .mode = DBR_IMP_STUB, .by = BOTH(PASSED, PASSED),
};
FIXTURE_VARIANT_ADD(decision, strict_stub) {
	.k = STRICT, .mode = DBR_IMP_STUB, .by = BOTH(SHIM_REFUSED, SHIM_REFUSED),
};
/* The deny list names modules too: even a compliant importer. */
FIXTURE_VARIANT_ADD(decision, enforce_deny_mod_compliant) {
	.k = { "enforce", "N", DENY_MOD }, .mode = DBR_IMP_COMPLIANT,
	.by = BOTH(SHIM_REFUSED, SHIM_REFUSED),
};

FIXTURE_SETUP(decision)
{
	/* An unknown backend fails in ctx_setup(); until then kprobe's. */
	int bk = shim_backend();
	const struct outcomes *o = &variant->by[bk < 0 ? KPROBE : bk];
	int up = kernel_kind() == UPSTREAM;

	ctx_setup(_metadata, &self->c, (o->exposed.runs ? EXPOSED : 0) |
		  (o->upstream.runs ? UPSTREAM : 0),
		  up ? o->upstream.skip : o->exposed.skip, &variant->k);
}

FIXTURE_TEARDOWN(decision)
{
	ctx_teardown(_metadata, &self->c);
}

TEST_F(decision, attach)
{
	const struct outcomes *by = &variant->by[self->c.bk];
	const struct outcome *o = self->c.kind == UPSTREAM ? &by->upstream : &by->exposed;
	int r = import(&self->c, variant->mode, 1);

	EXPECT_EQ(o->attach_err, r) TH_LOG("%s attach (%s, strict %s, %s backend)",
					   dbr_mode_name[variant->mode], variant->k.policy,
					   variant->k.strict, backend_name[self->c.bk]);
	EXPECT_EQ(r ? 0 : 1, dbr_buf_attachments(self->c.buf))
		TH_LOG("attachments the dma-buf core counts");
	if (!r)
		EXPECT_EQ(0, release(&self->c)) TH_LOG("release");
	expect_moved(_metadata, &self->c, o->hits, o->refused, o->upstream);
}

/* ---- v6.19/7.0: the exposed window, policy off --------------------------- */

FIXTURE(window) {
	struct ctx c;
};

FIXTURE_VARIANT(window) {
	enum dbr_vfio_revoke how;
};

FIXTURE_VARIANT_ADD(window, reset)	{ .how = DBR_VFIO_RESET };
FIXTURE_VARIANT_ADD(window, command)	{ .how = DBR_VFIO_COMMAND };
FIXTURE_VARIANT_ADD(window, close)	{ .how = DBR_VFIO_CLOSE };

FIXTURE_SETUP(window)
{
	static const struct knobs off = OFF;

	ctx_setup(_metadata, &self->c, EXPOSED, NULL, &off);
}

FIXTURE_TEARDOWN(window)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * A stub attaches and cannot map (the core pins dynamic importers on map
 * with CONFIG_DMABUF_MOVE_NOTIFY=n, vfio's pin op fails); vfio-pci revokes
 * and notifies it, and it is still attached: the hazard.
 */
TEST_F(window, stub_hazard)
{
	struct dbr_imp_status st;

	ASSERT_EQ(0, import(&self->c, DBR_IMP_STUB, 1)) TH_LOG("off: stub attaches");
	EXPECT_EQ(1, dbr_buf_attachments(self->c.buf)) TH_LOG("attached");
	EXPECT_EQ(-EOPNOTSUPP, dbr_remap(self->c.imp, self->c.id)) TH_LOG("map: vfio's pin op");
	ASSERT_EQ(0, dbr_imp_status(self->c.imp, self->c.id, &st));
	EXPECT_EQ(0, st.mapped) TH_LOG("not mapped");
	EXPECT_EQ(-EOPNOTSUPP, st.last_map_err) TH_LOG("the importer's last map error");

	EXPECT_EQ(0, dbr_vfio_revoke(&self->c.v, variant->how))
		TH_LOG("revoke: %s", dbr_vfio_revoke_name[variant->how]);
	ASSERT_EQ(0, dbr_imp_status(self->c.imp, self->c.id, &st));
	EXPECT_LE(1, st.notifications) TH_LOG("the revoke notified the stub");
	EXPECT_EQ(1, dbr_buf_attachments(self->c.buf)) TH_LOG("HAZARD: still attached");
	EXPECT_EQ(0, st.mapped) TH_LOG("still not mapped");
	if (variant->how == DBR_VFIO_COMMAND)
		EXPECT_EQ(0, dbr_vfio_command(&self->c.v, 1)) TH_LOG("memory bit set again");
	EXPECT_EQ(0, release(&self->c)) TH_LOG("release");
	expect_moved(_metadata, &self->c, 1, 0, 0);
}

/* ---- policy enforce: a compliant importer, a stub ----------------------- */

FIXTURE(enforce) {
	struct ctx c;
};

FIXTURE_SETUP(enforce)
{
	static const struct knobs enforce = ENFORCE;

	ctx_setup(_metadata, &self->c, EXPOSED | UPSTREAM, NULL, &enforce);
}

FIXTURE_TEARDOWN(enforce)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * Attached as the edu device it maps the BAR on v7.1+ (on 7.0 vfio's pin op
 * refuses it too); notified by the revoke, it holds nothing after. A reset
 * revokes only for its duration (vfio_pci_dma_buf_move(false) after it): it
 * maps again; a closed device's buffer is gone for good (a new attach: ENODEV).
 */
static void compliant_revoke(struct __test_metadata *_metadata, struct ctx *c,
			     enum dbr_vfio_revoke how)
{
	int up = c->kind == UPSTREAM;
	struct dbr_imp_status st;
	uint32_t late;
	int r;

	ASSERT_EQ(0, import(c, DBR_IMP_COMPLIANT, 1)) TH_LOG("enforce: compliant accepted");
	EXPECT_EQ(up ? 0 : -EOPNOTSUPP, dbr_remap(c->imp, c->id))
		TH_LOG("map as the edu device %s", c->v.bdf);
	ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
	EXPECT_EQ(up, st.mapped) TH_LOG("mapped before the revoke");
	EXPECT_EQ(0, st.stale) TH_LOG("not stale before the revoke");

	EXPECT_EQ(0, dbr_vfio_revoke(&c->v, how))
		TH_LOG("revoke: %s", dbr_vfio_revoke_name[how]);
	ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
	EXPECT_LE(1, st.notifications) TH_LOG("notified by the revoke");
	EXPECT_EQ(0, st.mapped) TH_LOG("holds no mapping after the revoke");
	EXPECT_EQ(0, st.stale) TH_LOG("holds nothing stale after the revoke");

	if (how == DBR_VFIO_RESET) {
		/* On 7.0 the map fails again at vfio's pin op. */
		EXPECT_EQ(up ? 0 : -EOPNOTSUPP, dbr_remap(c->imp, c->id))
			TH_LOG("after the reset vfio restores the buffer: map again");
		ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
		EXPECT_EQ(up, st.mapped) TH_LOG("mapped again after the reset");
		EXPECT_EQ(0, st.stale) TH_LOG("not stale after the reset");
	} else {
		if (up) {
			EXPECT_EQ(-ENODEV, dbr_remap(c->imp, c->id))
				TH_LOG("device closed: cannot map again");
			ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
			EXPECT_EQ(0, st.mapped) TH_LOG("not mapped after the close");
		}
		/* vfio_pci_dma_buf.revoked: the livepatch reads it at a BTF-derived offset. */
		r = dbr_vfio_import(c->imp, c->buf, DBR_IMP_COMPLIANT, c->v.bdf, &late);
		EXPECT_EQ(-ENODEV, r) TH_LOG("device closed: a new attach is refused");
		if (!r)
			dbr_release(c->imp, late);
	}
	EXPECT_EQ(0, release(c)) TH_LOG("release");
}

TEST_F(enforce, compliant_reset)
{
	compliant_revoke(_metadata, &self->c, DBR_VFIO_RESET);
}

TEST_F(enforce, compliant_close)
{
	compliant_revoke(_metadata, &self->c, DBR_VFIO_CLOSE);
}

/* A stub accepted under enforce: its maps need v7.1. */
#define STUB_MAP_SKIP \
	"maps of a vfio-pci dma-buf by a dynamic importer (v7.1; on 7.0 vfio's pin op refuses them)"

/*
 * As the edu device it maps the BAR (P2P to itself). Never revoked while
 * mapped: 7.2 waits in the reset for every unmap, a stub never unmaps.
 */
TEST_F(enforce, stub_maps_as_edu)
{
	struct dbr_imp_status st;

	if (self->c.kind != UPSTREAM)
		SKIP(return, STUB_MAP_SKIP);
	ASSERT_EQ(0, import(&self->c, DBR_IMP_STUB, 1)) TH_LOG("enforce: stub accepted");
	EXPECT_EQ(0, dbr_remap(self->c.imp, self->c.id)) TH_LOG("map as %s", self->c.v.bdf);
	ASSERT_EQ(0, dbr_imp_status(self->c.imp, self->c.id, &st));
	EXPECT_EQ(1, st.mapped) TH_LOG("mapped");
	EXPECT_EQ(1, st.maps) TH_LOG("one successful map");
	EXPECT_EQ(0, release(&self->c)) TH_LOG("release");
	expect_moved(_metadata, &self->c, 1, 0, 0);
}

/* As the importer's misc device there is no P2P path: pci_p2pdma_map_type(). */
TEST_F(enforce, stub_no_map_without_pci)
{
	struct dbr_imp_status st;

	if (self->c.kind != UPSTREAM)
		SKIP(return, STUB_MAP_SKIP);
	ASSERT_EQ(0, import(&self->c, DBR_IMP_STUB, 0)) TH_LOG("stub as the misc device");
	EXPECT_EQ(-EINVAL, dbr_remap(self->c.imp, self->c.id)) TH_LOG("map without PCI");
	ASSERT_EQ(0, dbr_imp_status(self->c.imp, self->c.id, &st));
	EXPECT_EQ(0, st.mapped) TH_LOG("not mapped");
	EXPECT_EQ(0, release(&self->c)) TH_LOG("release");
}

/* Unmapped, a reset notifies it and it stays attached (policy enforce). */
TEST_F(enforce, stub_unmapped_reset)
{
	struct dbr_imp_status st;

	ASSERT_EQ(0, import(&self->c, DBR_IMP_STUB, 1)) TH_LOG("stub, attach only");
	EXPECT_EQ(0, dbr_vfio_revoke(&self->c.v, DBR_VFIO_RESET)) TH_LOG("reset");
	ASSERT_EQ(0, dbr_imp_status(self->c.imp, self->c.id, &st));
	EXPECT_LE(1, st.notifications) TH_LOG("notified by the reset");
	EXPECT_EQ(1, dbr_buf_attachments(self->c.buf)) TH_LOG("still attached");
	EXPECT_EQ(0, release(&self->c)) TH_LOG("release");
}

TEST_HARNESS_MAIN
