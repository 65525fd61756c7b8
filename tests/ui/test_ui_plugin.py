"""The UI's registration (views, prefix, laziness, Airflow versions) and its pure helpers.

The pages themselves, their auth and their escaping are tested in a real api-server driven by
Chromium (tests/browser, ``-m browser``).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote, urlsplit

import pytest

from airflow_provider_hailuo.plugins.callback import HailuoCallbackPlugin
from airflow_provider_hailuo.ui import plugin as ui_plugin
from airflow_provider_hailuo.ui.data import Generation, Transfer, totals
from airflow_provider_hailuo.ui.links import Links, query_value
from airflow_provider_hailuo.ui.media import NoVideo, source_for


def _gen(**kwargs: object) -> Generation:
    values: dict = {
        "dag_id": "d",
        "run_id": "r",
        "task_id": "t",
        "map_index": -1,
        "operator": "HailuoVideoGenerationOperator",
        "state": "success",
        "try_number": 1,
        "start_date": datetime(2026, 12, 1, tzinfo=timezone.utc),
        "end_date": None,
        "duration": 12.0,
    }
    values.update(kwargs)
    return Generation(**values)


def test_the_plugin_serves_the_views_on_31_and_later_and_explains_on_30(
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefixes = [app["url_prefix"] for app in HailuoCallbackPlugin.fastapi_apps]
    views = HailuoCallbackPlugin.external_views
    with caplog.at_level(logging.INFO, logger=ui_plugin.__name__):
        HailuoCallbackPlugin.on_load()
    if ui_plugin.AIRFLOW_VERSION >= (3, 1, 0):
        assert prefixes == ["/hailuo", "/hailuo-ui"]
        assert [(v["name"], v["url_route"], v["destination"]) for v in views] == [
            ("Hailuo videos", "hailuo-videos", "nav"),
            ("Hailuo video", "hailuo-video", "task_instance"),
        ]
        assert views[1]["href"].endswith(
            "/hailuo-ui/task/{DAG_ID}/{TASK_ID}?run_id={RUN_ID}&map_index={MAP_INDEX}"
        )
        assert "need Airflow 3.1" not in caplog.text
    else:
        assert prefixes == ["/hailuo"] and views == []
        assert "need Airflow 3.1 or newer" in caplog.text


def test_view_links_live_under_the_base_url_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/team-a/")
    assert [v["href"].split("?")[0] for v in ui_plugin.external_views()] == [
        "/team-a/hailuo-ui/videos",
        "/team-a/hailuo-ui/task/{DAG_ID}/{TASK_ID}",
    ]
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")
    assert ui_plugin.external_views()[0]["href"] == "/hailuo-ui/videos"


def test_loading_the_plugin_builds_no_app_and_imports_neither_app() -> None:
    code = (
        "import sys\n"
        "from airflow_provider_hailuo.plugins.callback import HailuoCallbackPlugin, callback_app\n"
        "from airflow_provider_hailuo.ui.plugin import ui_app\n"
        "heavy = [m for m in ('airflow_provider_hailuo.ui.app', 'airflow_provider_hailuo.callbacks.app', 'airflow.api_fastapi.core_api.security') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert not ui_app.built and not callback_app.built\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_totals_count_videos_seconds_and_cost_per_currency() -> None:
    rows = [
        _gen(result={"duration": 6}, cost=(Decimal("0.28"), "USD")),
        _gen(result={"duration": 10}, cost=(Decimal("0.50"), "USD")),
        _gen(result={"duration": 6}, cost=(Decimal("3.00"), "CNY")),
        _gen(result={}, rendered={"duration": "10"}),
    ]
    assert totals(rows) == {
        "videos": 4,
        "seconds": 32,
        "cost": {"USD": Decimal("0.78"), "CNY": Decimal("3.00")},
        "unpriced": 1,
    }


def test_images_are_shown_as_references_never_bytes() -> None:
    gen = _gen(
        rendered={
            "first_frame_image": "data:image/png;base64," + "A" * 400,
            "last_frame_image": "s3://bucket/last.png",
            "subject_reference": [
                {"type": "character", "image": ["https://x.test/a.png?X-Amz-Signature=abc"]}
            ],
        }
    )
    shown = " ".join(gen.images.values())
    assert "AAAA" not in shown and "X-Amz-Signature=abc" not in shown
    assert "s3://bucket/last.png" in shown and gen.image_count == 3


def test_the_player_prefers_the_s3_copy_then_the_minimax_file() -> None:
    transfer = Transfer("to_s3", -1, "success", "s3://b/k.mp4", "b", "k.mp4", 10, None, "aws_x", "1", "2")
    assert source_for(_gen(transfer=transfer), None).aws_conn_id == "aws_x"
    minimax = source_for(_gen(result={"file_id": "42"}, rendered={"hailuo_conn_id": "hailuo_eu"}), None)
    assert (minimax.kind, minimax.file_id, minimax.hailuo_conn_id) == ("minimax", "42", "hailuo_eu")
    with pytest.raises(NoVideo):
        source_for(_gen(), None)


def _encode_uri_component(text: str) -> str:
    """What JavaScript's ``encodeURIComponent`` makes of a string (Airflow 3.2+ fills the tab's URL with it)."""
    return quote(text, safe="-_.!~*'()")


RUN_IDS = [
    "manual__2026-12-01T13:12:53.402516+00:00",  # what the REST API and the trigger button make
    "scheduled__2026-12-01T00:00:00+00:00",
    "backfill__2026-11-30T00:00:00+00:00",
    "my.run~1:a-b_c",  # every other character [scheduler] allowed_run_id_pattern allows by default
]


@pytest.mark.parametrize("run_id", RUN_IDS)
@pytest.mark.parametrize(
    "fill",
    [pytest.param(lambda v: v, id="3.1-as-is"), pytest.param(_encode_uri_component, id="3.2-encoded")],
)
def test_the_tab_finds_the_run_however_the_airflow_ui_fills_its_url(run_id: str, fill: object) -> None:
    """Airflow 3.1's UI puts the run id into the tab's URL as it is, 3.2+ percent-encodes it: a "+"
    (in every scheduled and manual run id) must stay a "+", not become a space."""
    assert callable(fill)
    href = ui_plugin.external_views()[1]["href"]
    src = (
        href.replace("{DAG_ID}", fill("d")).replace("{TASK_ID}", fill("t")).replace("{RUN_ID}", fill(run_id))
    )
    query = urlsplit(src).query  # {MAP_INDEX} stays literal for an unmapped task
    assert query_value(query, "run_id") == run_id
    assert query_value(query.encode(), "map_index") == "{MAP_INDEX}"
    assert query_value(query, "missing") is None


@pytest.mark.parametrize("run_id", [*RUN_IDS, "custom run/with&odd=chars%20+more"])
def test_links_the_pages_write_carry_the_run_id_back_unchanged(run_id: str) -> None:
    links = Links("/airflow/hailuo-ui")
    for url in (links.task("d", run_id, "t", 3), links.media("d", run_id, "t", -1)):
        query = urlsplit(url).query
        assert url.startswith("/airflow/hailuo-ui/") and "+" not in query
        assert query_value(query, "run_id") == run_id
    assert query_value(urlsplit(links.task("d", run_id, "t", 3)).query, "map_index") == "3"
    assert (
        links.airflow_ti("d", run_id, "t", 2)
        == f"/airflow/dags/d/runs/{quote(run_id, safe='')}/tasks/t/mapped/2"
    )
