"""Dataset: browse the images, one image's numbers, class balance, mean images, pixel values."""
import numpy as np
import streamlit as st

from mnistcore.figures import dataset as figs
from ui import data, lesson, state
from ui.dataset import CLASS, INDEX, LABELS, PAGE, PARAMS, SEED, SEED_MAX, SPLIT
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

N_SAMPLES = 40  # four rows of ten in the grid
SEED_NOTE = "ds_seed_note"   # why the seed typed was replaced (shown once)


def new_grid() -> None:
    """A new grid shows its own first image large, unless the visitor picks another."""
    st.session_state[state.DS_INDEX] = None


def seed_typed() -> None:
    """A seed typed outside 0..2^32-1 is replaced by its remainder, and the box shows that value."""
    typed = st.session_state[state.DS_SEED]
    if not 0 <= typed <= SEED_MAX:
        st.session_state[state.DS_SEED] = typed % (SEED_MAX + 1)
        st.session_state[SEED_NOTE] = (f"Seed {typed:,} is outside 0 to {SEED_MAX:,}; using "
                                       f"{st.session_state[state.DS_SEED]:,} (its remainder after division by 2³²).")
    new_grid()


def shuffle() -> None:
    st.session_state[state.DS_SEED] = (st.session_state[state.DS_SEED] + 1) % 2**32
    new_grid()


def pick_from_grid() -> None:
    points = st.session_state[state.DS_GRID].selection.points
    if points:  # a second click on the same tile clears the selection: keep the image shown
        picked = points[0]["customdata"]
        st.session_state[state.DS_INDEX] = int(picked[0] if isinstance(picked, list) else picked)


st.title("Dataset")
st.caption("What the network learns from: 28x28 grayscale images, each with the class it shows.")
from_link = PAGE not in st.session_state.get(state.PARAMS_READ, set())   # this run applies the link
notes = lesson.read(PAGE, [p.name for p in PARAMS])   # hide=, fix=, note=
notes += state.read_params(PAGE, PARAMS)       # what the link asked for and could not get
changes = []                                   # what this data set cannot show, said apart from the link
ds = data.current_dataset()
title = data.label(st.session_state.get(state.DATASET, ds.name), st.session_state.get(state.UPLOAD))
names = ds.class_names
splits = ["train", "test"] if len(ds.x_test) else ["train"]
if st.session_state[state.DS_SPLIT] not in splits:
    changes.append(f"{title} has no test split; showing train.")
    st.session_state[state.DS_SPLIT] = "train"
if st.session_state[state.DS_CLASS] >= len(names):   # a link's class, or one of the data set used before
    (notes if from_link else changes).append(
        f"{'class' if from_link else 'Class'} {st.session_state[state.DS_CLASS]} does not exist in {title}; "
        "showing all classes.")
    st.session_state[state.DS_CLASS] = -1

with st.expander("Upload your own data set", icon=":material/upload:"):
    data.upload_widget()

c1, c2, c3, c4 = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
lesson.control(PAGE, SPLIT.name, c1.radio, LABELS[SPLIT.name], splits, horizontal=True,
               help="The 60,000 training images the network learns from, or the 10,000 test images kept apart "
                    "to score it.", **state.bind(state.DS_SPLIT, then=new_grid))
lesson.control(PAGE, CLASS.name, c2.selectbox, LABELS[CLASS.name], [-1, *range(len(names))],
               format_func=lambda c: "All classes" if c < 0 else names[c],
               help="Show the images of one class only, or of all of them.", **state.bind(state.DS_CLASS, then=new_grid))
lesson.control(PAGE, SEED.name, c3.number_input, LABELS[SEED.name], step=1,
               help=f"Any whole number from 0 to {SEED_MAX:,}: the same seed gives the same grid.",
               **state.bind(state.DS_SEED, then=seed_typed))
lesson.control(PAGE, SEED.name, c4.button, "Shuffle", on_click=shuffle, icon=":material/shuffle:", width="stretch",
               help="A new seed: another random grid.")
split, cls, seed = (st.session_state[p.key] for p in (SPLIT, CLASS, SEED))

images, labels = (ds.x_train, ds.y_train) if split == "train" else (ds.x_test, ds.y_test)
shown = figs.sample_indices(labels, N_SAMPLES, seed, None if cls < 0 else cls)
index = st.session_state[state.DS_INDEX]
if index is not None and index >= len(images):
    (notes if from_link else changes).append(
        f"{'image' if from_link else 'Image'} {index} is beyond the {len(images):,} images of the {split} "
        "split; showing the first image of the grid.")
    index = None
if index is None:
    index = int(shown[0]) if len(shown) else 0
st.session_state[state.DS_INDEX] = index
state.show_notes(notes)
if SEED_NOTE in st.session_state:
    changes.append(st.session_state.pop(SEED_NOTE))
if changes:
    st.info("\n\n".join(changes), icon=":material/info:")
state.write_params(PARAMS)

st.subheader(f"{len(shown)} random {split} images" + ("" if cls < 0 else f" of class {names[cls]}"))
if len(shown):
    st.caption("Above each image: its index in the split and its label (on a phone they are too small to "
               "read and are left out). Click an image to see its numbers below.")
    # Plotly's captions keep their font size when the chart shrinks: on a phone ten of them a row
    # would overlap, so narrow screens hide them (the close-up below names the image clicked).
    st.html(f"<style>@media (max-width: 640px) {{ .st-key-{state.DS_GRID} g.annotation {{ display: none; }} }}</style>")
    grid = figs.image_grid(images[shown], titles=[f"#{i} · {names[labels[i]]}" for i in shown], ids=shown)
    st.plotly_chart(grid, key=state.DS_GRID, selection_mode="points",
                    on_select=pick_from_grid if lesson.changeable(PAGE, INDEX.name) else "ignore",  # a lesson may hold the image
                    config={"displayModeBar": False})
else:
    st.info(f"The {split} split has no image of class {names[cls]}.")

st.header(f"Image #{index}: {names[labels[index]]}")
picture, about = st.columns([3, 2], gap="large")
image = images[index]
picture.plotly_chart(figs.image_heatmap(image, height=490), config={"displayModeBar": False})
with about:
    lesson.control(PAGE, INDEX.name, st.number_input, LABELS[INDEX.name], 0, len(images) - 1, step=1,
                   help="Which image of the split to show large; clicking an image in the grid picks it too.",
                   **state.bind(state.DS_INDEX))
    st.markdown(f"Label: **{names[labels[index]]}** ({split} split, {len(images):,} images)")
    st.markdown(f"The picture is 28 x 28 = 784 numbers from 0 to 255: in the files 0 is the background "
                f"and 255 full ink; {int((image > 0).sum())} of them are not 0. The app draws ink white on "
                "black, as MNIST is usually shown; that is only a choice of colours.")
    st.markdown("The network reads them row after row as one vector of 784 inputs "
                "$x_1, \\dots, x_{784}$, each pixel value $p_i$ scaled to [0, 1]:")
    st.latex(r"x_i = \frac{p_i}{255}")
    st.caption("Why divide by 255: the weights start small, sized for inputs of about 1 (see the Train "
               "page's init). Raw values up to 255 would make each sum z = xW + b 255 times larger, "
               "saturating sigmoids and needing a learning rate 255 times smaller.")

st.header("Classes")
train_stats, test_stats = data.split_stats(ds, "train"), data.split_stats(ds, "test")
bars, table = st.columns([3, 2], gap="large")
bars.plotly_chart(figs.class_counts_figure(train_stats.counts, test_stats.counts, names),
                 config={"displayModeBar": False})   # at 390 px the toolbar would cover the legend
with table:
    st.dataframe({
        "class": names,
        "train": train_stats.counts,
        "train %": np.round(100 * train_stats.counts / max(train_stats.counts.sum(), 1), 1),
        "test": test_stats.counts,
        "test %": np.round(100 * test_stats.counts / max(test_stats.counts.sum(), 1), 1),
    }, hide_index=True, column_config={share: st.column_config.NumberColumn(format="%.1f")
                                       for share in ("train %", "test %")})
    for name, counts in (("train", train_stats.counts), ("test", test_stats.counts)):
        if not counts.sum():
            continue
        most, least = int(np.argmax(counts)), int(np.argmin(counts))
        if counts[least] == 0:
            st.warning(f"{name}: class {names[least]} has no examples at all.")
        elif counts[most] == counts[least]:
            st.markdown(f"**{name}**: every class has {counts[most]:,} examples: perfectly balanced (**1.00x**).")
        else:
            st.markdown(f"**{name}**: the most common class, {names[most]} ({counts[most]:,}), has "
                        f"**{counts[most] / counts[least]:.2f}x** as many examples as the rarest, "
                        f"{names[least]} ({counts[least]:,}).")
    st.caption("A ratio near 1 means balanced classes: plain accuracy is then a fair score.")

stats = train_stats if split == "train" else test_stats
st.header("Mean image per class")
st.caption(f"The average of all {split} images of each class: the brighter a pixel, the more often "
           "that class covers it.")
st.plotly_chart(figs.mean_images_figure(stats.means, names), config={"displayModeBar": False})

st.header("Pixel intensities")
log_y = st.toggle("Logarithmic count axis", value=True,
                  help="Most pixels are 0: on a log axis the few counts of the grey levels still show.")
st.plotly_chart(figs.pixel_histogram_figure(stats.pixels, log_y=log_y))
total = max(int(stats.pixels.sum()), 1)
st.caption(f"All {total:,} pixels of the {split} split: {100 * stats.pixels[0] / total:.0f}% are exactly 0, "
           f"the background, and {100 * stats.pixels[128:].sum() / total:.0f}% are at least half ink "
           "(128 and up); the rest lie in between, mostly at the soft edges of shapes.")
