"""The Dataset page's settings in its link: split, class, sample seed and the image shown large."""
from ui import state

PAGE = "dataset"   # its name in links and lesson links (ui/lesson.py)


def class_text(c: int) -> str:
    return "all" if c < 0 else str(c)


def parse_class(text: str) -> int:
    return -1 if text == "all" else state.integer(0, 255)(text)


SPLIT = state.Param("split", state.DS_SPLIT, "train", state.choice("train", "test"))
CLASS = state.Param("class", state.DS_CLASS, -1, parse_class, to_url=class_text)
SEED_MAX = 2**32 - 1   # NumPy's seeds; the box takes any whole number and says when one is outside
SEED = state.Param("seed", state.DS_SEED, 0, state.integer(0, SEED_MAX))
INDEX = state.Param("index", state.DS_INDEX, None, state.integer(0), default_text="the first image of the grid")
PARAMS = [SPLIT, CLASS, SEED, INDEX]
# The label of each setting's control on the page (a lesson link's hide= and fix= name the settings).
LABELS = {"split": "Split", "class": "Class", "seed": "Sample seed", "index": "Image index in the split"}
