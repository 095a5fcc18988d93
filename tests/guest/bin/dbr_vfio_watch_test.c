// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_vfio_watch_test [kselftest harness options]: the shim tracking a real
 * vfio-pci dma-buf (one page of BAR0 of QEMU's edu device) without
 * vfio-pci's cooperation (src/probe_track.c), and its stale-mapping
 * watchdog on it. KTAP on stdout. Suite 82 runs one fixture at a time
 * (-f) and checks the kernel log and the trace between them.
 *
 *   track   an import as the edu device: tracked in debugfs "buffers" with
 *           its device, class, mapping and callback, listed by
 *           dmabuf-revokectl, the detach/revoke probes on while tracking
 *           and off again after; not tracked with track_guarded=N; a
 *           deny-listed stub refused by the hook and not tracked
 *   revoke  VFIO_DEVICE_RESET of the tracked buffer: a compliant importer
 *           is notified and holds nothing, the watchdog stays quiet; on
 *           7.2+ vfio-pci's revoke waits, with no bound, for every
 *           mapping to go, so a stub that stays mapped blocks the reset:
 *           the watchdog names it within stale_timeout_ms..2 s, and the
 *           reset completes once the import is released from here
 *
 * The kernel decides what must happen (its conftest results, dbr_have()):
 *   noexport  before v6.19 vfio-pci exports no dma-bufs: every test skips
 *   nowait    v6.19..7.1: vfio-pci's revoke does not wait; Debian's 7.0
 *             cannot map (vfio's pin op fails under
 *             CONFIG_DMABUF_MOVE_NOTIFY=n), so nothing is mapped
 *   wait      v7.2+ (dma_buf_invalidate_mappings()): maps as the edu
 *             device, and the revoke waits for every unmap
 * Each fixture sets policy, strict, deny, track_guarded and
 * stale_timeout_ms itself and puts them back in its teardown.
 *
 * Needs dmabuf_revoke (kprobe backend), dmabuf_revoke_importer, vfio-pci
 * and vfio_iommu_type1 loaded, the device ($DBR_VFIO_BDF, else the first
 * edu) bound to vfio-pci, debugfs mounted, dmabuf-revokectl in $PATH.
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

#define HOOK_HITS "/sys/kernel/dmabuf_revoke/hook/hits"
#define BUFFERS "/sys/kernel/debug/dmabuf_revoke/buffers"
#define KPROBES "/sys/kernel/debug/kprobes/list"
#define STUB_CB "dbr_imp_stub_cb"

/* The watchdog's timeout here, and the bound on naming a stale mapping. */
#define STALE_MS 300
#define STALE_MS_KNOB "300"
#define NAMED_MS 2000
/* How long the reset may wait for the watchdog before the release. */
#define HANG_MS 5000

enum kind { NOEXPORT, NOWAIT, WAIT, KINDS };

#define NOEXPORT_SKIP "vfio-pci dma-buf export (5d74781ebc86, v6.19)"
#define NOWAIT_SKIP "vfio-pci's revoke waiting for every unmap (kref + completion, v7.2)"

static enum kind kernel_kind(void)
{
	if (!dbr_have("HAVE_VFIO_DEVICE_FEATURE_DMA_BUF"))
		return NOEXPORT;
	return dbr_have("HAVE_DMA_BUF_INVALIDATE_MAPPINGS") ? WAIT : NOWAIT;
}

/* The revoke probe: on what vfio-pci's revoke calls to notify importers. */
static const char *notify_fn(void)
{
	return dbr_have("HAVE_DMA_BUF_INVALIDATE_MAPPINGS") ? "dma_buf_invalidate_mappings" :
								"dma_buf_move_notify";
}

/* What a map as the edu device does on one kind of kernel. */
struct map { int err, mapped; };

/* vfio's pin op refuses it (7.0); P2P to itself (7.2+). */
#define MAP_BY_KIND { [NOWAIT] = { -EOPNOTSUPP, 0 }, [WAIT] = { 0, 1 } }

/* Everything a test here holds: the device, its exported BAR0, the importer. */
struct ctx {
	struct dbr_vfio v;
	int imp, buf;
	uint32_t id;
	enum kind kind;
	struct dbr_knobs knobs;
	long long hits0, refused0, upstream0, named0;
};

/*
 * Skip before v6.19; open the device ($DBR_VFIO_BDF or the first edu),
 * export BAR0, open the importer; then set the knobs (a failed setup gets
 * no teardown: little may fail after) and take the counts.
 */
static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c, const char *track,
		      const char *deny)
{
	const char *env = getenv("DBR_VFIO_BDF");
	char why[256];

	c->v.device = c->v.group = c->v.container = -1;
	c->imp = c->buf = -1;
	c->kind = kernel_kind();
	if (c->kind == NOEXPORT)
		SKIP(return, NOEXPORT_SKIP);
	if (env && *env)
		copy(c->v.bdf, sizeof(c->v.bdf), env);
	else
		ASSERT_TRUE(dbr_find_edu(c->v.bdf, sizeof(c->v.bdf)))
			TH_LOG("no edu PCI device (%04x:%04x)", EDU_VENDOR, EDU_DEVICE);
	ASSERT_EQ(0, dbr_vfio_open(&c->v, why, sizeof(why))) TH_LOG("%s", why);
	c->buf = dbr_vfio_export_bar0(c->v.device);
	ASSERT_LE(0, c->buf) TH_LOG("export BAR0 of %s: %s", c->v.bdf, strerror(-c->buf));
	c->imp = dbr_open(DBR_IMP_DEV);
	ASSERT_LE(0, c->imp) TH_LOG("open %s: %s", DBR_IMP_DEV, strerror(-c->imp));

	ASSERT_EQ(0, dbr_knobs_save(&c->knobs, "policy strict deny track_guarded stale_timeout_ms"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", "enforce"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", "N"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny", deny)) TH_LOG("deny %s", deny);
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "track_guarded", track));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "stale_timeout_ms", STALE_MS_KNOB));

	ASSERT_EQ(0, dbr_counter("attach_refused", &c->refused0));
	ASSERT_EQ(0, dbr_counter("attach_upstream", &c->upstream0));
	ASSERT_EQ(0, dbr_counter("stale_named", &c->named0));
	ASSERT_EQ(0, sysfs_get(HOOK_HITS, why, sizeof(why)));
	c->hits0 = strtoll(why, NULL, 10);
}

static void ctx_teardown(struct __test_metadata *_metadata, struct ctx *c)
{
	dbr_vfio_drop(&c->v, c->imp, c->buf, c->id);
	c->id = 0;
	EXPECT_EQ(0, dbr_knobs_restore(&c->knobs)) TH_LOG("restore the knobs");
}

/* Attach-only import as the edu device; 0 or -errno. */
static int import(struct ctx *c, uint32_t mode)
{
	return dbr_vfio_import(c->imp, c->buf, mode, c->v.bdf, &c->id);
}

static int release(struct ctx *c)
{
	uint32_t id = c->id;

	c->id = 0;
	return dbr_release(c->imp, id);
}

/* The first @len - 1 bytes of @path (or of `sh -c @path` if @cmd) into @buf. */
static int slurp(const char *path, int cmd, char *buf, size_t len)
{
	FILE *f = cmd ? popen(path, "re") : fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	/* Only the output counts: its exit status is the shell's business. */
	if (cmd)
		pclose(f);
	else
		fclose(f);
	return 0;
}

/* "on", "off" or "absent": our kprobe on @fn in the kprobes list. */
static const char *kp_state(const char *fn)
{
	static char list[16384];
	char pat[96], *p;

	if (slurp(KPROBES, 0, list, sizeof(list)))
		return "unreadable";
	snprintf(pat, sizeof(pat), " %s+0x", fn);
	p = strstr(list, pat);
	if (!p)
		return "absent";
	p[strcspn(p, "\n")] = '\0';
	return strstr(p, "DISABLED") ? "off" : "on";
}

/* The debugfs "buffers" line of the vfio_pci_core buffer and the one after it. */
static int vfio_buffer(char *buf, size_t len, char **line, char **att)
{
	int r = slurp(BUFFERS, 0, buf, len);

	*line = *att = NULL;
	if (r)
		return r;
	*line = strstr(buf, "exporter=vfio_pci_core");
	if (!*line)
		return 0;
	*att = *line + strcspn(*line, "\n");
	if (**att)
		*(*att)++ = '\0';
	(*att)[strcspn(*att, "\n")] = '\0';
	return 0;
}

/* ---- tracked while attached, forgotten after ------------------------------ */

FIXTURE(track) {
	struct ctx c;
};

FIXTURE_VARIANT(track) {
	const char *track_guarded, *deny;
	int attach_err;		/* the stub's attach */
	int tracked;		/* its buffer shows in debugfs "buffers" */
};

/* Policy enforce: a stub's callback looks revocable; mapped on 7.2+. */
FIXTURE_VARIANT_ADD(track, stub) {
	.track_guarded = "Y", .deny = "", .attach_err = 0, .tracked = 1,
};
/* Nothing recorded, enforcement unchanged. */
FIXTURE_VARIANT_ADD(track, track_guarded_off) {
	.track_guarded = "N", .deny = "", .attach_err = 0, .tracked = 0,
};
/* Still refused by the hook, and not tracked. */
FIXTURE_VARIANT_ADD(track, deny_stub) {
	.track_guarded = "Y", .deny = STUB_CB, .attach_err = -EOPNOTSUPP, .tracked = 0,
};

FIXTURE_SETUP(track)
{
	ctx_setup(_metadata, &self->c, variant->track_guarded, variant->deny);
}

FIXTURE_TEARDOWN(track)
{
	ctx_teardown(_metadata, &self->c);
}

TEST_F(track, attach)
{
	static const struct map map[KINDS] = MAP_BY_KIND;
	static char buf[16384], list[4096];
	struct ctx *c = &self->c;
	char want[256], *line, *att;
	long long v;
	int i;

	ASSERT_EQ(variant->attach_err, import(c, DBR_IMP_STUB))
		TH_LOG("stub attach as %s (deny '%s')", c->v.bdf, variant->deny);
	ASSERT_EQ(0, sysfs_get(HOOK_HITS, want, sizeof(want)));
	EXPECT_EQ(1, strtoll(want, NULL, 10) - c->hits0) TH_LOG("hook hits");
	ASSERT_EQ(0, dbr_counter("attach_refused", &v));
	EXPECT_EQ(!!variant->attach_err, v - c->refused0) TH_LOG("attach_refused");
	ASSERT_EQ(0, dbr_counter("attach_upstream", &v));
	EXPECT_EQ(0, v - c->upstream0) TH_LOG("attach_upstream");
	if (variant->tracked && c->kind == WAIT)
		EXPECT_EQ(0, dbr_remap(c->imp, c->id)) TH_LOG("map as %s", c->v.bdf);

	ASSERT_EQ(0, vfio_buffer(buf, sizeof(buf), &line, &att)) TH_LOG("read " BUFFERS);
	if (!variant->tracked) {
		EXPECT_EQ(NULL, line) TH_LOG("not tracked, yet: %s", line);
		return;
	}
	ASSERT_NE(NULL, line) TH_LOG(BUFFERS " lists no vfio_pci_core buffer");
	ksft_print_msg("buffers: %s / %s\n", line, att);
	snprintf(want, sizeof(want), "exporter=vfio_pci_core size=%d guarded=0 state=live",
		 getpagesize());
	EXPECT_EQ(line, strstr(line, want)) TH_LOG("the buffer, not self-guarded: %s", want);
	snprintf(want, sizeof(want),
		 "dev=%s class=revocable mapped=%d callback=" STUB_CB " [dmabuf_revoke_importer]",
		 c->v.bdf, map[c->kind].mapped);
	EXPECT_NE(NULL, strstr(att, want)) TH_LOG("its attachment: %s", want);
	ASSERT_EQ(0, slurp("dmabuf-revokectl list 2>&1", 1, list, sizeof(list)))
		TH_LOG("dmabuf-revokectl list");
	EXPECT_NE(NULL, strstr(list, "vfio_pci_core")) TH_LOG("dmabuf-revokectl list: %s", list);
	EXPECT_STREQ("on", kp_state("dma_buf_detach")) TH_LOG("detach probe while tracking");
	EXPECT_STREQ("on", kp_state(notify_fn())) TH_LOG("revoke probe while tracking");

	ASSERT_EQ(0, release(c)) TH_LOG("release");
	ASSERT_EQ(0, vfio_buffer(buf, sizeof(buf), &line, &att));
	EXPECT_EQ(NULL, line) TH_LOG("forgotten once detached, yet: %s", line);
	/* Turned off a second after the last detach (a work item): other exporters pay nothing. */
	for (i = 0; i < 50 && !strcmp(kp_state("dma_buf_detach"), "on"); i++)
		usleep(100000);
	EXPECT_STREQ("off", kp_state("dma_buf_detach")) TH_LOG("detach probe after tracking");
	EXPECT_STREQ("off", kp_state(notify_fn())) TH_LOG("revoke probe after tracking");
}

/* ---- a reset of the tracked buffer ---------------------------------------- */

FIXTURE(revoke) {
	struct ctx c;
};

FIXTURE_VARIANT(revoke) {
	uint32_t mode;
	struct map map[KINDS];	/* the map before the reset */
	int held;		/* on 7.2+ it stays mapped: the reset waits for it */
};

FIXTURE_VARIANT_ADD(revoke, compliant) {
	.mode = DBR_IMP_COMPLIANT, .map = MAP_BY_KIND, .held = 0,
};
FIXTURE_VARIANT_ADD(revoke, stub) {
	.mode = DBR_IMP_STUB, .map = MAP_BY_KIND, .held = 1,
};

FIXTURE_SETUP(revoke)
{
	ctx_setup(_metadata, &self->c, "Y", "");
}

FIXTURE_TEARDOWN(revoke)
{
	ctx_teardown(_metadata, &self->c);
}

/*
 * The stub stays mapped: the reset blocks, the watchdog names it within
 * STALE_MS..NAMED_MS, the release from here lets the reset complete.
 */
static void reset_held(struct __test_metadata *_metadata, struct ctx *c)
{
	struct dbr_vfio_hang h;
	uint32_t id = c->id;

	c->id = 0;		/* released by dbr_vfio_reset_held() */
	ASSERT_EQ(0, dbr_vfio_reset_held(&c->v, c->imp, id, HANG_MS, &h));
	ksft_print_msg("named=%d after %ld ms, blocked=%d, release=%s, reset done=%d in %ld ms: %s\n",
		       h.named, h.named_ms, h.blocked, ename(-h.release_err), h.reset_done,
		       h.reset_ms, ename(-h.reset_err));
	EXPECT_EQ(1, h.blocked) TH_LOG("the reset blocks while the stub stays mapped");
	EXPECT_EQ(1, h.named) TH_LOG("the watchdog named it within %d ms", HANG_MS);
	EXPECT_LE(STALE_MS, h.named_ms) TH_LOG("named no sooner than stale_timeout_ms");
	EXPECT_GT(NAMED_MS, h.named_ms) TH_LOG("named within %d ms", NAMED_MS);
	EXPECT_EQ(0, h.release_err) TH_LOG("released from another process");
	ASSERT_EQ(1, h.reset_done) TH_LOG("the reset completes after the release");
	EXPECT_EQ(0, h.reset_err) TH_LOG("the reset's result");
}

TEST_F(revoke, reset)
{
	const struct map *m = &variant->map[self->c.kind];
	int held = variant->held && self->c.kind == WAIT;
	struct ctx *c = &self->c;
	struct dbr_imp_status st;
	long long named;

	ASSERT_EQ(0, import(c, variant->mode)) TH_LOG("%s attach", dbr_mode_name[variant->mode]);
	EXPECT_EQ(m->err, dbr_remap(c->imp, c->id)) TH_LOG("map as %s", c->v.bdf);
	ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
	EXPECT_EQ(m->mapped, st.mapped) TH_LOG("mapped before the reset");

	if (held) {
		reset_held(_metadata, c);
	} else {
		EXPECT_EQ(0, dbr_vfio_revoke(&c->v, DBR_VFIO_RESET)) TH_LOG("reset");
		ASSERT_EQ(0, dbr_imp_status(c->imp, c->id, &st));
		EXPECT_LE(1, st.notifications) TH_LOG("notified by the reset");
		if (variant->mode == DBR_IMP_COMPLIANT)
			EXPECT_EQ(0, st.mapped) TH_LOG("holds nothing after the reset");
		EXPECT_EQ(0, release(c)) TH_LOG("release");
	}
	ASSERT_EQ(0, dbr_counter("stale_named", &named));
	EXPECT_EQ(held, named - c->named0) TH_LOG("stale_named: the watchdog named %s",
						  held ? "the stub once" : "nobody");
}

TEST_HARNESS_MAIN
