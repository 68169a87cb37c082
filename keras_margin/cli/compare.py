"""Run a grid of training runs (heads x augmentation x training-set size x seeds) and
write a report that compares them.

Each finished run is appended to OUTPUT/results.jsonl atomically; running the same
command again resumes (finished runs are skipped, an interrupted run is redone). The
report (report.md, self-contained report.html, results.csv, figures/) is rewritten
from results.jsonl at the end, or alone with --report-only.

Presets (exact grids in docs/compare.md):
  quick    softmax, cosface, arcface x none, standard x 10, 50 per class x 1 seed,
           10 epochs, plus open-set and 2-D embedding runs: about 4 minutes on 2 cores
  default  softmax, normface, cosface, arcface, sphereface x none, standard
           x 10, 30, 100 per class x 3 seeds, 12 epochs, plus open-set and 2-D
           embedding runs: about 25 minutes on 2 cores
  robustness  (the default preset of --studies robustness) softmax, cosface, arcface,
           softmax+arcface x none, standard x no adversarial training, PGD-AT at
           epsilon 32 x mnist-5k, fashion-mnist at 100 per class x 3 seeds, each run
           measured under 15 corruptions x 5 severities and L-infinity PGD at
           epsilon 4, 8, 16, 32, 64 (0-255 pixels) on 1,000 test images
Options given on the command line replace the preset's values. With --tuned TUNE_DIR,
each head runs with the scale, margins, learning rate and augmentation that
`keras-margin tune --output TUNE_DIR` found for it (docs/tune.md).

With --task text: the EDA paper's limited-data setting (Wei & Zou 2019) on the Debian
fortunes topics and food reviews, N = 500 and 2,000 training texts, text_cnn, with and
without EDA at the paper's recommended parameters for each N:
  quick    fortunes, N = 500, softmax, cosface, arcface x none, eda, seed 0
  default  fortunes, food-reviews x N = 500, 2000 x softmax, cosface, arcface
           x none, eda x seeds 0, 1, 2

With --task audio: 1.0 s clips rendered by Debian tools (instrument notes from the
fluid-soundfont-gm samples by fluidsynth; digits spoken by espeak-ng's synthetic
voice), the audio_cnn log-mel backbone, without and with the "standard" audio policy
(waveform layers in tf.data, SpecAugment in the model), plus open-set verification on
unseen instruments:
  quick    instruments x 10, 50 per class x softmax, cosface, arcface x none, standard
           x seed 0, plus instruments-open (20 notes per seen instrument), 150 steps
  default  instruments, spoken-digits x 10, 50 per class x softmax, cosface, arcface
           x none, standard x seeds 0, 1, plus instruments-open, 200 steps
"""

import dataclasses
import os
import shlex
import sys

from keras_margin.cli.errors import usage_errors


def add_arguments(parser):
    parser.add_argument("--preset", help="quick, default or robustness (default: robustness for "
                        "--studies robustness alone, else default)")
    parser.add_argument("--task", choices=("image", "text", "audio"), default="image",
                        help="modality of the study (default: %(default)s); text: the EDA paper's "
                        "setting with --dataset fortunes,food-reviews and --num-train 500,2000; "
                        "audio: --dataset instruments,spoken-digits and --open-set instruments-open")
    parser.add_argument("--num-train", help="--task text: comma-separated training-set sizes "
                        "(texts), e.g. 500,2000")
    parser.add_argument("--dataset", help="closed-set dataset, e.g. mnist-5k, digits, fashion-mnist, "
                        "glyphs (default: the preset's, mnist-5k)")
    parser.add_argument("--open-set", help="comma-separated open-set datasets, e.g. mnist-5k-open, "
                        "fashion-mnist-open, glyphs; 'none' switches the study off")
    parser.add_argument("--studies", help="comma-separated studies to run: closed-set, open-set, "
                        "embedding-picture, long-tailed, label-noise, convergence, robustness; "
                        "ssl, transfer (the closed-set grid from scratch and pre-trained by SimCLR "
                        "or on the other of mnist-5k and glyphs), pair-losses (the closed-set and "
                        "open-set grids with the triplet loss added to the heads) "
                        "(default: the preset's)")
    parser.add_argument("--adversarial", help="robustness study: comma-separated adversarial "
                        "training settings, 'none' or method:epsilon=E[:steps=N:step_size=S:loss=L], "
                        "method pgd or fgsm-rs, epsilon in 0-255 pixels, e.g. none,pgd:epsilon=32,"
                        "fgsm-rs:epsilon=32 (default: none,pgd:epsilon=32)")
    parser.add_argument("--corruptions", help="robustness study: comma-separated corruption names "
                        "of keras_margin.robustness (default: all 15)")
    parser.add_argument("--attack-epsilons", help="robustness study: comma-separated L-infinity "
                        "PGD radii in 0-255 pixels (default: 4,8,16,32,64)")
    parser.add_argument("--robustness-test-size", type=int, help="robustness study: test images "
                        "measured under corruption and attack (default: 1000)")
    parser.add_argument("--open-set-samples-per-class",
                        help="training images per seen identity in the open-set study, or 'all' "
                        "(default: 100)")
    parser.add_argument("--heads", help="comma-separated head specs: a head name (or a loss on "
                        "embeddings: triplet, contrastive, multisimilarity, supcon), optionally with "
                        "numeric options of the head as name:option=value[:option=value...], "
                        "e.g. softmax,arcface,arcface:scale=16,cosface:scale=16:margin=0.2; a head "
                        "with options is its own head in the report, e.g. 'arcface (scale=16)'")
    parser.add_argument("--augment", help="comma-separated augmentation policies, e.g. none,standard")
    parser.add_argument("--samples-per-class", help="comma-separated training sizes, e.g. 10,100")
    parser.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--steps", type=int, help="optimizer steps of every run (the same for every "
                        "training-set size)")
    parser.add_argument("--patience", type=int, help="early stopping, the same rule for every head: "
                        "stop after this many validations without a rise of validation accuracy "
                        "and keep the best weights; --steps is then the most steps (default: none, "
                        "every run trains all --steps)")
    parser.add_argument("--validation-every", type=int, help="steps between validations (default: "
                        "a tenth of --steps)")
    parser.add_argument("--pretraining", help="comma-separated ways the backbone of a closed-set "
                        "image run starts, each a grid axis: none (from scratch), simclr (SimCLR on "
                        "the training pool's unlabelled images), transfer:DATASET (softmax on all of "
                        "another image dataset, e.g. transfer:glyphs); other studies run once, from "
                        "scratch (default: none)")
    parser.add_argument("--pretraining-steps", type=int, help="optimizer steps of the pre-training "
                        "(default: --steps)")
    parser.add_argument("--pictures", help="comma-separated heads for the 2-D embedding picture; "
                        "'none' switches it off")
    parser.add_argument("--tuned", metavar="TUNE_DIR",
                        help="run each head with its best settings from keras-margin tune's output "
                        "folder (head options, learning rate, augmentation); the heads default to "
                        "the tuned ones and --augment does not apply")
    parser.add_argument("--output", help="output folder (default: runs/compare-PRESET)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from OUTPUT/results.jsonl without training")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=0,
                        help="Keras progress inside each run (default: 0, silent)")


def run(args, usage_error):
    from keras_margin import studies
    from keras_margin.utils.files import check_writable_folder

    if args.preset is None:
        only_robustness = args.task == "image" and args.studies is not None and \
            [name.strip() for name in args.studies.split(",") if name.strip()] == ["robustness"]
        args.preset = "robustness" if only_robustness else "default"
    task = "" if args.task == "image" else f"{args.task}-"
    output = args.output or os.path.join("runs", f"compare-{task}{args.preset}")
    results = studies.ResultsFile(os.path.join(output, studies.RESULTS_FILE_NAME))
    with usage_errors():
        best = _tuned(args)
        if args.task == "text":
            preset = _text_preset(args, studies.TEXT_PRESETS)
        elif args.task == "audio":
            preset = _audio_preset(args, studies.AUDIO_PRESETS)
        else:
            preset = _preset(args, studies.PRESETS)
        specs = preset.specs()
        if best is not None:
            from keras_margin.studies import tuning

            specs = tuning.apply_best(specs, best)
        specs = _with_pretraining(_with_early_stopping(specs, args), args)
        if not args.report_only:
            _check_names(specs)
        check_writable_folder(output, "--output")
        # A results file that does not parse stops the command here, not after training.
        finished_rows = results.rows()
    if args.report_only:
        if not finished_rows:
            raise usage_error(f"--report-only: no results in {results.path}")
    else:
        if best is not None:
            tuned = best["settings"]
            print(f"tuned settings from {args.tuned} ({tuned['study']} {tuned['dataset']}, "
                  f"{tuned['trials']} trials per head, {best['objective']})")
        print(f"{len(specs)} runs in the grid; results in {results.path}")
        _check_data(specs)
        studies.run_study(specs, output, verbose=args.verbose)
    # The command that trained the runs; a --report-only command did not.
    command = None
    if sys.argv[1:2] == ["compare"] and not args.report_only:
        command = "keras-margin compare " + " ".join(shlex.quote(arg) for arg in sys.argv[2:])
    paths = studies.write_report(results.rows(), output, command=command)
    print(f"report: {paths['html']}\n        {paths['markdown']}\nresults: {paths['csv']}")
    return 0


def _tuned(args):
    """The best settings of --tuned (None without it); the tuned heads become the default
    --heads."""
    if args.tuned is None:
        return None
    if args.augment is not None:
        raise ValueError("--augment does not apply with --tuned: each head runs with its tuned "
                         "augmentation")
    from keras_margin.studies import tuning

    best = tuning.load_best(args.tuned)
    if args.heads is None:
        args.heads = ",".join(best["heads"])
    return best


def _shared_overrides(args, presets):
    """The preset's values that every task's grid has, replaced from the command line."""
    if args.preset not in presets:
        raise ValueError(f"unknown --preset {args.preset!r}; choose one of: {', '.join(presets)}")
    overrides = {}
    for flag, field in (("heads", "heads"), ("augment", "augments")):
        if getattr(args, flag) is not None:
            overrides[field] = _names(getattr(args, flag), flag)
    from keras_margin.studies.head_spec import parse_head_spec

    for head in overrides.get("heads", ()):
        try:
            parse_head_spec(head)
        except ValueError as error:
            raise ValueError(f"--heads: {error}") from None
    if args.seeds is not None:
        overrides["seeds"] = _integers(args.seeds, "seeds", 0)
    if args.steps is not None:
        if args.steps < 1:
            raise ValueError(f"--steps must be >= 1; received {args.steps}")
        overrides["steps"] = args.steps
    return overrides


def _with_early_stopping(specs, args):
    """`specs` with --patience and --validation-every (RunSpec checks their values)."""
    fields = {name: getattr(args, name) for name in ("patience", "validation_every")
              if getattr(args, name) is not None}
    if "validation_every" in fields and "patience" not in fields:
        raise ValueError("--validation-every needs --patience")
    return [dataclasses.replace(spec, **fields) for spec in specs] if fields else specs


def _with_pretraining(specs, args):
    """Each closed-set spec once per --pretraining; the other studies' specs once, from
    scratch (pre-training applies to closed-set image runs)."""
    if args.pretraining_steps is not None and args.pretraining_steps < 1:
        raise ValueError(f"--pretraining-steps must be >= 1; received {args.pretraining_steps}")
    if args.pretraining is None:
        if args.pretraining_steps is None:
            return specs
        if all(spec.pretraining == "none" for spec in specs):
            raise ValueError("--pretraining-steps needs --pretraining or --studies ssl or transfer")
        return [spec if spec.pretraining == "none" else
                dataclasses.replace(spec, pretraining_steps=args.pretraining_steps) for spec in specs]
    if args.task != "image":
        raise ValueError("--pretraining applies to --task image")
    from keras_margin.studies.run_spec import check_pretraining

    choices = _names(args.pretraining, "pretraining")
    for choice in choices:
        try:
            check_pretraining(choice)
        except ValueError as error:
            raise ValueError(f"--pretraining: {error}") from None
    return [dataclasses.replace(spec, pretraining=choice,
                                pretraining_steps=None if choice == "none" else args.pretraining_steps)
            for spec in specs
            for choice in (choices if spec.study == "closed-set" else ("none",))]


def _preset(args, presets):
    from keras_margin import studies

    if args.num_train is not None:
        raise ValueError("--num-train applies only to --task text; use --samples-per-class")
    overrides = _shared_overrides(args, presets)
    if args.dataset:
        overrides["closed_set_dataset"] = args.dataset
        overrides["robustness_datasets"] = _names(args.dataset, "dataset")
    overrides.update(_robustness_overrides(args))
    # Studies that a preset may leave out: "none" switches them off ("none" is also an
    # augmentation policy, so --augment takes it literally).
    for flag, field in (("open_set", "open_set_datasets"), ("pictures", "picture_heads")):
        value = getattr(args, flag)
        if value is not None:
            overrides[field] = () if value.strip() == "none" else _names(value, flag)
    if args.studies is not None:
        overrides["studies"] = _names(args.studies, "studies")
        unknown = sorted(set(overrides["studies"]) - set(studies.GRID_STUDIES))
        if unknown:
            raise ValueError(f"unknown --studies {', '.join(unknown)}; choose from: "
                             f"{', '.join(studies.GRID_STUDIES)}")
    overrides.update(_size_overrides(args))
    return dataclasses.replace(presets[args.preset], **overrides)


def _robustness_overrides(args):
    """--adversarial, --corruptions, --attack-epsilons and --robustness-test-size, checked;
    adversarial specs in their canonical form, so that equal settings share a key."""
    overrides = {}
    if args.adversarial is not None:
        from keras_margin.robustness import adversarial_training

        specs = []
        for text in _names(args.adversarial, "adversarial"):
            try:
                setting = adversarial_training.get(text)
            except ValueError as error:
                raise ValueError(f"--adversarial: {error}") from None
            specs.append("none" if setting is None else setting.spec)
        overrides["adversarial"] = tuple(specs)
    if args.corruptions is not None:
        from keras_margin.robustness import CORRUPTIONS

        names = _names(args.corruptions, "corruptions")
        unknown = sorted(set(names) - set(CORRUPTIONS))
        if unknown:
            raise ValueError(f"unknown --corruptions {', '.join(unknown)}; choose from: "
                             f"{', '.join(CORRUPTIONS)}")
        overrides["corruptions"] = names
    if args.attack_epsilons is not None:
        try:
            epsilons = tuple(float(value) for value in args.attack_epsilons.split(","))
        except ValueError:
            raise ValueError("--attack-epsilons must be comma-separated numbers; received "
                             f"{args.attack_epsilons!r}") from None
        if any(epsilon < 0 for epsilon in epsilons):
            raise ValueError(f"--attack-epsilons must be >= 0; received {args.attack_epsilons!r}")
        overrides["attack_epsilons"] = epsilons
    if args.robustness_test_size is not None:
        if args.robustness_test_size < 1:
            raise ValueError(f"--robustness-test-size must be >= 1; received {args.robustness_test_size}")
        overrides["robustness_test_size"] = args.robustness_test_size
    return overrides


def _size_overrides(args):
    """--samples-per-class and --open-set-samples-per-class, for the image and audio tasks."""
    overrides = {}
    if args.open_set_samples_per_class is not None:
        value = args.open_set_samples_per_class
        overrides["open_set_samples_per_class"] = (
            None if value == "all" else _integers(value, "open-set-samples-per-class", 1)[0])
    if args.samples_per_class is not None:
        overrides["samples_per_class"] = _integers(args.samples_per_class, "samples-per-class", 1)
    return overrides


_ROBUSTNESS_FLAGS = ("adversarial", "corruptions", "attack_epsilons", "robustness_test_size")


def _text_preset(args, presets):
    for flag in ("open_set", "pictures", "studies", "samples_per_class", "open_set_samples_per_class",
                 *_ROBUSTNESS_FLAGS):
        if getattr(args, flag) is not None:
            raise ValueError(f"--{flag.replace('_', '-')} does not apply to --task text")
    overrides = _shared_overrides(args, presets)
    if args.dataset:
        overrides["datasets"] = _names(args.dataset, "dataset")
    if args.num_train is not None:
        overrides["num_train"] = _integers(args.num_train, "num-train", 1)
    return dataclasses.replace(presets[args.preset], **overrides)


def _audio_preset(args, presets):
    for flag, instead in (("num_train", "--samples-per-class"), ("pictures", None),
                          *((flag, None) for flag in _ROBUSTNESS_FLAGS)):
        if getattr(args, flag) is not None:
            hint = f"; use {instead}" if instead else ""
            raise ValueError(f"--{flag.replace('_', '-')} does not apply to --task audio{hint}")
    overrides = _shared_overrides(args, presets)
    if args.dataset:
        overrides["datasets"] = _names(args.dataset, "dataset")
    if args.open_set is not None:
        overrides["open_set_datasets"] = (
            () if args.open_set.strip() == "none" else _names(args.open_set, "open_set"))
    if args.studies is not None:
        overrides["studies"] = _names(args.studies, "studies")
        unknown = sorted(set(overrides["studies"]) - {"closed-set", "open-set"})
        if unknown:
            raise ValueError(f"unknown --studies {', '.join(unknown)} for --task audio; choose "
                             "from: closed-set, open-set")
    overrides.update(_size_overrides(args))
    return dataclasses.replace(presets[args.preset], **overrides)


def _check_names(specs):
    import keras_margin as km

    checked = set()
    for spec in specs:
        if (spec.head, spec.head_options) not in checked:
            _check_head(km, spec.head, spec.head_options)
            checked.add((spec.head, spec.head_options))
        if spec.study == "text":
            if spec.augment not in km.augment.text.POLICIES:
                raise ValueError(f"unknown text augmentation {spec.augment!r}; choose from: "
                                 f"{', '.join(km.augment.text.POLICIES)}")
        elif km.data.is_audio_dataset(spec.dataset):
            if spec.augment not in km.augment.audio.POLICIES:
                raise ValueError(f"unknown audio augmentation policy {spec.augment!r}; choose from: "
                                 f"{', '.join(km.augment.audio.POLICIES)}")
        elif spec.augment not in km.augment.image.POLICIES:
            raise ValueError(f"unknown augmentation policy {spec.augment!r}; choose from: "
                             f"{', '.join(km.augment.image.POLICIES)}")


def _check_head(km, head, options):
    """Builds the head with its options for 10 classes, so that a wrong option name or
    value stops the command before any training, naming the option. A joint head
    (`softmax+arcface`) checks each of its heads."""
    from keras_margin.studies.run_spec import head_names
    from keras_margin.studies.runner import joint_head_options

    from keras_margin.studies import pair_losses

    names = head_names(head)
    if len(names) > 1:
        for name in names:
            _check_head(km, name, tuple(joint_head_options(km, name, options).items()))
        return
    if pair_losses.is_pair_loss(head):
        try:
            pair_losses.create(km, head, **dict(options))
        except (TypeError, ValueError) as error:
            text = ", ".join(f"{name}={value:g}" for name, value in options)
            raise ValueError(f"--heads: options {text} of the {head} loss are refused "
                             f"({error})") from None
        return
    try:
        head_class = km.heads.get(head)
    except ValueError as error:
        raise ValueError(f"--heads: {error} Or a loss on embeddings: "
                         f"{', '.join(pair_losses.PAIR_LOSSES)}.") from None
    for name, value in options:
        try:
            km.heads.create(head, 10, [1] * 10, **{name: value})
        except (TypeError, ValueError) as error:
            raise ValueError(f"--heads: option {name}={value:g} of the {head} head is refused "
                             f"({head_class.__name__}: {error})") from None
    try:
        km.heads.create(head, 10, [1] * 10, **dict(options))
    except (TypeError, ValueError) as error:
        text = ", ".join(f"{name}={value:g}" for name, value in options)
        raise ValueError(f"--heads: options {text} of the {head} head are refused together "
                         f"({head_class.__name__}: {error})") from None


def _check_data(specs):
    """Loads each dataset once before any training, so a missing dataset stops the
    command at once instead of after hours of runs."""
    import keras_margin as km

    checked, infos = set(), {}
    for spec in specs:
        open_set = spec.study == "open-set"
        with usage_errors():
            if (open_set, spec.dataset) not in checked:
                checked.add((open_set, spec.dataset))
                if spec.study == "text":
                    km.data.load_text(spec.dataset, num_train=spec.num_train, seed=spec.seed)
                elif open_set:
                    km.data.load_open_set(spec.dataset, samples_per_class=spec.samples_per_class,
                                          seed=spec.seed)
                elif km.data.is_audio_dataset(spec.dataset):
                    km.data.load_audio(spec.dataset, samples_per_class=spec.samples_per_class,
                                       seed=spec.seed)
                else:
                    infos[spec.dataset] = km.data.load(
                        spec.dataset, samples_per_class=spec.samples_per_class, seed=spec.seed,
                        with_info=True)[3]
            if spec.pretraining != "none":
                _check_pretraining_data(km, spec, infos.get(spec.dataset), checked)


def _check_pretraining_data(km, spec, info, checked):
    """The pre-training's data of `spec`, so that a run cannot fail on it after others
    have trained: the unlabelled pool of a SimCLR run, the source of a transfer."""
    kind, _, source = spec.pretraining.partition(":")
    if info is None:
        raise ValueError(f"--pretraining applies to image datasets; {spec.dataset} is not one")
    if kind == "simclr" and ("simclr", spec.dataset, spec.samples_per_class) not in checked:
        checked.add(("simclr", spec.dataset, spec.samples_per_class))
        km.data.unlabelled_pool(spec.dataset, spec.samples_per_class, seed=spec.seed)
    if kind == "transfer" and ("transfer", source, spec.dataset) not in checked:
        checked.add(("transfer", source, spec.dataset))
        from keras_margin.studies import pretraining

        pretraining.transfer_source(km, spec, info, source)


def _names(text, flag):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"--{flag.replace('_', '-')} needs at least one name")
    return tuple(names)


def _integers(text, flag, minimum):
    try:
        values = tuple(int(value) for value in text.split(","))
    except ValueError:
        raise ValueError(f"--{flag} must be comma-separated whole numbers; received {text!r}") from None
    if any(value < minimum for value in values):
        raise ValueError(f"--{flag} values must be >= {minimum}; received {text!r}")
    return values
