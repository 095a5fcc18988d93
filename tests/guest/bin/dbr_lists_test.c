// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_lists_test [kselftest harness options]: what decides beside the
 * decision table (dbr_policy_test), on guarded test-exporter buffers; KTAP
 * on stdout. The deny list (a callback symbol as the registry names it, by
 * owning module, beating a registration, audited under audit), the allow
 * list under strict, the registration API (the importer's register and
 * unregister ioctls), each with exactly the counters that must move; vgem
 * as a real in-kernel legacy importer (DRM PRIME); the exporter's view of a
 * revoke that left a mapping stale.
 *
 * Every fixture saves the knobs it changes (policy, strict, deny, allow) and
 * puts them back, and leaves no registration behind.
 *
 * Needs dmabuf_revoke_exporter, dmabuf_revoke_importer and vgem loaded,
 * debugfs mounted (the registry); the importer's compliant ops registered
 * (as it does at load).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dbr_ioctl.h"
#include "dbr_vgem.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define REGISTRY "/sys/kernel/debug/dmabuf_revoke/registry"
#define IMP_MOD "dmabuf_revoke_importer"

/* How long the exporter waits for unmaps at revoke (dbr_scenario's). */
#define REVOKE_MS 300

/* A teardown: the knobs back as they were, the devices closed. */
static void put_back(struct __test_metadata *_metadata, const struct dbr_knobs *k, int fd1,
		     int fd2)
{
	EXPECT_EQ(0, dbr_knobs_restore(k)) TH_LOG("restore policy, strict, deny, allow");
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
}

/* setpol: off, audit, enforce, or strict (enforce with strict=Y). */
static int setpol(const char *pol)
{
	int strict = !strcmp(pol, "strict");

	return sysfs_set(DBR_PARAMS "strict", strict ? "Y" : "N") ?:
	       sysfs_set(DBR_PARAMS "policy", strict ? "enforce" : pol);
}

/*
 * One import of a new guarded, pin-capable buffer in @mode (mapped), as the
 * shell's scenarios did: accepted, it is revoked (nothing unmaps a stub in
 * REVOKE_MS: a stale mapping) and released. The import's 0 or -errno.
 */
static int attach(struct __test_metadata *_metadata, int exp, int imp, uint32_t mode)
{
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	int buf, r;
	uint32_t id;

	buf = dbr_create(exp, 4 * 4096, DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
	if (buf < 0) {
		TH_LOG("create: %s", strerror(-buf));
		return buf;
	}
	r = dbr_import(imp, buf, mode, 0, &id);
	if (r) {
		EXPECT_EQ(0, dbr_exp_status(exp, buf, &es));
		EXPECT_EQ(0, es.nr_attach) TH_LOG("refused before it could attach");
	} else {
		EXPECT_EQ(0, dbr_revoke(exp, buf, REVOKE_MS, &rv)) TH_LOG("revoke");
		EXPECT_EQ(0, dbr_release(imp, id)) TH_LOG("release");
	}
	close(buf);
	return r;
}

/*
 * The stub's callback symbol as the registry's class cache names it
 * ("... class=revocable callback=SYM [dmabuf_revoke_importer]") into @sym,
 * after a stub attached: 0, or -ENOENT.
 */
static int stub_cb(char *sym, size_t len)
{
	static const char key[] = " class=revocable callback=";
	char *line = NULL, *p, *end;
	size_t n = 0;
	FILE *f = fopen(REGISTRY, "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r && getline(&line, &n, f) > 0) {
		p = strstr(line, key);
		if (!p)
			continue;
		p += strlen(key);
		end = strchr(p, ' ');
		if (!end || strncmp(end, " [" IMP_MOD "]", strlen(IMP_MOD) + 3) ||
		    (size_t)(end - p) >= len)
			continue;
		memcpy(sym, p, end - p);
		sym[end - p] = 0;
		r = 0;
	}
	free(line);
	fclose(f);
	return r;
}

/* A list knob (deny, allow) gets "+SYM", "-SYM" or "+mod:NAME". */
static int list_edit(const char *list, char op, const char *entry)
{
	char path[128], v[300];

	snprintf(path, sizeof(path), DBR_PARAMS "%s", list);
	snprintf(v, sizeof(v), "%c%s", op, entry);
	return sysfs_set(path, v);
}

static int list_is_empty(const char *list)
{
	char path[128], v[512];

	snprintf(path, sizeof(path), DBR_PARAMS "%s", list);
	return !sysfs_get(path, v, sizeof(v)) && !*v;
}

/* ---- deny list, allow list, registrations, the exporter's view ----------- */

FIXTURE(lists) {
	int exp, imp;
	struct dbr_knobs k;
	int registered;		/* stub registered: unregister in teardown */
	char cb[128];		/* the stub's callback symbol */
};

/* From a known start: enforce, both lists empty; the stub's symbol known. */
FIXTURE_SETUP(lists)
{
	DBR_OPEN_DEVICES(self);
	ASSERT_EQ(0, dbr_knobs_save(&self->k, "policy strict deny allow"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny", ""));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "allow", ""));
	ASSERT_EQ(0, setpol("enforce"));
	ASSERT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("enforce: stub accepted before any list names it");
	ASSERT_EQ(0, stub_cb(self->cb, sizeof(self->cb)))
		TH_LOG("stub callback symbol is known to the registry (%s)", REGISTRY);
	TH_LOG("stub callback: %s", self->cb);
}

FIXTURE_TEARDOWN(lists)
{
	if (self->registered)
		EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_STUB)) TH_LOG("unregister stub");
	put_back(_metadata, &self->k, self->imp, self->exp);
}

TEST_F(lists, deny_callback)
{
	struct dbr_ctrs s0;

	ASSERT_EQ(0, list_edit("deny", '+', self->cb)) TH_LOG("deny-list the stub's callback");
	ASSERT_EQ(0, dbr_ctrs_read(&s0));
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("enforce: deny-listed stub refused");
	EXPECT_EQ(0, dbr_ctrs_wrong(&s0, "attach_checked=1 attach_refused=1 class_denied=1"))
		TH_LOG("deny-listed stub counted as denied and refused");
	ASSERT_EQ(0, list_edit("deny", '-', self->cb));
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("removed from the deny list: accepted again");
	EXPECT_TRUE(list_is_empty("deny")) TH_LOG("deny list empty again");
}

TEST_F(lists, deny_audit)
{
	struct dbr_ctrs s0;

	ASSERT_EQ(0, list_edit("deny", '+', self->cb));
	ASSERT_EQ(0, setpol("audit"));
	ASSERT_EQ(0, dbr_ctrs_read(&s0));
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("audit: deny-listed stub attaches");
	EXPECT_EQ(0, dbr_ctrs_wrong(&s0, "attach_checked=1 attach_audited=1 class_denied=1 revocations=1 stale_mappings=1"))
		TH_LOG("audit: deny-listed stub audited");
}

/* A module entry denies all its importers, registered ones too. */
TEST_F(lists, deny_module)
{
	ASSERT_EQ(0, list_edit("deny", '+', "mod:" IMP_MOD));
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("deny by owning module: stub refused");
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_COMPLIANT))
		TH_LOG("a deny entry beats a registration: compliant refused");
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "deny", ""));
	EXPECT_TRUE(list_is_empty("deny")) TH_LOG("deny list cleared");
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_COMPLIANT))
		TH_LOG("deny list cleared: compliant accepted");
}

TEST_F(lists, allow_strict)
{
	ASSERT_EQ(0, setpol("strict"));
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("strict: stub refused");
	ASSERT_EQ(0, list_edit("allow", '+', self->cb));
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("strict: allow-listed stub accepted");
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "allow", ""));
	EXPECT_TRUE(list_is_empty("allow")) TH_LOG("allow list cleared");
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("strict, allow list cleared: stub refused again");
}

/* Whether the registry lists a registration by the importer with @cap. */
static int registered(const char *cap)
{
	char *line = NULL, want[64];
	size_t n = 0;
	FILE *f = fopen(REGISTRY, "re");
	int found = 0;

	if (!f)
		return 0;
	snprintf(want, sizeof(want), " cap=%s owner=" IMP_MOD "\n", cap);
	while (!found && getline(&line, &n, f) > 0)
		found = !strncmp(line, "registered ", 11) && strstr(line, want);
	free(line);
	fclose(f);
	return found;
}

TEST_F(lists, registration)
{
	struct dbr_ctrs s0;

	EXPECT_TRUE(registered("revocable")) TH_LOG("compliant ops are registered at load");
	ASSERT_EQ(0, setpol("strict"));
	ASSERT_EQ(0, dbr_register(self->imp, DBR_IMP_STUB, 1)) TH_LOG("register stub as revocable");
	self->registered = 1;
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("strict: registered-revocable stub accepted");
	ASSERT_EQ(0, setpol("enforce"));
	ASSERT_EQ(0, dbr_register(self->imp, DBR_IMP_STUB, 0))
		TH_LOG("register stub as not revocable");
	EXPECT_TRUE(registered("not-revocable")) TH_LOG("the registry says so");
	ASSERT_EQ(0, dbr_ctrs_read(&s0));
	EXPECT_EQ(-EOPNOTSUPP, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("enforce: registered-not-revocable stub refused");
	EXPECT_EQ(0, dbr_ctrs_wrong(&s0, "attach_checked=1 attach_refused=1 class_denied=1"))
		TH_LOG("counted as denied");
	ASSERT_EQ(0, dbr_unregister(self->imp, DBR_IMP_STUB)) TH_LOG("unregister");
	self->registered = 0;
	EXPECT_FALSE(registered("not-revocable")) TH_LOG("gone from the registry");
	EXPECT_EQ(0, attach(_metadata, self->exp, self->imp, DBR_IMP_STUB))
		TH_LOG("unregistered stub is plain revocable again");
}

/* After a revoke the stub did not answer: revoked, attached, its mapping stale. */
TEST_F(lists, exporter_view)
{
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	uint32_t id;
	int buf;

	ASSERT_EQ(0, setpol("off"));
	buf = dbr_create(self->exp, 4 * 4096, DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
	ASSERT_LE(0, buf) TH_LOG("create: %s", strerror(-buf));
	ASSERT_EQ(0, dbr_import(self->imp, buf, DBR_IMP_STUB, 0, &id));
	ASSERT_EQ(0, dbr_revoke(self->exp, buf, REVOKE_MS, &rv));
	ASSERT_EQ(0, dbr_exp_status(self->exp, buf, &es));
	EXPECT_EQ(1, es.revoked) TH_LOG("exporter status after revoke: revoked");
	EXPECT_EQ(1, es.nr_attach) TH_LOG("exporter status after revoke: 1 attachment");
	EXPECT_EQ(1, es.stale) TH_LOG("exporter status after revoke: 1 stale");
	EXPECT_EQ(0, dbr_release(self->imp, id));
	close(buf);
}

/* ---- vgem: a real in-kernel legacy importer (DRM PRIME) ------------------ */

FIXTURE(vgem) {
	int exp, drm;
	struct dbr_knobs k;
};

FIXTURE_VARIANT(vgem) {
	const char *policy;
	int attach_err;
};

FIXTURE_VARIANT_ADD(vgem, enforce) { .policy = "enforce", .attach_err = -EOPNOTSUPP };
FIXTURE_VARIANT_ADD(vgem, off) { .policy = "off", .attach_err = 0 };

FIXTURE_SETUP(vgem)
{
	self->drm = -1;
	self->exp = dbr_open(DBR_EXP_DEV);
	ASSERT_LE(0, self->exp) TH_LOG("open %s: %s", DBR_EXP_DEV, strerror(-self->exp));
	self->drm = open_vgem();
	ASSERT_LE(0, self->drm) TH_LOG("no vgem device in /dev/dri: is vgem loaded?");
	ASSERT_EQ(0, dbr_knobs_save(&self->k, "policy strict deny allow"));
	ASSERT_EQ(0, setpol(variant->policy));
}

FIXTURE_TEARDOWN(vgem)
{
	put_back(_metadata, &self->k, self->drm, self->exp);
}

TEST_F(vgem, prime_import)
{
	struct drm_prime_handle_min ph = { 0 };
	struct drm_gem_close_min gc = { 0 };

	ph.fd = dbr_create(self->exp, 4 * 4096, DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
	ASSERT_LE(0, ph.fd) TH_LOG("create: %s", strerror(-ph.fd));
	EXPECT_EQ(variant->attach_err, dbr_ioctl(self->drm, DRM_IOCTL_PRIME_FD_TO_HANDLE_MIN, &ph))
		TH_LOG("vgem import under %s", variant->policy);
	if (!variant->attach_err) {
		gc.handle = ph.handle;
		EXPECT_EQ(0, dbr_ioctl(self->drm, DRM_IOCTL_GEM_CLOSE_MIN, &gc)) TH_LOG("gem close");
	}
	close(ph.fd);
}

TEST_HARNESS_MAIN
