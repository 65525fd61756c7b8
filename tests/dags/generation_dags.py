"""DAGs run by tests/operators with dag.test() against the sandbox (connection from the environment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from tests.helpers import png_data_url


class CrashAfterSubmitOperator(HailuoVideoGenerationOperator):
    """Dies right after the create call on the first try, as a worker killed mid-task would."""

    def _submit_or_reattach(self, context: Any) -> Any:
        result = super()._submit_or_reattach(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash after submission")
        return result


class WithoutStateStoreOperator(HailuoVideoGenerationOperator):
    """Runs as on Airflow 3.0-3.2, whose task context has no task state store."""

    def execute(self, context: Any) -> Any:
        return super().execute(_without_store(context))

    def execute_complete(self, context: Any, event: Any = None, payload_summary: Any = None) -> Any:
        return super().execute_complete(_without_store(context), event, payload_summary)


class CrashWithoutStateStoreOperator(CrashAfterSubmitOperator, WithoutStateStoreOperator):
    """A worker killed right after the create call, on an Airflow with no task state store (3.0-3.2)."""


def _without_store(context: Any) -> dict[str, Any]:
    return {key: context[key] for key in context if key != "task_state_store"}


FIRST = png_data_url(640, 360)
LAST = png_data_url(640, 360)
FACE = png_data_url(400, 400)
COMMON: dict[str, Any] = {"poll_interval": 0.1, "timeout": 60}
START = datetime(2026, 1, 1)

for deferrable in (False, True):
    suffix = "deferrable" if deferrable else "sync"
    with DAG(f"hailuo_modes_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        HailuoVideoGenerationOperator(
            task_id="text_to_video",
            prompt="一只可爱的熊猫在竹林中悠闲散步[跟随]，阳光透过竹叶洒下斑驳的光影",
            resolution="1080P",
            deferrable=deferrable,
            **COMMON,
        )
        HailuoVideoGenerationOperator(
            task_id="image_to_video",
            model="I2V-01-Director",
            prompt="让图片中的风景动起来，[右移]展示更多景色",
            first_frame_image=FIRST,
            deferrable=deferrable,
            **COMMON,
        )
        HailuoVideoGenerationOperator(
            task_id="first_last_frame",
            prompt="[Push in] from dawn to dusk",
            first_frame_image=FIRST,
            last_frame_image=LAST,
            deferrable=deferrable,
            **COMMON,
        )
        HailuoVideoGenerationOperator(
            task_id="subject_reference",
            model="S2V-01",
            prompt="保持人物特征一致，展示不同角度的微笑",
            subject_reference=[{"type": "character", "image": FACE}],
            deferrable=deferrable,
            **COMMON,
        )
        HailuoVideoGenerationOperator.partial(
            task_id="mapped", deferrable=deferrable, duration=10, **COMMON
        ).expand(
            prompt=["a red fox running through fresh snow at dawn, cinematic", "a lighthouse in a storm"]
        )
        submitted = HailuoVideoGenerationOperator(
            task_id="submit_only", prompt="submit now, wait later", wait_for_completion=False
        )
        HailuoVideoGenerationSensor(
            task_id="wait_later",
            video_task_id="{{ ti.xcom_pull(task_ids='submit_only', key='video_task_id') }}",
            poke_interval=0.1,
            timeout=60,
            deferrable=deferrable,
        )
        submitted >> dag.get_task("wait_later")
    globals()[f"modes_{suffix}"] = dag

    with DAG(f"hailuo_reattach_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        CrashAfterSubmitOperator(
            task_id="crash_after_submit",
            prompt="a video that must be paid for once",
            deferrable=deferrable,
            retries=1,
            retry_delay=timedelta(seconds=0),
            **COMMON,
        )
    globals()[f"reattach_{suffix}"] = dag

    for store, operator_class in (
        ("with_store", HailuoVideoGenerationOperator),
        ("without_store", WithoutStateStoreOperator),
    ):
        # The wait times out (the test makes the video take longer than `timeout`); one retry follows.
        with DAG(f"hailuo_lost_wait_{store}_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
            operator_class(
                task_id="wait_times_out",
                prompt="a video that must be paid for once",
                deferrable=deferrable,
                poll_interval=0.1,
                timeout=1.2,
                retries=1,
                retry_delay=timedelta(seconds=0),
            )
        globals()[f"lost_wait_{store}_{suffix}"] = dag


def presigned_frame_url(try_number: int) -> str:
    """A presigned S3 URL as a DAG would sign it at render time: its query string differs every try."""
    import boto3

    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return str(
        client.generate_presigned_url(
            "get_object", Params={"Bucket": "frames", "Key": "fox/first.png"}, ExpiresIn=3600 + try_number
        )
    )


with DAG(
    "hailuo_reattach_presigned",
    schedule=None,
    start_date=START,
    catchup=False,
    user_defined_macros={"presign": presigned_frame_url},
) as presigned_dag:
    CrashAfterSubmitOperator(
        task_id="crash_after_submit",
        model="I2V-01",
        prompt="a video from a presigned frame",
        first_frame_image="{{ presign(ti.try_number) }}",
        retries=1,
        retry_delay=timedelta(seconds=0),
        **COMMON,
    )

with DAG("hailuo_failures", schedule=None, start_date=START, catchup=False) as failures_dag:
    HailuoVideoGenerationOperator(
        task_id="moderated", prompt="SANDBOX_SENSITIVE_OUTPUT", retries=2, retry_delay=timedelta(0), **COMMON
    )

with DAG("hailuo_create_ambiguous", schedule=None, start_date=START, catchup=False) as ambiguous_dag:
    # retries=2: an ambiguous create must not use them (each would pay for another video).
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="a create answered by a 502 page",
        retries=2,
        retry_delay=timedelta(0),
        **COMMON,
    )

# -- MiniMax-H3 (v2 API): the same operator, the model picks the API ----------------------------------
H3: dict[str, Any] = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, **COMMON}
for deferrable in (False, True):
    suffix = "deferrable" if deferrable else "sync"
    with DAG(f"hailuo_h3_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        text_to_video = HailuoVideoGenerationOperator(
            task_id="text_to_video",
            prompt="a red kite over a cliff",
            ratio="9:16",
            deferrable=deferrable,
            **H3,
        )

        @task
        def result_describes_the_request(result: dict[str, Any]) -> None:
            """What was asked (768P, 4 s, priced), not the model's defaults, however the wait ended."""
            got = (result["resolution"], result["duration"], result["estimated_cost"] is not None)
            if got != ("768P", 4, True):
                raise ValueError(f"result does not describe the request: {got}")

        result_describes_the_request(text_to_video.output)
        HailuoVideoGenerationOperator(
            task_id="first_frame",
            prompt="the scene comes alive",
            first_frame_image=FIRST,
            deferrable=deferrable,
            **H3,
        )
        HailuoVideoGenerationOperator(
            task_id="references",
            prompt="the character walks through a market",
            reference_images=[FACE, FIRST],
            ratio="16:9",
            deferrable=deferrable,
            **H3,
        )
    globals()[f"h3_{suffix}"] = dag

    with DAG(f"hailuo_h3_reattach_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        CrashAfterSubmitOperator(
            task_id="crash_after_submit",
            prompt="an H3 video that must be paid for once",
            deferrable=deferrable,
            retries=1,
            retry_delay=timedelta(seconds=0),
            **H3,
        )
    globals()[f"h3_reattach_{suffix}"] = dag

    with DAG(f"hailuo_h3_reattach_nostore_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        # No task state store: the retry finds the first try's video in the v2 task list.
        CrashWithoutStateStoreOperator(
            task_id="crash_after_submit",
            prompt="an H3 video found again without a task state store",
            deferrable=deferrable,
            retries=1,
            retry_delay=timedelta(seconds=0),
            **H3,
        )
    globals()[f"h3_reattach_nostore_{suffix}"] = dag

with DAG("hailuo_h3_create_ambiguous", schedule=None, start_date=START, catchup=False) as h3_ambiguous_dag:
    # retries=2: an ambiguous create is reconciled through the task list, never sent again.
    HailuoVideoGenerationOperator(
        task_id="generate",
        prompt="an H3 create answered by a 502 page",
        ratio="16:9",
        retries=2,
        retry_delay=timedelta(0),
        **H3,
    )

for deferrable in (False, True):
    suffix = "deferrable" if deferrable else "sync"
    with DAG(f"hailuo_h3_submit_then_sense_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        submitted = HailuoVideoGenerationOperator(
            task_id="submit",
            prompt="a kite, waited for elsewhere",
            ratio="1:1",
            wait_for_completion=False,
            **H3,
        )
        HailuoVideoGenerationSensor(
            task_id="wait",
            video_task_id=submitted.output,
            poke_interval=0.1,
            timeout=60,
            deferrable=deferrable,
        )
    globals()[f"h3_submit_then_sense_{suffix}"] = dag
