// SPDX-License-Identifier: GPL-2.0
/* Host unit tests for src/core.c (classification, policy, lists). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "dmabuf_revoke_core.h"

static void test_policy_parse(void **state)
{
	enum dbr_policy p = DBR_POLICY_COUNT;

	(void)state;
	assert_int_equal(dbr_policy_parse("off", &p), 0);
	assert_int_equal(p, DBR_POLICY_OFF);
	assert_int_equal(dbr_policy_parse("audit\n", &p), 0);
	assert_int_equal(p, DBR_POLICY_AUDIT);
	assert_int_equal(dbr_policy_parse("enforce", &p), 0);
	assert_int_equal(p, DBR_POLICY_ENFORCE);

	p = DBR_POLICY_AUDIT;
	assert_int_equal(dbr_policy_parse("", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse("\n", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse("Enforce", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse("enforce\n\n", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse("enforcex", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse("enf", &p), -EINVAL);
	assert_int_equal(dbr_policy_parse(" off", &p), -EINVAL);
	assert_int_equal(p, DBR_POLICY_AUDIT); /* untouched on error */
	assert_string_equal(dbr_policy_name(DBR_POLICY_ENFORCE), "enforce");
	assert_string_equal(dbr_policy_name(DBR_POLICY_COUNT), "?");
}

static void test_classify(void **state)
{
	/* Every combination of the four facts, with the expected class. */
	static const struct {
		struct dbr_facts f;
		enum dbr_class want;
	} t[] = {
		{ { false, false, false, false }, DBR_CLASS_LEGACY },
		{ { false, true, true, true }, DBR_CLASS_LEGACY },
		{ { false, false, false, true }, DBR_CLASS_LEGACY },
		{ { true, false, false, false }, DBR_CLASS_NO_CALLBACK },
		{ { true, false, false, true }, DBR_CLASS_NO_CALLBACK },
		{ { true, false, true, false }, DBR_CLASS_NO_CALLBACK },
		{ { true, true, true, false }, DBR_CLASS_DENIED },
		{ { true, true, true, true }, DBR_CLASS_DENIED },
		{ { true, true, false, true }, DBR_CLASS_ALLOWED },
		{ { true, true, false, false }, DBR_CLASS_REVOCABLE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(dbr_classify(&t[i].f), t[i].want);
	assert_string_equal(dbr_class_name(DBR_CLASS_NO_CALLBACK), "no-callback");
	assert_string_equal(dbr_class_name(DBR_CLASS_COUNT), "?");
}

static void test_decide_table(void **state)
{
	/* [class][policy][strict], written out as the README's table. */
	static const enum dbr_verdict A = DBR_VERDICT_ALLOW;
	static const enum dbr_verdict U = DBR_VERDICT_AUDIT;
	static const enum dbr_verdict R = DBR_VERDICT_REFUSE;
	static const enum dbr_verdict want[DBR_CLASS_COUNT][DBR_POLICY_COUNT][2] = {
		/*                    off     audit   enforce */
		[DBR_CLASS_LEGACY] = { { A, A }, { U, U }, { R, R } },
		[DBR_CLASS_NO_CALLBACK] = { { A, A }, { U, U }, { R, R } },
		[DBR_CLASS_DENIED] = { { A, A }, { U, U }, { R, R } },
		[DBR_CLASS_ALLOWED] = { { A, A }, { A, A }, { A, A } },
		[DBR_CLASS_REVOCABLE] = { { A, A }, { A, U }, { A, R } },
	};
	int c, p, s;

	(void)state;
	for (c = 0; c < DBR_CLASS_COUNT; c++)
		for (p = 0; p < DBR_POLICY_COUNT; p++)
			for (s = 0; s < 2; s++)
				assert_int_equal(dbr_decide(c, p, s), want[c][p][s]);
	assert_string_equal(dbr_verdict_name(DBR_VERDICT_REFUSE), "refuse");
}

static void test_learn_parse(void **state)
{
	enum dbr_learn l = DBR_LEARN_COUNT;

	(void)state;
	assert_int_equal(dbr_learn_parse("off", &l), 0);
	assert_int_equal(l, DBR_LEARN_OFF);
	assert_int_equal(dbr_learn_parse("audit\n", &l), 0);
	assert_int_equal(l, DBR_LEARN_AUDIT);
	assert_int_equal(dbr_learn_parse("deny", &l), 0);
	assert_int_equal(l, DBR_LEARN_DENY);
	assert_int_equal(dbr_learn_parse("", &l), -EINVAL);
	assert_int_equal(dbr_learn_parse("enforce", &l), -EINVAL);
	assert_int_equal(dbr_learn_parse("Deny", &l), -EINVAL);
	assert_int_equal(dbr_learn_parse("deny\n\n", &l), -EINVAL);
	assert_int_equal(dbr_learn_parse(" off", &l), -EINVAL);
	assert_int_equal(l, DBR_LEARN_DENY); /* untouched on error */
	assert_string_equal(dbr_learn_name(DBR_LEARN_AUDIT), "audit");
	assert_string_equal(dbr_learn_name(DBR_LEARN_COUNT), "?");
}

static void test_decide_learned(void **state)
{
	static const enum dbr_verdict A = DBR_VERDICT_ALLOW;
	static const enum dbr_verdict U = DBR_VERDICT_AUDIT;
	static const enum dbr_verdict R = DBR_VERDICT_REFUSE;
	/* A learned importer: [class][policy][learn], strict off. */
	static const enum dbr_verdict want[DBR_CLASS_COUNT][DBR_POLICY_COUNT][DBR_LEARN_COUNT] = {
		/*                    off: off audit deny  audit: ...   enforce: ... */
		[DBR_CLASS_LEGACY] = { { A, A, A }, { U, U, U }, { R, R, R } },
		[DBR_CLASS_NO_CALLBACK] = { { A, A, A }, { U, U, U }, { R, R, R } },
		[DBR_CLASS_DENIED] = { { A, A, A }, { U, U, U }, { R, R, R } },
		[DBR_CLASS_ALLOWED] = { { A, A, A }, { A, U, U }, { A, U, R } },
		[DBR_CLASS_REVOCABLE] = { { A, A, A }, { A, U, U }, { A, U, R } },
	};
	int c, p, l, s;
	bool by;

	(void)state;
	for (c = 0; c < DBR_CLASS_COUNT; c++)
		for (p = 0; p < DBR_POLICY_COUNT; p++)
			for (l = 0; l < DBR_LEARN_COUNT; l++) {
				enum dbr_verdict v = dbr_decide_learned(c, p, false, l, true, &by);

				assert_int_equal(v, want[c][p][l]);
				/* learning changed it exactly where the table differs */
				assert_int_equal(by, v != dbr_decide(c, p, false));
				/* not learned: the plain table, whatever learn= says */
				for (s = 0; s < 2; s++) {
					assert_int_equal(dbr_decide_learned(c, p, s, l, false, &by),
							 dbr_decide(c, p, s));
					assert_false(by);
				}
			}
	/* strict: a revocable importer is refused anyway, not by learning */
	assert_int_equal(dbr_decide_learned(DBR_CLASS_REVOCABLE, DBR_POLICY_ENFORCE,
					    true, DBR_LEARN_DENY, true, &by), R);
	assert_false(by);
	assert_int_equal(dbr_decide_learned(DBR_CLASS_ALLOWED, DBR_POLICY_ENFORCE,
					    true, DBR_LEARN_DENY, true, &by), R);
	assert_true(by);
}

static void test_entry_parse(void **state)
{
	struct dbr_entry e;
	const char *why = NULL;
	char buf[DBR_NAME_MAX + 8];
	const char *s;

	(void)state;
	s = "ib_umem_dmabuf_unsupported_move_notify";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), 0);
	assert_int_equal(e.kind, DBR_MATCH_SYMBOL);
	assert_string_equal(e.name, s);

	s = " sym:foo.cold\n";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), 0);
	assert_int_equal(e.kind, DBR_MATCH_SYMBOL);
	assert_string_equal(e.name, "foo.cold");

	s = "mod:ib-uverbs";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), 0);
	assert_int_equal(e.kind, DBR_MATCH_MODULE);
	assert_string_equal(e.name, "ib_uverbs");
	assert_int_equal(dbr_entry_format(&e, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "mod:ib_uverbs");
	assert_int_equal(dbr_entry_format(&e, buf, 13), -ENOSPC);

	s = "vfio_pci_core";
	assert_int_equal(dbr_entry_parse(s, strlen(s), true, &e, &why), 0);
	assert_int_equal(e.kind, DBR_MATCH_EXPORTER);

	/* Bad input: each with its reason. */
	s = "";
	assert_int_equal(dbr_entry_parse(s, 0, false, &e, &why), -EINVAL);
	assert_string_equal(why, "empty name");
	s = "mod:";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), -EINVAL);
	s = "foo/bar";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), -EINVAL);
	assert_non_null(strstr(why, "symbol"));
	s = "mod:a.b";
	assert_int_equal(dbr_entry_parse(s, strlen(s), false, &e, &why), -EINVAL);
	assert_string_equal(why, "bad character in module name");
	s = "mod:x";	/* exporter names take no prefix: ':' is a name char */
	assert_int_equal(dbr_entry_parse(s, strlen(s), true, &e, &why), 0);
	s = "a b";
	assert_int_equal(dbr_entry_parse(s, strlen(s), true, &e, &why), -EINVAL);

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(dbr_entry_parse(buf, DBR_NAME_MAX - 1, false, &e, &why), 0);
	assert_int_equal(dbr_entry_parse(buf, DBR_NAME_MAX, false, &e, &why), -EINVAL);
	assert_string_equal(why, "name too long");
}

static void fmt(const struct dbr_list *l, char *buf, size_t n)
{
	assert_true(dbr_list_format(l, buf, n) >= 0);
}

static void test_list_apply(void **state)
{
	static struct dbr_list a, b;
	const char *why = NULL;
	char buf[4096];

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(dbr_list_apply(&a, &b, "foo, mod:bar\nbaz", false, &why), 0);
	fmt(&b, buf, sizeof(buf));
	assert_string_equal(buf, "foo,mod:bar,baz");

	/* Replace drops what was there; duplicates collapse. */
	a = b;
	assert_int_equal(dbr_list_apply(&a, &b, "qux,qux", false, &why), 0);
	fmt(&b, buf, sizeof(buf));
	assert_string_equal(buf, "qux");

	/* Edits keep the rest. */
	a = b;
	assert_int_equal(dbr_list_apply(&a, &b, "+one +mod:two", false, &why), 0);
	a = b;
	assert_int_equal(dbr_list_apply(&a, &b, "-qux", false, &why), 0);
	fmt(&b, buf, sizeof(buf));
	assert_string_equal(buf, "mod:two,one");
	assert_true(dbr_list_match(&b, "one", NULL));
	assert_true(dbr_list_match(&b, "zzz", "two"));
	assert_false(dbr_list_match(&b, "two", "one"));
	assert_false(dbr_list_match(&b, NULL, NULL));

	/* Errors: state of the source list is what the caller keeps. */
	a = b;
	assert_int_equal(dbr_list_apply(&a, &b, "-absent", false, &why), -EINVAL);
	assert_string_equal(why, "not in the list");
	assert_int_equal(dbr_list_apply(&a, &b, "+x y", false, &why), -EINVAL);
	assert_string_equal(why, "mixes +/- edits with a plain list");
	assert_int_equal(dbr_list_apply(&a, &b, "ok,b@d", false, &why), -EINVAL);
	fmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "mod:two,one");

	/* Empty input empties the list. */
	assert_int_equal(dbr_list_apply(&a, &b, " \n", false, &why), 0);
	assert_int_equal(b.n, 0);
	fmt(&b, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_list_full_and_format(void **state)
{
	static struct dbr_list a, b;
	const char *why = NULL;
	char name[16], buf[4096];
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < DBR_LIST_MAX; i++) {
		snprintf(name, sizeof(name), "+s%d", i);
		assert_int_equal(dbr_list_apply(&a, &b, name, false, &why), 0);
		a = b;
	}
	assert_int_equal(a.n, DBR_LIST_MAX);
	assert_int_equal(dbr_list_apply(&a, &b, "+one_more", false, &why), -ENOSPC);
	assert_string_equal(why, "list full");
	assert_int_equal(dbr_list_apply(&a, &b, "+s3", false, &why), 0); /* dup */
	assert_true(dbr_list_format(&a, buf, sizeof(buf)) > 0);
	assert_int_equal(dbr_list_format(&a, buf, 10), -ENOSPC);
	assert_int_equal(dbr_list_format(&a, buf, 0), -ENOSPC);

	/* A full list of the longest names still fits a sysfs page. */
	memset(&a, 0, sizeof(a));
	for (i = 0; i < DBR_LIST_MAX; i++) {
		a.e[i].kind = DBR_MATCH_MODULE;
		memset(a.e[i].name, 'm', DBR_NAME_MAX - 1);
		a.e[i].name[DBR_NAME_MAX - 1] = '\0';
		a.e[i].name[0] = 'a' + i % 26;
		a.e[i].name[1] = 'a' + i / 26;
	}
	a.n = DBR_LIST_MAX;
	assert_true(dbr_list_format(&a, buf, 4096) > 0);
}

static void test_exporter_list(void **state)
{
	static struct dbr_list a, b;
	const char *why = NULL;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(dbr_list_apply(&a, &b, "vfio_pci_core,dmabuf_revoke_exporter",
					 true, &why), 0);
	assert_true(dbr_list_match(&b, "vfio_pci_core", NULL));
	assert_false(dbr_list_match(&b, "udmabuf", NULL));
	assert_int_equal(dbr_list_apply(&a, &b, "vfio pci", true, &why), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(dbr_list_apply(&a, &b, "a/b", true, &why), -EINVAL);
}

/* exporters= entries may carry their own policy: "NAME:POLICY". */
static void test_exporter_policy(void **state)
{
	static struct dbr_list a, b, c;
	const char *why = NULL;
	char buf[256];
	int pol = 42;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(dbr_list_apply(&a, &b, "vfio_pci_core,gpu:audit,x:y:off",
					 true, &why), 0);
	assert_true(dbr_list_exporter(&b, "vfio_pci_core", &pol));
	assert_int_equal(pol, DBR_POLICY_DEFAULT);
	assert_true(dbr_list_exporter(&b, "gpu", &pol));
	assert_int_equal(pol, DBR_POLICY_AUDIT);
	/* Only a policy after the last ':' is split off. */
	assert_true(dbr_list_exporter(&b, "x:y", &pol));
	assert_int_equal(pol, DBR_POLICY_OFF);
	assert_false(dbr_list_exporter(&b, "gpu:audit", &pol));
	assert_true(dbr_list_match(&b, "gpu", NULL));
	assert_true(dbr_list_format(&b, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "vfio_pci_core,gpu:audit,x:y:off");
	/* "+NAME:POLICY" on a listed name changes its policy. */
	assert_int_equal(dbr_list_apply(&b, &c, "+gpu:enforce +vfio_pci_core:off",
					 true, &why), 0);
	assert_int_equal(c.n, 3);
	assert_true(dbr_list_exporter(&c, "gpu", &pol));
	assert_int_equal(pol, DBR_POLICY_ENFORCE);
	assert_true(dbr_list_exporter(&c, "vfio_pci_core", &pol));
	assert_int_equal(pol, DBR_POLICY_OFF);
	/* "-NAME" removes whatever policy it had. */
	assert_int_equal(dbr_list_apply(&c, &b, "-gpu", true, &why), 0);
	assert_false(dbr_list_exporter(&b, "gpu", &pol));
	/* A policy on a deny/allow entry is not a thing: ':' is refused. */
	assert_int_equal(dbr_list_apply(&a, &b, "foo:audit", false, &why), -EINVAL);
	/* ":audit" alone names nothing. */
	assert_int_equal(dbr_list_apply(&a, &b, ":audit", true, &why), -EINVAL);
	assert_string_equal(why, "empty name");
}

static void test_split_symbol(void **state)
{
	char sym[DBR_NAME_MAX], mod[DBR_NAME_MAX];

	(void)state;
	assert_int_equal(dbr_split_symbol("ib_umem_dmabuf_unsupported_move_notify [ib_uverbs]",
					  sym, sizeof(sym), mod, sizeof(mod)), 0);
	assert_string_equal(sym, "ib_umem_dmabuf_unsupported_move_notify");
	assert_string_equal(mod, "ib_uverbs");
	assert_int_equal(dbr_split_symbol("amdgpu_dma_buf_move_notify", sym,
					  sizeof(sym), mod, sizeof(mod)), 0);
	assert_string_equal(mod, "");
	assert_int_equal(dbr_split_symbol("cb [mymod 0123abcd]", sym,
					  sizeof(sym), mod, sizeof(mod)), 0);
	assert_string_equal(mod, "mymod");
	assert_int_equal(dbr_split_symbol("0xffffffffc0de0000", sym,
					  sizeof(sym), mod, sizeof(mod)), -ENOENT);
	assert_int_equal(dbr_split_symbol("", sym, sizeof(sym), mod, sizeof(mod)), -EINVAL);
	/* Too long for any entry: no symbol, but the module still counts. */
	assert_int_equal(dbr_split_symbol("abcdef [owner]", sym, 4, mod, sizeof(mod)), 0);
	assert_string_equal(sym, "");
	assert_string_equal(mod, "owner");
	assert_int_equal(dbr_split_symbol("f []", sym, sizeof(sym), mod, sizeof(mod)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_learn_parse),
		cmocka_unit_test(test_decide_learned),
		cmocka_unit_test(test_entry_parse),
		cmocka_unit_test(test_list_apply),
		cmocka_unit_test(test_list_full_and_format),
		cmocka_unit_test(test_exporter_list),
		cmocka_unit_test(test_exporter_policy),
		cmocka_unit_test(test_split_symbol),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
