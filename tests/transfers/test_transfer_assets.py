"""The transfer's asset alias, mapped or not: in the serialized DAG, registered at DAG sync, and one
asset event per stored video, read back from Airflow's own models after a dag.test() run.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk import DAG, Asset

from airflow_provider_hailuo.transfers.hailuo_to_s3 import HailuoToS3Operator
from tests.conftest import DAGS_DIR, dagbag_for, load_dag_file, sync_dagbag_to_db

from .conftest import S3Env

DAG_FILE = os.path.join(os.path.dirname(__file__), "..", "dags", "mapped_transfer_dags.py")


def _outlet_names(task: Any) -> list[tuple[str, str]]:
    return [(type(o).__name__.removeprefix("Serialized"), o.name) for o in task.outlets]


def _serialized_outlet_names(dag: DAG, task_id: str) -> list[tuple[str, str]]:
    """The outlets as the DAG processor reads them from the serialized DAG when it registers assets."""
    from airflow.serialization import serialized_objects

    # Airflow 3.3 moved the DAG serializer to DagSerialization; 3.0-3.2 have it on SerializedDAG.
    serializer = getattr(serialized_objects, "DagSerialization", None) or serialized_objects.SerializedDAG
    (task,) = (
        t["__var"] for t in serializer.to_dict(dag)["dag"]["tasks"] if t["__var"]["task_id"] == task_id
    )
    ports = (task["partial_kwargs"] if task.get("_is_mapped") else task).get("outlets") or []
    deserialize = serialized_objects.BaseSerialization.deserialize
    return _outlet_names(SimpleNamespace(outlets=[deserialize(port) for port in ports]))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [("AssetAlias", "hailuo_videos")]),
        ({"asset_alias": "my_videos"}, [("AssetAlias", "my_videos")]),
        (
            {"outlets": [Asset("s3://bucket/manifest.json")]},
            [("Asset", "s3://bucket/manifest.json"), ("AssetAlias", "hailuo_videos")],
        ),
        ({"asset_alias": None}, []),
    ],
    ids=["default", "own-alias", "with-user-outlet", "no-alias"],
)
@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "unmapped"])
def test_the_alias_is_in_the_serialized_dag(
    kwargs: dict[str, Any], expected: list[tuple[str, str]], mapped: bool
) -> None:
    """``partial()`` never runs ``__init__``: the alias must be in what it receives, or it is lost."""
    with DAG("alias_serialization", schedule=None) as dag:
        if mapped:
            task: Any = HailuoToS3Operator.partial(task_id="to_s3", s3_bucket="b", **kwargs).expand(
                file_id=["1", "2"]
            )
        else:
            task = HailuoToS3Operator(task_id="to_s3", s3_bucket="b", file_id="1", **kwargs)
    assert _outlet_names(task) == expected
    assert _serialized_outlet_names(dag, "to_s3") == expected
    if mapped:  # what a worker runs: __init__ on the partial's kwargs must not add the alias twice
        assert _outlet_names(task.unmap({"file_id": "1"})) == expected


def test_mapped_batch_registers_its_alias_and_announces_every_video(
    sandbox: Any, s3: S3Env, airflow_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.asset import AssetAliasModel, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from tests.dags.mapped_transfer_dags import ALIAS, PROMPTS

    monkeypatch.setenv("HAILUO_TEST_BUCKET", s3.bucket)
    dag: Any = load_dag_file(DAG_FILE, "hailuo_mapped_transfer")
    # The DAG processor's sync, before anything ran: the alias exists, so no two transfers race to
    # create its row when they finish, and DAGs scheduled on it see it from the start.
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    DagBundlesManager().sync_bundles_to_db()
    bag: Any = dagbag_for(os.path.join(DAGS_DIR, os.path.basename(DAG_FILE)), bundle_path=Path(DAGS_DIR))
    assert not bag.import_errors
    sync_dagbag_to_db(bag)
    with create_session() as session:
        assert session.scalar(select(AssetAliasModel).where(AssetAliasModel.name == ALIAS)) is not None

    dag_run = dag.test()
    assert dag_run.state == "success", {
        (t.task_id, t.map_index): t.state for t in dag_run.get_task_instances()
    }
    stored = {f"s3://{s3.bucket}/{key}" for key in s3.keys()}  # noqa: SIM118 - S3Env.keys() lists objects
    assert len(stored) == len(PROMPTS) == sandbox.stats()["creates"]
    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_run_id == dag_run.run_id, AssetModel.uri.in_(stored))
        ).all()
        announced = {
            (e.asset.uri, e.source_map_index, tuple(a.name for a in e.source_aliases)) for e in events
        }
    assert {uri for uri, _, _ in announced} == stored
    assert len(events) == len(stored)  # one event per video, none twice
    assert {index for _, index, _ in announced} == set(range(len(PROMPTS)))
    assert all(aliases == (ALIAS,) for _, _, aliases in announced)
