"""Procedural passport portraits: a frontal head and shoulders on a plain background.

A face is a deterministic function of a seed (plus sex and age), so a workshop can
reuse "the same photo" on many documents and different people look different:
head shape, skin tone, hair style and colour, eyes, brows, nose, mouth, facial hair,
glasses and clothing are all drawn from the seed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

_SKIN = np.array(
    [
        (255, 224, 196),
        (241, 194, 160),
        (224, 172, 130),
        (198, 134, 90),
        (160, 102, 64),
        (118, 72, 44),
        (88, 54, 34),
    ],
    dtype=np.float32,
)
_HAIR = np.array(
    [
        (20, 16, 14),
        (48, 32, 22),
        (90, 60, 36),
        (140, 98, 56),
        (196, 160, 100),
        (120, 40, 20),
        (150, 150, 150),
        (215, 215, 210),
    ],
    dtype=np.float32,
)
_CLOTH = np.array(
    [
        (30, 40, 70),
        (40, 40, 45),
        (110, 20, 30),
        (20, 70, 50),
        (200, 200, 205),
        (90, 90, 110),
        (60, 30, 80),
        (150, 120, 80),
    ],
    dtype=np.float32,
)
_EYE = np.array(
    [(60, 40, 25), (90, 60, 30), (60, 90, 120), (70, 100, 60), (30, 25, 20)], dtype=np.float32
)

# the person a reused photo shows is drawn from its own stream of the face seed, not from
# default_rng(seed) itself: that stream draws the portrait, and sharing its first draws
# would tie the person's sex to the photo's background brightness
_PERSON_STREAM = 0x9E75

# base drawing resolution; the face is upscaled to the box, which softens it like a photo
_BASE_W, _BASE_H = 210, 270


def _c(rgb: NDArray[np.float32] | tuple[float, float, float]) -> tuple[int, int, int]:
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


@lru_cache(maxsize=256)
def _base_portrait(seed: int, sex: str, age: int) -> NDArray[np.uint8]:
    import cv2

    rng = np.random.default_rng(seed)
    w, h = _BASE_W, _BASE_H
    aa = cv2.LINE_AA
    bg_top = np.array([rng.uniform(200, 245)] * 3, np.float32) + rng.uniform(-12, 12, 3)
    bg_bot = bg_top - rng.uniform(10, 35)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = (bg_top * (1 - ramp) + bg_bot * ramp) * np.ones((1, w, 1), np.float32)
    img = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))

    skin = _SKIN[int(rng.integers(len(_SKIN)))] * rng.uniform(0.93, 1.05)
    skin = np.clip(skin, 0, 255)
    shade = skin * 0.82
    hair = _HAIR[int(rng.integers(len(_HAIR)))]
    if age > 55 and rng.random() < 0.6:
        hair = _HAIR[6 + int(rng.integers(2))]
    cloth = _CLOTH[int(rng.integers(len(_CLOTH)))]
    cx = w // 2 + int(rng.integers(-6, 7))
    head_w = int(rng.uniform(46, 58) * (0.95 if sex == "F" else 1.0))
    head_h = int(head_w * rng.uniform(1.22, 1.42))
    cy = int(h * rng.uniform(0.40, 0.46))

    style = int(rng.integers(6))  # 0 short, 1 long, 2 bald, 3 curly, 4 bun, 5 side part
    if sex == "F" and rng.random() < 0.6:
        style = int(rng.choice([1, 3, 4]))
    if sex == "M" and style in (1, 4) and rng.random() < 0.7:
        style = 0
    # hair behind the head (long styles)
    if style == 1:
        cv2.ellipse(img, (cx, cy + 20), (head_w + 16, head_h + 40), 0, 180, 360, _c(hair), -1, aa)
        cv2.rectangle(
            img, (cx - head_w - 16, cy + 20), (cx + head_w + 16, cy + head_h + 45), _c(hair), -1
        )
    # shoulders and neck
    sh_y = cy + head_h + int(rng.uniform(22, 34))
    cv2.ellipse(
        img,
        (cx, h + 30),
        (int(head_w * rng.uniform(2.2, 2.7)), h - sh_y + 30),
        0,
        180,
        360,
        _c(cloth),
        -1,
        aa,
    )
    neck_w = int(head_w * rng.uniform(0.45, 0.6))
    cv2.rectangle(img, (cx - neck_w, cy + head_h // 2), (cx + neck_w, sh_y + 6), _c(shade), -1)
    collar = _c(np.clip(cloth + 60, 0, 255))
    cv2.line(img, (cx - neck_w, sh_y + 4), (cx, sh_y + 26), collar, 3, aa)
    cv2.line(img, (cx + neck_w, sh_y + 4), (cx, sh_y + 26), collar, 3, aa)
    # ears
    ear_y = cy + int(head_h * 0.05)
    for side in (-1, 1):
        cv2.ellipse(img, (cx + side * head_w, ear_y), (9, 16), 0, 0, 360, _c(shade), -1, aa)
    # head
    cv2.ellipse(img, (cx, cy), (head_w, head_h), 0, 0, 360, _c(skin), -1, aa)
    jaw = int(head_w * rng.uniform(0.7, 0.9))
    cv2.ellipse(img, (cx, cy + head_h // 3), (jaw, int(head_h * 0.7)), 0, 0, 180, _c(skin), -1, aa)
    # hair on top
    top = cy - head_h
    if style in (0, 1, 5, 4):
        cv2.ellipse(
            img,
            (cx, cy - head_h // 3),
            (head_w + 3, int(head_h * 0.72)),
            0,
            180,
            360,
            _c(hair),
            -1,
            aa,
        )
        # hairline: skin-coloured forehead cut into the hair cap
        cv2.ellipse(
            img,
            (cx + (8 if style == 5 else 0), cy - int(head_h * 0.2)),
            (int(head_w * 0.86), int(head_h * 0.42)),
            0,
            180,
            360,
            _c(skin),
            -1,
            aa,
        )
        cv2.rectangle(
            img,
            (cx - int(head_w * 0.86), cy - int(head_h * 0.2)),
            (cx + int(head_w * 0.86), cy + 2),
            _c(skin),
            -1,
        )
    elif style == 3:
        for _ in range(70):
            a = rng.uniform(np.pi * 0.95, np.pi * 2.05)
            rr = rng.uniform(0.85, 1.08)
            px = int(cx + np.cos(a) * head_w * rr)
            py = int(cy - head_h * 0.15 + np.sin(a) * head_h * rr)
            cv2.circle(
                img, (px, py), int(rng.integers(7, 13)), _c(hair * rng.uniform(0.85, 1.1)), -1, aa
            )
    if style == 4:
        cv2.circle(img, (cx, top - 2), int(head_w * 0.42), _c(hair), -1, aa)
    if style == 2 and rng.random() < 0.7:  # bald with a fringe of hair at the sides
        for side in (-1, 1):
            cv2.ellipse(
                img, (cx + side * (head_w - 6), cy - 6), (9, 26), 0, 0, 360, _c(hair), -1, aa
            )
    # eyes
    eye_y = cy + int(head_h * rng.uniform(-0.08, 0.02))
    eye_dx = int(head_w * rng.uniform(0.38, 0.46))
    eye_rx, eye_ry = int(rng.uniform(8, 11)), int(rng.uniform(3.5, 5.5))
    iris = _EYE[int(rng.integers(len(_EYE)))]
    brow_y = eye_y - int(rng.uniform(11, 16))
    brow_t = int(rng.integers(2, 5))
    brow_col = _c(hair * 0.8 if style != 2 else np.array((60, 45, 35)))
    for side in (-1, 1):
        ex = cx + side * eye_dx
        cv2.ellipse(img, (ex, eye_y), (eye_rx, eye_ry), 0, 0, 360, (240, 238, 232), -1, aa)
        cv2.circle(img, (ex, eye_y), max(3, eye_ry), _c(iris), -1, aa)
        cv2.circle(img, (ex, eye_y), 2, (15, 12, 10), -1, aa)
        cv2.ellipse(img, (ex, eye_y), (eye_rx, eye_ry), 0, 180, 360, _c(shade * 0.7), 1, aa)
        tilt = int(rng.integers(-8, 9))
        cv2.ellipse(
            img, (ex, brow_y + 6), (eye_rx + 3, 7), tilt * side, 200, 340, brow_col, brow_t, aa
        )
    # nose
    nose_len = int(head_h * rng.uniform(0.28, 0.38))
    nose_w = int(rng.uniform(8, 13))
    ny = eye_y + nose_len
    cv2.line(img, (cx - 3, eye_y + 6), (cx - nose_w // 2, ny), _c(shade * 0.9), 2, aa)
    cv2.ellipse(img, (cx, ny), (nose_w, 5), 0, 0, 180, _c(shade * 0.75), 2, aa)
    # mouth
    mouth_y = ny + int(rng.uniform(14, 22))
    mouth_w = int(rng.uniform(13, 20))
    lip = _c(skin * np.array([0.78, 0.55, 0.55], np.float32))
    cv2.ellipse(img, (cx, mouth_y), (mouth_w, int(rng.uniform(2, 5))), 0, 0, 360, lip, -1, aa)
    cv2.line(img, (cx - mouth_w, mouth_y), (cx + mouth_w, mouth_y), _c(shade * 0.6), 1, aa)
    # facial hair
    if sex == "M" and rng.random() < 0.35:
        beard = _c(hair * 0.9)
        if rng.random() < 0.5:
            cv2.ellipse(img, (cx, mouth_y - 6), (mouth_w + 4, 5), 0, 180, 360, beard, -1, aa)
        else:
            cv2.ellipse(img, (cx, mouth_y + 4), (jaw, int(head_h * 0.35)), 0, 0, 180, beard, -1, aa)
            cv2.ellipse(img, (cx, mouth_y), (mouth_w + 2, 4), 0, 0, 360, lip, -1, aa)
    # glasses
    if rng.random() < 0.22:
        frame = (30, 30, 30) if rng.random() < 0.7 else (120, 80, 40)
        for side in (-1, 1):
            cv2.ellipse(
                img, (cx + side * eye_dx, eye_y), (eye_rx + 7, eye_ry + 8), 0, 0, 360, frame, 2, aa
            )
        cv2.line(
            img, (cx - eye_dx + eye_rx + 7, eye_y), (cx + eye_dx - eye_rx - 7, eye_y), frame, 2, aa
        )
    # age lines
    if age > 50:
        for side in (-1, 1):
            cv2.line(
                img,
                (cx + side * (nose_w + 2), ny + 2),
                (cx + side * (mouth_w + 6), mouth_y + 6),
                _c(shade * 0.85),
                1,
                aa,
            )
    # soft side lighting
    f = img.astype(np.float32)
    light = rng.uniform(-0.12, 0.12)
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :, None]
    f *= 1 + light * gx
    f = np.asarray(cv2.GaussianBlur(f, (0, 0), 0.8), dtype=np.float32)
    return np.clip(f, 0, 255).astype(np.uint8)


def face_person(seed: int) -> tuple[str, int]:
    """Sex and age of the person in a photo that exists apart from any document.

    A workshop that reuses a photo pastes the same picture (the impostor's own face) on
    every document, whatever sex and age the document claims; so the person is a fixed
    function of the face seed alone.

    Args:
        seed: face seed (any int).

    Returns:
        (sex, age): sex "M" or "F", age in years in [18, 65].
    """
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, _PERSON_STREAM])
    sex = "F" if rng.random() < 0.5 else "M"
    return sex, int(rng.integers(18, 66))


def render_portrait(seed: int, sex: str, age: int, size: tuple[int, int]) -> NDArray[np.uint8]:
    """A portrait photo of person ``seed``.

    Args:
        seed: person identifier; the same seed gives the same face.
        sex: "M", "F" or "X".
        age: age in years (grey hair, lines).
        size: (width, height) of the output in pixels.

    Returns:
        (height, width, 3) uint8 RGB.
    """
    import cv2

    base = _base_portrait(int(seed), sex, int(min(max(age, 0), 100)) // 10 * 10)
    return np.asarray(
        cv2.resize(base, (int(size[0]), int(size[1])), interpolation=cv2.INTER_CUBIC),
        dtype=np.uint8,
    )
