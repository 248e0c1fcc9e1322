"""Inside the network: why it learns or fails (gradient flow, dead units, capacity, overfitting,
augmentation, robustness), each chart computed by mnistcore and explained in a sentence."""
import functools

import numpy as np
import streamlit as st

from mnistcore import diagnostics as dg
from mnistcore import robustness as rb
from mnistcore.config import SCHEDULE_NAMES
from mnistcore.figures import inside as fig
from mnistcore.schedules import FORMULAS
from ui import inside, lesson, state
from ui.data import current_dataset
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

st.title("Inside the network")
st.write("Why does a deep network stop learning, how big should it be, when should training stop, "
         "how robust is the result? Short, seeded runs of the engine answer; each is computed once "
         "for the server and then shown at once.")
notes = lesson.read(inside.PAGE, inside.SETTINGS)   # hide=, fix=, note=
state.show_notes(notes + inside.link_notes(st.query_params.to_dict()))  # before the widgets drop bad values
ds = current_dataset()


@st.fragment
def ended(run: dg.GradientFlow) -> str:
    """How a run ended, for its legend: a net whose units died can still be "done", at chance accuracy."""
    if run.status == "diverged" or run.test_accuracy is None:
        return run.status
    return f"test {run.test_accuracy:.0%}"


def tabs() -> None:
    """The five tabs; picking one or moving a widget in it reruns only this fragment."""
    flow_tab, cap_tab, fit_tab, aug_tab, rob_tab = st.tabs(inside.TABS, key=inside.TAB, bind="query-params")

    if flow_tab.open:
        with flow_tab:
            st.subheader("Vanishing gradients")
            st.write("Backpropagation multiplies the error by each layer's slope on its way to the input. "
                     "A sigmoid's slope is at most 1/4, so after five sigmoid layers almost nothing reaches "
                     "the first one, which then barely learns; ReLU's slope is 1 wherever a unit is on, and "
                     "He init keeps the signal's size steady, so every layer gets a fair share.")
            st.latex(r"\begin{gathered}\delta_l = \left(\delta_{l+1} W_{l+1}^{\top}\right) \odot f'(z_l) \\ "   # a line each: 390 px
                     r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le \tfrac14 \\ \mathrm{relu}'(z) = [z > 0]\end{gathered}")
            flows = {k: inside.gradient_flow(ds, c) for k, c in dg.GRADIENT_FLOW_CONFIGS.items()}
            st.plotly_chart(fig.gradient_flow_figure(
                {dg.GRADIENT_FLOW_NOTES[k]: (f.epoch_fraction, f.grad_norms) for k, f in flows.items()}),
                config={"displayModeBar": False})   # at 390 px the toolbar would cover the legend
            cols = st.columns(len(flows))
            for col, (k, f) in zip(cols, flows.items()):
                col.metric(f"{dg.GRADIENT_FLOW_NOTES[k]}: first / last layer gradient",
                           f"{np.median(f.first_over_last):.2g}",
                           help="Median over the run of mean |dW| of the first layer over the output layer's.")
                col.metric(f"{dg.GRADIENT_FLOW_NOTES[k]}: test accuracy after {f.config.epochs} epochs",
                           f"{f.test_accuracy:.1%}" if f.test_accuracy is not None else "n/a")
            c = flows["relu"].config
            st.caption(f"Each line: mean |dL/dW| of one layer, measured {len(flows['relu'].epoch_fraction)} times "
                       f"during a run of plain SGD (lr {c.lr:g}, batches of {c.batch_size}) on "
                       f"{dg.images_used(c, len(ds.x_train)):,} training images.")

            st.subheader("Dead ReLU units")
            n_probe = min(dg.PROBE_SIZE, len(ds.x_test) if len(ds.x_test) else len(ds.x_train))
            st.write(f"A ReLU unit whose input z is negative for every image outputs 0 for all of them and, "
                     f"since its slope there is 0, passes no gradient back from them: on such images it cannot "
                     f"recover. Here a unit counts as dead when it gives the same output for each of "
                     f"{n_probe:,} {'test' if len(ds.x_test) else 'training'} images, which is evidence, not "
                     "proof, that it is dead for every image. Too large a learning rate pushes many units "
                     "there in a few steps.")
            st.latex(r"\begin{gathered}\text{dead unit } j: \\ a_j(x) = \max(0, z_j(x)) = 0 \ \text{for every } x\end{gathered}")
            runs = {lr: inside.gradient_flow(ds, dg.GRADIENT_FLOW_CONFIGS["relu"].replace(lr=lr))
                    for lr in dg.DEAD_UNIT_LRS}
            dead = {f"lr {lr:g} ({ended(r)})": r.dead for lr, r in runs.items()}
            current = inside.current_model(ds)
            if current.model.activation == "relu":
                dead[current.label] = inside.current_dead_units(ds, current)
            st.plotly_chart(fig.dead_units_figure(dead), config={"displayModeBar": False})
            st.caption(f"Share of units that output the same value for each of the {n_probe:,} images, per hidden "
                       f"layer, after {c.epochs} epochs of the 5-layer ReLU net above at three learning rates"
                       + (f", and {current.name}." if current.model.activation == "relu" else "."))

    if cap_tab.open:
        with cap_tab:
            st.subheader("How wide should the hidden layer be?")
            st.write("More units can draw finer boundaries between the classes, and each step costs more "
                     "arithmetic: about one multiply-add per weight per image.")
            st.latex(r"\text{parameters} = \underbrace{784\,h + h}_{\text{hidden layer } W, b} + "
                     r"\underbrace{10\,h + 10}_{\text{output layer } W, b}")
            points = inside.capacity(ds)
            st.plotly_chart(fig.capacity_figure([p.width for p in points], [p.test_accuracy for p in points],
                                                [p.train_accuracy for p in points], [p.train_seconds for p in points]))
            st.dataframe(inside.capacity_table(points), hide_index=True)
            st.write(dg.capacity_summary(points))
            c = dg.CAPACITY_CONFIG
            st.caption(f"One hidden ReLU layer, Adam (lr {c.lr:g}), {c.epochs} epochs on "
                       f"{dg.images_used(c, len(ds.x_train)):,} "
                       "training images; time is the engine's own training clock on this server, "
                       "shared with other visitors.")

    if fit_tab.open:
        with fit_tab:
            st.subheader("Overfitting and early stopping")
            st.write("With few images and many weights a network can start memorising them: the training "
                     "loss keeps falling while the loss on held-out validation images turns back up. Early "
                     "stopping watches the validation loss, stops after `patience` epochs without a new "
                     "best, and goes back to the best epoch's weights.")
            c1, c2, c3 = st.columns(3)
            control = functools.partial(lesson.control, inside.PAGE)   # a lesson link may hide or fix each
            patience = control(inside.PATIENCE, c1.slider, inside.LABELS[inside.PATIENCE], *inside.PATIENCES,
                               inside.DEFAULTS[inside.PATIENCE], key=inside.PATIENCE, bind="query-params",
                               help="Epochs without a new best validation loss before early stopping ends the run.")
            val_split = control(inside.VAL_SPLIT, c2.select_slider, inside.LABELS[inside.VAL_SPLIT], inside.VAL_SPLITS,
                                inside.DEFAULTS[inside.VAL_SPLIT], key=inside.VAL_SPLIT, bind="query-params",
                                help="The share of the training images held out to watch for overfitting; the "
                                     "network never learns from them.")
            schedule = control(inside.SCHEDULE, c3.radio, inside.LABELS[inside.SCHEDULE], SCHEDULE_NAMES, horizontal=True,
                               key=inside.SCHEDULE, bind="query-params",
                               help="How the learning rate changes over the run: constant, or decaying.")
            patience, val_split, schedule = (inside.hidden_value(name) if value is None else value for name, value in
                                             zip(inside.SETTINGS, (patience, val_split, schedule)))
            base = dg.OVERFIT_CONFIG.replace(val_split=val_split, schedule=schedule)
            full, stopped = inside.fit_curves(ds, base), inside.fit_curves(ds, base.replace(early_stopping=patience))
            st.plotly_chart(fig.fit_curves_figure(full.epoch, full.train_loss, full.val_loss, full.train_accuracy,
                                                  full.val_accuracy, full.best_epoch, int(stopped.epoch[-1])))
            m = st.columns(4)
            m[0].metric("Best epoch", stopped.best_epoch)
            m[1].metric("Stopped after epoch", int(stopped.epoch[-1]),
                        help=stopped.message or "The run reached its last epoch.")
            if stopped.test_loss is not None and full.test_loss is not None:
                m[2].metric("Test accuracy, restored", f"{stopped.test_accuracy:.1%}",
                            help=f"Test loss {stopped.test_loss:.3f}, with the weights of the best epoch.")
                m[3].metric(f"Test accuracy, all {len(full.epoch)} epochs", f"{full.test_accuracy:.1%}",
                            help=f"Test loss {full.test_loss:.3f}, with the weights of the last epoch.")
            st.write(dg.fit_summary(full, stopped))
            st.caption(f"784-512-10, Adam (lr {base.lr:g}), {dg.images_used(full.config, len(ds.x_train)):,} "
                       "training images of which "
                       f"{val_split:.0%} are held out. Command line: `python -m mnistcore train --hidden 512 "
                       f"--optimizer adam --lr {base.lr:g} --batch-size {base.batch_size} --epochs {base.epochs} "
                       f"--train-size {dg.images_used(full.config, len(ds.x_train))} --val-split {val_split} "
                       f"--early-stopping {patience} --schedule {schedule}`.")
            st.subheader("Learning-rate schedules")
            st.write("A schedule sets the learning rate η of each epoch e = 0, 1, …, E − 1: big steps early to get "
                     "close fast, smaller ones late to settle into the minimum instead of bouncing around it.")
            st.plotly_chart(fig.schedules_figure(dg.schedule_curves(base.lr, base.epochs), highlight=schedule))
            for name, col in zip(SCHEDULE_NAMES, st.columns(len(SCHEDULE_NAMES))):
                col.caption(name)
                col.latex(FORMULAS[name])

    if aug_tab.open:
        with aug_tab:
            st.subheader("Augmentation")
            st.write("A network sees each training image many times; shifting it by up to 2 pixels and "
                     "turning it by up to 10 degrees each time shows it new but still correct examples, so "
                     "it learns the digit rather than its exact pixels. The label stays the same.")
            st.latex(r"x'(r, c) = x\!\left(R_{-\theta}\,\big((r, c) - \text{centre} - (d_r, d_c)\big) + "
                     r"\text{centre}\right), \quad \theta \in \{0, \pm 5°, \pm 10°\},\ d_r, d_c \in \{-2, \dots, 2\}")
            seed = st.session_state.get(inside.AUG_SEED, 0)
            idx = np.random.default_rng(seed).choice(len(ds.x_train), min(inside.PREVIEW_IMAGES, len(ds.x_train)),
                                                     replace=False)
            grid = dg.augment_preview(ds.x_train[idx], inside.PREVIEW_COPIES, seed=seed)
            names = [str(ds.class_names[y]) if y < len(ds.class_names) else str(y) for y in ds.y_train[idx]]
            st.plotly_chart(fig.augmentation_figure(grid, names), width="content")
            st.button("New samples", icon=":material/shuffle:", on_click=inside.new_preview,
                      help="Other random shifts and turns of the same images.")
            st.caption("Turn it on with the Train page's augmentation switch, or on the command line with "
                       "`python -m mnistcore train --augment`.")

    if rob_tab.open:
        with rob_tab:
            st.subheader("Robustness")
            current = inside.current_model(ds)
            st.write(f"How {current.name} copes with test images unlike its training images: pixel noise, "
                     f"rotation and thinner or thicker strokes. {rb.PLAIN_NOTE} The steeper the fall, the more "
                     "it relies on images looking just like its training images.")
            if current.warning:
                st.warning(current.warning, icon=":material/warning:")
            curves = inside.robustness_curves(ds, current)
            if curves is None:
                st.info("This data set has no test images to perturb.", icon=":material/info:")
                return
            st.plotly_chart(fig.robustness_figure({k: (c.levels, c.accuracy) for k, c in curves.items()},
                                                  rb.LEVEL_LABELS))
            sample = ds.x_test[:1]
            for kind, col in zip(curves, st.columns(len(curves))):
                col.latex(rb.FORMULAS[kind])
                col.caption(rb.FORMULA_NOTES[kind])
                strip = np.concatenate([rb.perturb(sample, kind, level) for level in rb.LEVELS[kind]])
                col.plotly_chart(fig.perturbation_strip(strip, rb.LEVELS[kind], "°" if kind == "rotation" else ""))
            st.caption(f"Scored on the first {min(inside.ROBUSTNESS_SAMPLES, len(ds.y_test)):,} test images; "
                       "the noise is the same pattern, scaled, at every σ.")


tabs()
