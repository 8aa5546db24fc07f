#!/usr/bin/env python3
"""Count test results: host layers and one guest boot.

Reads KTAP files of host layers (--tap name=file), <dir>/console.log (kernel
log with KUnit KTAP) and <dir>/tests.log (user-space tests between
"### BEGIN name" / "### END name rc=N").  Prints one line per layer, writes
"passed failed" to <dir>/counts and, with --summary, prints the final
"N passed, N failed".  A layer that reports nothing counts as one failure.
Known failures of upstream selftests (none on 7.3) are read from
tooling/selftests-xfail and counted apart, never as passes.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Any of these in the kernel log fails the run.
BAD_KERNEL = re.compile(
    r"BUG:|WARNING:|KASAN|UBSAN|"
    r"possible (recursive|circular) locking|inconsistent lock state|"
    r"lockdep|Oops|Kernel panic|general protection fault|"
    r"suspicious RCU usage|hung_task|soft lockup")
# kmemleak scans only when the guest's kmemleak step asks (no automatic
# scan), and that step counts what it finds, known leaks apart: its
# "N new suspected memory leaks" line is not a report of its own.
# Lines the sanitizers print about themselves at boot, not reports.
BENIGN_KERNEL = re.compile(
    r"KernelAddressSanitizer initialized|kmemleak: Kernel memory leak "
    r"detector initialized|kmemleak: Automatic memory scanning thread|"
    r"Lock dependency validator|lockdep_|\.\.\. MAX_LOCK|"
    r"per task-struct memory footprint|in-kernel lockdep|"
    r"RCU lockdep checking is enabled|Kernel command line:|"
    r"Running RCU synchronous self tests|RCU Tasks|UBSAN_")

# A KCSAN report runs from its "BUG: KCSAN:" line to the next rule line.
KCSAN_START = re.compile(r"BUG: KCSAN: ")
KCSAN_END = re.compile(r"^(\[[^]]*\] )?=+$")
FRAME = re.compile(r"^(?:\[[^]]*\])?\s*([A-Za-z_][\w.]*)\+0x")

TAP = re.compile(r"^\s*(not ok|ok) (\d+) (.*?)(?:\s+#\s*(SKIP|XFAIL|TODO)\b.*)?$")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "")
    except FileNotFoundError:
        return ""


def load_xfail():
    xf = {}
    path = os.path.join(HERE, "selftests-xfail")
    for line in read(path).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, why = line.partition(" ")
            xf[name] = why.strip()
    return xf


class Layer:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0
        self.skipped, self.xfail, self.notes = 0, 0, []

    def fail(self, why):
        self.failed += 1
        self.notes.append(why)


def count_tap(layer, text, xfail, top_level_only):
    for line in text.splitlines():
        if top_level_only and line.startswith((" ", "\t")):
            continue
        m = TAP.match(line)
        if not m:
            continue
        status, name, directive = m.group(1), m.group(3).strip(), m.group(4)
        if directive == "SKIP":
            layer.skipped += 1
        elif status == "ok":
            layer.passed += 1
            if name in xfail:
                layer.notes.append("passes now, drop from xfail list: " + name)
        elif name in xfail:
            layer.xfail += 1
        else:
            layer.fail("not ok " + name)


def sections(text):
    out = {}
    for m in re.finditer(r"^### BEGIN (\S+)\n(.*?)^### END \1 rc=(\d+)", text,
                         re.S | re.M):
        out[m.group(1)] = (m.group(2), int(m.group(3)))
    return out


def kunit_text(console):
    """The KTAP part of the console log, kernel prefixes removed."""
    lines = []
    for line in console.splitlines():
        line = re.sub(r"^\[\s*\d+\.\d+\]\s?", "", line)
        lines.append(line)
    return "\n".join(lines)


def kunit_layers(body, want):
    """One layer per KUnit suite ("kunit-<suite>"), leaf results only.

    Suites print "# Subtest: <suite>" four spaces in, their cases at the
    same depth and the parameters of a parameterized case one level deeper,
    followed by a summary line for the case: only the parameters count.
    """
    layers, order, suite = {}, [], None
    for line in body.splitlines():
        m = re.match(r"^ {4}# Subtest: (\S+)$", line)
        if m:
            suite = m.group(1)
            if suite not in layers:
                layers[suite] = Layer("kunit-" + suite)
                order.append(suite)
            continue
        m = re.match(r"^(\s+)(not ok|ok) (\d+) (.*?)(?:\s+# (SKIP).*)?$", line)
        if not m or suite is None:
            continue
        if re.search(r"^\s+# Subtest: " + re.escape(m.group(4)) + r"$",
                     body, re.M):
            continue
        k = layers[suite]
        if m.group(5):
            k.skipped += 1
        elif m.group(2) == "ok":
            k.passed += 1
        else:
            k.fail("not ok " + m.group(4))
    for name in [w for w in want.split(",") if w]:
        if name not in layers:
            layers[name] = Layer("kunit-" + name)
            order.append(name)
    out = []
    for name in order:
        k = layers[name]
        if k.passed + k.failed == 0:
            k.fail("no results for KUnit suite " + name)
        out.append(k)
    if not out:
        k = Layer("kunit")
        k.fail("no KUnit results in the console log")
        out.append(k)
    return out


def split_kcsan(lines):
    """(other lines, [report lines]): KCSAN reports taken out of the log."""
    rest, reports, cur = [], [], None
    for l in lines:
        if cur is None and KCSAN_START.search(l):
            cur = [l]
        elif cur is not None:
            if KCSAN_END.search(l.strip()):
                reports.append(cur)
                cur = None
            else:
                cur.append(l)
        else:
            rest.append(l)
    if cur is not None:
        reports.append(cur)
    return rest, reports


KCSAN_SELFTEST = re.compile(r"kcsan: selftest: (\d+)/(\d+) tests passed")


def kcsan_layer(console, reports, ours):
    """Fails on a report with a stack frame whose function matches @ours,
    and when the boot selftest does not show the detector running."""
    layer = Layer("kcsan")
    mine = re.compile(ours)
    m = KCSAN_SELFTEST.search(console)
    if not m or m.group(1) != m.group(2):
        layer.fail("KCSAN's boot selftest did not pass: the detector is not running")
    for r in reports:
        title = r[0].split("BUG: KCSAN: ", 1)[1].strip()
        frames = [m.group(1) for m in map(FRAME.match, r) if m]
        hit = sorted({f for f in frames if mine.search(f)})
        if hit:
            layer.fail("ours: %s (frames %s)" % (title, ", ".join(hit)))
        else:
            layer.notes.append("upstream: %s" % title)
    if not layer.failed:
        layer.passed += 1
    return layer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--steps", default="demo",
                    help="comma-separated guest steps that must have run")
    ap.add_argument("--kunit", action="store_true",
                    help="expect KUnit results in the console log")
    ap.add_argument("--kunit-suites", default="",
                    help="comma-separated KUnit suites that must have run")
    ap.add_argument("--tap", action="append", default=[], metavar="NAME=FILE",
                    help="a host layer's KTAP output (repeatable)")
    ap.add_argument("--kcsan-ours", metavar="REGEX",
                    help="KCSAN reports are counted apart: fail on one with "
                    "a stack frame matching REGEX, list the others")
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args()

    console = read(os.path.join(args.dir, "console.log"))
    tests = read(os.path.join(args.dir, "tests.log"))
    xfail = load_xfail()
    layers = []

    for spec in args.tap:
        name, _, path = spec.partition("=")
        layer = Layer(name)
        count_tap(layer, read(path), {}, top_level_only=True)
        if layer.passed + layer.failed == 0:
            layer.fail("no results in " + path)
        layers.append(layer)

    if args.kunit:
        layers += kunit_layers(kunit_text(console), args.kunit_suites)

    secs = sections(tests)
    for step in [s for s in args.steps.split(",") if s]:
        layer = Layer(step)
        if step not in secs:
            layer.fail("step did not finish (crash or timeout)")
        else:
            text, rc = secs[step]
            count_tap(layer, text, xfail if step.startswith("iommufd") else {},
                      top_level_only=True)
            if layer.passed + layer.failed + layer.xfail == 0:
                layer.fail("no results")
            if rc != 0 and layer.failed == 0 and layer.xfail == 0:
                layer.fail("exit status %d" % rc)
        layers.append(layer)

    log_lines = console.splitlines()
    if args.kcsan_ours:
        log_lines, reports = split_kcsan(log_lines)
        layers.append(kcsan_layer(console, reports, args.kcsan_ours))
    kl = Layer("kernel-log")
    bad = [l for l in log_lines
           if BAD_KERNEL.search(l) and not BENIGN_KERNEL.search(l)]
    if bad:
        kl.fail("%d report lines, first: %s" % (len(bad), bad[0].strip()))
    elif "### DONE" not in tests:
        kl.fail("guest did not reach the end of its script")
    else:
        kl.passed += 1
    layers.append(kl)

    for l in layers:
        extra = ""
        if l.skipped:
            extra += ", %d skipped" % l.skipped
        if l.xfail:
            extra += ", %d known failures" % l.xfail
        print("%-18s %4d passed, %d failed%s" % (l.name, l.passed, l.failed, extra))
        for n in l.notes[:20]:
            print("    " + n)
    if bad:
        print("kernel log reports:")
        for b in bad[:30]:
            print("    " + b.strip())
    passed = sum(l.passed for l in layers)
    failed = sum(l.failed for l in layers)
    with open(os.path.join(args.dir, "counts"), "w") as f:
        f.write("%d %d\n" % (passed, failed))
    if args.summary:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
