"""Image inputs: header parsing, MiniMax's limits, every accepted form, and redaction."""

from __future__ import annotations

import base64
import struct
import sys
import types
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_hailuo.images import (
    MAX_IMAGE_BYTES,
    ImageInfo,
    ResolvedImage,
    check_image_limits,
    inspect_image,
    resolve_image,
)
from airflow_provider_hailuo.redaction import redact_image_reference
from tests.helpers import png_bytes

# --------------------------------------------------------------------------------------------
# Fixture encoders: just enough of each format for a real header
# --------------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return struct.pack(">I", len(body)) + kind + body + crc


def make_png(width: int, height: int) -> bytes:
    """A complete, decodable 8-bit greyscale PNG (black)."""
    return png_bytes(width, height, 0)


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def make_jpeg(width: int, height: int, *, sof: int = 0xC0, exif: bytes = b"", fill: bool = False) -> bytes:
    """SOI, JFIF APP0, optional APP1, DQT, DHT, SOFn, SOS, EOI: the segment walk a real file needs."""
    app0 = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    app1 = _segment(0xE1, b"Exif\x00\x00" + exif) if exif else b""
    dqt = _segment(0xDB, b"\x00" + bytes(range(64)))
    dht = _segment(0xC4, b"\x00" + bytes(16) + b"")
    frame = _segment(sof, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01")
    sos = _segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + b"\x12\x34\x56"
    padding = b"\xff\xff" if fill else b""
    return b"\xff\xd8" + app0 + app1 + dqt + dht + padding + frame + sos + b"\xff\xd9"


def _riff(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def make_webp_vp8(width: int, height: int) -> bytes:
    body = b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + bytes(10)
    return _riff(b"VP8 ", body)


def make_webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + bytes(8))


def make_webp_vp8x(width: int, height: int) -> bytes:
    body = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(b"VP8X", body)


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


# --------------------------------------------------------------------------------------------
# inspect_image
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoder, fmt",
    [
        (make_png, "PNG"),
        (make_jpeg, "JPEG"),
        (lambda w, h: make_jpeg(w, h, sof=0xC2), "JPEG"),
        (lambda w, h: make_jpeg(w, h, exif=bytes(5000), fill=True), "JPEG"),
        (make_webp_vp8, "WEBP"),
        (make_webp_vp8l, "WEBP"),
        (make_webp_vp8x, "WEBP"),
    ],
    ids=["png", "jpeg-baseline", "jpeg-progressive", "jpeg-exif-fill", "webp-vp8", "webp-vp8l", "webp-vp8x"],
)
def test_inspect_reads_format_and_size(encoder: Any, fmt: str) -> None:
    data = encoder(1280, 720)
    assert inspect_image(data) == ImageInfo(format=fmt, width=1280, height=720, size=len(data))


def test_png_fixture_is_a_real_png() -> None:
    data = make_png(3, 2)
    # Walk the chunks and check their CRCs: the encoder must not teach the parser bad habits.
    pos = 8
    kinds = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert zlib.decompress(data[41 : 41 + struct.unpack(">I", data[33:37])[0]]) == b"\x00\x00\x00\x00" * 2


def test_mime_type_and_description() -> None:
    info = inspect_image(make_webp_vp8l(640, 480))
    assert info.mime_type == "image/webp"
    assert info.describe().startswith("WEBP 640x480, ")


@pytest.mark.parametrize(
    "data, name",
    [
        (b"GIF89a" + bytes(20), "GIF"),
        (b"BM" + bytes(40), "BMP"),
        (b"II*\x00" + bytes(20), "TIFF"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(20), "HEIC/HEIF"),
        (b"\x00\x00\x00\x18ftypavif" + bytes(20), "AVIF"),
    ],
)
def test_known_but_unaccepted_formats_are_named(data: bytes, name: str) -> None:
    with pytest.raises(ValueError, match=f"image format {name} is not accepted; use JPEG, PNG or WebP"):
        inspect_image(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"\x89PNG\r\n\x1a\n",
        b"\x89PNG\r\n\x1a\n" + bytes(8),
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe0\x00\x01",
        b"\xff\xd8\xff\xd9",
        b"\xff\xd8" + _segment(0xE0, b"JFIF") + b"\xff\xda\x00\x02",
        b"\xff\xd8" + _segment(0xC0, struct.pack(">BHHB", 8, 0, 640, 3)),
        b"\xff\xd8" + _segment(0xE0, b"x") + b"\x00\x00",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
        b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00",
        b"RIFF\x00\x00\x00\x00WEBPVP8L\x05\x00\x00\x00\x00\x00\x00\x00\x00",
        b"RIFF\x00\x00\x00\x00WEBPALPH" + bytes(30),
        make_png(0, 10)[:33],
    ],
)
def test_unreadable_headers_raise_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        inspect_image(data)


def test_jpeg_with_height_from_dnl_is_refused() -> None:
    data = make_jpeg(640, 0)
    with pytest.raises(ValueError, match="DNL"):
        inspect_image(data)


@given(st.binary(max_size=512))
def test_inspect_never_raises_anything_but_value_error(data: bytes) -> None:
    try:
        inspect_image(data)
    except ValueError:
        pass


@given(
    st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP"]),
    st.sampled_from([b"", b"\x00\x00\x00\x0dIHDR", b"VP8 ", b"VP8L", b"VP8X", b"\xe0", b"\xc0"]),
    st.binary(max_size=256),
)
def test_inspect_on_plausible_prefixes_raises_only_value_error(
    magic: bytes, middle: bytes, tail: bytes
) -> None:
    try:
        info = inspect_image(magic + middle + tail)
    except ValueError:
        return
    assert info.width > 0 and info.height > 0


@given(st.integers(1, 16384), st.integers(1, 16384))
def test_dimensions_round_trip_through_every_encoder(width: int, height: int) -> None:
    for encoder in (make_jpeg, make_webp_vp8l):
        info = inspect_image(encoder(width, height))
        assert (info.width, info.height) == (width, height)
    vp8 = inspect_image(make_webp_vp8(width % 16384, height % 16384 or 1)) if width % 16384 else None
    if vp8 is not None:
        assert (vp8.width, vp8.height) == (width % 16384, height % 16384 or 1)
    header = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    assert (inspect_image(header).width, inspect_image(header).height) == (width, height)
    x = inspect_image(make_webp_vp8x(width, height))
    assert (x.width, x.height) == (width, height)


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------


def info(width: int, height: int, size: int = 1000) -> ImageInfo:
    return ImageInfo("PNG", width, height, size)


@pytest.mark.parametrize(
    "size", [(301, 301), (1280, 720), (720, 1280), (1000, 400), (400, 1000), (5000, 2000)]
)
def test_images_within_limits_pass(size: tuple[int, int]) -> None:
    check_image_limits(info(*size), field="first_frame_image")


def test_short_side_must_be_over_300_px() -> None:
    with pytest.raises(ValueError) as exc:
        check_image_limits(info(200, 900), field="first_frame_image")
    assert str(exc.value) == "first_frame_image: image is 200x900 px; the short side must be over 300 px"
    with pytest.raises(ValueError, match="over 300 px"):
        check_image_limits(info(300, 600), field="first_frame_image")


@pytest.mark.parametrize("size", [(1001, 400), (400, 1001), (3000, 301)])
def test_aspect_ratio_beyond_5_2_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError) as exc:
        check_image_limits(info(*size), field="last_frame_image")
    assert str(exc.value).startswith(f"last_frame_image: image is {size[0]}x{size[1]} px (aspect ratio ")
    assert "between 2:5 and 5:2" in str(exc.value)


def test_size_must_be_under_20_mb() -> None:
    check_image_limits(info(640, 480, MAX_IMAGE_BYTES - 1), field="x")
    with pytest.raises(ValueError, match=f"x: image is .*; it must be smaller than {MAX_IMAGE_BYTES} bytes"):
        check_image_limits(info(640, 480, MAX_IMAGE_BYTES), field="x")


# --------------------------------------------------------------------------------------------
# resolve_image
# --------------------------------------------------------------------------------------------

PNG = make_png(640, 480)


def assert_inline(resolved: ResolvedImage, data: bytes, subtype: str) -> None:
    assert resolved.value == f"data:image/{subtype};base64,{base64.b64encode(data).decode()}"
    assert resolved.info == inspect_image(data)
    assert base64.b64encode(data).decode()[:16] not in resolved.source
    assert len(resolved.source) < 200


@pytest.mark.parametrize("as_path", [str, Path])
def test_local_file(tmp_path: Path, as_path: Any) -> None:
    file = tmp_path / "frame.jpeg.png"
    file.write_bytes(PNG)
    resolved = resolve_image(as_path(file), field="first_frame_image")
    assert_inline(resolved, PNG, "png")
    assert resolved.source == f"local file {file} (PNG 640x480, {len(PNG)} B)"


def test_format_follows_magic_bytes_not_extension(tmp_path: Path) -> None:
    jpeg = make_jpeg(800, 600)
    file = tmp_path / "photo.png"
    file.write_bytes(jpeg)
    resolved = resolve_image(file, field="first_frame_image")
    assert resolved.value.startswith("data:image/jpeg;base64,")
    assert resolved.info is not None and resolved.info.format == "JPEG"


def test_missing_local_file_names_field_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(ValueError) as exc:
        resolve_image(str(missing), field="last_frame_image")
    assert str(exc.value).startswith("last_frame_image: ")
    assert str(missing) in str(exc.value)
    assert "does not exist" in str(exc.value)


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"first_frame_image: .* is not a regular file"):
        resolve_image(tmp_path, field="first_frame_image")


def test_oversized_local_file_is_refused_before_reading(tmp_path: Path) -> None:
    file = tmp_path / "big.png"
    with file.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(MAX_IMAGE_BYTES)
    with pytest.raises(
        ValueError, match=f"first_frame_image: local file .* must be smaller than {MAX_IMAGE_BYTES}"
    ):
        resolve_image(file, field="first_frame_image")


def test_local_file_with_bad_content_names_field_and_file(tmp_path: Path) -> None:
    file = tmp_path / "anim.png"
    file.write_bytes(b"GIF89a" + bytes(100))
    with pytest.raises(ValueError) as exc:
        resolve_image(file, field="first_frame_image")
    assert str(exc.value) == (
        f"first_frame_image: local file {file}: image format GIF is not accepted; use JPEG, PNG or WebP"
    )


def test_too_small_local_image(tmp_path: Path) -> None:
    file = tmp_path / "small.png"
    file.write_bytes(make_png(200, 900))
    with pytest.raises(ValueError) as exc:
        resolve_image(file, field="first_frame_image")
    assert str(exc.value) == "first_frame_image: image is 200x900 px; the short side must be over 300 px"


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_raw_bytes(wrap: Any) -> None:
    data = make_webp_vp8(1024, 768)
    resolved = resolve_image(wrap(data), field="first_frame_image")
    assert_inline(resolved, data, "webp")
    assert resolved.source.startswith("bytes (WEBP 1024x768, ")


def test_oversized_bytes() -> None:
    data = PNG + bytes(MAX_IMAGE_BYTES)
    with pytest.raises(
        ValueError, match=f"first_frame_image: bytes is .* smaller than {MAX_IMAGE_BYTES} bytes"
    ):
        resolve_image(data, field="first_frame_image")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.png",
        "http://example.com/a/b.jpg?X-Amz-Signature=secret",
        "HTTPS://EXAMPLE.COM/x.webp",
    ],
)
def test_http_urls_pass_through_unchanged(url: str) -> None:
    resolved = resolve_image(url, field="first_frame_image")
    assert resolved.value == url
    assert resolved.info is None
    assert "secret" not in resolved.source


def test_long_url_source_is_truncated() -> None:
    url = "https://example.com/" + "a" * 300 + ".png?token=abc"
    resolved = resolve_image(url, field="first_frame_image")
    assert resolved.value == url
    assert len(resolved.source) <= 85
    assert resolved.source.endswith("…?…")


def test_url_without_host() -> None:
    with pytest.raises(ValueError, match=r"first_frame_image: URL .* has no host"):
        resolve_image("https:///cat.png", field="first_frame_image")


def test_data_url_is_decoded_checked_and_reencoded() -> None:
    resolved = resolve_image(data_url(PNG), field="first_frame_image")
    assert_inline(resolved, PNG, "png")
    assert resolved.source.startswith("data URL (PNG 640x480, ")


def test_data_url_with_wrong_declared_type_gets_the_real_one() -> None:
    jpeg = make_jpeg(1280, 720)
    resolved = resolve_image(data_url(jpeg, "image/png"), field="first_frame_image")
    assert resolved.value.startswith("data:image/jpeg;base64,")


def test_data_url_with_line_breaks_in_payload() -> None:
    encoded = base64.encodebytes(PNG).decode()  # wrapped every 76 characters
    resolved = resolve_image(f"data:image/png;base64,{encoded}", field="first_frame_image")
    assert_inline(resolved, PNG, "png")


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("data:image/png,rawtext", "must be base64-encoded"),
        ("data:text/plain;base64,aGVsbG8=", "media type 'text/plain'"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        ("data:image/png;base64", "malformed data URL"),
        (data_url(b"GIF89a" + bytes(40), "image/gif"), "data URL: image format GIF is not accepted"),
        (data_url(make_png(100, 100)), "image is 100x100 px; the short side must be over 300 px"),
    ],
)
def test_bad_data_urls(url: str, fragment: str) -> None:
    with pytest.raises(ValueError) as exc:
        resolve_image(url, field="first_frame_image")
    assert str(exc.value).startswith("first_frame_image: ")
    assert fragment in str(exc.value)
    assert "base64," not in str(exc.value).replace("data:image/<type>;base64,<data>", "")


def test_bare_base64_string_is_accepted() -> None:
    # The guide's image_to_base64() helper returns base64 without the data: prefix.
    encoded = base64.b64encode(PNG).decode()
    resolved = resolve_image(encoded, field="subject_reference")
    assert_inline(resolved, PNG, "png")
    assert resolved.source.startswith("base64 string (PNG 640x480")


@pytest.mark.parametrize("value", ["ftp://host/a.png", "gs://bucket/a.png", "file:///tmp/a.png"])
def test_unsupported_schemes_list_the_accepted_forms(value: str) -> None:
    with pytest.raises(ValueError) as exc:
        resolve_image(value, field="first_frame_image")
    message = str(exc.value)
    assert message.startswith("first_frame_image: unsupported URL scheme")
    for form in ("local file path", "raw bytes", "http(s)://", "data:image/", "s3://bucket/key"):
        assert form in message


@pytest.mark.parametrize("value", ["", "   ", None, 42, 3.5, ["https://a/b.png"]])
def test_values_of_no_accepted_form(value: object) -> None:
    with pytest.raises(ValueError) as exc:
        resolve_image(value, field="first_frame_image")
    assert str(exc.value).startswith("first_frame_image: ")
    assert "s3://bucket/key" in str(exc.value)


# --- S3 ---------------------------------------------------------------------------------------


class FakeBody:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.asked: int | None = None

    def read(self, amount: int | None = None) -> bytes:
        self.asked = amount
        return self.data if amount is None else self.data[:amount]


class FakeObject:
    def __init__(self, data: bytes, content_length: int | None = None) -> None:
        self.body = FakeBody(data)
        self.content_length = len(data) if content_length is None else content_length

    def get(self) -> dict[str, Any]:
        return {"Body": self.body}


class NotFound(Exception):
    def __init__(self) -> None:
        super().__init__("An error occurred (404) when calling the HeadObject operation: Not Found")
        self.response = {"Error": {"Code": "404", "Message": "Not Found"}}


def install_fake_s3(monkeypatch: pytest.MonkeyPatch, objects: dict[tuple[str, str], Any]) -> list[Any]:
    calls: list[Any] = []

    class FakeS3Hook:
        def __init__(self, aws_conn_id: str | None = "aws_default") -> None:
            calls.append(("init", aws_conn_id))

        def get_key(self, key: str, bucket_name: str | None = None) -> Any:
            calls.append(("get_key", key, bucket_name))
            found = objects[(bucket_name or "", key)]
            if isinstance(found, BaseException):
                raise found
            return found

    module = types.ModuleType("airflow.providers.amazon.aws.hooks.s3")
    module.S3Hook = FakeS3Hook  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow.providers.amazon.aws.hooks.s3", module)
    return calls


def test_s3_object_is_read_through_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = FakeObject(PNG)
    calls = install_fake_s3(monkeypatch, {("media", "frames/a.png"): obj})
    resolved = resolve_image("s3://media/frames/a.png", field="first_frame_image", aws_conn_id="my_aws")
    assert_inline(resolved, PNG, "png")
    assert resolved.source.startswith("s3://media/frames/a.png (PNG 640x480, ")
    assert calls == [("init", "my_aws"), ("get_key", "frames/a.png", "media")]
    assert obj.body.asked == MAX_IMAGE_BYTES  # one byte past the largest accepted size


def test_s3_declared_size_is_checked_before_download(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = FakeObject(PNG, content_length=MAX_IMAGE_BYTES)
    install_fake_s3(monkeypatch, {("b", "k.png"): obj})
    with pytest.raises(ValueError, match=r"first_frame_image: s3://b/k.png is .* smaller than"):
        resolve_image("s3://b/k.png", field="first_frame_image")
    assert obj.body.asked is None


def test_s3_missing_key_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_s3(monkeypatch, {("b", "gone.png"): NotFound()})
    with pytest.raises(ValueError, match=r"first_frame_image: s3://b/gone.png does not exist"):
        resolve_image("s3://b/gone.png", field="first_frame_image")


def test_s3_other_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_s3(monkeypatch, {("b", "k.png"): ConnectionError("network down")})
    with pytest.raises(ConnectionError):
        resolve_image("s3://b/k.png", field="first_frame_image")


def test_s3_key_may_contain_url_metacharacters(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_s3(monkeypatch, {("b", "frames/a?v=1#x.png"): FakeObject(PNG)})
    resolved = resolve_image("s3://b/frames/a?v=1#x.png", field="first_frame_image")
    assert resolved.info is not None


@pytest.mark.parametrize("url", ["s3://bucket", "s3://bucket/", "s3:///key.png", "s3:bucket/key.png"])
def test_s3_url_needs_bucket_and_key(url: str) -> None:
    with pytest.raises(
        ValueError, match=r"first_frame_image: .* is not a valid S3 URL; expected s3://bucket/key"
    ):
        resolve_image(url, field="first_frame_image")


def test_s3_with_moto_and_the_real_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    import moto

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="frames")
        boto3.client("s3").put_object(Bucket="frames", Key="cat.jpg", Body=make_jpeg(1280, 720))
        resolved = resolve_image("s3://frames/cat.jpg", field="first_frame_image", aws_conn_id=None)
        assert resolved.value.startswith("data:image/jpeg;base64,")
        with pytest.raises(ValueError, match=r"first_frame_image: s3://frames/missing.jpg does not exist"):
            resolve_image("s3://frames/missing.jpg", field="first_frame_image", aws_conn_id=None)


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------


def test_redact_data_url() -> None:
    url = data_url(PNG)
    payload_length = len(url.split(",", 1)[1])
    assert redact_image_reference(url) == f"data:image/png;base64,<{payload_length} bytes redacted>"


def test_redact_bytes_and_passthrough() -> None:
    assert redact_image_reference(b"\x00" * 1234) == "<bytes: 1234>"
    assert redact_image_reference(bytearray(3)) == "<bytes: 3>"
    assert redact_image_reference("https://example.com/a.png") == "https://example.com/a.png"
    presigned = "https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA"
    assert redact_image_reference(presigned) == "https://bucket.s3.amazonaws.com/a.png?<signature redacted>"
    assert redact_image_reference(None) is None
    path = Path("/tmp/a.png")
    assert redact_image_reference(path) is path
    assert redact_image_reference("/tmp/a.png") == "/tmp/a.png"


def test_redact_bare_base64() -> None:
    encoded = base64.b64encode(PNG).decode()
    assert redact_image_reference(encoded) == f"<base64: {len(encoded)} bytes redacted>"


def test_redact_subject_reference_shapes() -> None:
    url = data_url(PNG)
    n = len(url.split(",", 1)[1])
    redacted = f"data:image/png;base64,<{n} bytes redacted>"
    assert redact_image_reference([{"type": "character", "image": [url]}]) == [
        {"type": "character", "image": [redacted]}
    ]
    assert redact_image_reference({"type": "character", "image": url}) == {
        "type": "character",
        "image": redacted,
    }
    assert redact_image_reference((url, "https://x/y.png")) == (redacted, "https://x/y.png")


@settings(max_examples=50)
@given(st.binary(min_size=0, max_size=2000))
def test_redacted_values_never_carry_the_payload(data: bytes) -> None:
    url = data_url(data)
    shown = str(redact_image_reference([{"image": [url]}]))
    encoded = base64.b64encode(data).decode()
    if len(encoded) > 8:
        assert encoded not in shown
