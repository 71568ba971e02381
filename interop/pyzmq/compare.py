"""Compares two runs of pyzmq's own test suite (JUnit XML from pytest): one on the
system's libzmq 4.3.4, one on zaio's libzmq.so.5. Every test that passed on libzmq must
pass on zaio, unless excluded.txt names it with a reason. Prints both runs' counts and
each difference; exits 1 on a test that passed on libzmq and not on zaio."""
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    result = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f'{case.get("classname")}::{case.get("name")}'
        if case.find("failure") is not None or case.find("error") is not None:
            result[name] = "failed"
        elif case.find("skipped") is not None:
            result[name] = "skipped"
        else:
            result[name] = "passed"
    return result


def counts(res):
    c = {"passed": 0, "failed": 0, "skipped": 0}
    for v in res.values():
        c[v] += 1
    return c


def junit_key(nodeid):
    """test_x.py::Class::test_y -> test_x.Class::test_y, as pytest's JUnit names it."""
    parts = nodeid.split("::")
    module = parts[0][:-3] if parts[0].endswith(".py") else parts[0]
    if len(parts) == 3:
        return f"{module}.{parts[1]}::{parts[2]}"
    return f"{module}::{parts[-1]}"


def excluded(path):
    """'pytest node id (test_x.py::Class::test_y) then the reason' a line; # starts a
    comment. run_pyzmq.sh deselects the same ids in both runs."""
    names = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            nodeid, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"compare: {path}: '{nodeid}' is excluded without a reason")
            names[junit_key(nodeid)] = reason.strip()
    return names


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: compare.py libzmq.xml zaio.xml excluded.txt")
    ref, ours, skip = outcomes(sys.argv[1]), outcomes(sys.argv[2]), excluded(sys.argv[3])
    for label, res in (("libzmq 4.3.4", ref), ("zaio", ours)):
        c = counts(res)
        print(f"pyzmq suite on {label}: {c['passed']} passed, {c['failed']} failed, "
              f"{c['skipped']} skipped")
    for n, why in sorted(skip.items()):
        print(f"  left out of both runs: {n} ({why})")
    lost = [n for n, v in sorted(ref.items()) if v == "passed" and ours.get(n) != "passed"]
    regressions = [n for n in lost if n not in skip]
    for n in lost:
        why = f"excluded: {skip[n]}" if n in skip else "REGRESSION"
        print(f"  passes on libzmq, {ours.get(n, 'missing')} on zaio: {n} ({why})")
    gained = [n for n, v in sorted(ours.items()) if v == "passed" and ref.get(n) != "passed"]
    for n in gained:
        print(f"  passes on zaio, {ref.get(n, 'missing')} on libzmq: {n}")
    print(f"compare: {len(regressions)} regressions, {len(skip)} left out by name")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
