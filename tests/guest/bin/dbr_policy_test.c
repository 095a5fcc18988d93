// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_policy_test [kselftest harness options]: the decision table (README
 * "Decision table") on guarded test-exporter buffers, every importer mode
 * under every policy; KTAP on stdout.
 *
 * One variant per policy x mode carries the expected outcome: the attach
 * errno, what revocation notifies and leaves stale, and which counters move
 * (/sys/kernel/dmabuf_revoke/counters). The fixture's setup sets the policy
 * (policy, strict) and its teardown puts the old one back. The backend the
 * shim runs (hook/backend) is the shell's to choose, at load time: the
 * "backend" test names it, and fails unless it is $DBR_EXPECT_BACKEND (which
 * must be set).
 *
 * Needs dmabuf_revoke_exporter and dmabuf_revoke_importer loaded, the deny
 * and allow lists empty, no registration beyond the importer's own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dbr_ioctl.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define HOOK "/sys/kernel/dmabuf_revoke/hook/"

/* How long the exporter waits for unmaps at revoke (dbr_scenario's). */
#define REVOKE_MS 300

TEST(backend)
{
	const char *want = getenv("DBR_EXPECT_BACKEND");
	char b[64];

	ASSERT_NE(NULL, want) TH_LOG("set DBR_EXPECT_BACKEND to the backend the suite loaded");
	ASSERT_EQ(0, sysfs_get(HOOK "backend", b, sizeof(b)))
		TH_LOG("no %sbackend: is dmabuf_revoke loaded?", HOOK);
	ksft_print_msg("dmabuf_revoke backend: %s\n", b);
	EXPECT_STREQ(want, b);
}

FIXTURE(decision) {
	int exp, imp, buf;
	struct dbr_knobs knobs;
	struct dbr_ctrs c0;
};

/*
 * One cell: the policy knobs, the importer mode, and what must happen.
 * A refused attach (attach_err EOPNOTSUPP) leaves nothing; an accepted one
 * is revoked, and the importer is notified (notified, exporter side and
 * importer side), keeps its mapping (mapped) and stays stale (stale) or not.
 */
FIXTURE_VARIANT(decision) {
	const char *policy;
	const char *strict;
	uint32_t mode;
	int attach_err;		/* 0 or -EOPNOTSUPP */
	unsigned int notified;
	unsigned int mapped;	/* importer still mapped after revoke */
	unsigned int stale;
	const char *verdict;	/* the counter it moves: attach_allowed, _audited, _refused */
	const char *class;	/* the class_* counter it moves */
};

/* What each mode does once accepted (a guarded, pin-capable buffer). */
#define LEGACY		.mode = DBR_IMP_LEGACY, .class = "class_legacy", \
			.notified = 0, .mapped = 1, .stale = 1
#define STUB		.mode = DBR_IMP_STUB, .class = "class_revocable", \
			.notified = 1, .mapped = 1, .stale = 1
#define NOCB		.mode = DBR_IMP_NOCB, .class = "class_no_callback", \
			.notified = 0, .mapped = 1, .stale = 1
#define COMPLIANT	.mode = DBR_IMP_COMPLIANT, .class = "class_allowed", \
			.notified = 1, .mapped = 0, .stale = 0
#define OFF		.policy = "off", .strict = "N"
#define AUDIT		.policy = "audit", .strict = "N"
#define ENFORCE		.policy = "enforce", .strict = "N"
#define STRICT		.policy = "enforce", .strict = "Y"
#define ALLOW		.attach_err = 0, .verdict = "attach_allowed"
#define AUDITED		.attach_err = 0, .verdict = "attach_audited"
#define REFUSE		.attach_err = -EOPNOTSUPP, .verdict = "attach_refused"

/* In the shell's order: audit logs the legacy pair before enforce does. */
FIXTURE_VARIANT_ADD(decision, off_legacy)	{ OFF, LEGACY, ALLOW };
FIXTURE_VARIANT_ADD(decision, off_stub)		{ OFF, STUB, ALLOW };
FIXTURE_VARIANT_ADD(decision, off_compliant)	{ OFF, COMPLIANT, ALLOW };
FIXTURE_VARIANT_ADD(decision, off_nocb)		{ OFF, NOCB, ALLOW };
FIXTURE_VARIANT_ADD(decision, audit_legacy)	{ AUDIT, LEGACY, AUDITED };
FIXTURE_VARIANT_ADD(decision, audit_stub)	{ AUDIT, STUB, ALLOW };
FIXTURE_VARIANT_ADD(decision, audit_compliant)	{ AUDIT, COMPLIANT, ALLOW };
FIXTURE_VARIANT_ADD(decision, audit_nocb)	{ AUDIT, NOCB, AUDITED };
FIXTURE_VARIANT_ADD(decision, enforce_legacy)	{ ENFORCE, LEGACY, REFUSE };
FIXTURE_VARIANT_ADD(decision, enforce_stub)	{ ENFORCE, STUB, ALLOW };
FIXTURE_VARIANT_ADD(decision, enforce_compliant) { ENFORCE, COMPLIANT, ALLOW };
FIXTURE_VARIANT_ADD(decision, enforce_nocb)	{ ENFORCE, NOCB, REFUSE };
FIXTURE_VARIANT_ADD(decision, strict_legacy)	{ STRICT, LEGACY, REFUSE };
FIXTURE_VARIANT_ADD(decision, strict_stub)	{ STRICT, STUB, REFUSE };
FIXTURE_VARIANT_ADD(decision, strict_compliant)	{ STRICT, COMPLIANT, ALLOW };
FIXTURE_VARIANT_ADD(decision, strict_nocb)	{ STRICT, NOCB, REFUSE };

FIXTURE_SETUP(decision)
{
	self->buf = -1;
	DBR_OPEN_DEVICES(self);
	if (variant->mode == DBR_IMP_NOCB && !dbr_nocb_supported(self->exp, self->imp))
		SKIP(return, DBR_NOCB_SKIP);
	ASSERT_EQ(0, dbr_knobs_save(&self->knobs, "policy strict"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", variant->policy));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", variant->strict));
	ASSERT_EQ(0, dbr_ctrs_read(&self->c0));
	self->buf = dbr_create(self->exp, 4 * 4096, DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
	ASSERT_LE(0, self->buf) TH_LOG("create: %s", strerror(-self->buf));
}

FIXTURE_TEARDOWN(decision)
{
	if (self->buf >= 0)
		close(self->buf);
	EXPECT_EQ(0, dbr_knobs_restore(&self->knobs)) TH_LOG("restore policy, strict");
	if (self->imp >= 0)
		close(self->imp);
	if (self->exp >= 0)
		close(self->exp);
}

TEST_F(decision, attach_revoke_restore)
{
	char want[160];
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	struct dbr_imp_status st;
	int r;
	uint32_t id;

	r = dbr_import(self->imp, self->buf, variant->mode, 0, &id);
	EXPECT_EQ(variant->attach_err, r) TH_LOG("attach");
	if (r) {
		/* What a refused importer left on the buffer: nothing. */
		ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
		EXPECT_EQ(0, es.nr_attach) TH_LOG("refused before it could attach");
		EXPECT_EQ(0, es.nr_mapped) TH_LOG("refused before it could map");
	} else {
		ASSERT_EQ(0, dbr_revoke(self->exp, self->buf, REVOKE_MS, &rv)) TH_LOG("revoke");
		EXPECT_EQ(variant->notified, rv.notified) TH_LOG("revoke: importers notified");
		EXPECT_EQ(variant->stale, rv.stale) TH_LOG("revoke: stale mappings");
		ASSERT_EQ(0, dbr_imp_status(self->imp, id, &st));
		EXPECT_EQ(variant->notified, st.notifications) TH_LOG("importer notified");
		EXPECT_EQ(variant->mapped, st.mapped) TH_LOG("importer kept its mapping");
		EXPECT_EQ(variant->stale, st.stale) TH_LOG("importer stale");
		if (variant->mode == DBR_IMP_COMPLIANT) {
			/* It maps again only when the buffer is live. */
			EXPECT_EQ(-ENODEV, dbr_remap(self->imp, id))
				TH_LOG("compliant cannot map a revoked buffer");
			EXPECT_EQ(0, dbr_restore(self->exp, self->buf)) TH_LOG("restore");
			EXPECT_EQ(0, dbr_remap(self->imp, id)) TH_LOG("remap after restore");
			ASSERT_EQ(0, dbr_imp_status(self->imp, id, &st));
			EXPECT_EQ(1, st.mapped) TH_LOG("mapped after restore");
		}
		EXPECT_EQ(0, dbr_release(self->imp, id)) TH_LOG("release");
	}

	/* The counters moved exactly as predicted, and nothing else did. */
	snprintf(want, sizeof(want), "attach_checked=1 %s=1 %s=1 revocations=%d stale_mappings=%u",
		 variant->verdict, variant->class, !variant->attach_err,
		 variant->attach_err ? 0 : variant->stale);
	EXPECT_EQ(0, dbr_ctrs_wrong(&self->c0, want)) TH_LOG("counters moved by exactly %s", want);
}

TEST_HARNESS_MAIN
