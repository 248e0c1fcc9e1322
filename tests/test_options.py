"""The one options table: config, model, optimizers, CLI and links all read it."""
import dataclasses

import numpy as np
import pytest

from mnistcore import activations, options
from mnistcore.cli import build_parser, main
from mnistcore.config import TrainConfig
from mnistcore.model import init_mlp
from mnistcore.options import MAX_PARAMETERS, OPTIONS, parse_hidden


def test_one_row_per_config_field_with_its_default():
    fields = dataclasses.fields(TrainConfig)
    assert [f.name for f in fields] == list(OPTIONS)
    assert {f.name: f.default for f in fields} == {name: o.default for name, o in OPTIONS.items()}


@pytest.mark.parametrize("name", [n for n, o in OPTIONS.items() if o.kind == "choice"])
def test_every_choice_has_a_label_help_and_the_thing_it_maps_to(name):
    for key, entry in OPTIONS[name].choices.items():
        assert entry.label and entry.help, (name, key)
        assert OPTIONS[name].choice_label(key) == entry.label


@pytest.mark.parametrize("name", list(OPTIONS))
def test_the_default_round_trips_through_a_link_and_bad_text_is_refused(name):
    option = OPTIONS[name]
    assert option.parse(option.to_text(option.default)) == option.default
    with pytest.raises(ValueError, match=name):
        option.parse("not-a-value,x")


@pytest.mark.parametrize("name, bad", [("lr", "0"), ("lr", "100.5"), ("momentum", "1"), ("dropout", "1.0"),
                                       ("val_split", "0.95"), ("epochs", "0"), ("seed", "-1"),
                                       ("hidden", "12,x"), ("nesterov", "maybe"), ("schedule", "linear")])
def test_link_parsers_hold_values_to_the_ranges_config_checks(name, bad):
    with pytest.raises(ValueError, match=name):
        OPTIONS[name].parse(bad)


def test_open_and_closed_ends():
    lr, l2 = OPTIONS["lr"], OPTIONS["l2"]
    assert lr.parse("100") == 100.0 and l2.parse("0") == 0.0 and l2.parse("10") == 10.0
    assert lr.range_text == "in (0.0, 100.0]" and OPTIONS["momentum"].range_text == "in [0.0, 1.0)"
    assert OPTIONS["lr"].to_text(0.1 + 0.2) == repr(0.1 + 0.2)  # exact: a link never nudges a value


def test_hidden_widths_parsed_once_and_bounded():
    assert parse_hidden("256, 128") == (256, 128) and parse_hidden("") == ()
    with pytest.raises(ValueError, match="parameters"):
        TrainConfig(hidden=(100_000,))
    with pytest.raises(ValueError, match="hidden layers"):
        parse_hidden(",".join(["4"] * (options.MAX_HIDDEN_LAYERS + 1)))
    widest = (MAX_PARAMETERS - 10) // (784 + 1 + 10)
    assert TrainConfig(hidden=(widest,)).hidden == (widest,)


def test_the_command_line_offers_exactly_the_tables_choices():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    flags = {a.dest: a for a in train._actions}
    for name, option in OPTIONS.items():
        assert flags[name].option_strings[0] == option.flag
        if option.kind == "choice":
            assert list(flags[name].choices) == list(option.choices)


def test_adding_an_activation_is_one_registry_entry(monkeypatch, capsys):
    # "softplus" in the registry: the config, the model and the CLI take it with nothing else changed.
    def softplus(z):
        return np.logaddexp(0, z, out=z)

    def softplus_backward(delta, a):
        delta *= -np.expm1(-a)  # f'(z) = sigmoid(z) = 1 - e^{-a} for a = softplus(z)
        return delta

    monkeypatch.setitem(activations.ACTIVATIONS, "softplus",
                        activations.Activation(softplus, softplus_backward, r"\log(1 + e^z)", "softplus", "smooth ReLU"))
    assert TrainConfig(activation="softplus").activation == "softplus"
    assert init_mlp((784, 4, 10), "softplus").activation == "softplus"
    assert main(["train", "--activation", "softplus", "--hidden", "8", "--train-size", "200", "--epochs", "1",
                 "--quiet", "--json"]) == 0
    assert '"activation": "softplus"' in capsys.readouterr().out


def test_adding_an_optimizer_is_one_registry_entry(monkeypatch, capsys):
    from mnistcore import optimizers

    class SignSGD:
        label, help = "sign SGD", "steps of eta by the gradient's sign"
        formula, lr_in_gradient = r"w \leftarrow w - \eta\,\mathrm{sign}(g)", False

        def __init__(self, params):
            self.params = params

        @classmethod
        def build(cls, params, momentum=0.9, nesterov=False):
            return cls(params)

        def step(self, grads, lr):
            for w, g in zip(self.params, grads):
                w -= lr * np.sign(g)

    monkeypatch.setitem(optimizers.OPTIMIZERS, "sign_sgd", SignSGD)
    assert OPTIONS["optimizer"].choice_label("sign_sgd") == "sign SGD"
    assert main(["train", "--optimizer", "sign_sgd", "--lr", "0.001", "--hidden", "8", "--train-size", "300",
                 "--epochs", "1", "--quiet", "--json"]) == 0
    assert '"optimizer": "sign_sgd"' in capsys.readouterr().out


def test_schedule_labels_are_plain_words_not_the_keys():
    labels = {k: OPTIONS["schedule"].choice_label(k) for k in OPTIONS["schedule"].choices}
    assert all(label != k and label[0].isupper() for k, label in labels.items()), labels
