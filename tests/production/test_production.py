"""The provider's promises on Airflow's production shape: PostgreSQL, Celery, two triggerers, two workers.

Selected with ``-m production``. One stack (tests/production/stack.py) serves the module; each test
resets the sandbox first and leaves every process running again when it ends (a killed triggerer or
worker is restarted), so the tests also pass one at a time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from airflow_provider_hailuo.callbacks.assets import HAILUO_VIDEO_ASSET_NAME
from tests.production.stack import ProductionStack
from tests.system.harness import API_KEY, CALLBACK_TOKEN, fresh, s3_client, wait_until, watch_runs

# The stack's client packages are the `production` extra; the older CI legs install without it.
psycopg2 = pytest.importorskip("psycopg2")

# The first test also starts the stack (minutes on a busy machine): pytest-timeout counts the fixture.
pytestmark = [pytest.mark.production, pytest.mark.timeout(900)]

BATCH = "hailuo_production_batch"
IN_WORKER = "hailuo_production_wait_in_worker"
BUCKET = "hailuo-videos"
WORKERS = {"worker-1", "worker-2"}
TRIGGERERS = {"triggerer-1", "triggerer-2"}


def fresh_stack(stack: ProductionStack, **config: Any) -> None:
    """A sandbox reset, after ending any run an earlier test left going (its creates would count here)."""
    for dag_id in (BATCH, IN_WORKER):
        runs = requests.get(
            f"{stack.api}/api/v2/dags/{dag_id}/dagRuns", params={"state": ["queued", "running"]}, timeout=60
        )
        for run in runs.json()["dag_runs"]:
            requests.patch(
                f"{stack.api}/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}",
                json={"state": "failed"},
                timeout=60,
            ).raise_for_status()
    busy = "SELECT count(*) FROM task_instance WHERE state IN ('queued', 'running', 'deferred', 'scheduled', 'up_for_retry', 'restarting')"
    wait_until(
        lambda: stack.sql(busy) == [(0,)], 180, "no task left running from an earlier test", interval=2
    )
    fresh(stack, **config)


def tis_of(stack: ProductionStack, run_id: str, task_id: str, dag_id: str = BATCH) -> list[dict[str, Any]]:
    return [t for t in stack.task_instances(dag_id, run_id) if t["task_id"] == task_id]


def watch_triggers(stack: ProductionStack, stop: threading.Event, seen: dict[int, set[str]]) -> None:
    """Record, for every trigger row, which triggerers were seen holding it (sampled every second)."""
    while not stop.is_set():
        for trigger_id, holder in stack.trigger_holders().items():
            if holder is not None:
                seen.setdefault(trigger_id, set()).add(holder)
        stop.wait(1.0)


def test_fifty_mapped_generations_use_both_workers_and_both_triggerers(stack: ProductionStack) -> None:
    # Long enough that all 50 waits are deferred at once: more than one triggerer's capacity (30).
    fresh_stack(stack, processing_seconds=40)
    prompts = [f"Production batch video {i:02d}: a lighthouse at dusk [Pan left]" for i in range(50)]
    run_id = stack.trigger(BATCH, conf={"prompts": prompts})
    stop, holders = threading.Event(), {}
    sampler = threading.Thread(target=watch_triggers, args=(stack, stop, holders), daemon=True)
    sampler.start()
    try:
        watch_runs(stack, [(BATCH, run_id)], timeout=480, interval=3)
    finally:
        stop.set()
        sampler.join(10)

    stats = stack.sandbox_stats()
    assert stats["creates"] == 50
    assert sorted(stats["creates_by_prompt"].values()) == [1] * 50
    generated = tis_of(stack, run_id, "generate")
    stored = tis_of(stack, run_id, "video_to_s3")
    assert len(generated) == len(stored) == 50
    assert {t["state"] for t in generated + stored} == {"success"}
    # Both Celery workers ran tasks; both triggerers held waits.
    assert {t["hostname"] for t in generated + stored} == WORKERS
    assert set().union(*holders.values()) == TRIGGERERS, holders
    assert len(holders) >= 50

    s3 = s3_client(stack)
    results = [stack.xcom(BATCH, run_id, "video_to_s3", map_index=t["map_index"]) for t in stored]
    assert len({r["file_id"] for r in results}) == 50
    # The default key is hailuo/<dag_id>/<run_id made key-safe>/<video task id>.mp4: one folder per run.
    (prefix,) = {r["key"].rsplit("/", 1)[0] + "/" for r in results}
    assert prefix.startswith(f"hailuo/{BATCH}/")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    assert sorted(keys) == sorted(r["key"] for r in results)  # each video once, nothing else
    for result in results:
        body = s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read()
        served = stack.sandbox_sha256(str(result["file_id"]))
        assert hashlib.sha256(body).hexdigest() == served["sha256"] == result["sha256"]
        assert len(body) == served["bytes"] == result["bytes"]
    # One asset event per stored video, recorded in PostgreSQL.
    events = stack.sql(
        "SELECT a.uri, count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
        "WHERE e.source_dag_id = %s AND e.source_run_id = %s GROUP BY a.uri",
        (BATCH, run_id),
    )
    assert dict(events) == {r["s3_uri"]: 1 for r in results}


def test_killed_triggerer_hands_its_waits_to_the_other(stack: ProductionStack) -> None:
    fresh_stack(stack, processing_seconds=60)
    prompts = [f"Failover video {i}: waves on a breakwater" for i in range(10)]
    run_id = stack.trigger(BATCH, conf={"prompts": prompts})

    def all_waits_held() -> dict[int, str] | None:
        held = stack.trigger_holders()
        deferred = [t for t in tis_of(stack, run_id, "generate") if t["state"] == "deferred"]
        if len(deferred) == 10 and len(held) == 10 and None not in held.values():
            return {k: v for k, v in held.items() if v is not None}
        return None

    held = wait_until(all_waits_held, 180, "10 deferred waits, each held by a triggerer")
    victim = max(TRIGGERERS, key=lambda name: sum(h == name for h in held.values()))
    (survivor,) = TRIGGERERS - {victim}
    victims_waits = {tid for tid, h in held.items() if h == victim}
    assert victims_waits
    stack.services[victim].kill9()
    try:
        taken_over: set[int] = set()

        def survivor_holds_them() -> bool:
            now = stack.trigger_holders()
            taken_over.update(t for t in victims_waits if now.get(t) == survivor)
            return taken_over == victims_waits

        # Airflow reassigns once the dead triggerer's heartbeat is older than the health threshold (15 s).
        wait_until(survivor_holds_them, 120, f"{survivor} to take over {victim}'s waits", interval=0.3)
        watch_runs(stack, [(BATCH, run_id)], timeout=300, interval=3)
    finally:
        stack.services[victim].start()
        wait_until(lambda: len(stack.live_triggerers()) >= 2, 120, "both triggerers alive again")
    assert stack.sandbox_stats()["creates"] == 10
    assert {t["state"] for t in tis_of(stack, run_id, "video_to_s3")} == {"success"}


def test_killed_celery_worker_retry_reattaches(stack: ProductionStack) -> None:
    fresh_stack(stack, processing_seconds=25)
    run_id = stack.trigger(
        IN_WORKER, conf={"prompt": "A heron waits in the reeds, its worker is about to die"}
    )

    def submitted_and_waiting() -> dict[str, Any] | None:
        (ti,) = stack.task_instances(IN_WORKER, run_id)
        if stack.sandbox_stats()["creates"] == 1 and ti["state"] == "running" and ti["hostname"] in WORKERS:
            return ti
        return None

    ti = wait_until(submitted_and_waiting, 180, "the task to submit and wait in a worker")
    time.sleep(2)  # the id reaches the task state store right after the create call; leave a margin
    victim = str(ti["hostname"])
    stack.services[victim].kill9()  # the worker's group and the task process, as when its host dies
    try:
        assert stack.wait_for_run(IN_WORKER, run_id, timeout=300) == "success"
    finally:
        stack.services[victim].start()
        stack.wait_worker_ready(victim, times=2)
    (final,) = stack.task_instances(IN_WORKER, run_id)
    assert final["try_number"] >= 2
    assert final["hostname"] == (WORKERS - {victim}).pop()
    assert stack.sandbox_stats()["creates"] == 1
    log = stack.task_log(IN_WORKER, run_id, "generate", try_number=final["try_number"])
    assert "Re-attaching" in log
    (video_task_id,) = stack.sandbox_stats()["tasks"]
    (stored,) = stack.sql(
        "SELECT value FROM task_state_store WHERE dag_id = %s AND run_id = %s AND key = %s",
        (IN_WORKER, run_id, "hailuo_video_task_id"),
    )
    assert video_task_id in stored[0]  # the id the retry read back, kept in PostgreSQL


# -- callbacks --------------------------------------------------------------------------------------


def final_pushes(stack: ProductionStack, count: int) -> list[dict[str, Any]]:
    """``count`` real videos from the sandbox, and the final push MiniMax sent for each of them."""
    sink = f"{stack.sandbox}/sandbox/callback_sink"
    ids = []
    for i in range(count):
        resp = requests.post(
            f"{stack.sandbox}/v1/video_generation",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={
                "model": "MiniMax-Hailuo-02",
                "prompt": f"Callback video {i} {time.time()}",
                "callback_url": sink,
            },
            timeout=30,
        )
        ids.append(resp.json()["task_id"])

    def finals() -> list[dict[str, Any]] | None:
        received = requests.get(sink, timeout=10).json()["received"]
        by_id = {
            b["body"]["task_id"]: b["body"]
            for b in received
            if isinstance(b["body"], dict) and b["body"].get("status") == "success"
        }
        return [by_id[i] for i in ids] if all(i in by_id for i in ids) else None

    return list(wait_until(finals, 60, "the sandbox's final pushes"))


def post_copies(stack: ProductionStack, body: dict[str, Any], copies: int) -> list[tuple[int, str, str]]:
    """Post ``copies`` of one push at once, each on its own connection: (status, event, worker pid)."""
    url = f"{stack.api}/hailuo/callback/{CALLBACK_TOKEN}"
    barrier = threading.Barrier(copies)

    def one(_: int) -> tuple[int, str, str]:
        with requests.Session() as session:
            barrier.wait(30)
            try:
                resp = session.post(url, json=body, timeout=90)
            except requests.ConnectionError as err:
                return (0, type(err).__name__, "")
            event = resp.json().get("event", "") if resp.ok else resp.text[:200]
            return (resp.status_code, str(event), resp.headers.get("x-stack-worker-pid", ""))

    with ThreadPoolExecutor(copies) as pool:
        return list(pool.map(one, range(copies)))


def events_by_video(stack: ProductionStack) -> dict[str, int]:
    rows = stack.sql(
        "SELECT e.extra ->> 'video_task_id', count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
        "WHERE a.name = %s GROUP BY 1",
        (HAILUO_VIDEO_ASSET_NAME,),
    )
    return {str(k): int(n) for k, n in rows}


class AssetRowLock:
    """Hold the callback asset's row lock from the test, so every claim queues behind it.

    Each api-server worker lets one claim at a time reach the database (a process lock); with the
    row held here, both workers' claims are seen waiting on it at once, then race when it is released.
    """

    def __init__(self, stack: ProductionStack) -> None:
        self.stack = stack
        self.conn = psycopg2.connect(host="127.0.0.1", port=stack.pg_port, user="airflow", dbname="airflow")

    def __enter__(self) -> AssetRowLock:
        with self.conn.cursor() as cur:
            cur.execute("SELECT id FROM asset WHERE name = %s FOR UPDATE", (HAILUO_VIDEO_ASSET_NAME,))
            assert cur.fetchone() is not None
        return self

    def waiting_claims(self) -> int:
        (n,) = self.stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            ("%FROM asset %FOR UPDATE%",),
        )[0]
        return int(n)

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def test_concurrent_duplicate_pushes_give_one_event_per_video(stack: ProductionStack) -> None:
    fresh_stack(stack, processing_seconds=1)
    warm_up, *bodies = final_pushes(stack, 4)
    # The first push creates the asset's row (no DAG of this stack declares it).
    assert post_copies(stack, warm_up, 1)[0][:2] == (200, "created")
    pids: set[str] = set()
    for body in bodies:
        with ThreadPoolExecutor(1) as background, AssetRowLock(stack) as lock:
            answers_future = background.submit(post_copies, stack, body, 20)
            wait_until(lambda: lock.waiting_claims() >= 2, 60, "claims from both api-server workers")
        answers = answers_future.result()
        assert [a[0] for a in answers] == [200] * 20, answers
        assert sorted(a[1] for a in answers) == ["created"] + ["duplicate"] * 19, answers
        served_by = {a[2] for a in answers}
        assert len(served_by) == 2, answers  # both api-server workers answered copies of this push
        pids |= served_by
    assert len(pids) == 2
    assert events_by_video(stack) == {b["task_id"]: 1 for b in [warm_up, *bodies]}


def test_no_push_lost_when_an_api_server_worker_is_killed(stack: ProductionStack) -> None:
    fresh_stack(stack, processing_seconds=1)
    bodies = final_pushes(stack, 2)
    before = events_by_video(stack)
    if not before:  # run alone: create the asset row first, with a video of its own
        (warm_up,) = final_pushes(stack, 1)
        assert post_copies(stack, warm_up, 1)[0][:2] == (200, "created")
    pids_before = set(stack.api_worker_pids())
    assert len(pids_before) == 2
    victim = min(pids_before)
    with ThreadPoolExecutor(len(bodies)) as background:
        with AssetRowLock(stack) as lock:
            futures = [background.submit(post_copies, stack, body, 20) for body in bodies]
            wait_until(lambda: lock.waiting_claims() >= 2, 60, "claims from both api-server workers")
            stack.kill_api_worker(victim)  # mid-claim: its transaction waits on the row lock
        answers = [f.result() for f in futures]
    lost = [a for batch in answers for a in batch if a[0] != 200]
    assert lost, "the kill should have cut some requests short"
    assert all(a[0] == 0 for a in lost), lost  # connection errors only: nothing refused
    assert all(str(victim) != a[2] for batch in answers for a in batch if a[0] == 200)
    # MiniMax would push again: a re-post of every cut copy is acknowledged, and adds no event.
    for body, batch in zip(bodies, answers, strict=True):
        for _ in [a for a in batch if a[0] != 200]:
            _status, event, _pid = wait_until(
                lambda body=body: (a := post_copies(stack, body, 1)[0])[0] == 200 and a, 60, "a re-post"
            )
            assert event in ("created", "duplicate")
    events = events_by_video(stack)
    assert {b["task_id"]: events.get(b["task_id"]) for b in bodies} == {b["task_id"]: 1 for b in bodies}
