"""HailuoToS3Operator: stream a finished Hailuo video into S3, verified, in bounded memory.

The operator turns what it is given (a generation result, a file id, a task id) into one file and
one key, runs the transfer (:mod:`.s3_transfer`, whose streaming engine is :mod:`.multipart`), and
publishes the result: XCom, an asset event on its alias, an OpenLineage output and the "S3 object" link.
A rerun of a finished transfer is recognised from S3 alone (no download, no call to MiniMax).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    Asset,
    AssetAlias,
    BaseOperator,
)
from boto3.s3.transfer import S3Transfer
from botocore.exceptions import ClientError

from airflow_provider_hailuo.exceptions import HailuoError, HailuoMalformedResponseError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.links.hailuo import S3_CONSOLE_URL_XCOM_KEY, HailuoS3ObjectLink, s3_console_url
from airflow_provider_hailuo.outcomes import raise_for_airflow
from airflow_provider_hailuo.protocol import VideoStatus, normalise_file_id, normalise_status
from airflow_provider_hailuo.protocol.v2 import video_ref
from airflow_provider_hailuo.shapes import parse_rendered_mapping
from airflow_provider_hailuo.transfers.multipart import (
    DEFAULT_TRANSFER_CONFIG_ARGS,
    HailuoTransferIntegrityError,
    build_transfer_config,
)
from airflow_provider_hailuo.transfers.s3_transfer import (
    S3TransferResult,
    default_s3_key,
    make_s3_hook,
    sanitise_key_part,
    transfer_hailuo_file_to_s3,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

__all__ = [
    "DEFAULT_ASSET_ALIAS",
    "DEFAULT_TRANSFER_CONFIG_ARGS",
    "HailuoToS3Operator",
    "HailuoTransferIntegrityError",
    "S3TransferResult",
    "build_transfer_config",
    "default_s3_key",
    "make_s3_hook",
    "sanitise_key_part",
    "transfer_hailuo_file_to_s3",
]

DEFAULT_ASSET_ALIAS = "hailuo_videos"


def _with_alias(outlets: Any, alias: str) -> list[Any]:
    """The caller's outlets plus the transfer's alias, exactly once."""
    items = [] if outlets is None else list(outlets) if isinstance(outlets, (list, tuple)) else [outlets]
    if not any(isinstance(item, AssetAlias) and item.name == alias for item in items):
        items.append(AssetAlias(name=alias))
    return items


@dataclass(frozen=True)
class _Video:
    file_id: str
    video_task_id: str | None
    model: str | None


class HailuoToS3Operator(BaseOperator):
    """Copy a finished Hailuo video to S3, streaming and verified; returns a small dict.

    Give ``file_id=gen.output`` (the generation operator's result, or a sensor's), a file id, or just
    ``video_task_id`` (its status is queried to find the file). The result
    (``s3_uri``, ``bucket``, ``key``, ``bytes``, ``sha256``, ``video_task_id``, ``file_id``) is also
    announced as an asset event on the ``asset_alias`` for data-aware scheduling.

    :param file_id: Hailuo file id, or a dict holding ``file_id`` (templated).
    :param video_task_id: Hailuo task id, or a dict holding it (templated). Alone, the task must be Success.
    :param s3_bucket: target bucket (templated); may be omitted when ``s3_key`` is a full ``s3://`` URL.
    :param s3_key: target key (templated). Default ``hailuo/{dag_id}/{run_id}/{video_task_id}.mp4``.
    :param replace: overwrite a *different* object at the key. The same video already there is always
        accepted as done (idempotent retries), whatever this flag says.
    :param encrypt: server-side encryption with S3-managed keys (SSE-S3); use ``s3_extra_args`` for KMS.
    :param storage_class: e.g. ``STANDARD_IA`` or ``INTELLIGENT_TIERING``.
    :param content_type: stored ``Content-Type`` (``video/mp4``).
    :param s3_extra_args: any other boto3 upload ``ExtraArgs`` (``ACL``, ``SSEKMSKeyId``, ``Tagging``,
        ``Metadata``...), checked against boto3's allowed list when the DAG is parsed.
    :param checksum_algorithm: checksum S3 verifies on every part and that is compared with S3's checksum
        of the finished object (default ``CRC32``, as boto3's; ``SHA256`` and ``SHA1`` are compared too,
        others only per part; None turns it off for S3-compatible stores that reject it).
    :param transfer_config_args: overrides of the memory-bounded ``TransferConfig`` defaults.
    :param asset_alias: asset alias that receives an ``s3://bucket/key`` asset event; None: no event.
    :param progress_interval: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = (
        "file_id",
        "video_task_id",
        "s3_bucket",
        "s3_key",
        "storage_class",
        "s3_extra_args",
        "aws_conn_id",
        "hailuo_conn_id",
    )
    template_fields_renderers = {"s3_extra_args": "json"}
    operator_extra_links = (HailuoS3ObjectLink(),)
    ui_color = "#d9f0ff"

    def __init__(
        self,
        *,
        file_id: Any = None,
        video_task_id: Any = None,
        s3_bucket: str | None = None,
        s3_key: str | None = None,
        aws_conn_id: str | None = "aws_default",
        hailuo_conn_id: str = HailuoHook.default_conn_name,
        replace: bool = False,
        encrypt: bool = False,
        storage_class: str | None = None,
        content_type: str | None = "video/mp4",
        s3_extra_args: dict[str, Any] | None = None,
        checksum_algorithm: str | None = "CRC32",
        transfer_config_args: dict[str, Any] | None = None,
        asset_alias: str | None = DEFAULT_ASSET_ALIAS,
        progress_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        if file_id is None and video_task_id is None:
            raise ValueError("HailuoToS3Operator needs file_id (or the generation result) or video_task_id")
        if s3_extra_args is not None and not isinstance(s3_extra_args, (dict, str)):
            raise TypeError(f"s3_extra_args must be a dict, got {type(s3_extra_args).__name__}")
        if isinstance(s3_extra_args, dict):
            unknown = sorted(set(s3_extra_args) - set(S3Transfer.ALLOWED_UPLOAD_ARGS))
            if unknown:
                raise ValueError(f"s3_extra_args: not boto3 upload arguments: {', '.join(unknown)}")
        build_transfer_config(transfer_config_args)  # bad names or values fail at parse time
        if asset_alias:
            kwargs["outlets"] = _with_alias(kwargs.get("outlets"), asset_alias)
        super().__init__(**kwargs)
        self.file_id = file_id
        self.video_task_id = video_task_id
        self.s3_bucket = s3_bucket
        self.s3_key = s3_key
        self.aws_conn_id = aws_conn_id
        self.hailuo_conn_id = hailuo_conn_id
        self.replace = replace
        self.encrypt = encrypt
        self.storage_class = storage_class
        self.content_type = content_type
        self.s3_extra_args = s3_extra_args
        self.checksum_algorithm = checksum_algorithm
        self.transfer_config_args = transfer_config_args
        self.asset_alias = asset_alias
        self.progress_interval = progress_interval
        self._transferred: S3TransferResult | None = None

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:  # type: ignore[override]
        """The alias goes into what ``partial()`` receives: it never runs ``__init__``.

        Otherwise a mapped transfer's serialized DAG has no outlet: the DAG processor never registers
        the alias, DAGs scheduled on it miss it, and the first transfers to finish race to create its
        row (on PostgreSQL the loser fails). ``__init__`` later sees the alias already there.
        """
        alias = kwargs.get("asset_alias", DEFAULT_ASSET_ALIAS)
        if alias:
            kwargs["outlets"] = _with_alias(kwargs.get("outlets"), alias)
        return super().partial(**kwargs)

    # -- inputs ---------------------------------------------------------------------------------
    def _resolve_video(self, hook: HailuoHook) -> _Video:
        """Turn whatever was given (ids, result dicts) into a file id, querying the task if needed."""
        given_file, given_task = (
            parse_rendered_mapping(self.file_id),
            parse_rendered_mapping(self.video_task_id),
        )
        info: dict[str, Any] = {}
        for value in (given_task, given_file):  # a dict given as file_id wins
            if isinstance(value, Mapping):
                info.update({k: v for k, v in value.items() if v not in (None, "")})
        file_id = info.get("file_id") if given_file is None or isinstance(given_file, Mapping) else given_file
        task_id = (
            info.get("video_task_id") if given_task is None or isinstance(given_task, Mapping) else given_task
        )
        task_id = str(task_id).strip() if task_id not in (None, "") else None
        model = str(info["model"]) if info.get("model") else None
        if file_id in (None, ""):
            if info.get("status"):
                try:
                    failed = normalise_status(info["status"]) is VideoStatus.FAIL
                except HailuoMalformedResponseError:  # "Submitted" (wait_for_completion=False): ask the API
                    failed = False
                if failed:
                    raise AirflowFailException(
                        f"Hailuo video task {task_id} failed: there is no video to transfer"
                    )
            if not task_id:
                raise AirflowFailException(
                    f"No Hailuo file id to transfer: file_id={self.file_id!r}, video_task_id={self.video_task_id!r}"
                )
            if info.get("api_version") == "v2":  # MiniMax-H3: no file id, the task's query gives the URL
                return _Video(video_ref(task_id), task_id, model)
            file_id = self._file_id_of_task(hook, task_id)
        try:
            fid = normalise_file_id(file_id)
        except HailuoMalformedResponseError as err:
            raise AirflowFailException(f"file_id: {err}") from None
        if fid is None:
            raise AirflowFailException(f"file_id: not a Hailuo file id: {file_id!r}")
        return _Video(fid, task_id, model)

    def _file_id_of_task(self, hook: HailuoHook, task_id: str) -> str:
        status = hook.get_video_generation(task_id)
        if status.status is VideoStatus.SUCCESS and status.file_id:
            return status.file_id
        if status.status is VideoStatus.FAIL:
            reason = f" ({status.error_code}: {status.error_message})" if status.error_code else ""
            raise AirflowFailException(
                f"Hailuo video task {task_id} failed{reason}: there is no video to transfer"
            )
        raise AirflowException(
            f"Hailuo video task {task_id} is {status.status.value}, not Success: nothing to transfer yet. "
            "Wait for it first (HailuoVideoGenerationSensor, or the operator with wait_for_completion=True)."
        )

    def _destination(self, context: Context, video: _Video) -> tuple[str, str]:
        key = self.s3_key
        bucket = self.s3_bucket
        if key and key.startswith("s3://"):
            parsed_bucket, key = S3Hook.parse_s3_url(key)
            if bucket and bucket != parsed_bucket:
                raise AirflowFailException(
                    f"s3_key names bucket {parsed_bucket!r} but s3_bucket is {bucket!r}"
                )
            bucket = parsed_bucket
        if not key:
            dag_run = context.get("dag_run")
            run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or "manual"
            key = default_s3_key(self.dag_id, str(run_id), video.video_task_id, video.file_id)
        if not bucket:
            raise AirflowFailException("s3_bucket is required unless s3_key is a full s3:// URL")
        return bucket, key.lstrip("/")

    def _extra_args(self) -> dict[str, Any]:
        extra: Any = self.s3_extra_args or {}
        if not isinstance(extra, Mapping):
            raise AirflowFailException(f"s3_extra_args rendered to {type(extra).__name__}, expected a dict")
        args: dict[str, Any] = {}
        if self.content_type:
            args["ContentType"] = self.content_type
        if self.encrypt:
            args["ServerSideEncryption"] = "AES256"
        if self.storage_class:
            args["StorageClass"] = self.storage_class
        args.update(extra)
        return args

    # -- execution ------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        hook = HailuoHook(hailuo_conn_id=self.hailuo_conn_id)
        bucket = key = "?"
        try:
            video = self._resolve_video(hook)
            bucket, key = self._destination(context, video)
            s3_hook = make_s3_hook(self.aws_conn_id, self.transfer_config_args)
            region = getattr(s3_hook, "conn_region_name", None) or None
            # Early, so the UI link works while the (possibly long) transfer runs and after a failure.
            context["ti"].xcom_push(key=S3_CONSOLE_URL_XCOM_KEY, value=s3_console_url(bucket, key, region))
            result = transfer_hailuo_file_to_s3(
                hailuo_hook=hook,
                s3_hook=s3_hook,
                file_id=video.file_id,
                bucket=bucket,
                key=key,
                video_task_id=video.video_task_id,
                model=video.model,
                replace=self.replace,
                extra_args=self._extra_args(),
                checksum_algorithm=self.checksum_algorithm,
                log=self.log,
                progress_interval=self.progress_interval,
            )
        except HailuoError as err:
            raise_for_airflow(err)
            raise  # pragma: no cover
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("403", "Forbidden", "AccessDenied"):
                raise AirflowFailException(
                    f"S3 refused access to s3://{bucket}/{key} ({code}): the AWS connection needs s3:PutObject, "
                    "s3:GetObject and s3:ListBucket on it (without ListBucket a missing key answers 403). "
                    f"{err}"
                ) from err
            if code in ("NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise AirflowFailException(f"S3 refused the transfer ({code}): {err}") from err
            raise
        finally:
            hook.close()
        self._transferred = result
        self._emit_asset_event(context, result)
        return result.to_dict()

    def _emit_asset_event(self, context: Context, result: S3TransferResult) -> None:
        if not self.asset_alias:
            return
        extra: dict[str, Any] = {
            "video_task_id": result.video_task_id,
            "file_id": result.file_id,
            "bytes": result.bytes,
            "sha256": result.sha256,
        }
        context["outlet_events"][AssetAlias(name=self.asset_alias)].add(Asset(result.s3_uri), extra=extra)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """The S3 object as the output dataset (nothing when no transfer happened)."""
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage

        if self._transferred is None:
            return OperatorLineage()
        return OperatorLineage(
            outputs=[Dataset(namespace=f"s3://{self._transferred.bucket}", name=self._transferred.key)]
        )
