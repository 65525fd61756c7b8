"""DAGs for the MiniMax-H3 regeneration and prompt-enhancement operators, run with dag.test() against the
sandbox (connection from the environment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_provider_hailuo.operators.h3_context_ir import HailuoPromptEnhancementOperator
from airflow_provider_hailuo.operators.h3_regeneration import HailuoVideoRegenerationOperator
from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator


class CrashingRegeneration(HailuoVideoRegenerationOperator):
    """Dies right after the create call on the first try, as a worker killed mid-task would."""

    def _submit_or_reattach(self, context: Any) -> Any:
        result = super()._submit_or_reattach(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash after submission")
        return result


class CrashingEnhancement(HailuoPromptEnhancementOperator):
    """Dies right after the create call on the first try."""

    def _submit_or_reattach(self, context: Any) -> Any:
        result = super()._submit_or_reattach(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash after submission")
        return result


COMMON: dict[str, Any] = {"poll_interval": 0.1, "timeout": 60}
START = datetime(2026, 1, 1)
RETRY: dict[str, Any] = {"retries": 1, "retry_delay": timedelta(0)}

for deferrable in (False, True):
    suffix = "deferrable" if deferrable else "sync"
    with DAG(f"hailuo_h3_regeneration_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        draft = HailuoVideoGenerationOperator(
            task_id="draft",
            model="MiniMax-H3",
            prompt="a draft worth keeping",
            resolution="768P",
            duration=4,
            ratio="16:9",
            **COMMON,
        )
        CrashingRegeneration(
            task_id="to_2k", source_task_id=draft.output, deferrable=deferrable, **RETRY, **COMMON
        )
    globals()[f"h3_regeneration_{suffix}"] = dag

    with DAG(f"hailuo_h3_context_ir_{suffix}", schedule=None, start_date=START, catchup=False) as dag:
        CrashingEnhancement(
            task_id="enhance",
            prompt="a kite over a cliff",
            ratio="9:16",
            duration=5,
            deferrable=deferrable,
            **RETRY,
            **COMMON,
        )
    globals()[f"h3_context_ir_{suffix}"] = dag
