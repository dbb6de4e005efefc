"""One benchmark sample, taken in a fresh process so imports and memory start from nothing.

Reads a JSON request on stdin and prints one JSON line. Every request imports the SDKs
(`pulumi`, `pulumi_aws`, `pulumi_kubernetes`); `{}` stops there and so measures the import floor.
`"modules": [...]` then loads those SDK modules (the AWS and Kubernetes SDKs load their service
modules lazily, on first use). `"stack": NAME` with optional `"overrides"` runs that stack's
program under mocks; `"list_modules": true` adds the SDK modules the run loaded, and
`"dump_floor": PATH` writes the run's resources as an SDK floor spec (tools/bench/floor.py) once
the clocks have stopped, unless PATH exists (the first sample of a series writes it), with the
SDK modules the run loaded. `"floor": PATH` with `"stack"` loads those modules and runs the floor
program of that spec instead of the stack's program, under the same config and mocks: the core
floor, or with `"classes": true` the SDK floor (through the provider SDK classes the run used).
`"render": [ARGS]` runs
`python -m tools.render ARGS` in the process, into a temporary directory, and fails unless the
render is valid.

The sample has seconds spent importing the SDKs, seconds in all, CPU seconds in all (every
thread), peak RSS in KiB and, for a stack, how many resources it registered. Only the standard
library is loaded before the clocks start, so every kind of request is measured the same way.

Peak RSS is the kernel's high-water mark of this process's own memory (VmHWM). On Linux,
getrusage's ru_maxrss carries over across exec, so a probe started by a large parent would
report the parent's peak; ru_maxrss is used only where /proc is missing.
"""

import time

_START, _START_CPU = time.perf_counter(), time.process_time()

import contextlib  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

SDK_PACKAGES = ("pulumi_aws.", "pulumi_kubernetes.")


def peak_rss_kib() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    # Linux and the BSDs report KiB; macOS reports bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def loaded_sdk_modules() -> list[str]:
    """SDK modules actually executed: a lazily imported module stays a proxy until first use."""
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith(SDK_PACKAGES) and type(module) is types.ModuleType)


def main() -> None:
    request = json.loads(sys.stdin.read() or "{}")
    # Imported here, inside the timed sample: the import is what is measured.
    import pulumi  # noqa: F401, PLC0415
    import pulumi_aws  # noqa: F401, PLC0415
    import pulumi_kubernetes  # noqa: F401, PLC0415
    sample: dict[str, Any] = {"import_s": time.perf_counter() - _START}
    for name in request.get("modules", ()):
        # Reading the namespace makes a lazy module execute.
        vars(importlib.import_module(name))
    run = None
    dump = False
    scratch = None
    if request.get("render"):
        from tools.render import command as render  # noqa: PLC0415 (timed, like the SDK imports)
        scratch = tempfile.mkdtemp(prefix="groundwork-bench-")
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            code = render.main([*request["render"], "--out", scratch])
        if code:
            raise SystemExit(f"render exited {code}:\n{printed.getvalue()}")
    elif request.get("stack"):
        from tools import harness  # noqa: PLC0415 (timed, like the SDK imports)
        from tools.bench import floor  # noqa: PLC0415
        program = None
        if request.get("floor"):
            spec = json.loads(Path(request["floor"]).read_text())
            # What any program creating these resource types loads. They weigh on the run too:
            # Python's garbage collector scans them in every full collection.
            for name in spec["modules"]:
                vars(importlib.import_module(name))

            def program() -> None:
                floor.register(spec["resources"], classes=bool(request.get("classes")))
        # The first sample of a series records which provider SDK class made each resource, for
        # the SDK floor; the others run without the wrapper that records it.
        dump = bool(request.get("dump_floor")) and not Path(request["dump_floor"]).exists()
        recording: contextlib.AbstractContextManager[floor.Classes] = (
            floor.sdk_classes() if dump else contextlib.nullcontext({}))
        with recording as classes:
            run = harness.run(request["stack"], request.get("overrides"), program=program)
        sample["resources"] = len(run.resources)
    sample["total_s"] = time.perf_counter() - _START
    sample["cpu_s"] = time.process_time() - _START_CPU
    sample["rss_kib"] = peak_rss_kib()
    if scratch is not None:
        shutil.rmtree(scratch)
    if request.get("list_modules"):
        sample["modules"] = loaded_sdk_modules()
    if run is not None and dump:
        Path(request["dump_floor"]).write_text(json.dumps(
            {"modules": loaded_sdk_modules(), "resources": floor.spec(run, classes)}))
    print(json.dumps(sample), flush=True)
    # Without tearing the interpreter down: freeing the heap of thousands of resources takes a
    # second or more that no sample counts, only the bench's wall time.
    os._exit(0)


if __name__ == "__main__":
    main()
