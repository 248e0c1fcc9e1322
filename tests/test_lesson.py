"""Lesson links (hide=, fix=, note=), the experiments' buttons and links, Export and the glossary, in
the app under AppTest."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from appserver import open_app, url_path
from mnistcore.config import PRESETS
from mnistcore import data
from mnistcore.experiments import EXPERIMENTS, measure, on_page
from mnistcore.glossary import GLOSSARY
from ui import lesson, state
from ui import training as tr

PAGE = "pages/train.py"
TIMEOUT = 120


def labels(at) -> set[str]:
    return {w.label for kind in ("slider", "select_slider", "selectbox", "radio", "checkbox", "number_input")
            for w in at.get(kind)}


def widget(at, label: str):
    return next(w for kind in ("slider", "select_slider", "selectbox", "number_input")
                for w in at.get(kind) if w.label == label)


def warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def test_parse_keeps_known_names_and_names_the_unknown():
    found, notes = lesson.parse({"hide": "lr, optimizer,,bogus", "fix": "epochs,lr", "note": "x" * 500},
                                ["lr", "optimizer", "epochs"])
    assert found.hide == {"lr", "optimizer"} and found.fix == {"epochs"}  # hidden beats fixed
    assert len(found.note) == lesson.NOTE_MAX and found.note.endswith("…")
    assert any("bogus" in n for n in notes) and any("cut short" in n for n in notes)
    assert lesson.parse({}, ["lr"]) == (lesson.Lesson(), [])


def test_note_is_plain_text():
    note = lesson.clean_note("see [this](javascript:alert(1)) **now**\x00\n<b>x</b> :red[y]")
    shown = lesson.markdown_safe(note)
    assert "\x00" not in note and "\n" not in note
    for raw in ("[this]", "](", "**", "<b>", ":red["):
        assert raw not in shown  # every Markdown character is escaped


def test_a_lesson_link_hides_fixes_and_notes_on_the_train_page():
    at = open_app(PAGE, {"preset": "seed", "hide": "optimizer,lr,nonsense", "fix": "epochs",
                         "note": "Watch the loss **fall**."}, timeout=TIMEOUT)
    assert not at.exception
    shown = labels(at)
    assert "Optimizer" not in shown and "Learning rate η" not in shown
    assert "Activation" in shown and "Loss" in shown
    assert widget(at, "Epochs").disabled and not widget(at, "Activation").disabled
    assert any("Watch the loss" in i.value and r"\*\*fall\*\*" in i.value for i in at.info)
    assert "nonsense" in warnings(at)
    # the hidden settings still apply: the preset's optimizer and learning rate
    assert at.session_state[tr.key("optimizer")] == "sgd" and at.session_state[tr.key("lr")] == 0.1
    assert "lr,optimizer" in str(at.query_params["hide"])  # the teacher's link stays in the address bar


def test_a_plain_link_hides_nothing():
    at = open_app(PAGE, {"preset": "seed"}, timeout=TIMEOUT)
    assert {"Optimizer", "Learning rate η", "Epochs"} <= labels(at)
    assert "hide" not in warnings(at)


def test_every_train_experiment_link_sets_the_page_up_with_its_settings():
    for exp in on_page("train"):
        for run in exp.runs[:1]:
            query = dict(parse_qsl(urlsplit(exp.link()).query))
            if run.dataset != "mnist":
                continue  # checked where the data set is installed: test_the_fashion_link
            at = open_app(PAGE, query, timeout=TIMEOUT)
            assert not at.exception, exp.id
            config = run.config()
            got = {name: at.session_state[tr.key(name)] for name in config.to_dict()}
            assert got == {**config.to_dict(), "hidden": config.hidden}, exp.id
            assert not warnings(at), (exp.id, warnings(at))  # nothing in the link was unusable


TRAIN_EXPERIMENTS = [e for e in on_page("train") if e.runs[0].dataset == "mnist"]  # Fashion: where installed


def pointer_to_the_question(at, exp) -> bool:
    """Whether the page's top says where the experiment's question is (a link to Try this)."""
    return any(exp.title in m.value and "(#try-this)" in m.value for m in at.info)


@pytest.mark.parametrize("exp", TRAIN_EXPERIMENTS, ids=lambda e: e.id)
def test_each_experiment_from_its_link_is_predicted_run_and_explained(exp):
    """What Home's list opens: the experiment's link, a prediction (right for one experiment in
    two, so both answers are seen), its button, then the outcome said against the prediction."""
    query = dict(parse_qsl(urlsplit(exp.link()).query))
    at = open_app(PAGE, query, timeout=TIMEOUT)
    assert pointer_to_the_question(at, exp), exp.id     # the question sits below the settings
    n = TRAIN_EXPERIMENTS.index(exp)
    pick = exp.predictions[exp.answer if n % 2 == 0 else (exp.answer + 1) % len(exp.predictions)]
    at.radio(key=f"exp_pick_{exp.id}").set_value(pick).run()
    next(b for b in at.button if b.key == f"exp_go_{exp.id}").click().run()
    assert not at.exception, exp.id
    assert not pointer_to_the_question(at, exp), exp.id  # predicted and run: the pointer is gone
    config = exp.runs[0].config()
    runs = at.session_state[state.TR_RUNS]
    assert runs and runs[-1].config == config, exp.id   # the page ran the experiment's settings
    if exp.id == "batch_modes":   # the quickest run: the page's numbers are the seeded run's, which the claims test
        assert runs[-1].test_accuracy == measure(config, data.load("mnist"))["test_accuracy"]
    right = exp.predictions[exp.answer]
    said = [m.value for m in (*at.success, *at.info)]
    if pick == right:
        assert f"You predicted it: {right}" in said, (exp.id, said)
    else:
        assert f"You predicted “{pick}”. What happens: {right}" in said, (exp.id, said)
    text = "\n".join(m.value for m in at.markdown)
    assert f"Your run #{runs[-1].number}" in text and exp.explanation in text, exp.id


def test_glossary_on_every_page():
    at = open_app("pages/home.py", timeout=TIMEOUT)
    text = "\n".join(m.value for m in at.markdown)
    for term in list(GLOSSARY)[:5]:
        assert f"**{term}**" in text


def test_home_lists_every_experiment_and_makes_a_lesson_link():
    from mnistcore.experiments import EXPERIMENTS_LIST
    at = open_app("pages/home.py", timeout=TIMEOUT)
    assert not at.exception
    links = at.get("page_link")
    assert len(links) == len(EXPERIMENTS_LIST)
    first = links[0].proto
    assert dict(parse_qsl(first.query_string)) == {**EXPERIMENTS_LIST[0].runs[0].query(), "try": "lr_too_large"}
    hide = at.multiselect[0]
    assert "Learning rate η" in hide.options and "Batch size B" in hide.options and "lr" not in hide.options
    assert not hide.proto.select_all   # no "Select all" first row that would hide every control
    hide.set_value(["optimizer", "lr"])   # the values are still the link names
    at.text_input[0].set_value("Only the learning rate changes.")
    next(b for b in at.button if b.label == "Make the link").click().run()
    code = at.code[0].value
    path, query = code.split("?", 1)
    assert path == "/train"
    q = dict(parse_qsl(query))
    assert q["hide"] == "lr,optimizer" and q["note"] == "Only the learning rate changes."
    assert q["preset"] == "default" and float(q["lr"]) == PRESETS["default"].lr  # the current settings: the defaults
    found, notes = lesson.parse(q, [p for p in q if p not in ("hide", "fix", "note")])
    assert found.hide == {"lr", "optimizer"} and not notes
    assert any(c.value.startswith("Add it to this app's address") for c in at.caption)  # AppTest has no URL


def test_a_lesson_link_is_whole_when_the_apps_address_is_known():
    path = lesson.link("train", {"preset": "seed"}, lesson.Lesson(frozenset({"lr"})))
    assert lesson.full_link("https://demo.example.org/mnist", path) == f"https://demo.example.org/mnist/{path}"
    assert lesson.full_link("http://localhost:8501/", path) == f"http://localhost:8501/{path}"
    assert lesson.full_link(None, path) == lesson.full_link("", path) == "/" + path
    assert lesson.full_link("javascript:alert(1)", path) == "/" + path


def test_the_draw_experiment_reads_moved_digits_with_the_pages_model():
    exp = EXPERIMENTS["shifted_digit"]
    at = open_app("pages/draw.py", {"try": exp.id}, timeout=TIMEOUT)
    assert not at.exception and pointer_to_the_question(at, exp)
    at.radio(key=f"exp_pick_{exp.id}").set_value(exp.predictions[exp.answer]).run()
    next(b for b in at.button if b.key == f"exp_go_{exp.id}").click().run()
    assert not at.exception
    pick, outcome = at.session_state[state.EXP_TRIED][exp.id]
    assert pick == exp.predictions[exp.answer] and outcome["centred_accuracy"] > outcome["raw_accuracy"]
    text = "\n".join(m.value for m in at.markdown)
    assert f"**{outcome['centred_accuracy']:.0%}**" in text and f"**{outcome['raw_accuracy']:.0%}**" in text
    assert any("You predicted it" in s.value for s in at.success)
    assert not pointer_to_the_question(at, exp)


def test_an_experiment_link_followed_within_the_session_sets_the_page_up_again():
    at = open_app(PAGE, {"preset": "seed"}, timeout=TIMEOUT)
    assert at.session_state[tr.key("lr")] == 0.1
    exp = EXPERIMENTS["lr_too_large"]  # as Home's st.page_link opens it, in the same session
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(urlsplit(exp.link()).query)))
    at.run()
    assert not at.exception
    assert at.session_state[tr.key("lr")] == 5.0 and at.session_state[tr.key("train_size")] == 10_000


def test_any_page_shows_a_lesson_note_and_names_what_it_cannot_hide():
    at = open_app("pages/draw.py", {"note": "Draw a 7 in the corner.", "hide": "canvas"}, timeout=TIMEOUT)
    assert not at.exception
    assert any("Draw a 7 in the corner" in i.value for i in at.info)
    assert "canvas" in warnings(at) and "no controls a link can hide" in warnings(at)


# Every page with settings in its link: a link that sets one setting and hides its control, and fixes
# another. (page file, the link's settings, hidden, fixed, session key of the hidden one, its value)
EVERY_PAGE = [
    ("pages/dataset.py", {"split": "test", "class": "3"}, "class", "seed", state.DS_CLASS, 3),
    ("pages/gradient_descent.py", {"function": "quadratic", "eta": "0.5"}, "eta", "steps", "gd_lr", 0.5),
    ("pages/one_step.py", {"hidden": "32", "eta": "0.2"}, "hidden", "eta", state.OS_HIDDEN, 32),
    ("pages/lab.py", {"lab": "Confidence", "temperature": "2"}, "temperature", "threshold", state.TEMPERATURE, 2.0),
    ("pages/inside.py", {"inside": "Overfitting", "patience": "3"}, "patience", "schedule", None, 3),
]


def all_widgets(at) -> list:
    return [w for kind in ("slider", "select_slider", "selectbox", "radio", "checkbox", "number_input", "button",
                           "toggle", "multiselect", "text_input", "segmented_control")
            for w in at.get(kind)]


@pytest.mark.parametrize("page, settings, hidden, fixed, key, value", EVERY_PAGE, ids=[p[0] for p in EVERY_PAGE])
def test_a_lesson_link_hides_and_fixes_controls_on_every_page(page, settings, hidden, fixed, key, value):
    name = url_path(page)
    at = open_app(page, {**settings, "hide": hidden, "fix": fixed, "note": "Look at this"}, timeout=TIMEOUT)
    assert not at.exception
    table = page_labels(name)
    shown = {w.label: w for w in all_widgets(at)}
    assert table[hidden] not in shown                         # hidden ...
    if key is None:
        assert at.session_state[state.IN_HIDDEN][hidden] == value   # ... and its link value still applies
    else:
        assert at.session_state[key] == value
    assert shown[table[fixed]].disabled                       # fixed: shown, greyed out
    others = [n for n in table if n not in (hidden, fixed) and table[n] in shown]
    assert others and not any(shown[table[n]].disabled for n in others)
    assert any("Look at this" in i.value for i in at.info)
    assert at.query_params["hide"] == [hidden] or at.query_params["hide"] == hidden  # the teacher's link stays
    assert "no setting of this page" not in warnings(at)


def page_labels(name: str) -> dict[str, str]:
    from ui import dataset, descent, inside, lab, one_step
    return {"dataset": dataset.LABELS, "gradient_descent": descent.LABELS, "one_step": one_step.LABELS,
            "inside": inside.LABELS, "lab": lab.LABELS}[name]


@pytest.mark.parametrize("page, settings", [(p[0], p[1]) for p in EVERY_PAGE], ids=[p[0] for p in EVERY_PAGE])
def test_every_setting_a_lesson_link_may_name_is_a_control_of_its_page_with_help(page, settings):
    """The labels the Home form lists are the page's own; every control there says what it does."""
    at = open_app(page, settings, timeout=TIMEOUT)
    assert not at.exception
    shown = {w.label: w for w in all_widgets(at)}
    table = page_labels(url_path(page))
    missing = {n: label for n, label in table.items() if label not in shown and n != "phase"}
    assert not missing, missing
    assert "Previous phase" in shown or url_path(page) != "one_step"   # the phase's control: its buttons
    no_help = [w.label for w in all_widgets(at) if not getattr(w, "help", None)]
    assert not no_help, f"{page}: controls without help: {no_help}"


def test_the_lesson_form_makes_a_link_for_any_page():
    at = open_app("pages/home.py", timeout=TIMEOUT)
    page = next(s for s in at.selectbox if s.label == "Page the link opens")
    page.set_value("dataset").run()
    hide = at.multiselect[0]
    assert set(hide.options) == {"Class", "Image index in the split", "Sample seed", "Split"}
    hide.set_value(["class"])
    at.multiselect[1].set_value(["seed", "class"])   # hidden beats fixed
    next(b for b in at.button if b.label == "Make the link").click().run()
    path, query = at.code[0].value.split("?", 1)
    assert path == "/dataset"
    q = dict(parse_qsl(query))
    assert q["hide"] == "class" and q["fix"] == "seed" and q["split"] == "train" and q["dataset"] == "mnist"
    opened = open_app("pages/dataset.py", q, timeout=TIMEOUT)   # the link, followed: the page set up that way
    assert not opened.exception and not opened.warning
    shown = {w.label: w for w in all_widgets(opened)}
    assert "Class" not in shown and shown["Sample seed"].disabled and not shown["Split"].disabled


def every_view() -> list[tuple[str, dict[str, str]]]:
    """Each page as a first visit opens it, and each tab of the pages with tabs."""
    from appserver import routed_pages
    from ui import inside, lab
    views = [(page, {}) for page, _ in routed_pages()]
    views += [("pages/inside.py", {"inside": t}) for t in inside.TABS[1:]]
    return views + [("pages/lab.py", {"lab": t}) for t in lab.TABS[1:]]


@pytest.mark.parametrize("page, query", every_view(), ids=lambda v: str(v))
def test_every_control_says_what_it_does(page, query):
    at = open_app(page, query, timeout=TIMEOUT)
    assert not at.exception
    no_help = [w.label for w in all_widgets(at) if not getattr(w, "help", None)]
    assert not no_help, f"{page} {query}: controls without help: {no_help}"
