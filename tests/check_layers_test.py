#!/usr/bin/env python3
"""Self-test of tests/check_layers.py: a copy of agent/ and plugins/ passes, and each kind of
forbidden include injected into a copy is found with its FILE:LINE. Usage: check_layers_test.py
[SOURCE_DIR]"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
CHECK = ROOT / "tests" / "check_layers.py"


def run(tree):
    p = subprocess.run([sys.executable, str(CHECK), str(tree)], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def copy(tmp):
    tree = pathlib.Path(tmp) / "src"
    for d in ("agent", "plugins"):
        shutil.copytree(ROOT / d, tree / d)
    (tree / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "layers.txt", tree / "tests" / "layers.txt")
    return tree


def inject(tree, rel, include):
    """Appends `#include "include"` (or `#include <...>` when given so) to tree/rel; returns its
    line number."""
    path = tree / rel
    lines = path.read_text().splitlines()
    lines.append(f"#include {include}" if include.startswith("<") else f'#include "{include}"')
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


CASES = [
    # (file, include, what the report must say)
    ("plugins/sinks/null/null_sink.h", "agent/pipeline/lane.h", "which plugins/* may not"),
    ("plugins/sinks/null/null_sink.h", "plugins/sinks/file/file_sink.h", "which plugins/* may not"),
    ("plugins/common/fd_sink.h", "plugins/sinks/file/file_sink.h", "which plugins/common may not"),
    ("agent/core/buffer_pool.h", "agent/api/batch.h", "which agent/core may not"),
    ("agent/api/batch.h", "agent/pipeline/lane.h", "which agent/api may not"),
    ("agent/pipeline/lane.h", "agent/supervisor/supervisor.h", "which agent/pipeline may not"),
    ("agent/pipeline/lane.h", "plugins/builtin_plugins.h", "which agent/pipeline may not"),
    ("agent/supervisor/supervisor.h", "plugins/sinks/null/null_sink.h",
     "which agent/supervisor may not"),
    # third-party headers stay behind the layer that owns them
    ("plugins/inputs/tail/tail_options.h", "<yaml-cpp/yaml.h>",
     "which only agent/api/options.cc may"),
    ("agent/api/options.h", "<yaml-cpp/yaml.h>", "which only agent/api/options.cc may"),
    ("plugins/sinks/file/file_sink.cc", "<librdkafka/rdkafka.h>",
     "which only plugins/sinks/kafka may"),
    ("agent/pipeline/lane.h", "<prometheus/registry.h>", "which only agent/metrics may"),
]


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = copy(tmp)
        rc, out = run(tree)
        if rc != 0:
            failures.append(f"the unmodified copy fails:\n{out}")
    for rel, include, says in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            tree = copy(tmp)
            if not (tree / rel).is_file():
                failures.append(f"{rel}: no such file (update this test)")
                continue
            line = inject(tree, rel, include)
            rc, out = run(tree)
            shown = include if include.startswith("<") else f'"{include}"'
            want = f"{rel}:{line}: includes {shown}, {says}"
            if rc != 1 or want not in out:
                failures.append(f"{rel} including {include}: want rc 1 and '{want}', got rc {rc}:"
                                f"\n{out}")
    with tempfile.TemporaryDirectory() as tmp:  # a directory no rule covers
        tree = copy(tmp)
        (tree / "agent" / "newlayer").mkdir()
        (tree / "agent" / "newlayer" / "x.h").write_text("#pragma once\n")
        rc, out = run(tree)
        if rc != 1 or "agent/newlayer/x.h:1: not covered by tests/layers.txt" not in out:
            failures.append(f"an uncovered directory passes: rc {rc}:\n{out}")
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"check_layers self-test: {len(CASES) + 2} cases ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
