#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""prom_check.py EXPECTED_JSON [--exact] < exposition

Checks a Prometheus text exposition (dmabuf-revokectl status --prometheus)
with the reference parser (Debian's python3-prometheus-client,
prometheus_client.parser.text_string_to_metric_families), plus what the
parser lets through but node_exporter's textfile collector and our
documentation require:
  - every family has '# HELP' then '# TYPE' before its samples, once;
  - its samples are contiguous and named after it (counters end in _total);
  - every name starts with dmabuf_revoke_; no gauge/counter is untyped;
  - the samples given in EXPECTED_JSON ({"name{l=\"v\",...}": value, ...},
    labels sorted by name) have exactly those values; a value of null means
    the sample must be absent. With --exact no other sample may exist.
Exit 0 if all holds, 1 with the reasons on stderr, 2 if the parser is
missing. Run by Debian's /usr/bin/python3, where python3-prometheus-client
installs (scripts/deps.sh), whatever python3 comes first in PATH.
"""
import json
import re
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:
    print('prom_check: %s: install python3-prometheus-client (scripts/deps.sh)' % e,
          file=sys.stderr)
    sys.exit(2)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$')


def key(name, labels):
    if not labels:
        return name
    return name + '{' + ','.join('%s="%s"' % (k, labels[k]) for k in sorted(labels)) + '}'


def main():
    expected = json.loads(sys.argv[1])
    exact = '--exact' in sys.argv[2:]
    text = sys.stdin.read()
    errs = []
    # Lines: HELP, TYPE, then the family's samples, each family once.
    helps, types, done = {}, {}, set()
    cur = None
    for n, line in enumerate(text.split('\n'), 1):
        if line == '':
            continue
        if line.startswith('# HELP '):
            parts = line.split(' ', 3)
            if len(parts) < 4 or not parts[3].strip():
                errs.append('line %d: HELP without text' % n)
                continue
            if parts[2] in helps:
                errs.append('line %d: second HELP for %s' % (n, parts[2]))
            helps[parts[2]] = parts[3]
            if cur:
                done.add(cur)
            cur = None
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            if len(parts) != 4:
                errs.append('line %d: bad TYPE line' % n)
                continue
            name, typ = parts[2], parts[3]
            if name not in helps:
                errs.append('line %d: TYPE %s without HELP before it' % (n, name))
            if name in types:
                errs.append('line %d: second TYPE for %s' % (n, name))
            if typ not in ('counter', 'gauge'):
                errs.append('line %d: %s has type %s' % (n, name, typ))
            if typ == 'counter' and not name.endswith('_total'):
                errs.append('line %d: counter %s does not end in _total' % (n, name))
            types[name] = typ
            cur = name
            continue
        if line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            errs.append('line %d: not a sample: %r' % (n, line))
            continue
        if not m.group(1).startswith('dmabuf_revoke_'):
            errs.append('line %d: %s is not prefixed dmabuf_revoke_' % (n, m.group(1)))
        if m.group(1) != cur:
            errs.append('line %d: sample %s outside its family (HELP/TYPE missing or '
                        'not right before it)' % (n, m.group(1)))
    if not text.endswith('\n'):
        errs.append('the exposition does not end with a newline')
    # The reference parser, and the values.
    got = {}
    try:
        for fam in text_string_to_metric_families(text):
            if fam.type in ('unknown', 'untyped'):
                errs.append('family %s is untyped' % fam.name)
            if not fam.documentation:
                errs.append('family %s has no HELP' % fam.name)
            for s in fam.samples:
                k = key(s.name, s.labels)
                if k in got:
                    errs.append('sample %s twice' % k)
                got[k] = s.value
    except Exception as e:  # the parser raises ValueError and friends
        errs.append('prometheus_client cannot parse it: %s: %s' % (type(e).__name__, e))
    for k, v in expected.items():
        if v is None:
            if k in got:
                errs.append('%s present (%s), expected absent' % (k, got[k]))
        elif k not in got:
            errs.append('%s missing' % k)
        elif got[k] != float(v):
            errs.append('%s is %s, expected %s' % (k, got[k], v))
    if exact:
        for k in sorted(set(got) - set(expected)):
            errs.append('%s (%s) not expected' % (k, got[k]))
    for e in errs:
        print('prom_check: ' + e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main())
