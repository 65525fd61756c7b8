"""Print the newest final Airflow release of a minor and the day after it was published.

Usage: ``python .ci/airflow_release.py 3.2`` prints ``3.2.2 2026-05-30``.

Why the date: Airflow is supported when installed with the constraints file of its release, which pins
every dependency as PyPI had it that day. An older minor resolved against today's newest packages is a
combination Airflow never shipped and may not run (3.2.2's in-process execution API fails with the
starlette and cadwyn of late 2026, before any provider code runs). CI cannot download the constraints
file (only the package registry is reachable), so the older legs resolve "as of" the day after the
release instead (``uv --exclude-newer``), which is what that file records. The registry's simple JSON
API gives each file's upload time, so nothing is hard-coded and a new patch release is picked up.
"""

from __future__ import annotations

import datetime
import json
import sys
import urllib.request

from packaging.version import Version

INDEX = "https://pypi.org/simple/apache-airflow/"


def newest_release(minor: str) -> tuple[Version, datetime.datetime]:
    request = urllib.request.Request(INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    uploaded: dict[Version, datetime.datetime] = {}
    for item in files:
        name: str = item["filename"]
        if not name.endswith(".whl") or not item.get("upload-time"):
            continue
        version = Version(name.split("-")[1])
        if version.is_prerelease or f"{version.major}.{version.minor}" != minor:
            continue
        when = datetime.datetime.fromisoformat(item["upload-time"].replace("Z", "+00:00"))
        uploaded[version] = max(when, uploaded.get(version, when))
    if not uploaded:
        raise SystemExit(f"no final apache-airflow {minor}.x wheel on {INDEX}")
    version = max(uploaded)
    return version, uploaded[version]


def main() -> None:
    version, when = newest_release(sys.argv[1])
    print(version, (when + datetime.timedelta(days=1)).date().isoformat())


if __name__ == "__main__":
    main()
