"""The command line: ``python -m mnistcore train | evaluate | info | predict``.

Progress goes to stderr, results to stdout; with ``--json`` the last stdout
line is one JSON object, for scripts. Bad arguments exit with status 2 and one
sentence saying what is wrong; bad data files exit with status 1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import data
from .checkpoint import load_model, save_model
from .config import PRESETS, TrainConfig
from .options import OPTIONS, Option, parse_hidden
from .metrics import confusion_matrix, per_class_accuracy, score
from .train import Trainer


class UsageError(Exception):
    """A command-line argument that is not right (exit status 2)."""


def _hidden(text: str) -> tuple[int, ...]:
    """'256,128' -> (256, 128); '' -> () (no hidden layer: softmax regression)."""
    try:
        return parse_hidden(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--hidden takes widths separated by commas, like 256,128: {e}") from None


def _add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """The flag of one row of the options table, with its choices, type and help (and range)."""
    kwargs: dict = {"help": f"{option.help} ({option.range_text})", "dest": option.name}
    if option.kind == "choice":
        kwargs.update(choices=list(option.choices), help=option.help)
    elif option.kind == "bool":
        kwargs.update(action=argparse.BooleanOptionalAction, default=None, help=option.help)
    else:
        kwargs["type"] = {"float": float, "int": int, "widths": _hidden}[option.kind]
    if option.metavar:
        kwargs["metavar"] = option.metavar
    parser.add_argument(option.flag, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnistcore",
                                     description="Train, evaluate and use small MLPs on MNIST, in NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network and print its scores")
    t.add_argument("--preset", choices=sorted(PRESETS), default="seed",
                   help="start from a named config; the flags below override it (default: seed)")
    for option in OPTIONS.values():  # --hidden, --activation, ...: one flag per TrainConfig field
        _add_option(t, option)
    _dataset_arguments(t)
    t.add_argument("--save", metavar="PATH", help="write the trained model to this .npz file")
    t.add_argument("--json", action="store_true", help="print the result as one JSON line")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("evaluate", help="score a saved model on the test set")
    e.add_argument("model", metavar="MODEL.npz")
    _dataset_arguments(e, default=None)
    e.add_argument("--json", action="store_true")

    i = sub.add_parser("info", help="list the datasets found, their sizes and class counts")
    i.add_argument("--data-dir", help="a folder holding Fashion-MNIST's four .gz files")
    i.add_argument("--json", action="store_true")

    p = sub.add_parser("predict", help="read the digit in an image file")
    p.add_argument("image", metavar="IMAGE.png")
    p.add_argument("--model", metavar="MODEL.npz", help="default: the model shipped with mnistcore")
    p.add_argument("--json", action="store_true")
    return parser


def _dataset_arguments(p: argparse.ArgumentParser, default: str | None = "mnist") -> None:
    p.add_argument("--dataset", choices=("mnist", "fashion"), default=default)
    p.add_argument("--data-dir", help="a folder holding the dataset's four .gz files")
    p.add_argument("--download", action="store_true", help="download Fashion-MNIST if it is not found")


CONFIG_FLAGS = tuple(OPTIONS)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset, with every flag that was given laid over it."""
    changes = {k: getattr(args, k) for k in CONFIG_FLAGS if getattr(args, k) is not None}
    try:
        return PRESETS[args.preset].replace(**changes)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _load_dataset(args: argparse.Namespace, name: str) -> "data.Dataset":
    progress = None
    if args.download:
        from tqdm import tqdm
        bar = tqdm(unit="B", unit_scale=True, desc=f"downloading {name}", file=sys.stderr)

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)
    return data.load(name, data_dir=args.data_dir, download=args.download, progress=progress)


def check_save_target(path: str) -> Path:
    """``--save``'s path, once it is known that a model can be written there: checked before
    training (a long run must not end in "cannot write"), and again just before writing.

    Refused (UsageError): an existing path that is not a regular file (a folder, a device such as
    /dev/null, a pipe: never replaced), and a folder where no file can be created (read-only,
    no rights, a read-only file system). Probed by creating and removing a temporary file there.
    """
    target = Path(path)
    if not path or path.endswith(("/", os.sep)) or (target.exists() and not target.is_file()):
        raise UsageError(f"--save {path}: not a regular file (a folder, a device or a pipe); "
                         "give a file name such as model.npz")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:  # save_model creates missing folders
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"--save {path}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mnistcore-save-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"--save {path}: cannot write in {folder} ({e.strerror or e})") from None
    return target


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.save is not None:
        check_save_target(args.save)
    dataset = _load_dataset(args, args.dataset)
    trainer = Trainer(config, dataset, score_steps=False)
    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=config.epochs, unit="epoch", file=sys.stderr,
                   bar_format="{l_bar}{bar}| {n:.2f}/{total} epochs [{elapsed}<{remaining}{postfix}]")
    last = None
    try:
        for event in trainer.run():
            last = event
            if bar is not None:
                bar.update(event.epoch_fraction - bar.n)
                postfix = {"loss": f"{event.train_loss:.4f}"}
                if event.test_accuracy is not None:
                    postfix["test"] = f"{event.test_accuracy:.4f}"
                bar.set_postfix(postfix, refresh=False)
    except KeyboardInterrupt:
        print("interrupted: training stopped", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    diverged = trainer.status == "diverged"
    if diverged:
        print(f"diverged: {last.message}" + (" (the model was not saved)" if args.save else ""), file=sys.stderr)
    x_fit, y_fit = trainer.x[trainer.train_idx], trainer.y[trainer.train_idx]
    fit, test = score(trainer.model, x_fit, y_fit), score(trainer.model, trainer.x_test, trainer.y_test)
    train_loss, train_acc, test_loss, test_acc = fit.loss, fit.accuracy, test.loss, test.accuracy
    result = {
        "test_accuracy": _finite(test_acc), "train_accuracy": _finite(train_acc),
        "test_loss": _finite(test_loss), "train_loss": _finite(train_loss),
        "epochs": trainer.epoch, "train_seconds": round(trainer.train_seconds, 3),
        "samples_per_second": round(last.samples_per_second) if last else 0,
        "diverged": diverged, "status": trainer.status, "message": last.message if last else "",
        "dataset": dataset.name, "preset": args.preset, "config": config.to_dict(),
        "history": [{k: e.record()[k] for k in ("epoch", "train_loss", "train_accuracy", "test_loss",
                                                "test_accuracy", "val_loss", "val_accuracy", "lr")}
                    for e in trainer.history if e.kind == "epoch"],
    }
    code = 0
    if args.save and not diverged:
        try:
            check_save_target(args.save)  # the place may have changed during a long run
            save_model(trainer.model, args.save, config,
                       {"dataset": dataset.name, "class_names": list(dataset.class_names),
                        "test_accuracy": result["test_accuracy"]})
            result["saved"] = args.save
        except (UsageError, OSError) as e:  # the scores are still printed: nothing else is lost
            print(f"error: the model was not saved: {e}", file=sys.stderr)
            code = 1
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{dataset.name}: test accuracy {test_acc:.4f}, train accuracy {train_acc:.4f} after "
              f"{trainer.epoch} epoch{'s' * (trainer.epoch != 1)} in {trainer.train_seconds:.1f} s of training "
              f"({trainer.status})")
        if "saved" in result:
            print(f"saved to {args.save}")
    return code


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def cmd_evaluate(args: argparse.Namespace) -> int:
    model, meta = load_model(args.model)
    name = args.dataset or meta.get("dataset", "mnist")
    if name not in ("mnist", "fashion"):
        name = "mnist"
    dataset = _load_dataset(args, name)
    start = time.perf_counter()
    result = score(model, dataset.x_test, dataset.y_test)
    seconds = time.perf_counter() - start
    pred, acc = result.predicted, result.accuracy
    cm = confusion_matrix(dataset.y_test, pred, len(dataset.class_names))
    per_class = per_class_accuracy(cm)
    if args.json:
        print(json.dumps({"test_accuracy": acc, "dataset": name, "sizes": meta["sizes"],
                          "per_class_accuracy": [float(a) for a in per_class],
                          "confusion_matrix": cm.tolist(), "seconds": round(seconds, 4)}))
    else:
        print(f"{args.model}: {'-'.join(map(str, meta['sizes']))} {meta['activation']}, "
              f"test accuracy {acc:.4f} on {name} ({len(pred)} images, {seconds * 1000:.0f} ms)")
        for label, a in zip(dataset.class_names, per_class):
            print(f"  {label:>12}: {a:.4f}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    found = {}
    for name in ("mnist", "fashion"):
        try:
            ds = data.load(name, data_dir=args.data_dir)
        except data.DataError as e:
            found[name] = {"found": False, "message": str(e)}
            continue
        found[name] = {"found": True, "train": len(ds.y_train), "test": len(ds.y_test),
                       "classes": list(ds.class_names),
                       "train_counts": np.bincount(ds.y_train, minlength=10).tolist(),
                       "test_counts": np.bincount(ds.y_test, minlength=10).tolist()}
    if args.json:
        print(json.dumps(found))
        return 0
    for name, d in found.items():
        if not d["found"]:
            print(f"{name}: not found ({d['message']})")
            continue
        print(f"{name}: {d['train']} training and {d['test']} test images")
        for label, tr, te in zip(d["classes"], d["train_counts"], d["test_counts"]):
            print(f"  {label:>12}: {tr:6d} train {te:6d} test")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .predict import predict_command  # Pillow is only needed here
    return predict_command(args)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "info": cmd_info, "predict": cmd_predict}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as e:
        parser.error(str(e))  # prints usage and the message, exits with status 2
    except ValueError as e:  # DataError, ModelFileError, bad images: all say what is wrong
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: not enough memory for this run; try a smaller network, a smaller batch size "
              "(0 = full batch holds every image's activations at once) or a --train-size", file=sys.stderr)
        return 1
