"""Encode the sandbox's looping H.264 clips (one per output size the sandbox can report, v1 and v2)
and its AAC-LC stereo sound loop (the audio track of MiniMax-H3 outputs).

The sandbox serves MP4s whose picture (and, for H3, sound) is a short loop repeated for the video's
duration (`airflow_provider_hailuo/sandbox/mp4.py` builds the container); this script makes the loops.
They are committed, a few KB each, so neither CI nor users need an encoder: run it again only
when the catalogue gains an output size.

    python scripts/make_sandbox_clips.py           # everything; needs PyAV (pip install av), which
                                                   # bundles libx264 and FFmpeg's AAC encoder
    python scripts/make_sandbox_clips.py --audio   # only clips/audio.aac
    python scripts/make_sandbox_clips.py --video   # only the H.264 loops

Each loop is LOOP_FRAMES frames at 24 fps: one IDR frame then P frames only (no B frames, one
slice per frame), so the container can play it back to back any number of times and every
repetition starts on a sync sample. The picture is flat colours with two boxes moving on a
16-pixel grid, which keeps a 1080p loop at a few KB. SEI messages (x264's settings banner) are
dropped: decoders do not need them.

The sound is AUDIO_LOOP_SECONDS of digital silence, stereo at AUDIO_RATE, written as an ADTS stream
(`sandbox/aac.py` reads its frame headers). Silence makes any number of back-to-back repetitions
decode without a click, which a tone would not (the encoder's overlapping windows do not wrap around
the loop); "bitexact" keeps FFmpeg's version banner out of the first frame, so the file does not
change with the encoder's version.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from airflow_provider_hailuo.sandbox.aac import AUDIO_CLIP, SAMPLES_PER_FRAME, parse_adts  # noqa: E402
from airflow_provider_hailuo.sandbox.mp4 import (  # noqa: E402
    CLIP_DIR,
    FPS,
    LOOP_FRAMES,
    clip_path,
    output_sizes,
)

BACKGROUND = (52, 156, 104)  # YUV of a dark blue
BOX = (170, 44, 188)  # YUV of an orange
MARKER = (235, 128, 128)  # white
AUDIO_RATE = 48000
AUDIO_LOOP_SECONDS = 2


def _plane(width: int, height: int, fill: int, boxes: list[tuple[int, int, int, int, int]]) -> bytes:
    rows = [bytearray([fill]) * width for _ in range(height)]
    for x, y, w, h, value in boxes:
        for row in rows[max(0, y) : min(height, y + h)]:
            row[max(0, x) : min(width, x + w)] = bytes([value]) * (min(width, x + w) - max(0, x))
    return b"".join(bytes(r) for r in rows)


def _frame_boxes(index: int, width: int, height: int) -> list[tuple[int, int, int, int, int]]:
    """Pixel boxes (x, y, w, h, which colour) of frame ``index``: a box sweeping right and back
    (position changes every other frame) and a small marker running down the left edge."""
    size = max(32, (height // 6) // 16 * 16)
    span = (width - size) // 16  # positions on the 16-pixel grid
    quarter = LOOP_FRAMES // 4
    step = index // 2  # 0 .. LOOP_FRAMES/2 - 1
    tri = step if step < quarter else LOOP_FRAMES // 2 - step  # 0 up to quarter and back
    x = tri * span // quarter * 16
    y = (height - size) // 2 // 16 * 16
    marker = 16 * ((index * ((height - 32) // 16)) // LOOP_FRAMES)
    return [(x, y, size, size, 0), (16, marker, 16, 32, 1)]


def _yuv_frame(av: object, index: int, width: int, height: int) -> object:
    boxes = _frame_boxes(index, width, height)
    frame = av.VideoFrame(width, height, "yuv420p")  # type: ignore[attr-defined]
    colours = (BOX, MARKER)
    for plane_index, plane in enumerate(frame.planes):
        sub = 1 if plane_index == 0 else 2
        pw, ph = width // sub, height // sub
        data = _plane(
            pw,
            ph,
            BACKGROUND[plane_index],
            [(x // sub, y // sub, w // sub, h // sub, colours[c][plane_index]) for x, y, w, h, c in boxes],
        )
        stride = plane.line_size
        if stride != pw:
            data = b"".join(data[r * pw : (r + 1) * pw].ljust(stride, b"\x00") for r in range(ph))
        plane.update(data)
    return frame


def _drop_sei(annex_b: bytes) -> bytes:
    from airflow_provider_hailuo.sandbox.mp4 import split_annex_b

    return b"".join(b"\x00\x00\x00\x01" + nal for nal in split_annex_b(annex_b) if nal[0] & 0x1F != 6)


def encode(width: int, height: int) -> bytes:
    import av

    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, FPS)
    codec.framerate = Fraction(FPS, 1)
    codec.thread_count = 1  # one slice per frame
    codec.options = {
        "preset": "veryslow",
        "profile": "high",
        "qp": "30",
        "x264-params": f"keyint={LOOP_FRAMES}:min-keyint={LOOP_FRAMES}:scenecut=0:bframes=0:aud=0:"
        "weightp=0:aq-mode=0:threads=1:sliced-threads=0",
    }
    out = bytearray()
    for i in range(LOOP_FRAMES):
        frame = _yuv_frame(av, i, width, height)
        frame.pts = i
        for packet in codec.encode(frame):
            out += bytes(packet)
    for packet in codec.encode(None):
        out += bytes(packet)
    return _drop_sei(bytes(out))


def encode_audio() -> bytes:
    """AUDIO_LOOP_SECONDS of stereo silence as AAC-LC in ADTS."""
    import io

    import av

    out = io.BytesIO()
    with av.open(out, "w", format="adts", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        stream.bit_rate = 32000
        stream.codec_context.options = {"flags": "+bitexact"}
        for start in range(0, AUDIO_RATE * AUDIO_LOOP_SECONDS, SAMPLES_PER_FRAME):
            frame = av.AudioFrame(format="fltp", layout="stereo", samples=SAMPLES_PER_FRAME)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = out.getvalue()
    clip = parse_adts(data)  # what the sandbox will read
    assert (clip.object_type, clip.sample_rate, clip.channels) == (2, AUDIO_RATE, 2), clip
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--audio", action="store_true", help="only the AAC sound loop")
    only.add_argument("--video", action="store_true", help="only the H.264 picture loops")
    args = parser.parse_args()
    CLIP_DIR.mkdir(exist_ok=True)
    if not args.audio:
        for width, height in output_sizes():
            data = encode(width, height)
            clip_path(width, height).write_bytes(data)
            print(f"{clip_path(width, height).relative_to(REPO)}: {len(data)} bytes")
    if not args.video:
        data = encode_audio()
        AUDIO_CLIP.write_bytes(data)
        print(f"{AUDIO_CLIP.relative_to(REPO)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
