// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for dmabuf-revokectl's pure parts: the debugfs buffers
 * parser, the errno advice (with a fake lockdown file), the JSON writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "explain.h"
#include "json.h"
#include "list_parse.h"

/* --- debugfs buffers parser ------------------------------------------------ */

static void parse_buffer_line(void **state)
{
	struct list_item it;

	(void)state;
	assert_int_equal(parse_buffers_line("buffer 00000000deadbeef exporter=dmabuf_revoke_exporter "
					    "size=16384 guarded=1 state=revoked stale=2\n", &it),
			 ITEM_BUFFER);
	assert_string_equal(it.ptr, "00000000deadbeef");
	assert_string_equal(it.exporter, "dmabuf_revoke_exporter");
	assert_int_equal(it.size, 16384);
	assert_true(it.guarded);
	assert_string_equal(it.state, "revoked");
	assert_int_equal(it.stale, 2);
}

static void parse_attachment_with_module(void **state)
{
	struct list_item it;

	(void)state;
	assert_int_equal(parse_buffers_line("  attachment 0000000012345678 dev=dmabuf_revoke_importer "
					    "class=revocable mapped=1 callback=dbr_imp_compliant_notify "
					    "[dmabuf_revoke_importer]\n", &it),
			 ITEM_ATTACHMENT);
	assert_string_equal(it.ptr, "0000000012345678");
	assert_string_equal(it.dev, "dmabuf_revoke_importer");
	assert_string_equal(it.cls, "revocable");
	assert_int_equal(it.mapped, 1);
	assert_string_equal(it.cb_sym, "dbr_imp_compliant_notify");
	assert_string_equal(it.cb_mod, "dmabuf_revoke_importer");
}

static void parse_attachment_without_callback(void **state)
{
	struct list_item it;

	(void)state;
	assert_int_equal(parse_buffers_line("  attachment 00000000aa dev=0000:00:02.0 class=legacy "
					    "mapped=0 callback=-\n", &it), ITEM_ATTACHMENT);
	assert_string_equal(it.dev, "0000:00:02.0");
	assert_string_equal(it.cls, "legacy");
	assert_string_equal(it.cb_sym, "");
	assert_string_equal(it.cb_mod, "");
}

static void parse_attachment_builtin_callback(void **state)
{
	struct list_item it;

	(void)state;
	assert_int_equal(parse_buffers_line("  attachment 00000000aa dev=d class=denied mapped=3 "
					    "callback=ib_umem_dmabuf_unsupported_move_notify", &it),
			 ITEM_ATTACHMENT);
	assert_string_equal(it.cb_sym, "ib_umem_dmabuf_unsupported_move_notify");
	assert_string_equal(it.cb_mod, "");
	assert_int_equal(it.mapped, 3);
}

static void parse_blank_and_bad_lines(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"buffer\n",
		"buffer 0000 exporter=x size=1 guarded=2 state=live stale=0\n",
		"buffer 0000 exporter=x size=-1 guarded=1 state=live stale=0\n",
		"buffer 0000 exporter=x size=12 guarded=1 state=live\n",
		"buffer 0000 exporter= size=12 guarded=1 state=live stale=0\n",
		"  attachment 00 dev=d class=c mapped=x callback=-\n",
		"  attachment 00 dev=d class=c mapped=1\n",
		"  attachment 00 dev=d class=c mapped=1 callback=sym [\n",
		"attachment 00 dev=d class=c mapped=1 callback=-\n",
	};
	struct list_item it;
	size_t i;

	(void)state;
	assert_int_equal(parse_buffers_line("\n", &it), ITEM_NONE);
	assert_int_equal(parse_buffers_line("", &it), ITEM_NONE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_buffers_line(bad[i], &it), ITEM_BAD);
		assert_int_equal(it.kind, ITEM_BAD);
	}
}

/* --- errno advice ------------------------------------------------------------ */

struct fake {
	char root[64];
	struct ctx c;
};

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/dbrctl-test-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->c.sysroot = f->root;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void set_lockdown(struct fake *f, const char *content)
{
	char path[256], cmd[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/sys/kernel/security", f->root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
	strcat(path, "/lockdown");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static void explain_not_installed(void **state)
{
	struct fake *f = *state;
	char msg[512];

	assert_int_equal(explain_load(&f->c, "dmabuf_revoke", ENOENT, msg, sizeof(msg)),
			 EXIT_UNAVAIL);
	assert_non_null(strstr(msg, "not installed for kernel"));
	assert_non_null(strstr(msg, "linux-headers-"));
	assert_non_null(strstr(msg, "dkms"));
}

static void explain_signature(void **state)
{
	struct fake *f = *state;
	char msg[EXPLAIN_MAX];

	assert_int_equal(explain_load(&f->c, "dmabuf_revoke", EKEYREJECTED, msg, sizeof(msg)),
			 EXIT_FAIL);
	assert_non_null(strstr(msg, "signature rejected (Key was rejected by service)"));
	assert_non_null(strstr(msg, "Secure Boot"));
	assert_non_null(strstr(msg, "run 'mokutil --import /var/lib/dkms/mok.pub'"));
	/* What to reboot into, and what to choose there. */
	assert_non_null(strstr(msg, "MokManager"));
	assert_non_null(strstr(msg, "\"Enroll MOK\", \"Continue\", \"Yes\""));
	assert_non_null(strstr(msg, "'dmabuf-revokectl enable' again"));
	assert_true(strlen(msg) < sizeof(msg) - 1);	/* not cut off */
	assert_int_equal(explain_load(&f->c, "dmabuf_revoke", ENOKEY, msg, sizeof(msg)),
			 EXIT_FAIL);
	assert_non_null(strstr(msg, "mokutil --import"));
}

/* mokutil --import was run, the reboot into MokManager was not. */
static void explain_signature_enrollment_waiting(void **state)
{
	struct fake *f = *state;
	char msg[EXPLAIN_MAX], cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/sys/firmware/efi/efivars' && : >'%s/sys/firmware/efi/efivars/MokNew-605dab50-e046-4300-abb6-3dd810dd8b23'",
		 f->root, f->root);
	assert_int_equal(system(cmd), 0);
	explain_load(&f->c, "dmabuf_revoke", EKEYREJECTED, msg, sizeof(msg));
	assert_non_null(strstr(msg, "an enrollment is waiting"));
	assert_null(strstr(msg, "run 'mokutil --import"));
	assert_non_null(strstr(msg, "\"Enroll MOK\""));
	set_lockdown(f, "none [integrity] confidentiality\n");
	explain_load(&f->c, "dmabuf_revoke", EPERM, msg, sizeof(msg));
	assert_non_null(strstr(msg, "an enrollment is waiting"));
}

static void explain_lockdown(void **state)
{
	struct fake *f = *state;
	char msg[EXPLAIN_MAX], mode[32];

	set_lockdown(f, "none [integrity] confidentiality\n");
	lockdown_mode(&f->c, mode, sizeof(mode));
	assert_string_equal(mode, "integrity");
	assert_int_equal(explain_load(&f->c, "m", EPERM, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "lockdown (integrity"));
	assert_non_null(strstr(msg, "mokutil --import /var/lib/dkms/mok.pub"));
	assert_non_null(strstr(msg, "MokManager"));
	set_lockdown(f, "none integrity [confidentiality]\n");
	explain_load(&f->c, "m", EPERM, msg, sizeof(msg));
	assert_non_null(strstr(msg, "lockdown (confidentiality"));
}

static void explain_eperm_without_lockdown(void **state)
{
	struct fake *f = *state;
	char msg[512];

	explain_load(&f->c, "m", EPERM, msg, sizeof(msg));	/* no lockdown file */
	assert_null(strstr(msg, "lockdown"));
	assert_non_null(strstr(msg, "root"));
	set_lockdown(f, "[none] integrity confidentiality\n");
	explain_load(&f->c, "m", EPERM, msg, sizeof(msg));
	assert_null(strstr(msg, "lockdown"));
}

static void explain_other_load_errors(void **state)
{
	struct fake *f = *state;
	char msg[EXPLAIN_MAX];

	assert_int_equal(explain_load(&f->c, "m", ENOEXEC, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "another kernel"));
	/* The livepatch stand-in (no bpftool when dkms built) refuses with ENOEXEC. */
	assert_int_equal(explain_load(&f->c, "dmabuf_revoke_livepatch", ENOEXEC, msg,
				      sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "stand-in"));
	assert_non_null(strstr(msg, "install bpftool and binutils"));
	assert_non_null(strstr(msg, "dkms install --force dmabuf-revoke/"));
	assert_non_null(strstr(msg, "--backend kprobe"));
	assert_int_equal(explain_load(&f->c, "m", EINVAL, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "module parameter"));
	assert_int_equal(explain_load(&f->c, "m", EXDEV, msg, sizeof(msg)), EXIT_UNAVAIL);
	assert_non_null(strstr(msg, "DMABUF_REVOKE_SYSROOT"));
	assert_int_equal(explain_load(&f->c, "m", EEXIST, msg, sizeof(msg)), EXIT_FAIL);
	assert_string_equal(msg, "m: already loaded");
	assert_int_equal(explain_load(&f->c, "m", ENOMEM, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "m: cannot load: "));
	assert_non_null(strstr(msg, strerror(ENOMEM)));
}

static void explain_unload_busy(void **state)
{
	struct fake *f = *state;
	char msg[512], cmd[300];

	assert_int_equal(explain_unload(&f->c, "dmabuf_revoke", EAGAIN, msg, sizeof(msg)),
			 EXIT_FAIL);
	assert_non_null(strstr(msg, "in use"));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/sys/module/dmabuf_revoke/holders/dmabuf_revoke_exporter'", f->root);
	assert_int_equal(system(cmd), 0);
	explain_unload(&f->c, "dmabuf_revoke", EBUSY, msg, sizeof(msg));
	assert_non_null(strstr(msg, "in use by dmabuf_revoke_exporter"));
	assert_int_equal(explain_unload(&f->c, "x", ENOENT, msg, sizeof(msg)), EXIT_UNAVAIL);
	assert_string_equal(msg, "x: not loaded");
	assert_int_equal(explain_unload(&f->c, "x", EPERM, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "x: operation not permitted: removing modules needs root"));
	assert_int_equal(explain_unload(&f->c, "x", EXDEV, msg, sizeof(msg)), EXIT_UNAVAIL);
	assert_non_null(strstr(msg, "not removing a module while DMABUF_REVOKE_SYSROOT"));
	assert_int_equal(explain_unload(&f->c, "x", ENOMEM, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "x: cannot remove: "));
	assert_non_null(strstr(msg, strerror(ENOMEM)));
}

static void explain_knob_writes(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(explain_write("deny", "+x", EINVAL, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "refused '+x'"));
	assert_non_null(strstr(msg, "nothing was changed"));
	assert_non_null(strstr(msg, "dmesg"));
	assert_int_equal(explain_write("policy", "off", EACCES, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "root"));
	assert_int_equal(explain_write("deny", "+x", ENOSPC, msg, sizeof(msg)), EXIT_FAIL);
	assert_non_null(strstr(msg, "list is full"));
	assert_int_equal(explain_write("policy", "off", ENOENT, msg, sizeof(msg)), EXIT_UNAVAIL);
	assert_non_null(strstr(msg, "not loaded"));
}

/* --- JSON writer -------------------------------------------------------------- */

static void json_nesting_and_escapes(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json j;

	(void)state;
	assert_non_null(f);
	json_init(&j, f);
	json_begin_obj(&j, NULL);
	json_str(&j, "s", "a\"b\\c\nd\x01");
	json_u64(&j, "n", 18446744073709551615ULL);
	json_bool(&j, "t", true);
	json_null(&j, "z");
	json_list(&j, "l", "a,mod:b");
	json_list(&j, "e", "");
	json_num_or_null(&j, "num", "42");
	json_num_or_null(&j, "nan", "4x");
	json_begin_arr(&j, "objs");
	json_begin_obj(&j, NULL);
	json_str(&j, "k", NULL);
	json_end_obj(&j);
	json_begin_obj(&j, NULL);
	json_end_obj(&j);
	json_end_arr(&j);
	json_end_obj(&j);
	json_finish(&j);
	fclose(f);
	assert_string_equal(out,
			    "{\"s\":\"a\\\"b\\\\c\\nd\\u0001\",\"n\":18446744073709551615,"
			    "\"t\":true,\"z\":null,\"l\":[\"a\",\"mod:b\"],\"e\":[],\"num\":42,"
			    "\"nan\":null,\"objs\":[{\"k\":null},{}]}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_buffer_line),
		cmocka_unit_test(parse_attachment_with_module),
		cmocka_unit_test(parse_attachment_without_callback),
		cmocka_unit_test(parse_attachment_builtin_callback),
		cmocka_unit_test(parse_blank_and_bad_lines),
		cmocka_unit_test_setup_teardown(explain_not_installed, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(explain_signature, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(explain_signature_enrollment_waiting, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(explain_lockdown, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(explain_eperm_without_lockdown, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(explain_other_load_errors, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(explain_unload_busy, fake_setup, fake_teardown),
		cmocka_unit_test(explain_knob_writes),
		cmocka_unit_test(json_nesting_and_escapes),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
