"""Turn any picture of a digit into an MNIST-style input, the way MNIST itself was made.

MNIST digits were size-normalised to fit a 20x20 box (keeping the aspect ratio, anti-aliased, so
edges are grey), then put in a 28x28 field so that their centre of mass sits at the centre. A
network trained on them has only ever seen digits like that, so a drawing must be made the same
way before the network can read it:

    image (h, w[, 3|4])  --gray, ink=1-->  ink (h, w)  --crop-->  --fit 20x20-->  --centre of mass-->  x (28, 28)

Everything is NumPy except the resize, which uses Pillow's LANCZOS filter on a float image
(anti-aliased both when shrinking a 280 px canvas and when enlarging a tiny digit).

A picture larger than ``WORK_SIDE`` on a side is first shrunk by a whole factor (Pillow's
``reduce``: the mean of each k x k block, transparency premultiplied), on its 8-bit pixels and
before any float work: the 28x28 result cannot show more than 512 px hold, and a 16-Mpixel photo
then costs its float work on 0.25 Mpixels (tests/test_run_limits.py: the same digit drawn at
4096 and at 512 px gives the same 28x28 to within a few grey levels).

Limits, decided here once: images larger than ``MAX_SIDE`` pixels on a side or ``MAX_PIXELS`` in
all are refused with a ``ValueError`` (never silently downscaled): a 4096 px side is already far
more than a digit needs, and refusing keeps memory bounded on a small hosted demo.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = 28            # side of the MNIST field
BOX = 20             # the digit is scaled to fit a BOX x BOX square inside it
CENTRE = 14.0        # centre of mass (row, col) of MNIST digits, measured: 13.99, 14.01 on t10k
MAX_SIDE = 4096      # refuse images larger than this on either side ...
MAX_PIXELS = 16 * 1024 * 1024   # ... or with more pixels than this (16 Mpixels)
WORK_SIDE = 512      # larger pictures are shrunk to at most this side before their float work
MIN_CONTRAST = 0.15  # ink must differ from the background by this much (0..1) to count at all
INK_THRESHOLD = 0.15 # share of full ink above which a pixel counts for the bounding box: high enough
                     # to ignore JPEG ringing (up to ~0.1), low enough to keep 99% of MNIST as is
MAX_NOISE = 0.5     # cap on the background noise level estimated from the border
MIN_INK = 0.001      # "almost no ink": total ink below this share of the area (and < 1 px) is empty
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")   # the only decoders load_image will try


class EmptyImageError(ValueError):
    """The image holds no digit: it is blank or (nearly) one flat colour."""


def load_image(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG (also GIF, BMP, WEBP) bytes to an array ``to_mnist`` accepts.

    Returns uint8 of shape (h, w) for grey images, (h, w, 3) for colour, (h, w, 4) when the file has
    transparency; 16-bit grey becomes float32 (h, w) in [0, 1]. EXIF rotation (phone photos) is
    applied. Raises ValueError for bytes that are not such an image, truncated files and images
    over ``MAX_SIDE``/``MAX_PIXELS`` (checked from the header, before the pixels are decoded, so a
    decompression bomb never allocates its memory).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"expected the image file's bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError("the image file is empty (0 bytes)")
    with warnings.catch_warnings():
        # Pillow only warns for images between MAX_IMAGE_PIXELS and twice that; make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            _check_size(img.width, img.height)
            img = ImageOps.exif_transpose(img)
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ValueError(f"the image is too large to decode safely; the limit is {MAX_SIDE} "
                             f"pixels per side: {e}") from None
        except UnidentifiedImageError:   # Pillow's text names only its in-memory file object
            raise ValueError("not a readable image: its bytes are neither a PNG nor a JPEG") from None
        except (OSError, SyntaxError, EOFError) as e:   # truncated or corrupt data
            raise ValueError(f"the image file is damaged or truncated: {e}") from None
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # 16-bit (or float) grey: keep the precision instead of clipping to 8 bits.
        a = np.asarray(img, dtype=np.float64)
        top = 1.0 if img.mode == "F" else 65535.0
        return np.clip(np.nan_to_num(a / top), 0.0, 1.0).astype(np.float32)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    mode = "RGBA" if has_alpha else ("L" if img.mode in ("1", "L") else "RGB")
    if img.mode != mode:   # (converting to its own mode would copy all the pixels once more)
        img = img.convert(mode)
    return np.asarray(img, dtype=np.uint8)


def canvas_image(png: bytes | None) -> np.ndarray | None:
    """The drawing canvas's picture (the PNG bytes it sends) as ``load_image`` reads it; None if none.

    The canvas value comes from the browser, so it is a file from a stranger like any upload: its
    size is checked from the PNG header before the pixels are decoded (``load_image``), instead of
    decoding whatever arrives in full as the component's own ``image_data`` does.
    """
    return None if png is None else load_image(png)


DISPLAY_SIDE = 280   # pixels: the longest side of a picture as the app shows it


def display_image(image: np.ndarray, side: int = DISPLAY_SIDE) -> np.ndarray:
    """What the app shows of an accepted picture: uint8 of shape (h, w) or (h, w, 3), h, w <= side.

    image: what ``load_image`` returns (uint8 grey, RGB or RGBA; float32 grey in [0, 1]). Never
    show the upload itself: ``st.image`` raises on some modes and shapes the reader accepts, and
    a 16-Mpixel photo would be sent whole to the browser. Shrunk (LANCZOS, aspect kept) before
    any conversion, so the work is bounded by the small copy; transparency is composited onto
    the background ``_gray`` uses (black under light strokes, white under dark ones).
    """
    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or 0 in a.shape[:2]:
        raise ValueError(f"expected a picture of shape (h, w), (h, w, 3) or (h, w, 4), got {a.shape}")
    _check_size(a.shape[1], a.shape[0])
    a = _shrink(a)   # block means first: a 16-Mpixel picture is never copied whole for the resize
    if a.dtype != np.uint8:
        if a.dtype.kind != "f" or a.ndim != 2:
            raise ValueError(f"expected uint8 pixels or grey floats in [0, 1], got {a.dtype} {a.shape}")
        img = Image.fromarray(np.nan_to_num(a.astype(np.float32, copy=False)), mode="F")
    else:
        img = Image.fromarray(a)
    scale = side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    small = np.asarray(img)
    if small.dtype != np.uint8:   # grey floats in [0, 1]
        return np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)
    if small.ndim == 2 or small.shape[2] == 3:
        return np.ascontiguousarray(small)
    rgb, alpha = small[..., :3].astype(np.float32), small[..., 3:].astype(np.float32) / 255
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32) / 255
    light = alpha.sum() and float((luma * alpha[..., 0]).sum() / alpha.sum()) > 0.5
    out = alpha * rgb + (1 - alpha) * (0.0 if light else 255.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def to_mnist(image: np.ndarray) -> np.ndarray:
    """Make a picture of one digit into a 28x28 MNIST-style input.

    image: uint8 (h, w), (h, w, 3) or (h, w, 4), or float in [0, 1] of those shapes. Dark ink on a
        light background or light on dark: the background is taken to be the median colour of the
        image's border. With an alpha channel (a drawing canvas), transparent pixels are background.
    Returns float32 of shape (28, 28) in [0, 1], ink = 1 on a 0 background, the digit's bounding box
    fitting 20x20 (longer side 20) and its centre of mass within half a pixel of (14, 14).
    Raises EmptyImageError when there is no (or almost no) ink, ValueError for any other bad input.
    """
    ink = ink_map(image)
    inked = ink > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    digit = _fit(crop, BOX)
    return _centre(digit, SIZE)


def naive_resize(image: np.ndarray) -> np.ndarray:
    """The whole image squeezed to 28x28 with no cropping or centring (what not to do).

    Same input and output conventions as ``to_mnist``; shown on the Draw page to compare. The ink
    is still detected and made light-on-black, so the only difference is the missing normalisation.
    """
    ink = ink_map(image)
    return np.clip(_resize(ink, SIZE, SIZE), 0.0, 1.0).astype(np.float32)


def ink_map(image: np.ndarray) -> np.ndarray:
    """Validate ``image`` and return its ink, float32 (h, w) in [0, 1] (1 = darkest/lightest stroke).

    The background level is the median of the border pixels; ink is the distance from it, less
    the border's noise level (90th percentile of its spread, 0 for a clean canvas), stretched so
    the strongest stroke is 1 (a faint pencil digit counts as much as a marker one).
    Raises EmptyImageError if the image has no ink (flat, or too little of it).
    """
    gray = _gray(image)
    h, w = np.shape(image)[:2]                 # as given: the messages speak of the picture sent
    per_pixel = h * w / gray.size             # picture pixels per pixel of gray (1, or k x k shrunk)
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    bg = float(np.median(border))
    # Light ink on dark (MNIST, the canvas) when the border is dark, else dark ink on light.
    ink = gray - bg if bg < 0.5 else bg - gray
    # A photo's paper is not flat: treat what the border's brightest 10% reach as background too
    # (capped, so strokes that touch the border cannot wipe the digit; 0 for a clean canvas).
    noise = min(float(np.percentile(np.abs(border - bg), 90)), MAX_NOISE)
    ink = np.clip(ink - np.float32(noise), 0.0, None)
    contrast = float(ink.max())
    if contrast < MIN_CONTRAST:
        raise EmptyImageError(
            f"no digit found: the {w}x{h} image is one flat colour (strongest ink {contrast:.2f}, "
            f"need {MIN_CONTRAST}); draw or upload a digit"
        )
    ink /= np.float32(contrast)
    total = float(ink.sum(dtype=np.float64)) * per_pixel
    if total < max(1.0, MIN_INK * h * w):
        raise EmptyImageError(
            f"no digit found: only {total:.1f} pixels' worth of ink in a {w}x{h} image "
            f"(need {max(1.0, MIN_INK * h * w):.1f}); draw a bigger digit"
        )
    return ink


def _gray(image: np.ndarray) -> np.ndarray:
    """Check ``image`` and return its grey levels, float32 (h, w) in [0, 1] (float32: half the
    memory and time of float64 on a big photo, and far finer than the 8 bits that come in).

    RGB -> luma (ITU-R 601 weights). RGBA -> composited onto the colour that contrasts with what
    is drawn: light strokes on transparency go onto black, dark strokes onto white, so transparent
    pixels always end up as background.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a NumPy array image, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(
            f"expected an image of shape (h, w), (h, w, 3) or (h, w, 4), got shape {image.shape}"
        )
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"the image is empty (shape {image.shape})")
    _check_size(w, h)
    image = _shrink(image)
    if image.dtype == np.uint8:
        def channel(c):   # uint8 -> float32 in [0, 1], one channel at a time
            a = (image if image.ndim == 2 else image[..., c]).astype(np.float32)
            a *= np.float32(1 / 255)
            return a
    elif np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise ValueError("the image contains NaN or infinite values")
        lo, hi = float(image.min()), float(image.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"a float image must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}]")

        def channel(c):
            return (image if image.ndim == 2 else image[..., c]).astype(np.float32)
    else:
        raise ValueError(f"expected a uint8 image or a float image in [0, 1], got dtype {image.dtype}")
    if image.ndim == 2:
        return channel(0)
    # One channel at a time (4 bytes a pixel, not 16 for a whole RGBA copy: ~200 MB less at the
    # peak of a 16-Mpixel photo); the float32 operations are those of a[..., 0] * 0.299 + ...
    gray = channel(0)
    gray *= np.float32(0.299)
    for c, weight in ((1, 0.587), (2, 0.114)):
        part = channel(c)
        part *= np.float32(weight)
        gray += part
    if image.shape[2] == 3:
        return gray
    alpha = channel(3)
    if alpha.min() == 1.0:     # opaque (the canvas with its black background): nothing to composite
        return gray
    if alpha.sum() == 0:
        raise EmptyImageError(f"no digit found: the {w}x{h} image is fully transparent")
    drawn_is_light = float((gray * alpha).sum() / alpha.sum()) > 0.5
    return alpha * gray + (1.0 - alpha) * (0.0 if drawn_is_light else 1.0)


def _shrink(image: np.ndarray) -> np.ndarray:
    """``image`` with each k x k block averaged (k the smallest whole factor that brings its longer
    side to ``WORK_SIDE`` or less), same dtype and channels; as it is when already small enough.

    uint8 pictures and float grey only (what ``load_image`` returns); Pillow reads a contiguous
    uint8 array in place (``frombuffer``), so the only full-size copy is RGBA's premultiplied one.
    """
    h, w = image.shape[:2]
    k = -(-max(h, w) // WORK_SIDE)
    if k <= 1 or not (image.dtype == np.uint8 or (image.ndim == 2 and image.dtype.kind == "f")):
        return image
    if image.dtype == np.uint8:
        mode = {2: "L", 3: "RGB", 4: "RGBA"}[image.shape[2] if image.ndim == 3 else 2]
        if mode == "RGB":   # Pillow keeps RGB as 4 bytes a pixel: no view to share
            img = Image.fromarray(image)
        else:
            img = Image.frombuffer(mode, (w, h), np.ascontiguousarray(image), "raw", mode, 0, 1)
    else:
        img = Image.fromarray(image.astype(np.float32, copy=False), mode="F")
    return np.asarray(img.reduce(k))


def _check_size(w: int, h: int) -> None:
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ValueError(
            f"the image is {w}x{h} pixels; the limit is {MAX_SIDE} per side and "
            f"{MAX_PIXELS // (1024 * 1024)} Mpixels: scale it down first"
        )


def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Anti-aliased resize of a float image to (h, w) with Pillow's LANCZOS filter."""
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float64)


def _fit(crop: np.ndarray, box: int) -> np.ndarray:
    """Scale ``crop`` so its longer side is ``box``, keeping the aspect ratio; peak ink 1.

    LANCZOS overshoots a little at sharp edges (ringing), hence the clip. A thin stroke shrunk a
    lot turns faint, so the result is stretched back to full ink, as MNIST digits are (max 255).
    """
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    digit = np.clip(_resize(crop, nh, nw), 0.0, 1.0)
    peak = digit.max()
    return digit / peak if peak > 0 else digit


def _centre(digit: np.ndarray, size: int) -> np.ndarray:
    """Paste ``digit`` into a size x size field with its centre of mass nearest (14, 14).

    The shift is a whole number of pixels (as in the original MNIST), so the centre of mass lands
    within half a pixel of the target; it is clamped so that no ink falls off the field.
    """
    nh, nw = digit.shape
    mass = digit.sum()
    if mass <= 0:   # cannot happen for a crop with ink, but never divide by zero
        raise EmptyImageError("no digit found: the ink vanished when scaled to 20x20")
    cy = (digit.sum(axis=1) @ np.arange(nh)) / mass
    cx = (digit.sum(axis=0) @ np.arange(nw)) / mass
    top = int(np.clip(round(CENTRE - cy), 0, size - nh))
    left = int(np.clip(round(CENTRE - cx), 0, size - nw))
    x = np.zeros((size, size), dtype=np.float32)
    x[top:top + nh, left:left + nw] = digit
    return x
