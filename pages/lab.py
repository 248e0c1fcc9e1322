"""Lab page: drive a run by hand, see the hidden space, edit one neuron, ask how sure the network is."""
import numpy as np
import streamlit as st

from mnistcore import confidence, neurons
from mnistcore.figures import lab as fig
from mnistcore.figures.dataset import image_grid
from ui import lab, lesson, state
from ui.lab_run import drop_action, run_section, watch_for_header_stop
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

st.title("Lab")
st.write("Poke the network: train it a batch at a time, look at how a hidden layer arranges the "
         "digits, switch a neuron off, and let it say *not sure*.")
state.show_notes(lab.link_notes(st.query_params.to_dict()) + lab.read_link())  # before the tabs drop a bad value


@st.fragment
def tabs() -> None:
    """The four tabs: a tab change or a widget in a tab reruns this part only, not the page."""
    lab.write_link()   # (before: a tab may stop early with a message)
    show_tabs()
    lab.write_link()   # the model a first visit chose


def show_tabs() -> None:
    run_tab, map_tab, neuron_tab, sure_tab = st.tabs(lab.TABS, key=lab.TAB, bind="query-params")
    if not run_tab.open:
        drop_action()   # another tab pauses a run trained in slices

    if run_tab.open:
        with run_tab:
            run_section()

    if map_tab.open:
        with map_tab:
            s = lab.choose_model()
            names = lab.hidden_layer_names(s.model)
            c = st.columns([2, 1])
            layer = c[0].selectbox("Hidden layer", range(len(names)), format_func=names.__getitem__, key="lab_map_layer",
                                   help="Whose numbers are mapped: the activations of this hidden layer for each image.")
            method = c[1].segmented_control("Map", ["PCA", "t-SNE"], default="PCA", required=True, key="lab_method",
                                            help="PCA: the two directions of largest spread (fast, linear). t-SNE: "
                                                 "keeps neighbours together (slower, not linear).")
            idx = lab.map_indices(s)
            if len(idx) < lab.MIN_MAP_POINTS:
                st.warning(f"This data set has {len(idx)} test images; a map needs at least {lab.MIN_MAP_POINTS}.")
                st.stop()
            try:
                if method == "PCA":
                    (Zr, rr, ar), (Zh, rh, ah) = lab.pca_map(s.data_key, None, s), lab.pca_map(s.key, layer, s)
                    axes = [(f"PC 1 ({r[0]:.1%} of variance)", f"PC 2 ({r[1]:.1%})") for r in (rr, rh)]
                else:
                    (Zr, ar), (Zh, ah) = lab.tsne_map(s.data_key, None, s), lab.tsne_map(s.key, layer, s)
                    axes = [None, None]
            except ValueError as err:  # e.g. a data set whose images are all alike
                st.error(f"The map could not be made: {err}")
                st.stop()
            figure = fig.embedding_maps([Zr, Zh], ["Raw pixels (784 numbers)", names[layer].capitalize()],
                                        s.labels[idx], s.class_names, ids=idx, art=fig.hover_art(s.images[idx]),
                                        axis_titles=axes)
            chart, side = st.columns([4, 1])
            picked = chart.plotly_chart(figure, on_select="rerun", selection_mode="points", key=lab.LAB_POINT)
            side.metric("Same class nearby: pixels", f"{ar:.0%}")
            # The delta of the two figures shown, so that 38% and 40% read "+2", never "+1".
            side.metric("Same class nearby: hidden", f"{ah:.0%}",
                        delta=f"{round(100 * ah) - round(100 * ar):+d} points")
            side.caption(f"Share of each point's {lab.NEIGHBOURS} nearest neighbours on the map that show its class.")
            points = picked.selection.points if picked else []
            if points and "customdata" in points[0]:
                i = int(np.ravel(points[0]["customdata"])[0])
                guess = int(lab.logits(s.key, s)[i].argmax())
                side.image(s.images[i], width=112, clamp=True,
                           caption=f"#{i}: a {s.class_names[s.labels[i]]}, read as {s.class_names[guess]}")
            st.caption(f"{len(idx):,} test images (the same share of each class as the whole test set), coloured "
                       "by their true class; hover a point to see its image, click it to see it large.")
            st.caption("**Try this:** compare the two maps' *same class nearby*, switch to t-SNE, then study "
                       "the run of the first tab after a few batches against the ready-trained model.")
            with st.expander(f"How {method} makes the map"):
                lab.map_maths(method, len(idx))

    if neuron_tab.open:
        with neuron_tab:
            s = lab.choose_model()
            names = lab.hidden_layer_names(s.model)
            c = st.columns([2, 1, 2])
            layer = c[0].selectbox("Hidden layer", range(len(names)), format_func=names.__getitem__, key="lab_unit_layer",
                                   help="The layer of the neuron to study.")
            width = s.model.sizes[layer + 1]
            unit = int(c[1].number_input(f"Unit (0 to {width - 1})", 0, width - 1, 0, key="lab_unit",
                                         help="Which neuron of that layer, by its number."))
            scale = c[2].slider("Scale its output", 0.0, 3.0, 0.0, 0.25, key="lab_scale",
                                help="0 switches the unit off; 1 leaves it as it is; 2 doubles what it passes on.")
            left, right = st.columns([1, 2])
            if layer == 0:
                left.plotly_chart(fig.unit_weights_figure(neurons.incoming_weights(s.model, unit),
                                                          f"Unit {unit}: incoming weights"), key="lab_weights")
                left.caption("Red pixels excite the unit when inked, blue ones hold it back.")
            else:
                left.info("Only first-layer units take pixels, so only their weights form a 28x28 picture.")
            top, values = lab.top_images(s.key, layer, s)
            right.markdown(f"**The {lab.TOP_IMAGES} test images that excite unit {unit} most** (its activation above each)")
            right.plotly_chart(fig.top_images_figure(s.images[top[:, unit]], values[:, unit], top[:, unit]),
                               key="lab_top")
            edit = lab.edit_scores(s.key, layer, unit, float(scale), s)
            m = st.columns(3)
            m[0].metric("Test accuracy", f"{edit.accuracy_after:.2%}", f"{edit.accuracy_after - edit.accuracy_before:+.2%}")
            m[1].metric("Before the edit", f"{edit.accuracy_before:.2%}")
            m[2].metric("Predictions changed", f"{edit.predictions_changed:,}")
            st.markdown("**How the confusion matrix changed** (images per cell; blue helps, red hurts)")
            st.plotly_chart(fig.confusion_change_figure(edit.confusion_before, edit.confusion_after, s.class_names),
                            key="lab_cm_change")
            st.caption("**Try this:** find a unit whose top images are all one digit, scale it to 0 and look at "
                       "that digit's row.")
            with st.expander("The maths of the edit"):
                st.write(f"The edit is made on a copy: row {unit} of the next layer's weights, which carries this "
                         f"unit's output on, is multiplied by s = {scale:g}.")
                st.latex(r"a_u = f\Big(\sum_{p} a^{(l)}_p W_{p,u} + b_u\Big), \qquad "
                         r"z^{(l+1)} = \sum_{j \ne u} a_j W^{(l+1)}_{j,:} + s\, a_u W^{(l+1)}_{u,:} + b^{(l+1)}")

    if sure_tab.open:
        with sure_tab:
            s = lab.choose_model(hidden=False)
            c = st.columns(2)
            st.session_state.setdefault(lab.TEMPERATURE, 1.0)   # kept for the session, so the Draw page can
            st.session_state.setdefault(lab.THRESHOLD, confidence.DEFAULT_THRESHOLD)  # answer the same way
            lesson.control(lab.PAGE, "temperature", c[0].select_slider, lab.LABELS["temperature"], lab.TEMPERATURES,
                           help="Divides the logits before softmax: above 1 the probabilities even out, below 1 "
                                "the largest one takes more.", **state.bind(lab.TEMPERATURE))
            lesson.control(lab.PAGE, "threshold", c[1].slider, lab.LABELS["threshold"], 0.0, 1.0, step=0.01,
                           help=f"Under it the model answers \"{confidence.NOT_SURE_TEXT}\".", **state.bind(lab.THRESHOLD))
            T, tau = st.session_state[lab.TEMPERATURE], st.session_state[lab.THRESHOLD]
            p = confidence.softmax(lab.logits(s.key, s), T)
            curve = confidence.threshold_curve(p, s.labels)
            answers = confidence.answer(p, tau)
            sure = answers != confidence.NOT_SURE
            m = st.columns(4)
            m[0].metric("Coverage", f"{sure.mean():.1%}", help="Share of test images answered")
            m[1].metric("Accuracy of the answers", f"{np.mean(answers[sure] == s.labels[sure]):.2%}" if sure.any() else "–")
            m[2].metric("Not sure", f"{np.count_nonzero(~sure):,}")
            m[3].metric("Accuracy answering all", f"{np.mean(p.argmax(axis=1) == s.labels):.2%}")
            left, right = st.columns(2)
            left.plotly_chart(fig.threshold_figure(curve.thresholds, curve.coverage, curve.accuracy, tau), key="lab_tau")
            right.plotly_chart(fig.confidence_histogram(p.max(axis=1), p.argmax(axis=1) == s.labels, tau), key="lab_hist")
            st.caption("**Try this:** raise τ until the accuracy of the answers passes 99%, and see how many "
                       "images that leaves unanswered; then change T.")
            with st.expander("The formulas: temperature, threshold, coverage"):
                st.write("Temperature never changes which class is on top, so answering everything scores the "
                         "same at any T; it moves how sure the answers look, and so which ones fall under τ. "
                         "Raising τ trades coverage for accuracy: the answers kept are the surer ones.")
                st.latex(r"p_k = \frac{e^{z_k / T}}{\sum_j e^{z_j / T}}, \qquad \hat{y} = \begin{cases} "
                         r"\arg\max_k p_k & \text{if } c = \max_k p_k \ge \tau \\ \text{not sure} & "
                         r"\text{otherwise} \end{cases}")
                st.latex(r"\text{coverage}(\tau) = \frac{1}{n}\sum_i [c_i \ge \tau],\qquad "
                         r"\text{accuracy}(\tau) = \frac{\sum_i [c_i \ge \tau][\hat{y}_i = y_i]}{\sum_i [c_i \ge \tau]}")
            unsure = np.flatnonzero(~sure)
            unsure = unsure[np.argsort(p[unsure].max(axis=1))][:16]
            if len(unsure):
                st.markdown("**Least sure test images** (the two most probable classes above each)")
                top2 = np.argsort(-p[unsure], axis=1)[:, :2]
                titles = [f"{s.class_names[a]} {p[i, a]:.0%} / {s.class_names[b]} {p[i, b]:.0%}"
                          for i, (a, b) in zip(unsure, top2)]
                st.plotly_chart(image_grid(s.images[unsure], titles=titles, ids=unsure, cols=8), key="lab_unsure")


watch_for_header_stop()   # outside the fragment below, whose reruns train the Lab's run in slices
tabs()
