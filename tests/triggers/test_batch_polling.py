"""Batch polling of MiniMax-H3 (v2) waits: one list call per 100 waits due together, per connection.

Sandbox counters prove what reached the API: ``lists`` (GET /v2/query/video_generation) and
``queries`` (GET /v2/query/video_generation/{id}). Every wait must end exactly as its own query
would have ended it; batching only changes how many requests that takes.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from airflow_provider_hailuo.exceptions import HailuoHTTPError, HailuoMalformedResponseError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook, clear_connection_cache
from airflow_provider_hailuo.outcomes import status_event
from airflow_provider_hailuo.protocol import v2
from airflow_provider_hailuo.protocol.common import RawResponse
from airflow_provider_hailuo.triggers import batch_poller
from airflow_provider_hailuo.triggers import hailuo as trigger_module
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.conftest import API_KEY

H3 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}
OTHER_KEY = "sandbox-key-2"


def _v2(sandbox: Any) -> dict[str, int]:
    return dict(sandbox.stats()["v2"])


def _submit(count: int, *, conn_id: str = "hailuo_default", prompt: str = "a kite") -> list[str]:
    hook = HailuoHook(hailuo_conn_id=conn_id)
    return [hook.create_video_generation(prompt=f"{prompt} {i}", **H3) for i in range(count)]


def _trigger(task_id: str, **kwargs: Any) -> HailuoVideoGenerationTrigger:
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("end_time", time.time() + 60)
    return HailuoVideoGenerationTrigger(task_id, api_version="v2", **kwargs)


async def _first_event(trigger: HailuoVideoGenerationTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


async def _events(triggers: Iterable[HailuoVideoGenerationTrigger]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(_first_event(t) for t in triggers)))


@pytest.fixture
def many_in_flight(sandbox: Any) -> Any:
    sandbox.config.v2_in_flight_cap = None  # 150 H3 videos at once; MiniMax's own cap is 30
    return sandbox


def _list_spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every list call the pollers make (the calls themselves go through)."""
    sizes: list[int] = []
    real = batch_poller.V2StatusPoller._list

    async def spy(self: batch_poller.V2StatusPoller, ids: Any, encoding: str) -> Any:
        sizes.append(len(ids))
        return await real(self, ids, encoding)

    monkeypatch.setattr(batch_poller.V2StatusPoller, "_list", spy)
    return sizes


async def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for what a test counts to happen, not for a time: CI runs four suites on two cores."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


def _list_spy_encodings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the ``filter.task_ids`` encoding of every list call the pollers make."""
    sent: list[str] = []
    real = batch_poller.V2StatusPoller._list

    async def spy(self: batch_poller.V2StatusPoller, ids: Any, encoding: str) -> Any:
        sent.append(encoding)
        return await real(self, ids, encoding)

    monkeypatch.setattr(batch_poller.V2StatusPoller, "_list", spy)
    return sent


async def test_150_waits_are_answered_by_list_calls_of_up_to_100(
    many_in_flight: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_in_flight.config.processing_seconds = 600  # nothing finishes while the rounds are counted
    # Align even these short polls (a triggerer aligns those of 1 s and more): the rounds of a 10 s
    # interval, 100 times faster.
    monkeypatch.setattr(trigger_module, "POLL_ALIGNMENT_MIN_SLEEP", 0.0)
    ids = _submit(150)
    sizes = _list_spy(monkeypatch)
    before = _v2(many_in_flight)
    tasks = [asyncio.ensure_future(_first_event(_trigger(i, poll_interval=0.2))) for i in ids]
    # Count polls, not seconds: CI runs four suites on two cores, and a fixed sleep saw one round there.
    deadline = time.monotonic() + 120
    while sum(sizes) < 3 * 150 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not any(task.done() for task in tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    after = _v2(many_in_flight)
    assert sum(sizes) >= 3 * 150, f"only {sum(sizes)} polls answered in 120 s: {sizes}"
    assert after["queries"] - before["queries"] == 0
    assert after["lists"] - before["lists"] == len(sizes)
    # 2 calls a round (150 queries without batching); a round on a loaded machine (150 log lines) may
    # split into 3, rarely more: at least 30 polls a call, against 1 without batching.
    assert max(sizes) <= 100 and sum(sizes) / len(sizes) >= 30, sizes
    assert batch_poller.active_pollers(asyncio.get_running_loop()) == {}  # gone with its last wait


async def test_each_wait_gets_the_event_its_own_query_gives(many_in_flight: Any) -> None:
    ok = _submit(140)
    failed = _submit(10, prompt="SANDBOX_FAIL")
    before = _v2(many_in_flight)
    events = await _events(_trigger(i) for i in ok + failed)
    after = _v2(many_in_flight)
    assert [e["video_task_id"] for e in events] == ok + failed
    assert {e["status"] for e in events[:140]} == {"success"}
    assert {(e["status"], e["reason"]) for e in events[140:]} == {("error", "task_failed")}
    assert after["queries"] == before["queries"]
    assert after["lists"] - before["lists"] <= 2 * 40  # 150 queries per round without batching
    hook = HailuoHook()
    for event in events[::15]:  # what today's per-task query gives, field for field
        assert event == status_event(hook.get_video_generation_once(event["video_task_id"], api_version="v2"))
    json.dumps(events)


class _Unlisted(dict):  # type: ignore[type-arg]
    """The sandbox's task table with some ids left out of the list (queries still find them)."""

    def __init__(self, tasks: dict[str, Any], hidden: set[str]) -> None:
        super().__init__(tasks)
        self.hidden = hidden

    def values(self) -> Any:
        return [task for task_id, task in self.items() if task_id not in self.hidden]


async def test_an_id_the_list_leaves_out_is_queried_on_its_own(
    many_in_flight: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _submit(5)
    state = many_in_flight._state.v2
    monkeypatch.setattr(state, "tasks", _Unlisted(state.tasks, {ids[0]}))
    before = _v2(many_in_flight)
    events = await _events(_trigger(i) for i in ids)
    after = _v2(many_in_flight)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in ids]
    polls_of_hidden = after["queries"] - before["queries"]
    assert polls_of_hidden >= 1 and after["lists"] > before["lists"]
    # After MISSES_BEFORE_QUERYING_ALONE misses it is not asked of the list any more.
    assert after["lists"] - before["lists"] <= polls_of_hidden + batch_poller.MISSES_BEFORE_QUERYING_ALONE


async def test_a_task_outside_the_window_ends_the_wait_as_its_query_does(many_in_flight: Any) -> None:
    (task_id,) = _submit(1)
    many_in_flight.config.v2_task_window_seconds = 0.001  # 7 days in MiniMax; older ids are unknown
    await asyncio.sleep(0.01)
    event = await _first_event(_trigger(task_id))
    assert event["status"] == "error" and event["reason"] == "polling_failed"
    assert event["error_code"] == 2013 and _v2(many_in_flight)["queries"] == 1


@pytest.mark.parametrize(
    "knob",
    ["v2_server_error_rate", "gateway_error_rate", "rate_limit_error_rate"],
    ids=["500", "html", "429"],
)
async def test_a_list_outage_is_a_failed_poll_of_every_wait_then_recovers(
    many_in_flight: Any, knob: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _submit(3)
    many_in_flight.config.gateway_error_methods = ("GET",)
    setattr(many_in_flight.config, knob, 1.0)
    before = _v2(many_in_flight)
    tasks = [asyncio.ensure_future(_first_event(_trigger(i))) for i in ids]
    await asyncio.sleep(0.4)
    assert not any(task.done() for task in tasks)  # sitting the outage out, not failing
    setattr(many_in_flight.config, knob, 0.0)
    events = await asyncio.gather(*tasks)
    after = _v2(many_in_flight)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in ids]
    assert after["queries"] == before["queries"] and after["lists"] - before["lists"] >= 3
    out = capsys.readouterr().out
    assert out.count("MiniMax unreachable since") == 3 and out.count("MiniMax reachable again") == 3


def test_garbled_or_partial_list_answers_fail_clearly_never_keyerror() -> None:
    for body in (b"not json", b"<html>502</html>", b"[]", b'{"items": 3, "total": 1}', b'{"items": []}'):
        with pytest.raises(HailuoMalformedResponseError):
            v2.parse_list_statuses(RawResponse(200, {}, body), ["1"])
    good = {"id": "2", "status": "running"}
    bad = {"id": "1", "status": "succeeded"}  # no content.url: that wait's poll fails, not the others'
    found, unasked = v2.parse_list_statuses(
        RawResponse(200, {}, json.dumps({"items": [bad, good, {"status": "queued"}], "total": 3}).encode()),
        ["1", "2"],
    )
    assert isinstance(found["1"], HailuoMalformedResponseError)
    assert found["2"].raw_status == "running" and unasked == {"None"}  # type: ignore[union-attr]


async def test_a_list_refused_for_good_falls_back_to_queries(many_in_flight: Any) -> None:
    ids = _submit(2)
    loop = asyncio.get_running_loop()

    async def refused_list(self: batch_poller.V2StatusPoller, ids: Any, encoding: str) -> Any:
        raise HailuoHTTPError("HTTP 400 from the MiniMax API: 'filter.task_ids'", http_status=400)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_poller.V2StatusPoller, "_list", refused_list)
        events = await _events(_trigger(i) for i in ids)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in ids]
    assert _v2(many_in_flight)["queries"] >= 2
    assert batch_poller.active_pollers(loop) == {}


async def test_two_connections_get_two_pollers(many_in_flight: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    many_in_flight.config.api_keys = (API_KEY, OTHER_KEY)
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_OTHER",
        json.dumps({"conn_type": "hailuo", "host": many_in_flight.url, "password": OTHER_KEY}),
    )
    clear_connection_cache()
    mine, theirs = _submit(3), _submit(3, conn_id="hailuo_other")  # tasks are scoped to their key
    loop = asyncio.get_running_loop()
    tasks = [asyncio.ensure_future(_first_event(_trigger(i))) for i in mine]
    tasks += [asyncio.ensure_future(_first_event(_trigger(i, hailuo_conn_id="hailuo_other"))) for i in theirs]
    await _until(lambda: sum(p.leases for p in batch_poller.active_pollers(loop).values()) == 6)
    pollers = batch_poller.active_pollers(loop)
    assert sorted(pollers) == ["hailuo_default", "hailuo_other"]
    assert pollers["hailuo_default"].leases == 3 and pollers["hailuo_other"].leases == 3
    events = await asyncio.gather(*tasks)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in mine + theirs]
    assert _v2(many_in_flight)["queries"] == 0  # each list was made with its own key
    assert batch_poller.active_pollers(loop) == {}


async def test_the_deadline_still_cancels_a_queued_video(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    (task_id,) = _submit(1)
    event = await _first_event(_trigger(task_id, end_time=time.time() + 1.0))
    assert event["status"] == "timeout"
    stats = _v2(sandbox)
    assert stats["lists"] >= 2 and stats["queries"] == 1  # the polls listed; the cancel checks its video
    assert (stats["delete_calls"], stats["cancelled"]) == (1, 1)


async def test_v1_waits_still_query_their_own_task(sandbox: Any) -> None:
    hook = HailuoHook()
    ids = [hook.create_video_generation(prompt=f"v1 {i}") for i in range(3)]
    before = sandbox.stats()
    events = await _events(HailuoVideoGenerationTrigger(i, poll_interval=0.05) for i in ids)
    after = sandbox.stats()
    assert {e["status"] for e in events} == {"success"}
    assert after["queries"] - before["queries"] >= 3 and after["v2"]["lists"] == 0


async def test_batch_polling_off_queries_each_video(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_poller, "BATCH_POLLING", False)
    ids = _submit(2)
    events = await _events(_trigger(i) for i in ids)
    assert {e["status"] for e in events} == {"success"}
    assert _v2(sandbox)["lists"] == 0 and _v2(sandbox)["queries"] >= 2


async def test_batched_waits_wake_on_a_grid_shared_by_about_100(many_in_flight: Any) -> None:
    from airflow_provider_hailuo.triggers.hailuo import _aligned_poll_delay
    from airflow_provider_hailuo.waiting import StatusWatcher

    poller = batch_poller.V2StatusPoller("hailuo_default")
    poller.leases = 1000
    assert poller.alignment_step(10.0) == 1.0  # 1000 waits / 10 s: ~100 due per 1 s grid point
    poller.leases = 5000
    assert poller.alignment_step(10.0) == pytest.approx(0.2)
    poller.leases = 10
    assert poller.alignment_step(2.0) == 0.5  # never more than a quarter of the interval
    loop = asyncio.get_running_loop()
    watcher = StatusWatcher("1", poll_interval=10.0)
    for _ in range(10):
        before = loop.time()
        delay = _aligned_poll_delay(watcher, 1.0)
        after = loop.time()
        assert abs(delay - 10.0) <= 0.5 + 1e-6
        # Computed from a clock reading in [before, after]: a whole second lies in that span plus the
        # delay (exact, however long a loaded machine took between the readings).
        assert math.ceil(before + delay - 1e-9) <= after + delay + 1e-9, (before, after, delay)
        await asyncio.sleep(0.013)


def test_task_ids_go_comma_joined_or_repeated() -> None:
    assert "filter.task_ids=1%2C2" in v2.list_request(task_ids=["1", "2"]).url("http://h")
    assert "filter.task_ids=1&filter.task_ids=2" in v2.list_request(
        task_ids=["1", "2"], repeat_task_ids=True
    ).url("http://h")


@pytest.mark.parametrize(("server_reads", "settles_on"), [("comma", "comma"), ("repeated", "repeated")])
async def test_the_poller_finds_the_task_ids_encoding_the_api_reads(
    many_in_flight: Any, server_reads: str, settles_on: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contract C8: MiniMax's own CLI joins the ids with commas, other clients repeat the parameter."""
    many_in_flight.config.v2_task_ids_encoding = server_reads
    many_in_flight.config.processing_seconds = 600
    ids = _submit(5)
    loop = asyncio.get_running_loop()
    lists = _list_spy_encodings(monkeypatch)
    tasks = [asyncio.ensure_future(_first_event(_trigger(i))) for i in ids]
    await _until(lambda: len(lists) >= 3)  # the first list, then two more once an encoding is settled
    poller = batch_poller.active_pollers(loop)["hailuo_default"]
    assert (poller.encoding, poller.listing) == (settles_on, True)
    assert lists[-1] == settles_on, lists
    for task in many_in_flight._state.v2.tasks.values():
        task.running_seconds = 0.0  # finish them all now
    events = await asyncio.gather(*tasks)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in ids]
    stats = _v2(many_in_flight)
    # Read as one id "a,b,c,d,e", the first list answers none: that round's polls are queries, no more.
    assert stats["queries"] == (0 if server_reads == "comma" else 5) and stats["lists"] >= 3


async def test_a_trigger_serialized_before_batch_polling_resumes_batched(sandbox: Any) -> None:
    (task_id,) = _submit(1)
    now = time.time()
    stored = {  # what a triggerer stored before this change: the same six JSON primitives
        "video_task_id": task_id,
        "hailuo_conn_id": "hailuo_default",
        "poll_interval": 0.05,
        "end_time": now + 60,
        "started_at": now,
        "api_version": "v2",
    }
    trigger = HailuoVideoGenerationTrigger(**stored)  # type: ignore[arg-type]
    assert trigger.serialize() == (
        "airflow_provider_hailuo.triggers.hailuo.HailuoVideoGenerationTrigger",
        stored,
    )
    event = await _first_event(trigger)
    assert (event["video_task_id"], event["status"]) == (task_id, "success")
    assert _v2(sandbox)["lists"] >= 1 and _v2(sandbox)["queries"] == 0


@pytest.mark.parametrize(
    ("failure", "queried"),
    [
        (HailuoMalformedResponseError("a non-JSON body came back instead of JSON"), False),
        (TypeError("bug"), True),
    ],
    ids=["garbled-body-is-an-outage", "a-bug-falls-back-to-queries"],
)
async def test_list_failures_the_sandbox_cannot_send(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch, failure: Exception, queried: bool
) -> None:
    """A garbled 200 (the sandbox has no v2 knob for it) is sat out; a bug of ours never crashes a wait."""
    ids = _submit(3)
    real, failed = batch_poller.V2StatusPoller._list, list[Any]()

    async def flaky(self: batch_poller.V2StatusPoller, ids: Any, encoding: str) -> Any:
        if len(failed) < 2:
            failed.append(ids)
            raise failure
        return await real(self, ids, encoding)

    monkeypatch.setattr(batch_poller.V2StatusPoller, "_list", flaky)
    events = await _events(_trigger(i) for i in ids)
    assert [(e["video_task_id"], e["status"]) for e in events] == [(i, "success") for i in ids]
    assert (_v2(sandbox)["queries"] > 0) is queried
