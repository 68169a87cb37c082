"""`tune`: the same hyper-parameter search, with the same budget, for every head.

An Optuna study per head searches the head's scale and margins, the learning rate and
the augmentation policy with a seeded TPE sampler. Each trial trains with the study
runner's recipe (`runner._train`) and is measured after every epoch on validation data
only; a median pruner stops trials whose curve falls below the median of the earlier
trials at the same epoch. The objective:

- closed set (`"closed-set"`, `"text"`): accuracy on the validation split;
- open set: TAR at a FAR (default 1e-2) on *validation identities*, seen identities
  held out of training by `keras_margin.data.load_open_set(validation_identities=...)`.

Neither ever reads the test split or the unseen test identities: the loaders' test
pipelines are dropped unread.

The budget: a head's search ends when `trials` of its trials have finished, completed or
pruned. Trials live in an Optuna RDB storage (SQLite in the output folder by default),
so a killed search resumes: a trial left running by a process that is gone is marked
failed and queued again with the same parameters, and failed trials do not count. With
a shared RDB URL several machines work on one study; a trial of a machine that died is
taken over after its heartbeat has been silent for `HEARTBEAT_GRACE_SECONDS`.
"""

import dataclasses
import hashlib
import json
import math
import os
import socket
import sys
import warnings

import keras
import numpy as np
import optuna

import keras_margin as km
from keras_margin.studies import runner
from keras_margin.studies.presets import PRESETS
from keras_margin.studies.run_spec import RunSpec
from keras_margin.studies.search_space import SEARCH_SPACE_VERSION
from keras_margin.studies.search_space import head_name
from keras_margin.studies.search_space import search_space
from keras_margin.studies.search_space import settings_from_params
from keras_margin.studies.search_space import suggest
from keras_margin.utils import validation
from keras_margin.utils.atomic_write import write_atomically

STUDIES = ("closed-set", "open-set", "text")
DEFAULT_DATASETS = {"closed-set": "mnist-5k", "open-set": "mnist-5k-open", "text": "fortunes"}
BEST_PARAMS_FILE_NAME = "best_params.json"
DATABASE_FILE_NAME = "tune.db"
# No pruning in the first half of a trial's validation points: under the cosine-decayed
# rate the early ranking is unreliable (with a warm-up of 3 of 10 points, 6 of 8 softmax
# trials on mnist-5k were pruned at the 4th point, one at 0.83 while the best ended 0.95).
PRUNING_WARMUP_EPOCHS = runner.CURVE_POINTS // 2
# Interrupted trials are run again at most this many times.
MAX_RETRIES = 2
HEARTBEAT_SECONDS = 60
HEARTBEAT_GRACE_SECONDS = 180
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@dataclasses.dataclass(frozen=True)
class TuneSettings:
    """What `tune` searches over and how each trial trains.

    Attributes:
        study: `"closed-set"` (image or audio dataset of `keras_margin.data.load` /
            `load_audio`), `"open-set"` (a dataset of `load_open_set`) or `"text"`.
        dataset: the dataset name; None picks `DEFAULT_DATASETS[study]`.
        heads: head names, each searched in its own study with the same budget.
        trials: finished (completed or pruned) trials per head.
        steps: optimizer steps of every trial (the studies' default by default).
        samples_per_class: training examples per class (per seen identity), or None.
        seed: seed of the data, the weights and the sampler; every trial uses it.
        augments: the augmentation policies searched; None: every policy of the
            modality (image, audio or text).
        validation_identities: open set: the share of seen identities held out as
            validation identities.
        far: open set: the false-accept rate of the TAR objective.
        num_train: text: training texts (None: all).
        embedding_dim, batch_size: as in `RunSpec`.
    """

    study: str = "closed-set"
    dataset: str = None
    heads: tuple = ("softmax", "cosface", "arcface")
    trials: int = 20
    steps: int = PRESETS["default"].steps
    samples_per_class: object = 100
    seed: int = 0
    augments: tuple = None
    validation_identities: float = 0.2
    far: float = 1e-2
    num_train: object = None
    embedding_dim: int = 64
    batch_size: int = 64

    def __post_init__(self):
        if self.study not in STUDIES:
            raise ValueError(f"`study` must be one of {', '.join(STUDIES)}; received {self.study!r}.")
        if self.dataset is None:
            object.__setattr__(self, "dataset", DEFAULT_DATASETS[self.study])
        heads = tuple(self.heads)
        if not heads or len(set(map(head_name, heads))) != len(heads):
            raise ValueError(f"`heads` must name at least one head, each once; received {self.heads!r}.")
        object.__setattr__(self, "heads", heads)
        validation.integer_at_least(self.trials, 1, "trials")
        validation.integer_at_least(self.steps, 1, "steps")
        if self.samples_per_class is not None:
            validation.integer_at_least(self.samples_per_class, 1, "samples_per_class")
        validation.integer_at_least(self.seed, 0, "seed")
        if self.num_train is not None:
            if self.study != "text":
                raise ValueError(f"`num_train` applies only to the text study; received {self.num_train!r}.")
            validation.integer_at_least(self.num_train, 1, "num_train")
        validation.number_in_range(self.validation_identities, "validation_identities", 0.0, 1.0,
                                   low_open=True, high_open=True)
        validation.number_in_range(self.far, "far", 0.0, 1.0, low_open=True, high_open=True)
        policies = self.policies()
        augments = policies if self.augments is None else tuple(self.augments)
        unknown = [name for name in augments if name not in policies]
        if not augments or unknown:
            raise ValueError(f"`augments` must be policies of {', '.join(policies)}; "
                             f"received {self.augments!r}.")
        object.__setattr__(self, "augments", augments)

    def policies(self):
        """The augmentation policies of the dataset's modality."""
        if self.study == "text":
            return tuple(km.augment.text.POLICIES)
        if km.data.is_audio_dataset(self.dataset):
            return tuple(km.augment.audio.POLICIES)
        return tuple(km.augment.image.POLICIES)

    def objective_name(self):
        if self.study == "open-set":
            return f"TAR@FAR={self.far:g} on validation identities"
        return "validation accuracy"

    def fingerprint(self):
        """A short id of everything that decides a trial's value but the head."""
        fields = {name: value for name, value in dataclasses.asdict(self).items()
                  if name not in ("heads", "trials")}
        fields["search_space_version"] = SEARCH_SPACE_VERSION
        if self.study != "open-set":
            for name in ("validation_identities", "far"):
                fields.pop(name)
        text = json.dumps(fields, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:8]

    def study_name(self, head):
        return f"{self.study}-{self.dataset}-{head_name(head)}-{self.fingerprint()}"

    def run_spec(self, head, params):
        """The `RunSpec` a trial with `params` trains."""
        options, learning_rate, augment = settings_from_params(params)
        return RunSpec(
            self.study, self.dataset, head, augment,
            self.samples_per_class, self.seed, self.steps, embedding_dim=self.embedding_dim,
            batch_size=self.batch_size, learning_rate=learning_rate, num_train=self.num_train,
            head_options=tuple(options.items()))

    def as_dict(self):
        return dataclasses.asdict(self)


def default_storage_url(output):
    """SQLite in `output` (created if needed)."""
    os.makedirs(output, exist_ok=True)
    return f"sqlite:///{os.path.abspath(os.path.join(output, DATABASE_FILE_NAME))}"


def make_storage(url):
    """An Optuna `RDBStorage` for `url`, with heartbeats: a trial whose process stopped
    beating is failed and queued again by the next worker that starts a trial.

    Raises:
        ValueError: when `url` is not a database URL Optuna can open.
    """
    # SQLite: wait for a lock held by another worker instead of failing at once.
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.8
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs, heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=HEARTBEAT_GRACE_SECONDS, heartbeat_stale_trial_callback=_retry())
    except Exception as error:  # SQLAlchemy's URL, driver and connection errors
        raise ValueError(f"cannot open the storage {redacted_url(url)}: "
                         f"{type(error).__name__}: {error}") from None


def _retry():
    """Optuna's callback that queues a failed trial again with its parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES)


def tune(settings, output, storage=None, verbose=0, progress=True, stream=None):
    """Runs each head's search until `settings.trials` of its trials have finished.

    Args:
        settings: a `TuneSettings`.
        output: the folder of `best_params.json` (and of the SQLite file by default).
        storage: an Optuna RDB URL, or None for SQLite in `output`.
        verbose: Keras progress inside each trial.
        progress: show a progress bar per head (on `stream`).
        stream: where the progress goes (default: standard error).

    Returns:
        The dict written to `output/best_params.json` (see `best_settings`).
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING if verbose < 2 else optuna.logging.INFO)
    os.makedirs(output, exist_ok=True)
    url = storage or default_storage_url(output)
    rdb = make_storage(url)
    load_tuning_data(settings)  # a missing dataset stops the search before any training
    for head in settings.heads:
        study = _study(settings, head, rdb)
        _search(study, settings, head, verbose, progress, stream or sys.stderr)
    best = best_settings(settings, rdb, url)
    _write_best(output, best)
    return best


def best_settings(settings, storage, url=None):
    """Each head's best finished trial among its first `settings.trials` finished ones.

    Returns:
        `{"settings", "objective", "storage", "heads": {head: {"study_name", "value",
        "trial", "finished", "pruned", "params", "head_options", "learning_rate",
        "augment"}}}`; a head without a completed trial has `"value": None`.
    """
    heads = {}
    for head in settings.heads:
        study = _study(settings, head, storage)
        counted = sorted(study.get_trials(deepcopy=False, states=FINISHED),
                         key=lambda trial: trial.number)[:settings.trials]
        completed = [trial for trial in counted if trial.state == optuna.trial.TrialState.COMPLETE]
        entry = {"study_name": study.study_name, "finished": len(counted),
                 "pruned": len(counted) - len(completed), "value": None}
        if completed:
            best = max(completed, key=lambda trial: (trial.value, -trial.number))
            options, learning_rate, augment = settings_from_params(best.params)
            entry.update(value=best.value, trial=best.number, params=best.params,
                         head_options=options, learning_rate=learning_rate, augment=augment)
        heads[head] = entry
    return {"settings": settings.as_dict(), "objective": settings.objective_name(),
            "storage": redacted_url(url) if url else None, "heads": heads}


def summary_table(best):
    """A plain-text table of each head's best value and parameters."""
    rows = [("head", best["objective"], "trial", "finished (pruned)", "learning rate", "augment",
             "head options")]
    for head, entry in best["heads"].items():
        if entry["value"] is None:
            rows.append((head, "-", "-", f"{entry['finished']} ({entry['pruned']})", "-", "-", "-"))
            continue
        options = " ".join(f"{name}={_format(value)}" for name, value in sorted(entry["head_options"].items()))
        rows.append((head, f"{entry['value']:.4f}", str(entry["trial"]),
                     f"{entry['finished']} ({entry['pruned']})", f"{entry['learning_rate']:.3g}",
                     entry["augment"], options or "-"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


def load_best(directory):
    """The `best_params.json` of a tuning output folder.

    Raises:
        ValueError: when the file is missing, unreadable, or has a head without a
            completed trial.
    """
    path = os.path.join(directory, BEST_PARAMS_FILE_NAME)
    try:
        with open(path) as handle:
            best = json.load(handle)
        heads = best["heads"]
    except FileNotFoundError:
        raise ValueError(f"no {BEST_PARAMS_FILE_NAME} in {directory}; run keras-margin tune "
                         f"--output {directory} first") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a keras-margin tune result ({error})") from None
    untuned = [head for head, entry in heads.items() if entry.get("value") is None]
    if untuned:
        raise ValueError(f"{path}: no completed trial for {', '.join(untuned)}")
    return best


def apply_best(specs, best):
    """`specs` with each head's tuned options, learning rate and augmentation.

    Every head of the grid must be tuned, so no head runs with defaults beside tuned
    ones; the 2-D embedding pictures, illustrations with their own fixed settings, are
    left as they are. Runs that the tuned augmentation makes equal are kept once.

    Raises:
        ValueError: for a head that is not in `best`, or a head given with options.
    """
    tuned = {head_name(head): entry for head, entry in best["heads"].items()}
    applied = []
    for spec in specs:
        if spec.study == "embedding-picture":
            applied.append(spec)
            continue
        entry = tuned.get(head_name(spec.head))
        if entry is None:
            raise ValueError(f"--tuned: head {spec.head!r} was not tuned (tuned: "
                             f"{', '.join(best['heads'])}); tune it or leave it out of --heads")
        if spec.head_options:
            raise ValueError(f"--tuned sets the options of {spec.head!r}; give the plain head name")
        applied.append(dataclasses.replace(
            spec, head_options=tuple(entry["head_options"].items()),
            learning_rate=entry["learning_rate"], augment=entry["augment"]))
    return list(dict.fromkeys(applied))


class TuningData:
    """What trials train and are measured on: never the test split.

    Attributes:
        train, validation: the training and validation pipelines.
        info: the `DatasetInfo` of the training classes.
        measure: `measure(model, logs=None) -> float`, the objective on validation data
            (`logs`: the epoch's Keras logs, read for a loss on embeddings while it
            trains).
    """

    def __init__(self, train, validation, info, measure):
        self.train, self.validation, self.info, self.measure = train, validation, info, measure


# Fewer held-out identities than this give impostor pairs from a handful of identity
# pairs only (4 give 6): on mnist-5k-open (2 held out) every head's best trial scored
# 0.09-0.12 TAR@FAR 1e-2, too close to separate settings (docs/results).
INFORMATIVE_VALIDATION_IDENTITIES = 5


def load_tuning_data(settings):
    """Loads `settings`' dataset for one trial (the decoded sources are cached per
    process, so this is cheap after the first call); the test pipelines are dropped unread.

    Raises:
        ValueError, DatasetNotFoundError: as the loaders.
    """
    template = settings.run_spec(settings.heads[0], {"learning_rate": 1e-3, "augment": "none"})
    if settings.study != "open-set":
        loaded = runner._load(km, template)
        images, labels = runner._as_arrays(loaded.validation)
        return TuningData(loaded.train, loaded.validation, loaded.info,
                          lambda model, logs=None: _accuracy(model, images, labels, logs))
    data, identities = km.data.load_open_set(
        settings.dataset, samples_per_class=settings.samples_per_class, seed=settings.seed,
        batch_size=settings.batch_size, validation_identities=settings.validation_identities)
    pairs = km.metrics.verification_pairs(identities.labels, runner._num_pairs(identities.labels),
                                          seed=settings.seed)
    held_out = len(identities.class_names)
    if held_out < INFORMATIVE_VALIDATION_IDENTITIES:
        warnings.warn(
            f"{settings.dataset}: only {held_out} validation identities, so every impostor pair "
            f"comes from {held_out * (held_out - 1) // 2} pair(s) of identities and TAR@FAR on them "
            "is a noisy guide to verification on unseen identities (docs/tune.md)", stacklevel=2)
    if np.sum(~pairs.is_same) * settings.far < 1:
        raise ValueError(f"`far`={settings.far:g} needs at least {math.ceil(1 / settings.far)} "
                         f"impostor pairs; the validation identities give {np.sum(~pairs.is_same)}")
    return TuningData(data.train, data.validation, data.info,
                      lambda model, logs=None: _tar_at_far(model, identities.images, pairs, settings.far))


class PruningCallback(keras.callbacks.Callback):
    """Reports `measure(model, logs)` to the trial after every epoch; stops a trial the pruner
    rejects by raising `optuna.TrialPruned`."""

    def __init__(self, trial, measure):
        super().__init__()
        self.trial, self.measure = trial, measure

    def on_epoch_end(self, epoch, logs=None):
        value = _finite(self.measure(self.model, logs))
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"epoch {epoch + 1}: {value:.4f}")


def objective(trial, settings, head, verbose=0):
    """Trains one trial's settings; returns the objective of the trained model.

    Every trial starts from the same seed and freshly built pipelines, so trials differ
    only in their parameters (not in the order the shuffled data comes in)."""
    # The process running this trial, so that a later start on this machine knows when
    # the trial was left behind by a process that is gone.
    trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid(),
                                   "trial": trial.number})
    params = suggest(trial, search_space(head, settings.augments))
    spec = settings.run_spec(head, params)
    keras.utils.set_random_seed(settings.seed)
    data = load_tuning_data(settings)
    try:
        model, history = runner._train(km, spec, data.train, data.validation, data.info, verbose,
                                       extra_callbacks=[PruningCallback(trial, data.measure)])
        trial.set_user_attr("epochs", len(history.epoch))
        return _finite(data.measure(model))
    finally:
        keras.backend.clear_session()


def _search(study, settings, head, verbose, progress, stream):
    _requeue_interrupted(study)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=settings.trials, desc=head, unit="trial", file=stream, dynamic_ncols=True)
    try:
        while True:
            finished = len(study.get_trials(deepcopy=False, states=FINISHED))
            running = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)))
            if bar is not None:
                bar.n = min(finished, settings.trials)
                completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if completed:
                    bar.set_postfix(best=f"{max(trial.value for trial in completed):.4f}", refresh=False)
                bar.refresh()
            # Trials running elsewhere count too, so several workers do not overshoot.
            if finished + running >= settings.trials:
                break
            # Seeded per trial: the draws follow from the seed and the trials so far, not
            # from which process or machine runs them.
            study.sampler = _sampler(settings, len(study.get_trials(deepcopy=False)))
            study.optimize(lambda trial: objective(trial, settings, head, verbose), n_trials=1,
                           gc_after_trial=True)
    finally:
        if bar is not None:
            bar.close()
    if finished < settings.trials:
        print(f"{head}: {finished} of {settings.trials} trials finished, {running} still running "
              "elsewhere; run the command again once they end (or when their machine is gone, "
              f"{HEARTBEAT_GRACE_SECONDS} s after its last heartbeat) to complete the search",
              file=stream)


def _study(settings, head, storage):
    return optuna.create_study(
        storage=storage, study_name=settings.study_name(head), direction="maximize",
        load_if_exists=True, sampler=_sampler(settings, 0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=max(1, min(5, settings.trials // 4)),
                                           n_warmup_steps=PRUNING_WARMUP_EPOCHS))


def _sampler(settings, trial_count):
    seed = int(hashlib.sha1(f"{settings.seed}:{trial_count}".encode()).hexdigest()[:8], 16)
    return optuna.samplers.TPESampler(seed=seed,
                                      n_startup_trials=max(1, min(10, settings.trials // 2)))


def _requeue_interrupted(study):
    """Fails the running trials whose process on this machine is gone, and queues each
    interrupted trial of this machine (killed, or stopped by Ctrl-C) again with its
    parameters, once. Trials of other machines are left to the heartbeat."""
    retry = _retry()
    host = socket.gethostname()
    trials = study.get_trials(deepcopy=False)
    retried = {number for trial in trials for number in trial.system_attrs.get("retry_history", ())}
    for trial in trials:
        # A retry copies its original's attributes: "trial" tells whose they are.
        worker = trial.user_attrs.get("worker") or {}
        if (worker.get("host") != host or worker.get("trial") != trial.number
                or trial.number in retried or _alive(worker.get("pid"))):
            continue
        if trial.state == optuna.trial.TrialState.RUNNING:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        elif trial.state != optuna.trial.TrialState.FAIL:
            continue
        retry(study, trial)


def _alive(pid):
    if pid is None or pid == os.getpid():
        return pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accuracy(model, images, labels, logs=None):
    if not hasattr(model, "head"):
        # A loss on embeddings while it trains: its classifier is the nearest class mean,
        # whose accuracy on this validation split `ClassMeanValidation` has just logged.
        return float(logs["val_accuracy"])
    _, probabilities = runner._embed_and_classify(model, images)
    return float(np.mean(np.argmax(probabilities, axis=-1) == labels))


def _tar_at_far(model, images, pairs, far):
    embeddings = runner._backbone_outputs(model, images)
    if not np.all(np.isfinite(embeddings)):
        return 0.0
    scores = km.metrics.pair_scores(embeddings, pairs.pairs)
    return float(km.metrics.tar_at_far(scores, pairs.is_same, far_targets=(far,))[0])


def _finite(value):
    """A diverged run (NaN) is the worst outcome, not a failed trial."""
    return float(value) if math.isfinite(value) else 0.0


def _write_best(output, best):
    path = os.path.join(output, BEST_PARAMS_FILE_NAME)
    # Heads tuned earlier into the same folder with the same settings and budget are kept.
    settings = json.loads(json.dumps(best["settings"]))
    try:
        with open(path) as handle:
            earlier = json.load(handle)
        if {**earlier["settings"], "heads": None} == {**settings, "heads": None}:
            best["heads"] = {**earlier["heads"], **best["heads"]}
            best["settings"] = {**best["settings"], "heads": list(best["heads"])}
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        pass
    write_atomically(path, json.dumps(best, indent=2, sort_keys=False) + "\n")


def _format(value):
    return value if isinstance(value, str) else f"{value:.4g}"


def redacted_url(url):
    """`url` without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing to hide
        return url
