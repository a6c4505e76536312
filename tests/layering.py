#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layering of the tree, checked from CMake's own target graph (the
file API's codemodel) and from the #include lines:

  - a program (an executable or a module outside tests/ and bench/) links
    and compiles only libraries: the library folders, and its own folder;
  - a library target that lives in a program's folder (that program's
    engine, kept beside it for its unit tests) is linked by no other
    program, and no library links a program folder;
  - no file outside a program's folder includes a header that lives only in
    that program's folder; the fuzz targets compile only their own files;
  - every header name is unique in the tree.

Usage: layering.py SOURCE_DIR BUILD_DIR. Prints one line per violation and
exits 1 when there is any.
"""
import glob
import json
import os
import re
import subprocess
import sys

src, build = (os.path.realpath(p) for p in sys.argv[1:3])
problems = []


def fail(msg):
    problems.append(msg)
    print("layering: " + msg)


def codemodel():
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    if not glob.glob(os.path.join(reply, "index-*.json")):
        # the query is written during the first configure, the reply comes
        # with the next one
        subprocess.run(["cmake", build], check=True, stdout=subprocess.DEVNULL)
    index = sorted(glob.glob(os.path.join(reply, "index-*.json")))[-1]
    with open(index) as f:
        idx = json.load(f)
    cm = idx["reply"]["codemodel-v2"]["jsonFile"]
    with open(os.path.join(reply, cm)) as f:
        model = json.load(f)
    targets = {}
    for ref in model["configurations"][0]["targets"]:
        with open(os.path.join(reply, ref["jsonFile"])) as f:
            targets[ref["id"]] = json.load(f)
    return targets


def top(path):
    """The top-level folder of a path relative to the source tree."""
    return path.split("/", 1)[0] if path not in (".", "") else "."


targets = codemodel()
by_id = targets
PROGRAM_TYPES = ("EXECUTABLE", "MODULE_LIBRARY", "SHARED_LIBRARY")
EXEMPT = ("tests", "bench")

folder = {tid: top(t["paths"]["source"]) for tid, t in targets.items()}
programs = {tid for tid, t in targets.items()
            if t["type"] in PROGRAM_TYPES and folder[tid] not in EXEMPT}
program_folders = {folder[tid] for tid in programs}
library_folders = {folder[tid] for tid, t in targets.items()
                   if t["type"] == "STATIC_LIBRARY" and folder[tid] not in program_folders}

if not programs or not library_folders:
    fail("no programs or libraries found in the codemodel: is %s a build tree?" % build)
for must in ("admin", "cli", "enrol-portal", "gateway", "radius-module"):
    if must not in program_folders:
        fail("the program folder %s has no program in the codemodel" % must)

# what each target links (static libraries, by artifact)
artifact = {}
for tid, t in targets.items():
    for a in t.get("artifacts", []):
        artifact[os.path.basename(a["path"])] = tid


def linked(t):
    out = []
    for frag in t.get("link", {}).get("commandFragments", []):
        if frag.get("role") != "libraries":
            continue
        name = os.path.basename(frag["fragment"].strip('"'))
        if name in artifact:
            out.append(artifact[name])
    return out


for tid, t in targets.items():
    me = folder[tid]
    if me in EXEMPT:
        continue
    for dep in linked(t):
        dfolder = folder[dep]
        if dfolder in program_folders and dfolder != me:
            fail("%s (%s/) links %s, which lives in the program folder %s/"
                 % (t["name"], me, targets[dep]["name"], dfolder))
    for s in t.get("sources", []):
        p = os.path.relpath(os.path.join(src, s["path"]), src) if not os.path.isabs(s["path"]) \
            else os.path.relpath(s["path"], src)
        if p.startswith(".."):
            continue  # generated in the build tree
        sfolder = top(p)
        if sfolder != me and sfolder in program_folders:
            fail("%s (%s/) compiles %s from the program folder %s/" % (t["name"], me, p, sfolder))
        if sfolder != me and sfolder in EXEMPT:
            fail("%s (%s/) compiles the test file %s" % (t["name"], me, p))

# the fuzz build (BYOD_FUZZ) is not in this codemodel: its CMakeLists names
# no source outside tests/fuzz
with open(os.path.join(src, "tests", "fuzz", "CMakeLists.txt")) as f:
    for n, line in enumerate(f, 1):
        if "PROJECT_SOURCE_DIR}/" in line and "corpus" not in line:
            fail("tests/fuzz/CMakeLists.txt:%d compiles a file of another folder" % n)

# headers: unique names, and where each lives
tracked = subprocess.run(["git", "-C", src, "ls-files", "*.c", "*.h"], check=True,
                         capture_output=True, text=True).stdout.split()
headers = {}
for p in tracked:
    if p.endswith(".h"):
        headers.setdefault(os.path.basename(p), []).append(p)
for name, paths in sorted(headers.items()):
    if len(paths) > 1:
        fail("header name %s is used %d times: %s" % (name, len(paths), ", ".join(paths)))

include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
for p in tracked:
    me = top(p)
    # unit tests and benchmarks may include a program's engine; the fuzz
    # targets may not
    if me in EXEMPT and not p.startswith("tests/fuzz/"):
        continue
    with open(os.path.join(src, p), errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = include.match(line)
            if not m:
                continue
            name = os.path.basename(m.group(1))
            where = {top(h) for h in headers.get(name, [])}
            if not where:
                continue  # a system or generated header
            if me in where:
                continue
            others = where & program_folders
            if others and not (where & library_folders):
                fail("%s:%d includes %s from the program folder %s/"
                     % (p, n, m.group(1), "/".join(sorted(others))))

if problems:
    print("layering: %d problem(s)" % len(problems))
    sys.exit(1)
print("layering: %d targets, programs in %s, libraries in %s: as they should be"
      % (len(targets), ", ".join(sorted(program_folders)), ", ".join(sorted(library_folders))))
