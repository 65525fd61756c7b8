"""Extra links shown on Hailuo tasks in the Airflow UI.

Airflow 3's api-server never runs operator code, so a link cannot be computed from the operator when
someone clicks it: the operator pushes the finished URL to an XCom early in ``execute`` (so the link
works while the task runs and after it fails) and the link only reads it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, TaskInstanceKey

#: XCom key under which HailuoToS3Operator stores the S3 console URL of its object.
S3_CONSOLE_URL_XCOM_KEY = "s3_console_url"


def s3_console_url(bucket: str, key: str, region: str | None = None) -> str:
    """The AWS console page of one object (the region avoids a redirect through the bucket's region)."""
    url = f"https://s3.console.aws.amazon.com/s3/object/{quote(bucket, safe='')}"
    query = f"prefix={quote(key, safe='/')}"
    if region:
        query = f"region={quote(region, safe='')}&{query}"
    return f"{url}?{query}"


class HailuoS3ObjectLink(BaseOperatorLink):
    """ "S3 object" button: opens the transferred video in the S3 console."""

    name: ClassVar[str] = "S3 object"  # type: ignore[misc]
    key: ClassVar[str] = S3_CONSOLE_URL_XCOM_KEY

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        value = XCom.get_value(key=self.key, ti_key=ti_key)
        return value if isinstance(value, str) else ""
