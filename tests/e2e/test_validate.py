#!/usr/bin/env python3
"""`logagent validate`: every config/*.yaml of the repository is valid (exit 0); typos in keys
("pahts", "brokr", a top-level one) fail with FILE:LINE:COL pointing at the key and a
"did you mean" hint; a bad size ("64MB?") fails with its position; a file sink whose output (or
rolled names) its own input reads, and a data_dir the input reads, are refused at the sink (the
input); a max_line_bytes the buffer pool cannot hold is a warning at the option (exit 0); a valid
config passes."""

import glob
import os
import re
import subprocess

import e2e_lib as e

DIAG_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


def validate(ctx: e.Context, path: str, env: dict | None = None) -> tuple[int, str, str]:
    p = subprocess.run([ctx.logagent, "validate", "-c", path], capture_output=True, text=True,
                       timeout=30, cwd=ctx.dir, env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def diagnostics(stderr: str) -> list[dict]:
    out = []
    for line in stderr.splitlines():
        m = DIAG_RE.match(line)
        if m:
            d = m.groupdict()
            d["line"], d["col"] = int(d["line"]), int(d["col"])
            out.append(d)
    return out


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first occurrence of `needle`."""
    for i, line in enumerate(text.splitlines()):
        c = line.find(needle)
        if c >= 0:
            return i + 1, c + 1
    raise AssertionError(needle)


def expect_error(ctx: e.Context, name: str, text: str, needle: str, what: str,
                 hint: str | None = None, value_needle: str | None = None) -> None:
    """`text` must fail validation with a diagnostic at the line of `needle` (column of the key
    or of its value) whose message mentions `what` (and `hint` when given)."""
    path = ctx.path(name)
    with open(path, "w") as f:
        f.write(text)
    rc, out, err = validate(ctx, path)
    e.log(f"[{name}] exit {rc}: " + " | ".join(err.strip().splitlines()))
    e.check(rc != 0, f"{name}: validate exited 0 for an invalid config ({what})")
    diags = diagnostics(err)
    e.check(diags, f"{name}: no 'FILE:LINE:COL: message' line on stderr: {err!r}")
    want_line, key_col = position_of(text, needle)
    cols = {key_col}
    if value_needle:
        cols.add(position_of(text, value_needle)[1])
    match = [d for d in diags if what in d["msg"]]
    e.check(match, f"{name}: no diagnostic mentions {what!r}: {err!r}")
    d = match[0]
    e.check(os.path.abspath(os.path.join(ctx.dir, d["file"])) == path or d["file"] == path,
            f"{name}: diagnostic names file {d['file']!r}, want {path!r}")
    e.check(d["line"] == want_line and d["col"] in cols,
            f"{name}: diagnostic at {d['line']}:{d['col']}, want {want_line}:"
            f"{'/'.join(map(str, sorted(cols)))} ({needle!r}): {d['msg']}")
    if hint:
        e.check("did you mean" in d["msg"] and hint in d["msg"],
                f"{name}: no \"did you mean '{hint}'\" hint: {d['msg']!r}")


VALID = """\
data_dir: {dir}/data
metrics:
  listen: ""
memory:
  buffer_pool: 16MiB
  chunk_size: 256KiB
checkpoint_interval: 1s
shutdown_timeout: 10s
pipelines:
  - name: app
    workers: 2
    input:
      type: tail
      paths: ["{dir}/logs/*.log"]
      exclude: ["*.gz"]
      read_from: head
      scan_interval: 1s
      max_line_bytes: 1MiB
    sinks:
      - type: file
        path: {dir}/out/app.ndjson
        format: json
      - type: "null"
      - type: stdout
        format: raw
"""


def body(ctx: e.Context) -> None:
    # 1. The repository's example configurations.
    configs = sorted(glob.glob(os.path.join(ctx.source_dir, "config", "*.yaml")))
    if not configs:
        e.log("SKIP repository configs: no config/*.yaml yet")
    failed = []
    for path in configs:
        rc, out, err = validate(ctx, path)
        e.log(f"[config/{os.path.basename(path)}] exit {rc} {out.strip()} {err.strip()}")
        if rc != 0:
            failed.append(f"{os.path.basename(path)}: {err.strip()}")
    e.check(not failed, "repository configs fail validation: " + " | ".join(failed))

    # 2. The spec's full example is valid.
    good = ctx.path("good.yaml")
    with open(good, "w") as f:
        f.write(VALID.format(dir=ctx.dir))
    rc, out, err = validate(ctx, good)
    e.log(f"[good.yaml] exit {rc} {out.strip()} {err.strip()}")
    e.check(rc == 0, f"a valid config (every documented key) fails validation: {err.strip()}")

    # ${ENV} and ${ENV:-default} expansion: a size from the environment.
    env_cfg = ctx.path("env.yaml")
    with open(env_cfg, "w") as f:
        f.write(VALID.format(dir=ctx.dir).replace("buffer_pool: 16MiB",
                                                 "buffer_pool: ${E2E_POOL:-16MiB}"))
    rc, _, err = validate(ctx, env_cfg)
    e.check(rc == 0, f"${{E2E_POOL:-16MiB}} (unset, default used) fails: {err.strip()}")
    rc, _, err = validate(ctx, env_cfg, env={"E2E_POOL": "64MB?"})
    e.check(rc != 0, "E2E_POOL=64MB? (a bad size from the environment) passes validation")

    base = VALID.format(dir=ctx.dir)
    # 3. Typo in an input key.
    expect_error(ctx, "typo-pahts.yaml", base.replace("      paths:", "      pahts:"),
                 "pahts:", "pahts", hint="paths")
    # 4. Typo in a top-level key.
    expect_error(ctx, "typo-toplevel.yaml",
                 base.replace("checkpoint_interval:", "checkpoint_intervl:"),
                 "checkpoint_intervl:", "checkpoint_intervl", hint="checkpoint_interval")
    # 5. Typo in a sink key.
    expect_error(ctx, "typo-sink.yaml", base.replace("        format: json", "        formt: json"),
                 "formt:", "formt", hint="format")
    # 6. A bad size, a bad duration.
    expect_error(ctx, "bad-size.yaml", base.replace("buffer_pool: 16MiB", "buffer_pool: 64MB?"),
                 "buffer_pool:", "64MB?", value_needle="64MB?")
    expect_error(ctx, "bad-duration.yaml",
                 base.replace("checkpoint_interval: 1s", "checkpoint_interval: 1 fortnight"),
                 "checkpoint_interval:", "1 fortnight", value_needle="1 fortnight")
    # 7. "brokr" in a kafka sink, if the kafka sink exists in this build.
    ref = subprocess.run([ctx.logagent, "reference"], capture_output=True, text=True, timeout=30)
    if ref.returncode == 0 and "### `kafka`" not in ref.stdout:
        e.log("SKIP brokr typo: this build has no kafka sink (not in `logagent reference`)")
    else:
        kafka = base.replace('      - type: "null"\n',
                             '      - type: kafka\n        brokr: ["127.0.0.1:9092"]\n'
                             '        topic: app-logs\n')
        expect_error(ctx, "typo-brokr.yaml", kafka, "brokr:", "brokr", hint="brokers")
    # 8. Several errors are all reported.
    many = (base.replace("      paths:", "      pahts:")
            .replace("buffer_pool: 16MiB", "buffer_pool: 64MB?"))
    path = ctx.path("many.yaml")
    with open(path, "w") as f:
        f.write(many)
    rc, _, err = validate(ctx, path)
    e.check(rc != 0 and len(diagnostics(err)) >= 2,
            f"two errors in one file: exit {rc}, diagnostics {diagnostics(err)}")
    # 9. A file sink writing where its own pipeline reads (it would feed on itself), a rolled
    #    name that the glob matches, and a data_dir inside the input's paths.
    expect_error(ctx, "own-output.yaml",
                 base.replace("path: {}/out/app.ndjson".format(ctx.dir),
                              "path: {}/logs/out.log".format(ctx.dir)),
                 "type: file", "which this pipeline's input reads")
    rolled = (base.replace('paths: ["{}/logs/*.log"]'.format(ctx.dir),
                           'paths: ["{}/out/app-*.ndjson"]'.format(ctx.dir))
              .replace("        format: json\n", "        format: json\n        roll_size: 1MiB\n",
                       1)
              )
    expect_error(ctx, "own-rolled.yaml", rolled, "type: file",
                 "which this pipeline's input reads")
    expect_error(ctx, "own-data-dir.yaml",
                 base.replace("data_dir: {}/data".format(ctx.dir),
                              "data_dir: {}/logs".format(ctx.dir))
                 .replace('paths: ["{}/logs/*.log"]'.format(ctx.dir),
                          'paths: ["{}/logs/*"]'.format(ctx.dir)),
                 "type: tail", "reads the agent's data_dir")
    # 10. An option the buffer pool cannot honour works, lowered: a warning at the option that
    # states the limit that applies, and exit 0.
    path = ctx.path("small-pool.yaml")
    text = (base.replace("buffer_pool: 16MiB", "buffer_pool: 1MiB")
            .replace("max_line_bytes: 1MiB", "max_line_bytes: 8MiB"))
    with open(path, "w") as f:
        f.write(text)
    rc, out, err = validate(ctx, path)
    e.log(f"[small-pool.yaml] exit {rc}: {out.strip()} | {err.strip()}")
    e.check(rc == 0 and "ok" in out, f"a pool too small for max_line_bytes fails: {err.strip()}")
    warned = [d for d in diagnostics(err) if "warning: max_line_bytes 8MiB" in d["msg"]]
    e.check(warned, f"no FILE:LINE:COL warning for max_line_bytes: {err!r}")
    line, key_col = position_of(text, "max_line_bytes: 8MiB")
    value_col = position_of(text, "8MiB")[1]
    e.check(warned[0]["line"] == line and warned[0]["col"] in (key_col, value_col),
            f"warning at {warned[0]['line']}:{warned[0]['col']}, want {line}:{value_col}")
    e.check("lines are cut at 768KiB" in warned[0]["msg"],
            f"the warning does not state the limit that applies: {warned[0]['msg']!r}")
    rc, _, err = validate(ctx, good)
    e.check("warning" not in err, f"a config that fits the pool warns: {err.strip()!r}")
    # 11. Not YAML at all / missing file.
    path = ctx.path("broken.yaml")
    with open(path, "w") as f:
        f.write(base.replace("    sinks:\n", "    sinks: [\n"))
    rc, _, err = validate(ctx, path)
    e.log(f"[broken.yaml] exit {rc}: {err.strip()}")
    e.check(rc != 0 and diagnostics(err), "YAML syntax error: want exit != 0 and a "
            f"FILE:LINE:COL diagnostic, got exit {rc}: {err.strip()!r}")
    rc, _, err = validate(ctx, ctx.path("does-not-exist.yaml"))
    e.check(rc != 0, "validate of a missing file exits 0")
    e.log(f"[missing file] exit {rc}: {err.strip()}")


if __name__ == "__main__":
    e.main("validate", body)
