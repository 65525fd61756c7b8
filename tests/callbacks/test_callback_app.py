"""The callback receiver over real HTTP (uvicorn on a free port), end to end with the sandbox, and the DB sink.

The app is mounted at ``/hailuo`` in a bare Starlette app, as the api-server mounts it, so the URLs and
the path-redaction behaviour are those of production.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.callbacks import HAILUO_VIDEO_ASSET, callback_url_for
from airflow_provider_hailuo.callbacks.app import (
    DEFAULT_MAX_BODY_BYTES,
)
from airflow_provider_hailuo.callbacks.tokens import (
    AirflowCallbackTokenResolver,
    parse_tokens,
    token_matches,
)

from .conftest import OLD_TOKEN, TOKEN, Receiver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def push(url: str, body: Any, **kwargs: Any) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=10, **kwargs)


def success_body(task_id: str = "115334141465231360", file_id: str = "205258526306433") -> dict[str, Any]:
    # The sample from MiniMax's docs, plus the query fields the sandbox also sends.
    return {
        "task_id": task_id,
        "status": "success",
        "file_id": file_id,
        "video_width": 1366,
        "video_height": 768,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }


# -- the app over HTTP ------------------------------------------------------------------------------


def test_challenge_is_echoed_quickly(receiver: Receiver) -> None:
    started = time.monotonic()
    resp = push(receiver.url(), {"challenge": "c-123 ü"})
    assert time.monotonic() - started < 3
    assert resp.status_code == 200
    assert resp.json() == {"challenge": "c-123 ü"}
    assert receiver.sink_calls == 0


def test_success_push_creates_one_event_with_the_status_fields(receiver: Receiver) -> None:
    resp = push(receiver.url(), success_body())
    assert resp.status_code == 200
    assert resp.json() == {"status": "success", "event": "created"}
    assert receiver.sink.events == [
        {
            "video_task_id": "115334141465231360",
            "status": "success",
            "file_id": "205258526306433",
            "video_width": 1366,
            "video_height": 768,
            "source": "minimax_callback",
        }
    ]


def test_duplicate_push_makes_no_second_event(receiver: Receiver) -> None:
    assert push(receiver.url(), success_body()).json()["event"] == "created"
    again = push(receiver.url(), success_body())
    assert again.status_code == 200
    assert again.json() == {"status": "success", "event": "duplicate"}
    assert len(receiver.sink.events) == 1


def test_processing_push_is_acknowledged_without_event(receiver: Receiver) -> None:
    body = {"task_id": "1", "status": "processing", "file_id": "", "base_resp": {"status_code": 0}}
    resp = push(receiver.url(), body)
    assert resp.status_code == 200
    assert resp.json() == {"status": "success", "event": "none"}
    assert receiver.sink_calls == 0
    assert receiver.sink.events == []


def test_failed_push_creates_an_event_with_status_failed(receiver: Receiver) -> None:
    body = {
        "task_id": "222",
        "status": "failed",
        "file_id": "",
        "base_resp": {"status_code": 1027, "status_msg": "output video sensitive"},
    }
    resp = push(receiver.url(), body)
    assert resp.status_code == 200
    (event,) = receiver.sink.events
    assert event["video_task_id"] == "222"
    assert event["status"] == "failed"
    assert event["file_id"] is None
    assert event["error_code"] == 1027
    assert event["error_message"] == "output video sensitive"


def test_query_spelling_and_numeric_ids_are_accepted(receiver: Receiver) -> None:
    body = {"task_id": 333, "status": "Success", "file_id": 444, "bytes": 5896337}
    assert push(receiver.url(), body).status_code == 200
    (event,) = receiver.sink.events
    assert (event["video_task_id"], event["file_id"], event["bytes"]) == ("333", "444", 5896337)


@pytest.mark.parametrize(
    "path",
    [
        "/hailuo/callback/wrong-token-wrong-token",
        f"/hailuo/callback/{TOKEN}x",
        f"/hailuo/callback/{TOKEN[:-1]}",
        "/hailuo/callback",
        "/hailuo/callback/",
    ],
)
def test_bad_or_missing_token_is_refused_without_event(receiver: Receiver, path: str) -> None:
    for body in (success_body(), {"challenge": "x"}):
        resp = push(receiver.base_url + path, body)
        assert resp.status_code == 403, resp.text
        assert "challenge" not in resp.text
    assert receiver.sink_calls == 0


def test_unconfigured_token_refuses_everything(receiver: Receiver) -> None:
    receiver.tokens = ()
    resp = push(receiver.url(), {"challenge": "x"})
    assert resp.status_code == 503
    assert receiver.sink_calls == 0


def test_old_and_new_token_both_work_during_a_rotation(receiver: Receiver) -> None:
    receiver.tokens = (TOKEN, OLD_TOKEN)
    assert push(receiver.url(OLD_TOKEN), {"challenge": "a"}).json() == {"challenge": "a"}
    assert push(receiver.url(TOKEN), {"challenge": "b"}).json() == {"challenge": "b"}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"success"',
        b"",
        json.dumps({"status": "success", "file_id": "1"}).encode(),  # no task_id
        json.dumps({"task_id": "1"}).encode(),  # no status
        json.dumps({"task_id": "1", "status": "exploded"}).encode(),
        json.dumps({"task_id": "1", "status": "success", "file_id": ""}).encode(),  # success without file
        json.dumps({"challenge": {"nested": True}}).encode(),
        b"[" * 60000,  # parses into a RecursionError, not a ValueError
    ],
)
def test_malformed_body_is_400_without_event(receiver: Receiver, body: bytes) -> None:
    resp = push(receiver.url(), body)
    assert resp.status_code == 400, resp.text
    assert receiver.sink_calls == 0


def test_oversized_body_is_413_from_content_length(receiver: Receiver) -> None:
    big = {"challenge": "x", "pad": "p" * DEFAULT_MAX_BODY_BYTES}
    resp = push(receiver.url(), big)
    assert resp.status_code == 413
    assert receiver.sink_calls == 0


def test_oversized_chunked_body_is_413_while_reading(receiver: Receiver) -> None:
    """No Content-Length (chunked): the limit is enforced on the bytes actually received."""

    def chunks() -> Iterator[bytes]:
        yield b'{"task_id": "9", "status": "success", "file_id": "9", "pad": "'
        for _ in range(20):
            yield b"p" * 8192
        yield b'"}'

    resp = requests.post(receiver.url(), data=chunks(), timeout=10)
    assert resp.status_code == 413
    assert receiver.sink_calls == 0


def test_body_just_under_the_limit_is_accepted(receiver: Receiver) -> None:
    body = success_body()
    body["pad"] = ""
    body["pad"] = "p" * (DEFAULT_MAX_BODY_BYTES - len(json.dumps(body)))
    assert len(json.dumps(body)) == DEFAULT_MAX_BODY_BYTES
    assert push(receiver.url(), body).status_code == 200


def test_sink_failure_is_503_so_the_push_can_be_retried(receiver: Receiver) -> None:
    receiver.fail_sink = True
    assert push(receiver.url(), success_body()).status_code == 503
    receiver.fail_sink = False
    assert push(receiver.url(), success_body()).json()["event"] == "created"


def test_token_is_redacted_from_the_path_seen_by_the_access_log(receiver: Receiver) -> None:
    push(receiver.url(), {"challenge": "x"})
    push(receiver.base_url + "/hailuo/callback/some-wrong-token-value", {"challenge": "x"})
    assert receiver.recorder.paths == ["/hailuo/callback/***", "/hailuo/callback/***"]


def test_concurrent_duplicate_pushes_make_one_event(receiver: Receiver) -> None:
    results: list[int] = []

    def send() -> None:
        results.append(push(receiver.url(), success_body(task_id="777", file_id="778")).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert len(receiver.sink.events) == 1


# -- helpers ----------------------------------------------------------------------------------------


def test_callback_url_for() -> None:
    assert callback_url_for("https://airflow.example.com", TOKEN) == (
        f"https://airflow.example.com/hailuo/callback/{TOKEN}"
    )
    assert callback_url_for("https://example.com/airflow/", TOKEN) == (
        f"https://example.com/airflow/hailuo/callback/{TOKEN}"
    )
    # Already a callback base: not doubled. Odd characters are percent-encoded.
    assert callback_url_for("https://x.io/hailuo/callback", "a/b+c d" * 3).startswith(
        "https://x.io/hailuo/callback/a%2Fb%2Bc%20d"
    )
    for bad_base in ("airflow.example.com", "ftp://x", "https://x.io/?a=1", ""):
        with pytest.raises(ValueError, match="base_url"):
            callback_url_for(bad_base, TOKEN)
    for bad_token in ("", "   ", "short"):
        with pytest.raises(ValueError, match="token"):
            callback_url_for("https://x.io", bad_token)


def test_token_parsing_and_matching() -> None:
    assert parse_tokens(f" {TOKEN}, {OLD_TOKEN}\n") == (TOKEN, OLD_TOKEN)
    assert parse_tokens("") == ()
    assert parse_tokens(None) == ()
    assert token_matches(TOKEN, (OLD_TOKEN, TOKEN))
    assert not token_matches(TOKEN + "x", (TOKEN,))
    assert not token_matches("", (TOKEN,))
    assert not token_matches(TOKEN, ())


def test_resolver_reads_config_then_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__HAILUO__CALLBACK_TOKEN", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_CALLBACKS",
        json.dumps({"conn_type": "hailuo", "password": "k", "extra": {"callback_token": OLD_TOKEN}}),
    )
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_CONN_ID", "hailuo_callbacks")
    resolver = AirflowCallbackTokenResolver(ttl=0, empty_ttl=0)
    assert resolver() == (OLD_TOKEN,)
    # The Airflow config wins over the connection; several tokens allow a rotation.
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_TOKEN", f"{TOKEN},{OLD_TOKEN}")
    assert resolver() == (TOKEN, OLD_TOKEN)
    # A token too short to be secret is ignored, not accepted.
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_TOKEN", "short")
    assert resolver() == ()
    monkeypatch.delenv("AIRFLOW__HAILUO__CALLBACK_TOKEN")
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_CONN_ID", "no_such_connection")
    assert resolver() == ()


def test_resolver_caches_between_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_TOKEN", TOKEN)
    resolver = AirflowCallbackTokenResolver(ttl=60)
    assert resolver() == (TOKEN,)
    monkeypatch.setenv("AIRFLOW__HAILUO__CALLBACK_TOKEN", OLD_TOKEN)
    assert resolver() == (TOKEN,)
    resolver.invalidate()
    assert resolver() == (OLD_TOKEN,)


# -- end to end with the sandbox ----------------------------------------------------------------------


def _wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.filterwarnings("ignore:callback_url")
def test_sandbox_challenge_then_success_push_makes_one_event(sandbox: Any, receiver: Receiver) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    hook = HailuoHook()
    task_id = hook.create_video_generation(
        model="MiniMax-Hailuo-02", prompt="a fox in the snow", duration=6, callback_url=receiver.url()
    )
    _wait_for(lambda: len(receiver.sink.events) == 1)
    _wait_for(lambda: sandbox.stats()["callbacks_sent"] == 2)  # processing, then success
    status = hook.get_video_generation(task_id)
    (event,) = receiver.sink.events
    assert event["video_task_id"] == task_id
    assert event["status"] == "success"
    assert event["file_id"] == status.file_id
    assert (event["video_width"], event["video_height"]) == (status.video_width, status.video_height)
    stats = sandbox.stats()
    assert stats["callback_checks"] == 1
    assert stats["callback_check_failures"] == 0
    assert stats["callback_failures"] == 0
    assert stats["creates"] == 1


@pytest.mark.filterwarnings("ignore:callback_url")
def test_sandbox_failed_task_pushes_a_failed_event(sandbox: Any, receiver: Receiver) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.sandbox.markers import FAIL_MARKER

    task_id = HailuoHook().create_video_generation(
        model="MiniMax-Hailuo-02", prompt=f"doomed {FAIL_MARKER}", callback_url=receiver.url()
    )
    _wait_for(lambda: len(receiver.sink.events) == 1)
    assert receiver.sink.events[0]["video_task_id"] == task_id
    assert receiver.sink.events[0]["status"] == "failed"


@pytest.mark.filterwarnings("ignore:callback_url")
def test_sandbox_wrong_token_url_is_rejected_with_2013(sandbox: Any, receiver: Receiver) -> None:
    from airflow_provider_hailuo.exceptions import HailuoAPIError
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    with pytest.raises(HailuoAPIError) as info:
        HailuoHook().create_video_generation(
            model="MiniMax-Hailuo-02", prompt="a fox", callback_url=receiver.url("not-the-configured-token")
        )
    assert info.value.code == 2013
    assert "fail to check callback url" in str(info.value)
    stats = sandbox.stats()
    assert stats["creates"] == 0
    assert stats["callback_check_failures"] == 1
    assert receiver.sink_calls == 0
    assert receiver.sink.events == []


# -- the DB-backed sink -----------------------------------------------------------------------------


def _asset_events(session: Any) -> list[Any]:
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import select

    return list(
        session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == HAILUO_VIDEO_ASSET.uri)
            .order_by(AssetEvent.id)
        )
    )


@pytest.fixture
def clean_asset_tables(airflow_db: None) -> Iterator[None]:
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    def clean() -> None:
        with create_session() as session:
            ids = list(session.scalars(select(AssetModel.id).where(AssetModel.uri == HAILUO_VIDEO_ASSET.uri)))
            if ids:
                session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.asset_id.in_(ids)))
                session.execute(delete(AssetEvent).where(AssetEvent.asset_id.in_(ids)))

    clean()
    yield
    clean()


def test_db_sink_creates_a_real_asset_event_and_dedupes(clean_asset_tables: None) -> None:
    from airflow.utils.session import create_session

    from airflow_provider_hailuo.callbacks.sink import AirflowAssetEventSink

    sink = AirflowAssetEventSink()
    success = {
        "video_task_id": "900000000000001",
        "status": "success",
        "file_id": "900000000000002",
        "video_width": 1920,
        "video_height": 1080,
        "source": "minimax_callback",
    }
    assert sink.record(success) is True
    assert sink.record(dict(success)) is False
    # Same task, other status: a separate fact, a separate event. Another task: its own event.
    assert sink.record({**success, "status": "failed", "file_id": None}) is True
    assert sink.record({**success, "video_task_id": "900000000000003"}) is True
    with create_session() as session:
        events = _asset_events(session)
        assert [(e.extra["video_task_id"], e.extra["status"]) for e in events] == [
            ("900000000000001", "success"),
            ("900000000000001", "failed"),
            ("900000000000003", "success"),
        ]
        assert events[0].extra == success


def test_db_sink_concurrent_duplicates_make_one_event(clean_asset_tables: None) -> None:
    from airflow.utils.session import create_session

    from airflow_provider_hailuo.callbacks.sink import AirflowAssetEventSink

    sink = AirflowAssetEventSink()
    extra = {"video_task_id": "910000000000001", "status": "success", "file_id": "1"}
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(sink.record(extra))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    with create_session() as session:
        assert len(_asset_events(session)) == 1


def test_db_sink_event_queues_the_downstream_dag(clean_asset_tables: None) -> None:
    """With the example consumer DAG in the DB and unpaused, an event queues a run of it."""
    import shutil

    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.models.asset import AssetDagRunQueue
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select, update

    from airflow_provider_hailuo.callbacks.sink import AirflowAssetEventSink
    from tests.conftest import DAGS_DIR, dagbag_for, sync_dagbag_to_db

    shutil.copy(os.path.join(REPO, "dags_examples", "hailuo_callback_to_s3.py"), DAGS_DIR)
    DagBundlesManager().sync_bundles_to_db()
    bag = dagbag_for(os.path.join(DAGS_DIR, "hailuo_callback_to_s3.py"), bundle_path=Path(DAGS_DIR))
    assert not bag.import_errors  # type: ignore[attr-defined]
    sync_dagbag_to_db(bag)
    with create_session() as session:
        session.execute(
            update(DagModel).where(DagModel.dag_id == "hailuo_callback_to_s3").values(is_paused=False)
        )

    assert AirflowAssetEventSink().record(
        {"video_task_id": "920000000000001", "status": "success", "file_id": "5"}
    )
    with create_session() as session:
        queued = list(session.scalars(select(AssetDagRunQueue.target_dag_id)))
    assert "hailuo_callback_to_s3" in queued


# -- the example DAGs and the plugin -----------------------------------------------------------------


def test_example_dag_extracts_finished_videos_and_skips_failed_ones() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_hailuo_example_to_s3", os.path.join(REPO, "dags_examples", "hailuo_callback_to_s3.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Event:
        def __init__(self, extra: dict[str, Any]) -> None:
            self.extra = extra

    events = [
        Event(
            {"video_task_id": "1", "status": "success", "file_id": "11", "video_width": 1, "video_height": 2}
        ),
        Event({"video_task_id": "2", "status": "failed", "file_id": None, "error_code": 1027}),
        {"extra": {"video_task_id": "3", "status": "success", "file_id": "33"}},
        Event({"video_task_id": "1", "status": "success", "file_id": "11"}),  # delivered twice
    ]
    assert module.finished_videos_from_events(events) == [
        {"file_id": "11", "video_task_id": "1", "status": "success", "video_width": 1, "video_height": 2},
        {
            "file_id": "33",
            "video_task_id": "3",
            "status": "success",
            "video_width": None,
            "video_height": None,
        },
    ]
    assert module.dag.timetable.asset_condition == HAILUO_VIDEO_ASSET


def test_example_submit_dag_builds_the_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_hailuo_example_submit", os.path.join(REPO, "dags_examples", "hailuo_callback_submit.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("HAILUO_CALLBACK_BASE_URL", "https://airflow.example.com")
    monkeypatch.setenv("HAILUO_CALLBACK_TOKEN", TOKEN)
    assert module.hailuo_callback_url({}) == f"https://airflow.example.com/hailuo/callback/{TOKEN}"
    assert module.hailuo_callback_url({"callback_url": "https://h/x"}) == "https://h/x"
    task = module.dag.get_task("submit_video")
    assert task.partial_kwargs["wait_for_completion"] is False


def test_plugin_is_registered_through_the_entry_point() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="airflow.plugins") if e.name == "hailuo_callback"]
    plugin = ep.load()
    assert plugin.name == "hailuo_callback"
    app, *others = plugin.fastapi_apps
    assert app["url_prefix"] == "/hailuo"
    assert app["name"] == "MiniMax Hailuo callbacks"
    assert [o["url_prefix"] for o in others] in ([], ["/hailuo-ui"])  # the UI pages' app, on Airflow 3.1+


@pytest.mark.filterwarnings("ignore:callback_url")
def test_example_submit_dag_run_gets_its_videos_pushed(
    sandbox: Any, receiver: Receiver, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The submit DAG under dag.test(): tasks finish at once, then the sandbox pushes each result."""
    from tests.conftest import load_dag_file

    monkeypatch.setenv("HAILUO_CALLBACK_BASE_URL", receiver.base_url)
    monkeypatch.setenv("HAILUO_CALLBACK_TOKEN", TOKEN)
    monkeypatch.setenv("HAILUO_EXAMPLE_POOL", "default_pool")
    monkeypatch.setenv("HAILUO_EXAMPLE_BACKSTOP_POLL_INTERVAL", "0.2")
    dag = load_dag_file(
        os.path.join(REPO, "dags_examples", "hailuo_callback_submit.py"), "hailuo_callback_submit"
    )
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    created = set(sandbox.stats()["tasks"])
    assert len(created) == 2
    assert {t["callback_url"] for t in sandbox.stats()["tasks"].values()} == {receiver.url()}
    _wait_for(lambda: len(receiver.sink.events) == 2)
    assert {e["video_task_id"] for e in receiver.sink.events} == created
    assert {e["status"] for e in receiver.sink.events} == {"success"}
    # The token was masked before rendering: the stored rendered field does not reveal it.
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rendered = list(
            session.scalars(
                select(RTIF.rendered_fields).where(
                    RTIF.dag_id == "hailuo_callback_submit", RTIF.run_id == dag_run.run_id
                )
            )
        )
    urls = [r["callback_url"] for r in rendered if "callback_url" in r]
    assert len(urls) == 4  # two submissions and their two backstops
    # The generation operator masks the token itself (`<token>`); the secrets masker, which the example
    # also feeds, masks it (`***`) in the backstops' fields.
    masked = {f"{receiver.base_url}/hailuo/callback/<token>", f"{receiver.base_url}/hailuo/callback/***"}
    assert all(url in masked for url in urls)
    assert all(TOKEN not in json.dumps(r) for r in rendered)


def test_example_to_s3_dag_without_events_copies_nothing(sandbox: Any, airflow_db: None) -> None:
    """A manual run (no triggering events) maps zero copies and succeeds instead of failing."""
    from tests.conftest import load_dag_file

    dag = load_dag_file(
        os.path.join(REPO, "dags_examples", "hailuo_callback_to_s3.py"), "hailuo_callback_to_s3"
    )
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    assert states[("finished_videos", -1)] == "success"
    assert sandbox.stats()["retrieves"] == 0
