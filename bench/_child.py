"""Entry point of a measured subprocess: ``python -m bench._child MODULE:FUNCTION KWARGS_JSON RESULT_PATH``.

Calls the function with the keyword arguments, adds this process's peak memory (VmHWM) and writes
the result as JSON to RESULT_PATH. Any exception makes the process exit non-zero.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def vmhwm_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return None


def main(argv: list[str]) -> int:
    target, kwargs_json, result_path = argv
    module_name, func_name = target.split(":")
    from bench.harness import loaded_src_files, src_digest, src_hashes

    before = src_hashes()  # the source as it was when this run started (and imported it)
    func = getattr(importlib.import_module(module_name), func_name)
    result = func(**json.loads(kwargs_json))
    result["vmhwm_mib"] = vmhwm_mib()
    used = loaded_src_files()  # only the modules this run imported count
    result["src_digest"] = src_digest(before, used)
    result["src_files"] = {f: h for f, h in before.items() if f in used}
    result["src_changed"] = src_digest(src_hashes(), used) != result["src_digest"]  # edited while this run went on
    Path(result_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
