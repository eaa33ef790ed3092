"""Real files for batch tests: good images and every kind of bad file a seizure holds."""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write_images(folder: Path, n: int, *, size: tuple[int, int] = (96, 128), seed: int = 0,
                 prefix: str = "doc") -> list[Path]:
    """``n`` distinct random RGB images, alternately PNG and JPEG."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        base = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((size[1], size[0]), Image.Resampling.BILINEAR)
        path = folder / f"{prefix}{i:05d}.{'png' if i % 2 else 'jpg'}"
        img.save(path)
        out.append(path)
    return out


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header declaring a huge 1-bit image, with little compressed data:
    decompression would need width*height pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        import struct
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    import struct
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = zlib.compress(row * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def write_bad_files(folder: Path) -> dict[str, Path]:
    """One file of each bad kind; returns kind -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    good = io.BytesIO()
    Image.fromarray(np.full((200, 300, 3), 120, np.uint8)).save(good, "JPEG", quality=90)
    jpeg = good.getvalue()
    files = {
        "empty": folder / "empty.jpg",
        "corrupt": folder / "corrupt.jpg",
        "truncated": folder / "truncated.jpg",
        "bomb": folder / "bomb.png",
        "huge_file": folder / "huge.tif",
        "wrong_extension": folder / "archive.jpg",
        "non_image": folder / "notes.txt",
    }
    files["empty"].write_bytes(b"")
    files["corrupt"].write_bytes(jpeg[:20] + os.urandom(3000))
    files["truncated"].write_bytes(jpeg[: len(jpeg) // 3])
    files["bomb"].write_bytes(png_bomb())
    with open(files["huge_file"], "wb") as fh:  # sparse: over the 200 MB limit, no disk used
        fh.truncate(201 * 1024 * 1024)
    zbuf = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("a.txt", "not a scan")
    files["wrong_extension"].write_bytes(zbuf.getvalue())
    files["non_image"].write_text("seizure notes: 12 passports, 3 ID cards\n")
    return files
