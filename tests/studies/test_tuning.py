"""Tests for keras_margin.studies.tuning: the search space, the budget, resuming, and an
objective that never reads test data."""

import json
import subprocess
import sys

import optuna
import pytest

import keras_margin as km
from keras_margin.studies import search_space
from keras_margin.studies import tuning
from keras_margin.studies.presets import grid

COMPLETE, PRUNED, FAIL, RUNNING, WAITING = (
    optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL,
    optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING)


@pytest.mark.parametrize("head", km.heads.names())
def test_every_searched_value_is_one_the_head_accepts(head):
    space = {parameter.name: parameter for parameter in search_space.search_space(head, ("none",))}
    has_scale = "scale" in space
    # AdaCos sets its own scale; softmax and the multiplicative margins have none.
    assert has_scale == (head not in ("softmax", "sphereface", "largemarginsoftmax", "adacos"))
    assert ("scale_rule" in space) == search_space.accepts(head, scale="auto")
    head_options = [p for name, p in space.items() if name not in ("learning_rate", "augment", "scale_rule")]
    for corner in ("low", "high"):
        options = {parameter.name: getattr(parameter, corner) for parameter in head_options}
        km.heads.create(head, 10, [5] * 10, **options)  # raises if the range left the valid one
    assert space["learning_rate"].log and space["augment"].choices == ("none",)


def test_suggested_params_become_head_options_learning_rate_and_augment():
    trial = optuna.trial.FixedTrial({"learning_rate": 3e-3, "augment": "light", "scale_rule": "fixed",
                                     "scale": 16.0, "margin": 0.3})  # scale_rule: if "auto" exists
    params = search_space.suggest(trial, search_space.search_space("arcface", ("none", "light")))
    assert search_space.settings_from_params(params) == ({"scale": 16.0, "margin": 0.3}, 3e-3, "light")
    spec = tuning.TuneSettings(dataset="digits", heads=("arcface",)).run_spec("arcface", params)
    assert (spec.head_options, spec.learning_rate, spec.augment) == (
        (("margin", 0.3), ("scale", 16.0)), 3e-3, "light")
    # A conditional scale: "auto" draws no number.
    space = [search_space.Parameter("learning_rate", 1e-4, 1e-2, log=True), search_space.Parameter("augment", choices=("none",)),
             search_space.Parameter("scale_rule", choices=("fixed", "auto")),
             search_space.Parameter("scale", 4.0, 64.0, log=True, condition=("scale_rule", "fixed"))]
    params = search_space.suggest(optuna.trial.FixedTrial({"learning_rate": 1e-3, "augment": "none",
                                                     "scale_rule": "auto"}), space)
    assert "scale" not in params and search_space.settings_from_params(params)[0] == {"scale": "auto"}
    integer = search_space.suggest(optuna.trial.FixedTrial({"learning_rate": 1e-3, "augment": "none", "margin": 3}),
                             search_space.search_space("sphereface", ("none",)))
    assert integer["margin"] == 3 and isinstance(integer["margin"], int)


def test_a_joint_model_searches_the_options_of_its_margin_heads_and_its_tuned_settings_apply():
    joint = {parameter.name for parameter in search_space.search_space("Softmax+ArcFace", ("none",))}
    alone = {parameter.name for parameter in search_space.search_space("arcface", ("none",))}
    assert joint == alone  # RunSpec gives head_options to every head but softmax
    assert search_space.head_name("Softmax+ArcFace") == "softmax+arcface"
    assert search_space.accepts("softmax+cosface", margin=0.3) and not search_space.accepts(
        "softmax+adacos", margin=0.3)
    settings = tuning.TuneSettings(dataset="digits", heads=("softmax", "softmax+arcface"))
    assert settings.study_name("softmax+arcface") != settings.study_name("softmax")
    best = {"heads": {"softmax+arcface": {"value": 0.9, "head_options": {"margin": 0.2},
                                          "learning_rate": 3e-3, "augment": "light"}}}
    [spec] = tuning.apply_best(grid("open-set", ["glyphs"], ["softmax+arcface"], ["none"], [5], [0], 4),
                               best)
    assert (spec.head, spec.head_options, spec.learning_rate, spec.augment) == (
        "softmax+arcface", (("margin", 0.2),), 3e-3, "light")
    with pytest.raises(ValueError, match="magicface"):
        tuning.TuneSettings(heads=("softmax+magicface",))


@pytest.mark.parametrize("arguments, name", [
    (dict(study="video"), "`study`"), (dict(trials=0), "`trials`"), (dict(steps=0), "`steps`"),
    (dict(heads=()), "`heads`"), (dict(heads=("arcface", "ArcFace")), "`heads`"),
    (dict(heads=("magicface",)), "magicface"), (dict(augments=("extreme",)), "`augments`"),
    (dict(far=0.0), "`far`"), (dict(validation_identities=1.0), "`validation_identities`"),
    (dict(samples_per_class=0), "`samples_per_class`"), (dict(seed=-1), "`seed`"),
    (dict(study="text", augments=("standard",)), "`augments`"),
    (dict(num_train=500), "`num_train` applies only to the text study"),
    (dict(study="text", num_train=0), "`num_train`"),
])
def test_invalid_settings_raise_naming_the_argument(arguments, name):
    with pytest.raises(ValueError, match=name):
        tuning.TuneSettings(**arguments)


def test_the_study_name_follows_what_decides_a_trial_but_not_the_budget_or_other_heads():
    settings = tuning.TuneSettings(dataset="digits", heads=("softmax", "arcface"), trials=5, steps=10)
    same = tuning.TuneSettings(dataset="digits", heads=("arcface",), trials=50, steps=10)
    assert settings.study_name("arcface") == same.study_name("arcface")
    assert settings.study_name("arcface").startswith("closed-set-digits-arcface-")
    for changed in (dict(steps=11), dict(seed=1), dict(augments=("none",)), dict(samples_per_class=5)):
        other = tuning.TuneSettings(**{**dict(dataset="digits", steps=10), **changed})
        assert other.study_name("arcface") != settings.study_name("arcface")
    assert tuning.TuneSettings().augments == tuple(km.augment.image.POLICIES)
    assert tuning.TuneSettings(study="text").augments == ("none", "eda")


def _add(study, state, value, learning_rate):
    study.add_trial(optuna.trial.create_trial(
        state=state, value=value if state == COMPLETE else None,
        params={"learning_rate": learning_rate, "augment": "none"},
        distributions={"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True),
                       "augment": optuna.distributions.CategoricalDistribution(["none"])},
        intermediate_values={0: 0.1} if state == PRUNED else None))


def test_the_best_trial_is_taken_among_the_first_budget_finished_trials_only():
    settings = tuning.TuneSettings(dataset="digits", heads=("softmax", "cosface"), trials=3)
    storage = optuna.storages.InMemoryStorage()
    study = tuning._study(settings, "softmax", storage)
    for state, value, rate in [(COMPLETE, 0.5, 1e-3), (FAIL, None, 2e-3), (PRUNED, None, 3e-3),
                               (COMPLETE, 0.7, 4e-3), (COMPLETE, 0.9, 5e-3)]:  # the last is over budget
        _add(study, state, value, rate)
    best = tuning.best_settings(settings, storage, url="postgresql://tuner:secret@db.local/optuna")
    softmax = best["heads"]["softmax"]
    assert (softmax["value"], softmax["trial"], softmax["finished"], softmax["pruned"]) == (0.7, 3, 3, 1)
    assert (softmax["learning_rate"], softmax["augment"], softmax["head_options"]) == (4e-3, "none", {})
    assert best["heads"]["cosface"] == {"study_name": settings.study_name("cosface"), "finished": 0,
                                        "pruned": 0, "value": None}
    assert "secret" not in best["storage"] and "tuner" in best["storage"]
    table = tuning.summary_table(best)
    assert table.splitlines()[0].split()[:3] == ["head", "validation", "accuracy"]
    assert "0.7000" in table and "3 (1)" in table and "cosface" in table


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # `ask` here stands in for `optimize`
def test_a_trial_left_running_by_a_dead_process_of_this_machine_is_failed_and_queued_again(tmp_path):
    storage = tuning.make_storage(tuning.default_storage_url(tmp_path))
    study = tuning._study(tuning.TuneSettings(dataset="digits", heads=("softmax",)), "softmax", storage)
    distributions = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    host = tuning.socket.gethostname()
    dead = _dead_pid()
    workers = [{"host": host, "pid": dead}, {"host": host, "pid": tuning.os.getpid()},
               {"host": "elsewhere", "pid": dead}, {"host": host, "pid": dead, "trial": 99},
               {"host": host, "pid": dead}]
    for number, worker in enumerate(workers):
        trial = study.ask(distributions)
        trial.set_user_attr("worker", {"trial": number, **worker})
    study.tell(4, state=FAIL)  # stopped by Ctrl-C

    tuning._requeue_interrupted(study)
    tuning._requeue_interrupted(study)  # a second start queues nothing more
    states = [trial.state for trial in study.trials]
    # Dead here: failed. Alive, another machine's (left to the heartbeat), or attributes
    # copied from another trial (a retry's): still running.
    assert states[:5] == [FAIL, RUNNING, RUNNING, RUNNING, FAIL]
    queued = study.trials[5:]
    assert [trial.state for trial in queued] == [WAITING, WAITING]
    assert [trial.system_attrs["failed_trial"] for trial in queued] == [0, 4]
    assert [trial.params for trial in queued] == [study.trials[0].params, study.trials[4].params]


class _Forbidden:
    """Stands in for test data: records any use."""

    touched = []

    def __init__(self, name):
        self.name = name

    def __getattr__(self, attribute):
        _Forbidden.touched.append(f"{self.name}.{attribute}")
        raise AssertionError(f"the objective used {self.name}")

    def __iter__(self):
        _Forbidden.touched.append(self.name)
        raise AssertionError(f"the objective iterated {self.name}")

    def __array__(self, *args, **kwargs):
        _Forbidden.touched.append(self.name)
        raise AssertionError(f"the objective read {self.name}")


def test_open_set_tuning_measures_validation_identities_and_never_reads_test_data(tmp_path, monkeypatch):
    load_open_set = km.data.load_open_set
    loaded = []

    def spied(*args, **kwargs):
        data, identities = load_open_set(*args, **kwargs)
        loaded.append((data.info, identities))
        return data._replace(test=_Forbidden("test"), unseen_images=_Forbidden("unseen_images"),
                             unseen_labels=_Forbidden("unseen_labels")), identities

    monkeypatch.setattr(km.data, "load_open_set", spied)
    _Forbidden.touched.clear()
    settings = tuning.TuneSettings(study="open-set", dataset="mnist-5k-open", heads=("cosface",),
                                   trials=1, steps=2, samples_per_class=5, augments=("none",))
    with pytest.warns(UserWarning, match="only 2 validation identities, so every impostor pair "
                                         "comes from 1 pair"):
        best = tuning.tune(settings, tmp_path, progress=False)
    assert _Forbidden.touched == []
    info, identities = loaded[0]
    assert len(identities.class_names) == 2 and info.num_classes == 4  # 6 seen: 2 held out
    assert not set(identities.class_names) & (set(info.unseen_class_names) | set(info.class_names))
    cosface = best["heads"]["cosface"]
    assert best["objective"] == "TAR@FAR=0.01 on validation identities"
    assert cosface["finished"] == 1 and 0.0 <= cosface["value"] <= 1.0
    assert set(cosface["head_options"]) == {"scale", "margin"}
    assert json.loads((tmp_path / "best_params.json").read_text())["heads"]["cosface"] == cosface
    study = optuna.load_study(study_name=cosface["study_name"], storage=tuning.default_storage_url(tmp_path))
    # The value of every epoch was reported for the pruner.
    assert all(len(trial.intermediate_values) >= 1 for trial in study.trials)


def test_apply_best_gives_each_head_its_tuned_settings_and_refuses_untuned_heads():
    best = {"heads": {"softmax": {"value": 0.9, "head_options": {}, "learning_rate": 3e-3,
                                  "augment": "light"},
                      "cosface": {"value": 0.8, "head_options": {"scale": 12.5, "margin": 0.2},
                                  "learning_rate": 1e-3, "augment": "none"}}}
    specs = (grid("closed-set", ["digits"], ["softmax", "cosface"], ["none", "standard"], [5], [0], 4)
             + grid("embedding-picture", ["digits"], ["arcface"], ["none"], [100], [0], 4, embedding_dim=2))
    applied = tuning.apply_best(specs, best)
    assert [(spec.head, spec.head_options, spec.learning_rate, spec.augment) for spec in applied] == [
        ("softmax", (), 3e-3, "light"), ("cosface", (("margin", 0.2), ("scale", 12.5)), 1e-3, "none"),
        ("arcface", (), 2e-3, "none")]  # augment none/standard collapse; the picture is kept
    with pytest.raises(ValueError, match="head 'arcface' was not tuned"):
        tuning.apply_best(grid("open-set", ["mnist-5k-open"], ["arcface"], ["none"], [5], [0], 4), best)
    with pytest.raises(ValueError, match="plain head name"):
        tuning.apply_best(grid("closed-set", ["digits"], ["cosface:scale=16"], ["none"], [5], [0], 4), best)


@pytest.mark.parametrize("content, message", [
    (None, "no best_params.json"), ("{", "is not a keras-margin tune result"),
    ('{"heads": {"arcface": {"value": null}}}', "no completed trial for arcface"),
])
def test_load_best_explains_what_is_wrong(tmp_path, content, message):
    if content is not None:
        (tmp_path / "best_params.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        tuning.load_best(tmp_path)
