"""Train a backbone with a margin head, evaluate it on the test split, and export it.

Defaults: the bundled MNIST-5k digits, 100 training images per class, the small CNN, an
ArcFace head and the "standard" augmentation policy. `--backbone` trains a
keras.applications network or a saved .keras model instead (docs/transfer.md), with
`--image-size` to resize the images and `--freeze-backbone-epochs` to train only the new
layers first. The output folder receives:

  saved_model/   SavedModel: images in -> probabilities, class_id, embedding
  model.keras    the Keras model (reload with keras.saving.load_model)
  summary.json   arguments, data, head, history, test accuracy, macro-F1, timings
"""

import json
import os
import time

from keras_margin.cli import argument_types
from keras_margin.cli._datasets import load_labelled_images
from keras_margin.cli._resize import resized
from keras_margin.cli.argument_types import integer_at_least
from keras_margin.cli.argument_types import positive_number
from keras_margin.cli.errors import usage_errors

DEFAULT_OUTPUT = "runs/train"

# Command-line flags that map onto head constructor arguments.
_HEAD_FLAGS = ("scale", "margin", "easy_margin", "m1", "m2", "m3", "use_bias",
               "lambda_base", "lambda_gamma", "lambda_power", "lambda_min")


def add_arguments(parser):
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="mnist-5k", help="mnist-5k, digits, fashion-mnist, or folder "
                      "(images in one sub-folder per class, from --data-dir) (default: %(default)s)")
    data.add_argument("--data-dir", help="folder with the dataset files (fashion-mnist), or the folder of "
                      "class sub-folders when --dataset folder")
    data.add_argument("--color-mode", choices=("rgb", "grayscale"), default="rgb",
                      help="--dataset folder: decode images as (default: %(default)s)")
    data.add_argument("--samples-per-class", type=integer_at_least(0), default=100,
                      help="training images per class (default: %(default)s); 0 means all")
    data.add_argument("--validation-split", type=float, default=0.1, help="(default: %(default)s)")
    data.add_argument("--augment", default="standard",
                      help="augmentation policy: none, light, standard, strong (default: %(default)s)")

    backbone = parser.add_argument_group("backbone (docs/transfer.md)")
    backbone.add_argument("--backbone", metavar="NAME|PATH", help="a keras.applications architecture "
                          "(resnet50v2, mobilenetv3small, efficientnetv2b0, ...) or a saved .keras model "
                          "(default: the small CNN)")
    backbone.add_argument("--backbone-weights", metavar="FILE", help="local weights file of the --backbone "
                          "architecture without its top (e.g. the keras.applications 'notop' .h5 file); "
                          "never downloaded (default: random initialisation)")
    backbone.add_argument("--image-size", nargs=2, type=integer_at_least(1), metavar=("H", "W"),
                          help="resize the images to H x W in the input pipeline (the applications "
                          "need at least 32 x 32) (default: the dataset's size)")
    backbone.add_argument("--freeze-backbone-epochs", type=integer_at_least(0), default=0, metavar="N",
                          help="train only the new embedding layers and the head for the first N of "
                          "--epochs, then the whole network; the --backbone network's batch "
                          "normalisation stays in inference mode throughout (default: %(default)s)")

    head = parser.add_argument_group("head")
    head.add_argument("--head", default="arcface", help="head name, e.g. arcface, cosface, sphereface, "
                      "lsoftmax, combinedmargin, normface, softmax (default: %(default)s)")
    head.add_argument("--scale", type=argument_types.scale_or_auto, help='scale s of cosine heads, or "auto" to choose it from the '
                      "number of classes (docs/heads/README.md)")
    head.add_argument("--margin", type=float, help="margin m (radians for arcface; integer for "
                      "sphereface and lsoftmax)")
    head.add_argument("--easy-margin", action="store_true", default=None, help="arcface's easy margin")
    head.add_argument("--m1", type=float, help="combinedmargin: multiplicative angular margin")
    head.add_argument("--m2", type=float, help="combinedmargin: additive angular margin")
    head.add_argument("--m3", type=float, help="combinedmargin: additive cosine margin")
    head.add_argument("--use-bias", action="store_true", default=None, help="softmax: add a bias")
    for name in ("lambda_base", "lambda_gamma", "lambda_power", "lambda_min"):
        head.add_argument("--" + name.replace("_", "-"), type=float, help="sphereface/lsoftmax annealing")
    head.add_argument("--sample-rate", type=float, help="class-centre sampling (Partial FC) for cosine-margin "
                      "heads: each training step computes logits for the batch's classes plus random ones, "
                      "this fraction of all classes, in (0, 1]; needs class-id labels (not --augment strong)")

    training = parser.add_argument_group("training")
    training.add_argument("--embedding-dim", type=integer_at_least(1), default=64, help="(default: %(default)s)")
    training.add_argument("--epochs", type=integer_at_least(1), default=15,
                          help="epochs; with --patience, the most epochs (default: %(default)s)")
    training.add_argument("--patience", type=integer_at_least(1), help="early stopping: stop after this "
                          "many epochs without a rise of validation accuracy and keep the best weights "
                          "(default: train all --epochs)")
    training.add_argument("--batch-size", type=integer_at_least(1), default=64, help="(default: %(default)s)")
    training.add_argument("--learning-rate", type=positive_number, default=2e-3,
                          help="initial Adam rate, cosine-decayed to 0 (default: %(default)s)")
    training.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    training.add_argument("--mixed-precision", action="store_true",
                          help="mixed_bfloat16 on CPU, mixed_float16 on GPU; heads stay float32")
    training.add_argument("--output", default=DEFAULT_OUTPUT, help="output folder (default: %(default)s)")
    training.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                          help="Keras progress: 0 silent, 1 bar, 2 a line per epoch (default: 1)")


def run(args, usage_error):
    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras

    import keras_margin as km
    from keras_margin.utils.files import check_writable_folder
    from keras_margin.utils.atomic_write import write_atomically

    # ---- everything a user can get wrong is checked before training starts
    with usage_errors():
        check_writable_folder(args.output, "--output")
        if args.patience is not None and args.validation_split == 0:
            raise ValueError("--patience needs validation data; --validation-split is 0")
        head_class = km.heads.get(args.head)
        head_kwargs = _head_kwargs(args, head_class)
        head_kwargs.update(_sampling_kwargs(args, head_class, km))
        policy_name = args.augment
        if policy_name not in km.augment.image.POLICIES:
            raise ValueError(
                f"unknown --augment {policy_name!r}; choose one of: {', '.join(km.augment.image.POLICIES)}"
            )
        if not 0.0 <= args.validation_split < 1.0:
            raise ValueError(f"--validation-split must be in [0, 1); received {args.validation_split}")
        if args.data_dir is not None and not os.path.isdir(args.data_dir):
            raise ValueError(f"--data-dir {args.data_dir!r} is not a folder")
        _check_backbone_flags(args)
        if args.mixed_precision:
            on_gpu = bool(tf.config.list_physical_devices("GPU"))
            keras.config.set_dtype_policy("mixed_float16" if on_gpu else "mixed_bfloat16")
        keras.utils.set_random_seed(args.seed)
        train, validation, test, info = _load_data(km, args)
        input_shape = tuple(info.input_shape)
        if args.image_size is not None:
            input_shape = (*args.image_size, input_shape[-1])
            if args.dataset != "folder":  # from_directory resized them while decoding
                train, validation, test = (resized(data, args.image_size)
                                           for data in (train, validation, test))
        backbone = None
        if args.backbone is not None:
            try:
                backbone = km.models.backbone(args.backbone, input_shape, args.embedding_dim,
                                              weights=args.backbone_weights)
            except ValueError as error:
                raise ValueError(f"--backbone {args.backbone}: {error}") from None
        augment = km.augment.image.policy(policy_name, num_classes=info.num_classes, seed=args.seed)
        if args.sample_rate is not None and augment.soft_labels:
            raise ValueError(
                f"--sample-rate needs class-id labels, and --augment {policy_name} mixes images into soft "
                "labels (MixUp/CutMix) that can give mass to every class; use another --augment policy"
            )
        if policy_name != "none":
            # No seed: as always, each layer draws from its own state (seeded by --seed).
            train = augment.apply(train).prefetch(tf.data.AUTOTUNE)
        head = km.heads.create(args.head, info.num_classes, info.train_class_counts, **head_kwargs)

    print(f"{info.name}: {info.num_train} training, {info.num_validation} validation, "
          f"{info.num_test} test images of {'x'.join(map(str, input_shape))}; "
          f"{backbone.name if backbone is not None else 'small_cnn'} backbone; {type(head).__name__} head; "
          f"augment={policy_name}")
    started = time.perf_counter()
    fit_arguments = dict(learning_rate=args.learning_rate, verbose=args.verbose, patience=args.patience)
    if backbone is None:
        model, history = km.models.fit_small_cnn(
            train, validation, head, input_shape, embedding_dim=args.embedding_dim, epochs=args.epochs,
            **fit_arguments)
    else:
        model, history = _fit_backbone(km, backbone, head, train, validation, args, fit_arguments)
    train_seconds = time.perf_counter() - started
    # Calibrated probabilities in the export: temperature scaling on the validation split.
    temperature = model.calibrate_temperature(validation) if validation is not None else 1.0
    parameters = model.count_params()

    accuracy, macro_f1 = _evaluate(model, test)
    os.makedirs(args.output, exist_ok=True)
    export_dir = os.path.join(args.output, "saved_model")
    model.export(export_dir, verbose=False)
    model.save(os.path.join(args.output, "model.keras"))
    summary = {
        "command": "train",
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "dataset": {"name": info.name, "source": info.source, "num_classes": info.num_classes,
                    "num_train": info.num_train, "num_validation": info.num_validation,
                    "num_test": info.num_test, "train_class_counts": list(info.train_class_counts)},
        "head": {"class": type(head).__name__, "config": _jsonable(head.get_config())},
        "augment": policy_name,
        "backbone": {"name": args.backbone or "small_cnn", "weights": args.backbone_weights,
                     "input_shape": list(input_shape), "freeze_backbone_epochs": args.freeze_backbone_epochs},
        "parameters": parameters,
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
        "training_steps": history.training_steps,
        "temperature": temperature,
        "test_accuracy": accuracy,
        "test_macro_f1": macro_f1,
        "train_seconds": round(train_seconds, 2),
        "saved_model": export_dir,
        "versions": {"keras_margin": km.__version__, "keras": keras.__version__, "tensorflow": tf.__version__},
    }
    write_atomically(os.path.join(args.output, "summary.json"), json.dumps(summary, indent=2))
    print(f"test accuracy {accuracy:.4f}  macro-F1 {macro_f1:.4f}  parameters {parameters:,}  "
          f"training {train_seconds:.0f} s")
    print(f"SavedModel: {export_dir}\nsummary: {os.path.join(args.output, 'summary.json')}")
    return 0


def _load_data(km, args):
    image_size = tuple(args.image_size) if args.image_size is not None else None
    return load_labelled_images(
        km, args, image_size=image_size, samples_per_class=args.samples_per_class or None,
        validation_split=args.validation_split, seed=args.seed, batch_size=args.batch_size)


def _check_backbone_flags(args):
    """The backbone flags that need one another, checked before any data is loaded."""
    if args.backbone is None:
        if args.backbone_weights is not None:
            raise ValueError("--backbone-weights needs --backbone NAME (the architecture the weights are for)")
        if args.freeze_backbone_epochs:
            raise ValueError("--freeze-backbone-epochs needs --backbone NAME|PATH (the small CNN has no "
                             "pre-trained network to freeze)")
    if args.freeze_backbone_epochs > args.epochs:
        raise ValueError(f"--freeze-backbone-epochs {args.freeze_backbone_epochs} is more than --epochs "
                         f"{args.epochs}")
    if args.backbone_weights is not None and not os.path.isfile(args.backbone_weights):
        raise ValueError(f"--backbone-weights {args.backbone_weights!r} is not a file")


def _fit_backbone(km, backbone, head, train, validation, args, fit_arguments):
    """Trains `backbone` + `head`: with --freeze-backbone-epochs N, in two `fit` phases.

    Phase one trains with the wrapped network frozen (only the embedding layers and the
    head learn), phase two the whole network. Keras fixes the trainable variables when
    a model is compiled, so unfreezing needs a new compile; `fit_margin_model` compiles
    a fresh `MarginModel` around the same backbone and head layers, which keep the
    weights of phase one. The network's batch normalisation stays frozen (inference
    mode, its pre-trained statistics) in phase two, as the Keras fine-tuning guide
    advises: small batches of a new dataset would otherwise overwrite the statistics
    its weights were trained with.
    """
    import keras

    from keras_margin.models.backbone import BASE_LAYER

    frozen_epochs = args.freeze_backbone_epochs
    if not frozen_epochs:
        return km.models.fit_margin_model(backbone, head, train, validation, epochs=args.epochs, **fit_arguments)
    base = backbone.get_layer(BASE_LAYER)
    base.trainable = False
    model, first = km.models.fit_margin_model(backbone, head, train, validation, epochs=frozen_epochs,
                                              **fit_arguments)
    if frozen_epochs == args.epochs:
        return model, first
    base.trainable = True
    for layer in _layers(base):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model, second = km.models.fit_margin_model(backbone, head, train, validation,
                                               epochs=args.epochs - frozen_epochs, **fit_arguments)
    return model, _joined(first, second)


def _layers(model):
    """Every layer inside `model`, nested models' layers included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def _joined(first, second):
    """The two phases' histories as one: epochs in order, training steps added up."""
    second.history = {key: list(first.history.get(key, [])) + list(values)
                      for key, values in second.history.items()}
    one, two = first.training_steps, second.training_steps
    best = two["best_step"]
    second.training_steps = {
        "max_steps": one["max_steps"] + two["max_steps"],
        "steps_used": one["steps_used"] + two["steps_used"],
        "best_step": None if best is None else one["steps_used"] + best,
        "stopped_early": two["stopped_early"],
    }
    return second


def _head_kwargs(args, head_class):
    import inspect

    accepted = inspect.signature(head_class.__init__).parameters
    kwargs = {}
    for name in _HEAD_FLAGS:
        value = getattr(args, name)
        if value is None:
            continue
        if name not in accepted:
            raise ValueError(f"--{name.replace('_', '-')} does not apply to the {args.head} head")
        kwargs[name] = value
    return kwargs


def _sampling_kwargs(args, head_class, km):
    """`sample_rate` and its seed for a cosine-margin head, from --sample-rate."""
    if args.sample_rate is None:
        return {}
    if not issubclass(head_class, km.heads.CosineMarginHead):
        raise ValueError(
            f"--sample-rate does not apply to the {args.head} head: class-centre sampling needs a "
            "cosine-margin head (normface, cosface, arcface, combinedmargin, subcenterarcface, adaface, "
            "magface, curricularface, elasticface, ldam)"
        )
    if not 0.0 < args.sample_rate <= 1.0:
        raise ValueError(f"--sample-rate must be in (0, 1]; received {args.sample_rate}")
    return {"sample_rate": args.sample_rate, "seed": args.seed}


def _evaluate(model, test):
    """Test accuracy and macro F1, by the same definitions as the studies' reports."""
    import numpy as np

    from keras_margin.metrics import macro_precision_recall_f1

    labels = np.concatenate([np.asarray(y) for _, y in test])
    probabilities = model.predict(test, verbose=0)
    predictions = np.argmax(probabilities, axis=-1)
    accuracy = float(np.mean(predictions == labels))
    return accuracy, float(macro_precision_recall_f1(labels, predictions, probabilities.shape[-1]).f1)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))
