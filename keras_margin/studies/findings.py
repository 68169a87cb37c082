"""Paired comparisons over seeds: did a margin head, or augmentation, help?

Runs that differ only in the compared field (the head, or the augmentation policy) and
share a seed were trained on the same data split, so they are compared as pairs: the
difference is taken per seed, and its mean gets a Student-t 95% confidence interval. A
difference counts as "better" or "worse" only when that interval excludes zero; with a
single seed there is no interval and the verdict says so.
"""

import collections
import dataclasses
import math

from keras_margin.studies.statistics import mean_and_half_width

CONFIG_FIELDS = ("study", "dataset", "head", "augment", "samples_per_class", "steps",
                 "embedding_dim", "batch_size", "learning_rate", "imbalance_ratio", "label_noise",
                 "remedy", "num_train", "adversarial", "pretraining", "pretraining_steps")


_DEFAULTS = {"imbalance_ratio": None, "label_noise": 0.0, "remedy": "none", "num_train": None,
             "adversarial": "none", "pretraining": "none", "pretraining_steps": None}


def metric_value(row, name, part="metrics"):
    """A metric of a row: `part` is "metrics" (closed set, test split) or
    "open_set_metrics" (unseen identities). None when absent."""
    value = row.get(part, {}).get(name)
    return None if value is None else float(value)


def config_order(item):
    """Sort key for `(config, runs)` items: numbers numerically, None last."""
    return tuple((value is None, value if isinstance(value, (int, float)) else str(value))
                 for value in item[0])


def by_config(rows, study):
    """`{config: {seed: row}}` for the rows of one study; config = spec without seed."""
    groups = collections.defaultdict(dict)
    for row in rows:
        spec = row["spec"]
        if spec["study"] == study:
            # .get: rows written before a field existed have its default.
            groups[tuple(spec.get(field, _DEFAULTS.get(field)) for field in CONFIG_FIELDS)][
                spec["seed"]] = row
    return groups


@dataclasses.dataclass
class Comparison:
    """`candidate` minus `baseline` on `metric`, everything else equal."""

    context: dict
    candidate: dict
    baseline: dict
    metric: str
    seeds: int
    difference: float
    half_width: float
    higher_is_better: bool

    @property
    def verdict(self):
        if self.seeds < 2 or math.isnan(self.half_width):
            return "single seed, no interval"
        gain = self.difference if self.higher_is_better else -self.difference
        if abs(self.difference) > self.half_width:
            return "better" if gain > 0 else "worse"
        return "no clear difference"


def compare(rows, study, baseline, metric, part="metrics", higher_is_better=True, tied=()):
    """Each config against the config that has `baseline`'s values, all else equal.

    Args:
        rows: rows of `results.jsonl`.
        study: which study's rows to use.
        baseline: `{field: value}`, e.g. `{"head": "softmax"}`, or
            `{"head": "softmax", "augment": "none"}` for the combined claim.
        metric, part: the metric compared (see `metric_value`).
        higher_is_better: False for error rates.
        tied: fields that go with the compared ones when no baseline run matches
            exactly: `compare --tuned` gives every head its own tuned learning rate and
            augmentation, so a tuned ArcFace has no softmax run at its settings. The
            baseline is then the one config that differs from the exact match only in
            these fields, and their values are shown beside the compared ones.

    Returns:
        A list of `Comparison`, one per config that differs from `baseline` in at
        least one of its fields and has a matching baseline run with a common seed.
    """
    groups = by_config(rows, study)
    positions = {field: CONFIG_FIELDS.index(field) for field in baseline}
    comparisons = []
    for config, runs in sorted(groups.items(), key=config_order):
        candidate = {f: config[p] for f, p in positions.items() if config[p] != baseline[f]}
        if not candidate:
            continue
        baseline_config = list(config)
        for field, position in positions.items():
            baseline_config[position] = baseline[field]
        baseline_runs = groups.get(tuple(baseline_config))
        compared = dict(baseline)
        if not baseline_runs and tied:
            baseline_config, baseline_runs = _tied_baseline(groups, baseline_config, tied)
            for field in tied:
                position = CONFIG_FIELDS.index(field)
                if baseline_runs and config[position] != baseline_config[position]:
                    candidate[field] = config[position]
                    compared[field] = baseline_config[position]
        if not baseline_runs:
            continue
        differences = []
        for seed in sorted(set(runs) & set(baseline_runs)):
            value = metric_value(runs[seed], metric, part)
            reference = metric_value(baseline_runs[seed], metric, part)
            if value is not None and reference is not None:
                differences.append(value - reference)
        if not differences:
            continue
        mean, half_width = mean_and_half_width(differences)
        context = {f: v for f, v in zip(CONFIG_FIELDS, config) if f not in compared}
        comparisons.append(Comparison(context, candidate, compared, metric, len(differences),
                                      mean, half_width, higher_is_better))
    return comparisons


def _shown(value):
    return f"{value:.3g}" if isinstance(value, float) else value


def _tied_baseline(groups, baseline_config, tied):
    """The one config equal to `baseline_config` but in the `tied` fields, else (None, None)."""
    free = {CONFIG_FIELDS.index(field) for field in tied}
    matches = [(config, runs) for config, runs in groups.items()
               if all(value == baseline_config[i] for i, value in enumerate(config) if i not in free)]
    return matches[0] if len(matches) == 1 else (None, None)


def describe(comparison, scale=100.0, unit=" points"):
    """One sentence: what was compared, where, by how much, and the verdict."""
    context = comparison.context
    where = []
    if context.get("num_train") is not None:
        where.append(f"N={context['num_train']} texts")
    elif "samples_per_class" in context:
        samples = context["samples_per_class"]
        where.append(f"{'all' if samples is None else samples} per class")
    where += [f"{field}={context[field]}" for field in ("head", "augment") if field in context]
    for field in ("adversarial", "pretraining"):
        if context.get(field, "none") != "none":
            where.append(f"{field}={context[field]}")
    if context.get("label_noise"):
        where.append(f"label noise {context['label_noise']:.0%}")
    if context.get("imbalance_ratio"):
        where.append(f"imbalance ratio {context['imbalance_ratio']:g}")
    where.append(context["dataset"])
    candidate = ", ".join(f"{field}={_shown(value)}" for field, value in comparison.candidate.items())
    baseline = ", ".join(f"{field}={_shown(comparison.baseline[field])}" for field in comparison.candidate)
    # Baseline fields the candidate shares (e.g. head=softmax for a softmax remedy).
    where = [f"{field}={value}" for field, value in comparison.baseline.items()
             if field not in comparison.candidate and value is not None] + where
    interval = "" if math.isnan(comparison.half_width) else f" ± {comparison.half_width * scale:.1f}"
    seeds = f"{comparison.seeds} seed{'s' if comparison.seeds > 1 else ''}"
    return (f"{candidate} vs {baseline} ({', '.join(where)}): {comparison.metric} "
            f"{comparison.difference * scale:+.1f}{interval}{unit} over {seeds} — {comparison.verdict}")
