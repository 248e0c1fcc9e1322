"""mnistcore.preprocess: any picture of a digit -> a centred, 20x20-fitted 28x28 MNIST-style input."""
from __future__ import annotations

import gzip
import io
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from mnistcore.preprocess import (
    MAX_SIDE,
    EmptyImageError,
    load_image,
    naive_resize,
    to_mnist,
)

MNIST_TEST_IMAGES = Path(__file__).resolve().parent.parent / "mnistcore/datasets/mnist/t10k-images-idx3-ubyte.gz"


@lru_cache(maxsize=1)
def mnist_test_images() -> np.ndarray:
    """uint8 (10000, 28, 28): the data module's loader if it is there, else the shipped IDX file."""
    try:
        from mnistcore import data
    except ImportError:
        raw = gzip.decompress(MNIST_TEST_IMAGES.read_bytes())
        return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    return data.load("mnist").x_test


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    m = x.sum()
    return float(x.sum(1) @ np.arange(x.shape[0]) / m), float(x.sum(0) @ np.arange(x.shape[1]) / m)


def bbox_side(x: np.ndarray, level: float = 0.05) -> int:
    rows, cols = np.nonzero(x > level)
    return max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)


def draw_digit(shape: str, size: tuple[int, int], box: tuple[int, int, int, int], width: int,
               mode: str = "L", light_ink: bool = False) -> np.ndarray:
    """A synthetic digit ("0" ring, "1" bar, "7") drawn with PIL inside box=(left, top, right, bottom)."""
    ink, paper = (255, 0) if light_ink else (0, 255)
    if mode == "RGBA":   # like the canvas: transparent paper, opaque strokes
        img = Image.new("RGBA", size, (0, 0, 0, 0))
        colour = (ink, ink, ink, 255)
    else:
        img = Image.new(mode, size, paper if mode == "L" else (paper,) * 3)
        colour = ink if mode == "L" else (ink,) * 3
    d = ImageDraw.Draw(img)
    l, t, r, b = box
    if shape == "0":
        d.ellipse(box, outline=colour, width=width)
    elif shape == "1":
        d.line([((l + r) // 2, t), ((l + r) // 2, b)], fill=colour, width=width)
    else:
        d.line([(l, t), (r, t), ((l + r) // 2, b)], fill=colour, width=width, joint="curve")
    return np.asarray(img)


CASES = [
    # shape, canvas size (w, h), box, pen width, mode, light ink
    ("0", (280, 280), (20, 30, 120, 160), 18, "RGBA", True),      # canvas: small, top-left
    ("1", (280, 280), (150, 100, 250, 270), 20, "RGBA", True),    # canvas: bottom-right bar
    ("7", (280, 280), (10, 10, 270, 270), 22, "RGBA", False),     # big, dark strokes on transparency
    ("0", (640, 480), (400, 50, 600, 300), 25, "RGB", False),     # photo-like: dark on white
    ("7", (100, 300), (10, 200, 60, 280), 6, "L", False),         # tall narrow image, small digit
    ("1", (50, 50), (30, 5, 40, 45), 3, "L", True),               # tiny image, light on dark
    ("0", (28, 28), (2, 2, 12, 14), 2, "RGB", True),              # already 28x28 but off-centre
    ("7", (1000, 800), (600, 500, 900, 780), 40, "RGB", True),    # large image, light on dark
]


@pytest.mark.parametrize("shape,size,box,width,mode,light", CASES)
def test_drawn_digit_comes_out_centred_and_sized_like_mnist(shape, size, box, width, mode, light):
    x = to_mnist(draw_digit(shape, size, box, width, mode, light))
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.9
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14.0) <= 0.75 and abs(cx - 14.0) <= 0.75, (cy, cx)
    assert 19 <= bbox_side(x) <= 21
    assert (x == 0).mean() > 0.5      # background is black, ink is light


def test_polarity_and_colour_mode_do_not_change_the_result():
    box, size = (60, 40, 200, 250), (280, 280)
    ref = to_mnist(draw_digit("0", size, box, 18, "L", light_ink=True))
    for mode in ("L", "RGB", "RGBA"):
        for light in (True, False):
            x = to_mnist(draw_digit("0", size, box, 18, mode, light))
            np.testing.assert_allclose(x, ref, atol=0.02, err_msg=f"{mode} light={light}")


def test_shift_of_the_drawing_does_not_change_the_result():
    a = to_mnist(draw_digit("7", (280, 280), (20, 20, 120, 140), 16, "RGBA", True))
    b = to_mnist(draw_digit("7", (280, 280), (150, 130, 250, 250), 16, "RGBA", True))
    np.testing.assert_allclose(a, b, atol=0.02)


def test_float_images_are_accepted_like_uint8():
    img = draw_digit("1", (120, 90), (40, 10, 80, 80), 8, "RGB", False)
    np.testing.assert_allclose(to_mnist(img.astype(np.float32) / 255), to_mnist(img), atol=1e-5)


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4, 7, 11, 18])
def test_real_mnist_digit_on_a_big_inverted_canvas_comes_back(index):
    orig = mnist_test_images()[index].astype(np.float64) / 255
    canvas = np.zeros((300, 240), np.uint8)
    canvas[110:194, 20:104] = np.kron(mnist_test_images()[index], np.ones((3, 3), np.uint8))
    x = to_mnist(255 - canvas)          # dark ink on white, 3x bigger, far off-centre
    r = np.corrcoef(x.ravel(), orig.ravel())[0, 1]
    assert r > 0.9, r


def test_mnist_digits_are_already_mnist_style():
    # A few MNIST digits have faint strokes (< 15% ink) outside the box of their main strokes;
    # the bounding box ignores those (it must ignore JPEG ringing too), so allow a few misfits.
    rs = np.array([np.corrcoef(to_mnist(im).ravel(), im.ravel())[0, 1] for im in mnist_test_images()[:200]])
    assert np.median(rs) > 0.999 and np.mean(rs > 0.99) >= 0.97, (np.median(rs), np.mean(rs > 0.99))


@pytest.mark.parametrize("image", [
    np.zeros((280, 280, 4), np.uint8),                  # untouched transparent canvas
    np.full((280, 280, 4), [0, 0, 0, 255], np.uint8),   # black canvas
    np.full((200, 100), 255, np.uint8),                 # white paper
    np.full((64, 64, 3), 0.5, np.float32),              # flat grey
])
def test_blank_images_raise_empty_image_error(image):
    with pytest.raises(EmptyImageError, match="no digit"):
        to_mnist(image)


def test_a_single_speck_is_almost_no_ink():
    img = np.zeros((280, 280), np.uint8)
    img[100:103, 50:53] = 255      # 9 pixels of 78400
    with pytest.raises(EmptyImageError, match="ink"):
        to_mnist(img)


@pytest.mark.parametrize("image,match", [
    (np.zeros((28, 28, 2), np.uint8), "shape"),
    (np.zeros((5,), np.uint8), "shape"),
    (np.zeros((2, 28, 28, 1), np.uint8), "shape"),
    (np.zeros((0, 28), np.uint8), "empty"),
    (np.zeros((28, 28), np.int64), "dtype"),
    (np.zeros((28, 28), bool), "dtype"),
    (np.full((28, 28), np.nan, np.float32), "NaN"),
    (np.full((28, 28), 2.0), r"\[0, 1\]"),
    (np.zeros((MAX_SIDE + 1, 8), np.uint8), "limit"),
    ([[0, 255], [255, 0]], "NumPy array"),
])
def test_bad_input_raises_value_error_naming_it(image, match):
    with pytest.raises(ValueError, match=match):
        to_mnist(image)


def test_naive_resize_keeps_the_digit_where_it_was_drawn():
    img = draw_digit("1", (280, 280), (200, 20, 260, 120), 20, "RGBA", True)
    x = naive_resize(img)
    assert x.shape == (28, 28) and x.dtype == np.float32
    cy, cx = centre_of_mass(x)
    assert cy < 9 and cx > 20      # top-right, small: not what the network was trained on


def png_bytes(a: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("mode,shape", [("L", (90, 60)), ("RGB", (90, 60, 3)), ("RGBA", (90, 60, 4))])
def test_load_image_decodes_png_and_keeps_channels(mode, shape):
    img = draw_digit("0", (60, 90), (10, 10, 50, 80), 6, mode)
    a = load_image(png_bytes(img))
    assert a.shape == shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, img)


def shift_tolerant_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Best correlation of a and b over whole-pixel shifts of up to 1 px (centring is to +-0.5 px)."""
    return max(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


@pytest.mark.parametrize("shape", ["0", "1", "7"])
def test_load_image_then_to_mnist_works_for_jpeg(shape):
    img = draw_digit(shape, (200, 200), (30, 30, 170, 170), 14, "RGB", False)
    a = load_image(png_bytes(img, "JPEG"))     # quality 75: ringing around the strokes
    assert shift_tolerant_corr(to_mnist(a), to_mnist(img)) > 0.9


def test_noisy_photo_background_is_not_ink():
    rng = np.random.default_rng(0)
    img = draw_digit("0", (300, 240), (60, 50, 200, 220), 16, "L", False).astype(np.float64)
    paper = np.clip(img * 0.8 + 20 + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    x = to_mnist(paper)                        # grey, noisy paper with dark ink
    assert shift_tolerant_corr(x, to_mnist(img.astype(np.uint8))) > 0.9
    assert 19 <= bbox_side(x) <= 21


def test_load_image_reads_16_bit_grey():
    a16 = (draw_digit("1", (40, 40), (10, 5, 30, 35), 4, "L", True).astype(np.uint16) * 257)
    buf = io.BytesIO()
    Image.fromarray(a16).save(buf, format="PNG")
    a = load_image(buf.getvalue())
    assert a.dtype == np.float32 and a.max() == pytest.approx(1.0)
    to_mnist(a)


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"hello, this is not an image", "not a readable image"),
    (b"%PDF-1.4 fake", "not a readable image"),
    ("a string", "bytes"),
])
def test_load_image_rejects_non_images(data, match):
    with pytest.raises(ValueError, match=match) as err:
        load_image(data)
    assert "_io." not in str(err.value) and "object at 0x" not in str(err.value)  # words for a person


def test_load_image_rejects_truncated_file():
    data = png_bytes(draw_digit("0", (200, 200), (20, 20, 180, 180), 10, "RGB"))
    with pytest.raises(ValueError, match="damaged|truncated|not a readable"):
        load_image(data[: len(data) // 2])


@pytest.mark.parametrize("side", [5000, 20000])
def test_load_image_refuses_a_decompression_bomb_before_decoding(side):
    # A blank 1-bit PNG compresses to a few kB but would be 25 (400) Mpixels once decoded.
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, format="PNG")
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(ValueError, match="too large|limit is 4096"):
        load_image(buf.getvalue())


@settings(max_examples=150, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 64), st.integers(1, 64),
                                  st.sampled_from([0, 1, 3, 4, 5])).map(
                                      lambda s: s[:2] if s[2] == 0 else s)))
def test_any_uint8_array_gives_a_clean_result_or_a_value_error(image):
    try:
        x = to_mnist(image)
    except ValueError:       # EmptyImageError is one
        return
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0
