"""Issue 17 in a real browser: a lesson link with hidden controls, and an experiment followed from
Home, predicted, run and explained."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, choose, open_page, wait_for_app

from mnistcore.experiments import EXPERIMENTS, EXPERIMENTS_LIST

TRAIN_MS = 180_000  # a short run on a busy machine


def widget_label(page: Page, text: str):
    return page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{re.escape(text)}$"))


def test_a_lesson_link_opens_the_train_page_with_controls_hidden(page: Page, app_url: str):
    open_page(page, app_url, "train?preset=seed&hide=optimizer,lr&fix=epochs&note=Watch+the+loss+fall.")
    expect(page.get_by_text("Watch the loss fall.")).to_be_visible()
    expect(widget_label(page, "Activation")).to_have_count(1)
    expect(widget_label(page, "Optimizer")).to_have_count(0)
    expect(widget_label(page, "Learning rate η")).to_have_count(0)
    expect(page.get_by_role("slider", name="Epochs")).to_be_disabled()


def test_an_experiment_from_home_is_predicted_run_and_explained(page: Page, app_url: str):
    exp = EXPERIMENTS["batch_modes"]  # the quickest run: one full-batch step
    n = EXPERIMENTS_LIST.index(exp) + 1
    open_page(page, app_url, "")
    page.get_by_role("link", name=re.compile(f"^{n}\\. {re.escape(exp.title)}")).click()
    expect(page.get_by_text(exp.question)).to_be_visible()
    wait_for_app(page)
    page.get_by_text(exp.predictions[0], exact=True).click()
    button = page.get_by_role("button", name=f"Set up and run: {exp.runs[0].label}")
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_text(re.compile(r"Your run #\d+: test accuracy"))).to_be_visible(timeout=TRAIN_MS)
    wait_for_app(page, TRAIN_MS)
    assert_no_exception(page)
    expect(page.get_by_text(f"You predicted “{exp.predictions[0]}”")).to_be_visible()


def test_a_lesson_link_made_on_home_opens_its_page_that_way_in_a_fresh_browser(page: Page, app_url: str, browser):
    """The teacher makes the link on Home; a learner opens it in a browser of their own."""
    open_page(page, app_url, "")
    page.get_by_text("Make a lesson link (for teachers)").click()
    choose(page, "Page the link opens", "Gradient descent")
    expect(page.get_by_text(re.compile("^The link opens Gradient descent with"))).to_be_visible()   # its form is drawn
    wait_for_app(page)
    for box, label in (("Hide these controls", "Learning rate η (log scale)"),
                       ("Show these but do not let them change", "Number of steps")):
        choose(page, box, label)
        page.keyboard.press("Escape")
    page.get_by_role("textbox", name="A note shown on top").fill("Only the start moves.")
    page.get_by_role("button", name="Make the link").click()
    code = page.locator('[data-testid="stCode"] code')
    expect(code).to_contain_text("gradient_descent?")
    link = code.inner_text().strip()
    assert link.startswith(app_url.rstrip("/") + "/gradient_descent?"), link   # whole: the address is known

    learner = browser.new_context(viewport=page.viewport_size).new_page()
    try:
        learner.goto(link)
        expect(learner.get_by_text("Only the start moves.")).to_be_visible()
        wait_for_app(learner)
        assert_no_exception(learner)
        expect(learner.get_by_role("slider", name="Start x₀")).to_be_enabled()
        expect(widget_label(learner, "Learning rate η (log scale)")).to_have_count(0)
        expect(learner.get_by_role("slider", name="Number of steps")).to_be_disabled()
    finally:
        learner.context.close()
