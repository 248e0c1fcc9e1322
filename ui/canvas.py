"""The Draw page's pad: a square to draw one digit on, white pen on black, with Undo and Clear.
It sends its picture the moment the pen lifts and, while the pen moves, a new one at most every
``PREVIEW_MS`` once the last has been read, so the prediction follows the pen.

A Streamlit component (``st.components.v2``) of a few dozen lines of JavaScript, in place of
streamlit-drawable-canvas: that library (0.13) sends a stroke only 200 ms after the pen lifts, a
wait fixed in its bundle with no parameter, and never while drawing. With it the Draw page took
0.39 s from mouse-up to the new prediction (benchmarks/bench_browser.py), 0.23 s of it that wait.
What the pad sends is what that library sent, plus a number: the session value is
``{"drawing": {"data": "data:image/png;base64,...", "seq": 3}}`` (``data`` None once emptied), so
the page and its tests read it the same way.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

import streamlit as st

PREVIEW_MS = 200   # while the pen moves, a new picture at most this often (each is one run of the fragment)
PREFIX = "data:image/png;base64,"
MAX_URL = 2_000_000   # characters: a 280x280 RGBA PNG is at most ~420 kB in base64, ~3 kB when drawn

CSS = """
.pad { display: flex; flex-direction: column; gap: 0.5rem; width: min(100%, var(--side)); }
.pad canvas { width: 100%; aspect-ratio: 1; touch-action: none; cursor: crosshair; display: block;
              border-radius: 0.5rem; border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4)); }
.pad .tools { display: flex; gap: 0.5rem; }
.pad button { font: inherit; font-family: var(--st-font, sans-serif); font-size: 0.875rem;
              color: var(--st-text-color); background: var(--st-background-color);
              border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4)); border-radius: 0.5rem;
              padding: 0.25rem 0.75rem; cursor: pointer; }
.pad button:hover { border-color: var(--st-primary-color, #2563eb); color: var(--st-primary-color, #2563eb); }
.pad button:disabled { opacity: 0.5; cursor: default; }
"""

# One pad per element: the page's reruns call this function again on the same element, and the
# strokes already drawn stay (the pad, not Python, holds them). Each stroke is a list of [x, y]
# in the canvas's own pixels, so that Undo can paint the rest again. Each picture sent is numbered
# (seq) and each run says which one it read (data.answered): a preview waits until the last
# picture has been answered, so a moving pen never queues runs faster than the server reads them.
JS = """
export default function ({ parentElement, data, setStateValue }) {
  const mounted = parentElement.querySelector(".pad");
  if (mounted) { mounted.answered(data.answered); return; }
  const { side, pen, preview_ms } = data;
  const root = document.createElement("div");
  root.className = "pad";
  root.style.setProperty("--side", side + "px");
  root.innerHTML = '<canvas class="digit-pad" aria-label="Drawing pad: draw one digit"></canvas>' +
    '<div class="tools"><button type="button">Undo</button><button type="button">Clear</button></div>';
  parentElement.appendChild(root);
  const pad = root.querySelector("canvas"), ctx = pad.getContext("2d");
  const [undo, clear] = root.querySelectorAll("button");
  pad.width = pad.height = side;
  const strokes = [];
  let pointer = null, box = null, changed = false;   // the pen's pointer, the pad on screen, drawn since sent
  let seq = data.answered ?? 0, answered = seq, sent = 0;   // pictures sent, read, when last sent
  root.answered = (n) => { answered = n ?? answered; root.dataset.answered = answered; };
  root.dataset.seq = seq; root.answered(seq);   // data-seq, data-answered: a test or benchmark sees the page catch up

  const dot = ([x, y]) => { ctx.beginPath(); ctx.arc(x, y, pen / 2, 0, 2 * Math.PI); ctx.fill(); };
  const segment = ([x0, y0], [x1, y1]) => {
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  };
  const paint = () => {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, side, side);
    ctx.fillStyle = ctx.strokeStyle = "#fff";
    ctx.lineWidth = pen; ctx.lineCap = ctx.lineJoin = "round";
    for (const s of strokes) { dot(s[0]); s.slice(1).forEach((p, i) => segment(s[i], p)); }
    undo.disabled = clear.disabled = strokes.length === 0;
  };
  const send = () => {
    seq += 1; sent = performance.now(); changed = false; root.dataset.seq = seq;
    setStateValue("drawing", { data: strokes.length ? pad.toDataURL("image/png") : null, seq });
  };
  const point = (e) => [Math.round((e.clientX - box.left) * side / box.width),   // in the canvas's
                        Math.round((e.clientY - box.top) * side / box.height)];  // pixels, at any size

  pad.addEventListener("pointerdown", (e) => {
    if (pointer !== null || e.button > 0) return;   // one pen at a time; left button or touch
    pad.setPointerCapture(e.pointerId);
    pointer = e.pointerId; box = pad.getBoundingClientRect(); changed = true;
    sent = performance.now();   // the first preview PREVIEW_MS into the stroke
    strokes.push([point(e)]);
    dot(strokes.at(-1)[0]);
    undo.disabled = clear.disabled = false;
  });
  pad.addEventListener("pointermove", (e) => {
    if (e.pointerId !== pointer) return;
    const s = strokes.at(-1), p = point(e);
    segment(s.at(-1), p);
    s.push(p); changed = true;
    if (answered >= seq && performance.now() - sent >= preview_ms) send();
  });
  const lift = (e) => {
    if (e.pointerId !== pointer) return;
    pointer = null;
    if (changed) send();   // else the last preview already holds this very picture
  };
  pad.addEventListener("pointerup", lift);
  pad.addEventListener("pointercancel", lift);
  undo.addEventListener("click", () => { strokes.pop(); paint(); send(); });
  clear.addEventListener("click", () => { strokes.length = 0; paint(); send(); });
  paint();
}
"""

_pad = st.components.v2.component("mnist_explainer.digit_pad", css=CSS, js=JS)


def digit_pad(key: str, side: int, pen: int) -> bytes | None:
    """Draw the pad (side x side pixels, a pen `pen` px wide); the PNG bytes it holds, None if empty.

    Raises ValueError when what arrived is not a PNG data URL of a sensible size: the value comes
    from the browser, so it is checked before anything is decoded.
    """
    drawing = (st.session_state.get(key) or {}).get("drawing")
    answered = drawing.get("seq") if isinstance(drawing, dict) else None   # the picture this run reads
    result = _pad(key=key, data={"side": side, "pen": pen, "preview_ms": PREVIEW_MS,
                                 "answered": answered if isinstance(answered, int) else None},
                  default={"drawing": None}, on_drawing_change=lambda: None, width="content", height="content")
    return png_bytes(result.get("drawing"))


def png_bytes(drawing: Any) -> bytes | None:
    """The PNG in the pad's value ``{"data": "data:image/png;base64,..."}``; None if there is none."""
    url = drawing.get("data") if isinstance(drawing, dict) else None
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(PREFIX):
        raise ValueError("it is not a PNG picture")
    if len(url) > MAX_URL:
        raise ValueError(f"it is {len(url) / 1e6:.1f} MB, more than a drawing on this pad can be "
                         f"({MAX_URL / 1e6:.0f} MB)")
    try:
        return base64.b64decode(url[len(PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("its picture is not valid base64") from None
