// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revoke core: classification, the policy decision table and list
 * parsing. Kernel-independent on purpose (see dmabuf_revoke_core.h): the
 * host unit tests in tests/unit exercise exactly this file.
 */
#include "dmabuf_revoke_core.h"

static const char *const class_names[DBR_CLASS_COUNT] = {
	[DBR_CLASS_LEGACY] = "legacy",
	[DBR_CLASS_NO_CALLBACK] = "no-callback",
	[DBR_CLASS_DENIED] = "denied",
	[DBR_CLASS_ALLOWED] = "allowed",
	[DBR_CLASS_REVOCABLE] = "revocable",
};

static const char *const policy_names[DBR_POLICY_COUNT] = {
	[DBR_POLICY_OFF] = "off",
	[DBR_POLICY_AUDIT] = "audit",
	[DBR_POLICY_ENFORCE] = "enforce",
};

static const char *const learn_names[DBR_LEARN_COUNT] = {
	[DBR_LEARN_OFF] = "off",
	[DBR_LEARN_AUDIT] = "audit",
	[DBR_LEARN_DENY] = "deny",
};

const char *dbr_class_name(enum dbr_class c)
{
	return (unsigned int)c < DBR_CLASS_COUNT ? class_names[c] : "?";
}

const char *dbr_policy_name(enum dbr_policy p)
{
	return (unsigned int)p < DBR_POLICY_COUNT ? policy_names[p] : "?";
}

const char *dbr_verdict_name(enum dbr_verdict v)
{
	switch (v) {
	case DBR_VERDICT_ALLOW:
		return "allow";
	case DBR_VERDICT_AUDIT:
		return "audit";
	case DBR_VERDICT_REFUSE:
		return "refuse";
	}
	return "?";
}

/* Length of @s without one trailing newline, as sysfs writes arrive. */
static size_t chomp_len(const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		n--;
	return n;
}

static int policy_parse_n(const char *s, size_t n, enum dbr_policy *out)
{
	unsigned int i;

	for (i = 0; i < DBR_POLICY_COUNT; i++) {
		if (strlen(policy_names[i]) == n &&
		    !strncmp(s, policy_names[i], n)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int dbr_policy_parse(const char *s, enum dbr_policy *out)
{
	return policy_parse_n(s, chomp_len(s), out);
}

const char *dbr_learn_name(enum dbr_learn l)
{
	return (unsigned int)l < DBR_LEARN_COUNT ? learn_names[l] : "?";
}

/* "off", "audit" or "deny", with at most one trailing newline. */
int dbr_learn_parse(const char *s, enum dbr_learn *out)
{
	size_t n = chomp_len(s);
	unsigned int i;

	for (i = 0; i < DBR_LEARN_COUNT; i++) {
		if (strlen(learn_names[i]) == n && !strncmp(s, learn_names[i], n)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* memrchr() is a GNU extension and not in every kernel's lib/string.c. */
static const char *memrchr_(const char *s, char c, size_t n)
{
	while (n--)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/*
 * Structural facts first (nothing can notify a legacy or callback-less
 * importer), then the operator's and the importer's word: a deny wins over
 * an allow, so a claim of revocability never overrides a known stub.
 */
enum dbr_class dbr_classify(const struct dbr_facts *f)
{
	if (!f->has_ops)
		return DBR_CLASS_LEGACY;
	if (!f->has_callback)
		return DBR_CLASS_NO_CALLBACK;
	if (f->denied)
		return DBR_CLASS_DENIED;
	if (f->allowed)
		return DBR_CLASS_ALLOWED;
	return DBR_CLASS_REVOCABLE;
}

/*
 * The decision table. "strict" trusts only explicitly allowed importers:
 * a merely revocable one is then treated like a non-revocable one.
 */
enum dbr_verdict dbr_decide(enum dbr_class c, enum dbr_policy p, bool strict)
{
	bool trusted;

	if (p == DBR_POLICY_OFF)
		return DBR_VERDICT_ALLOW;
	trusted = c == DBR_CLASS_ALLOWED ||
		  (c == DBR_CLASS_REVOCABLE && !strict);
	if (trusted)
		return DBR_VERDICT_ALLOW;
	return p == DBR_POLICY_ENFORCE ? DBR_VERDICT_REFUSE : DBR_VERDICT_AUDIT;
}

/*
 * The decision for an importer the watchdog saw ignoring a revoke
 * (@learned). Only a verdict the table would let through unremarked can
 * change: under learn=deny the importer counts as denied, under learn=audit
 * it is audited ("would deny (learned)"); policy off stays off.
 * @by_learning says whether learning changed the verdict.
 */
enum dbr_verdict dbr_decide_learned(enum dbr_class c, enum dbr_policy p,
				    bool strict, enum dbr_learn l,
				    bool learned, bool *by_learning)
{
	enum dbr_verdict v = dbr_decide(c, p, strict);

	*by_learning = false;
	if (!learned || v != DBR_VERDICT_ALLOW || p == DBR_POLICY_OFF ||
	    l == DBR_LEARN_OFF)
		return v;
	*by_learning = true;
	if (l == DBR_LEARN_DENY)
		return dbr_decide(DBR_CLASS_DENIED, p, strict);
	return DBR_VERDICT_AUDIT;
}

static bool is_name_char(char c, enum dbr_match kind)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_')
		return true;
	switch (kind) {
	case DBR_MATCH_SYMBOL:
		return c == '.' || c == '$';
	case DBR_MATCH_MODULE:
		return c == '-';
	case DBR_MATCH_EXPORTER:
		return c == '-' || c == '.' || c == ':';
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ',';
}

int dbr_entry_parse(const char *s, size_t len, bool exporter,
		    struct dbr_entry *e, const char **why)
{
	size_t i;

	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;

	e->kind = exporter ? DBR_MATCH_EXPORTER : DBR_MATCH_SYMBOL;
	if (!exporter && len > 4 && !strncmp(s, "sym:", 4)) {
		s += 4;
		len -= 4;
	} else if (!exporter && len > 4 && !strncmp(s, "mod:", 4)) {
		e->kind = DBR_MATCH_MODULE;
		s += 4;
		len -= 4;
	}
	e->policy = DBR_POLICY_DEFAULT;
	if (exporter) {
		/* "NAME:POLICY": the last ':' only when a policy follows it. */
		const char *c = memrchr_(s, ':', len);
		enum dbr_policy p;

		if (c && !policy_parse_n(c + 1, len - (c + 1 - s), &p)) {
			e->policy = p;
			len = c - s;
		}
	}
	if (!len) {
		*why = "empty name";
		return -EINVAL;
	}
	if (len >= DBR_NAME_MAX) {
		*why = "name too long";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!is_name_char(s[i], e->kind)) {
			*why = exporter ? "bad character in exporter name" :
			       e->kind == DBR_MATCH_MODULE ?
			       "bad character in module name" :
			       "bad character in symbol name (want NAME, sym:NAME or mod:NAME)";
			return -EINVAL;
		}
		/* Module names are stored as the kernel stores them. */
		e->name[i] = (e->kind == DBR_MATCH_MODULE && s[i] == '-') ?
			     '_' : s[i];
	}
	e->name[len] = '\0';
	return 0;
}

int dbr_entry_format(const struct dbr_entry *e, char *buf, size_t size)
{
	const char *pfx = e->kind == DBR_MATCH_MODULE ? "mod:" : "";
	const char *pol = "";
	size_t pl = strlen(pfx), nl = strlen(e->name), ol;

	if (e->kind == DBR_MATCH_EXPORTER && e->policy != DBR_POLICY_DEFAULT)
		pol = dbr_policy_name(e->policy);
	ol = *pol ? strlen(pol) + 1 : 0;
	if (pl + nl + ol + 1 > size)
		return -ENOSPC;
	memcpy(buf, pfx, pl);
	memcpy(buf + pl, e->name, nl + 1);
	if (ol) {
		buf[pl + nl] = ':';
		memcpy(buf + pl + nl + 1, pol, ol);
	}
	return (int)(pl + nl + ol);
}

bool dbr_entry_matches(const struct dbr_entry *e, const char *sym,
		       const char *mod)
{
	const char *what = e->kind == DBR_MATCH_MODULE ? mod : sym;

	return what && *what && !strcmp(e->name, what);
}

static int list_find(const struct dbr_list *l, const struct dbr_entry *e)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->e[i].kind == e->kind && !strcmp(l->e[i].name, e->name))
			return (int)i;
	return -1;
}

static int list_add(struct dbr_list *l, const struct dbr_entry *e,
		    const char **why)
{
	int idx = list_find(l, e);

	if (idx >= 0) {
		/* Same name again: the newest exporter policy wins. */
		l->e[idx].policy = e->policy;
		return 0;
	}
	if (l->n >= DBR_LIST_MAX) {
		*why = "list full";
		return -ENOSPC;
	}
	l->e[l->n++] = *e;
	return 0;
}

/*
 * "a,b c" replaces the list; "+a,-b" edits it; "" (or only separators)
 * empties it. Mixing both forms is refused, as is removing what is not
 * there. @out is written in full before anything is known to be valid, so
 * callers apply it only on success: bad input changes nothing.
 */
int dbr_list_apply(const struct dbr_list *cur, struct dbr_list *out,
		   const char *s, bool exporter, const char **why)
{
	struct dbr_entry e;
	int edits = -1;	/* unknown until the first token */
	int ret, idx;

	out->n = 0;
	for (;;) {
		size_t len = 0;
		char op = 0;

		while (*s && is_space(*s))
			s++;
		if (!*s)
			break;
		if (*s == '+' || *s == '-')
			op = *s++;
		if (edits < 0) {
			edits = !!op;
			if (edits)
				*out = *cur;
		} else if (edits != !!op) {
			*why = "mixes +/- edits with a plain list";
			return -EINVAL;
		}
		while (s[len] && !is_space(s[len]))
			len++;
		ret = dbr_entry_parse(s, len, exporter, &e, why);
		if (ret)
			return ret;
		s += len;
		if (op == '-') {
			idx = list_find(out, &e);
			if (idx < 0) {
				*why = "not in the list";
				return -EINVAL;
			}
			out->e[idx] = out->e[--out->n];
			continue;
		}
		ret = list_add(out, &e, why);
		if (ret)
			return ret;
	}
	return 0;
}

int dbr_list_format(const struct dbr_list *l, char *buf, size_t size)
{
	size_t pos = 0;
	unsigned int i;
	int ret;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i) {
			if (pos + 2 > size)
				return -ENOSPC;
			buf[pos++] = ',';
			buf[pos] = '\0';
		}
		ret = dbr_entry_format(&l->e[i], buf + pos, size - pos);
		if (ret < 0)
			return ret;
		pos += ret;
	}
	return (int)pos;
}

bool dbr_list_match(const struct dbr_list *l, const char *sym,
		    const char *mod)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (dbr_entry_matches(&l->e[i], sym, mod))
			return true;
	return false;
}

/* Is @exp_name in the exporter list @l? Its own policy, if any, in @policy. */
bool dbr_list_exporter(const struct dbr_list *l, const char *exp_name,
		       int *policy)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		if (!strcmp(l->e[i].name, exp_name)) {
			*policy = l->e[i].policy;
			return true;
		}
	}
	return false;
}

/*
 * Split what sprint_symbol_no_offset() prints, "name" or
 * "name [module]" (a build id may follow the module name), into its parts.
 * An address kallsyms does not know prints as "0x...": -ENOENT.
 */
int dbr_split_symbol(const char *s, char *sym, size_t symsz,
		     char *mod, size_t modsz)
{
	size_t n = 0, m = 0;

	if (!symsz || !modsz)
		return -EINVAL;
	if (s[0] == '0' && s[1] == 'x')
		return -ENOENT;
	while (s[n] && s[n] != ' ' && s[n] != '[')
		n++;
	if (!n)
		return -EINVAL;
	/*
	 * A symbol longer than any list entry can hold cannot match one:
	 * leave @sym empty, but keep the module, so mod: entries still match.
	 */
	if (n < symsz) {
		memcpy(sym, s, n);
		sym[n] = '\0';
	} else {
		sym[0] = '\0';
	}
	s += n;
	while (*s == ' ')
		s++;
	if (*s == '[') {
		s++;
		while (s[m] && s[m] != ']' && s[m] != ' ')
			m++;
		if (!m || m >= modsz)
			return -EINVAL;
		memcpy(mod, s, m);
	}
	mod[m] = '\0';
	return 0;
}
