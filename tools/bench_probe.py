"""One benchmark sample, taken in a fresh process so imports and memory start from nothing.

Reads a JSON request on stdin: `{}` measures the SDK import floor alone; `{"stack": NAME,
"overrides": {...}}` also runs that stack's program under mocks. Prints one JSON line: seconds
spent importing the SDKs, seconds in all (imports plus program), peak RSS in KiB and, for a
stack, how many resources it registered. Only the standard library is imported before the clock
starts, so the import floor and a stack run are measured the same way.

Peak RSS is the kernel's high-water mark of this process's own memory (VmHWM). On Linux,
getrusage's ru_maxrss carries over across exec, so a probe started by a large parent would
report the parent's peak; ru_maxrss is used only where /proc is missing.
"""

import time

_START = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


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


def main() -> None:
    request = json.loads(sys.stdin.read() or "{}")
    import pulumi  # noqa: F401
    import pulumi_aws  # noqa: F401
    import pulumi_kubernetes  # noqa: F401
    sample = {"import_s": time.perf_counter() - _START}
    if request.get("stack"):
        from tools import mock_runner
        run = mock_runner.run(request["stack"], request.get("overrides"))
        sample["resources"] = len(run.resources)
    sample["total_s"] = time.perf_counter() - _START
    sample["rss_kib"] = peak_rss_kib()
    print(json.dumps(sample))


if __name__ == "__main__":
    main()
