"""Prove the floors leg installed the lowest declared version of every direct dependency.

Run with the leg's interpreter. Each requirement of ``[project].dependencies`` must be installed at
exactly the version its ``>=`` floor names; one that resolved higher means the floor is not what CI
tested, so the floor (or the leg's date, .ci/floors-date) must change. Exit status 1 lists each mismatch.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement
from packaging.version import Version


def floors() -> dict[str, Version]:
    """Each direct dependency's ``>=`` floor, read from the installed package's metadata (so from
    pyproject.toml); a dependency without one is an error (there would be nothing to test)."""
    result: dict[str, Version] = {}
    for line in requires("airflow-provider-hailuo") or []:
        req = Requirement(line)
        if req.marker is not None and "extra" in str(req.marker):
            continue
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        if not lows:
            raise SystemExit(f"{req.name}: no '>=' floor declared in pyproject.toml")
        result[req.name] = max(lows)
    return result


def main() -> int:
    problems = []
    for name, floor in sorted(floors().items()):
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            problems.append(f"{name}: not installed (floor {floor})")
            continue
        mark = "ok" if installed == floor else "NOT THE FLOOR"
        print(f"  {name:45} floor {floor!s:12} installed {installed!s:12} {mark}")
        if installed != floor:
            problems.append(f"{name}: installed {installed}, declared floor {floor}")
    for problem in problems:
        print(f"floor check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
