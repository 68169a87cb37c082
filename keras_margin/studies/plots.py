"""The report's PNG figures, drawn with matplotlib's file-only backend."""

import collections

import numpy as np

from keras_margin.studies.findings import by_config
from keras_margin.studies.findings import config_order
from keras_margin.studies.findings import metric_value
from keras_margin.studies.statistics import mean_and_half_width


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: works with no display
    import matplotlib.pyplot as pyplot

    return pyplot


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    _pyplot().close(figure)
    return path


def _panel_per_augment(groups, ylabel):
    """A figure with one panel per augmentation policy of `groups`, sharing the y axis."""
    augments = _sorted({config[3] for config in groups})
    figure, axes = _pyplot().subplots(1, len(augments), figsize=(5 * len(augments), 4), sharey=True,
                                      squeeze=False)
    axes[0][0].set_ylabel(ylabel)
    return figure, list(zip(axes[0], augments))


def _finish_panels(figure, panels, path):
    for axis, _ in panels:
        axis.grid(alpha=0.3)
    panels[-1][0].legend()
    return _save(figure, path)


def _sorted(values):
    return sorted(values, key=lambda value: (value is None, str(value)))


def accuracy_against_samples(rows, path):
    """Test accuracy against training samples per class: one panel per augmentation
    policy, one line per head, error bars = 95% interval over seeds."""
    groups = by_config(rows, "closed-set")
    if not groups:
        return None
    heads = _sorted({config[2] for config in groups})
    sizes = sorted({config[4] for config in groups if config[4] is not None})
    figure, panels = _panel_per_augment(groups, "test accuracy")
    for axis, augment in panels:
        for head in heads:
            points = sorted(
                (config[4], mean_and_half_width([metric_value(r, "accuracy") for r in runs.values()]))
                for config, runs in groups.items() if config[2] == head and config[3] == augment
                and config[4] is not None
            )
            if points:
                means = [mean for _, (mean, _) in points]
                errors = [0.0 if np.isnan(half) else half for _, (_, half) in points]
                axis.errorbar([size for size, _ in points], means, yerr=errors, marker="o", capsize=3, label=head)
        axis.set_xscale("log")
        axis.set_xticks(sizes, [str(size) for size in sizes])
        axis.minorticks_off()
        axis.set_xlabel("training samples per class")
        axis.set_title(f"augment = {augment}")
    return _finish_panels(figure, panels, path)


def learning_curves(rows, path):
    """Validation accuracy at each tenth of training (mean over seeds) at the largest
    training size."""
    groups = by_config(rows, "closed-set")
    if not groups:
        return None
    largest = max((config[4] for config in groups if config[4] is not None), default=None)
    figure, panels = _panel_per_augment(groups, "validation accuracy")
    for axis, augment in panels:
        for config, runs in sorted(groups.items(), key=config_order):
            if config[3] != augment or config[4] != largest:
                continue
            curves = [run["history"].get("val_accuracy") for run in runs.values()]
            curves = [curve for curve in curves if curve]
            if curves:
                length = min(len(curve) for curve in curves)
                mean = np.mean([curve[:length] for curve in curves], axis=0)
                axis.plot(np.arange(1, length + 1), mean, marker=".", label=config[2])
        axis.set_xlabel("training progress (tenths of the step budget)")
        axis.set_title(f"augment = {augment}, {largest} per class")
    return _finish_panels(figure, panels, path)


def angle_histograms(rows, path):
    """Distribution of the angle between each test embedding and its class centre, per
    head (all closed-set runs of the head pooled), as in the ArcFace paper."""
    totals = collections.OrderedDict()
    edges = None
    for row in rows:
        if row["spec"]["study"] != "closed-set" or "angle_histogram" not in row:
            continue
        histogram = row["angle_histogram"]
        edges = np.asarray(histogram["bin_edges_degrees"])
        head = row["spec"]["head"]
        totals[head] = totals.get(head, 0) + np.asarray(histogram["counts"], dtype=np.float64)
    if not totals:
        return None
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(7, 4))
    centres = (edges[:-1] + edges[1:]) / 2
    for head in sorted(totals):
        counts = totals[head]
        axis.plot(centres, counts / max(counts.sum(), 1.0), label=head)
    axis.set_xlabel("angle between test embedding and its class centre (degrees)")
    axis.set_ylabel("fraction of test images")
    axis.set_xlim(0, 120)
    axis.grid(alpha=0.3)
    axis.legend()
    return _save(figure, path)


def roc_curves(rows, path):
    """Open-set verification ROC on unseen identities: mean TAR over seeds at each FAR,
    one panel per dataset, one line per head and augmentation policy."""
    curves = collections.defaultdict(list)
    for row in rows:
        if row["spec"]["study"] == "open-set" and "roc" in row:
            spec = row["spec"]
            curves[(spec["dataset"], spec["head"], spec["augment"])].append(row["roc"])
    if not curves:
        return None
    datasets = sorted({key[0] for key in curves})
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4.5), squeeze=False)
    for axis, dataset in zip(axes[0], datasets):
        for (name, head, augment), runs in sorted(curves.items()):
            if name != dataset:
                continue
            far = np.asarray(runs[0]["false_accept_rate"])
            tar = np.mean([run["true_accept_rate"] for run in runs], axis=0)
            axis.plot(far, tar, label=f"{head}, augment={augment}")
        axis.set_xscale("log")
        axis.set_xlabel("false accept rate")
        axis.set_ylabel("true accept rate")
        axis.set_title(f"{dataset}: unseen identities")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    return _save(figure, path)


def embedding_pictures(rows, path):
    """2-D embeddings of test images coloured by class, with each class centre's
    direction drawn as a ray, one panel per head (as in the SphereFace/ArcFace papers)."""
    pictures = [row for row in rows if row["spec"]["study"] == "embedding-picture" and "points" in row]
    if not pictures:
        return None
    pictures.sort(key=lambda row: row["spec"]["head"])
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(pictures), figsize=(4.2 * len(pictures), 4.2), squeeze=False)
    colours = pyplot.get_cmap("tab10")
    for axis, row in zip(axes[0], pictures):
        points = np.asarray(row["points"]["embeddings"])
        labels = np.asarray(row["points"]["labels"])
        axis.scatter(points[:, 0], points[:, 1], c=[colours(label % 10) for label in labels], s=4,
                     alpha=0.6)
        reach = np.percentile(np.linalg.norm(points, axis=1), 95)
        for label, centre in enumerate(np.asarray(row["points"]["class_centers"])):
            axis.plot([0, centre[0] * reach], [0, centre[1] * reach], color=colours(label % 10),
                      linewidth=1.5)
        axis.set_aspect("equal")
        axis.set_title(f"{row['spec']['head']} (test accuracy {row['metrics']['accuracy']:.2f})")
        axis.set_xticks([])
        axis.set_yticks([])
    return _save(figure, path)


def _remedy_label(config):
    return f"{config[2]}, {config[11]}" + (f", noise {config[10]:.0%}" if config[10] else "")


def per_class_accuracy(rows, study, path):
    """Test accuracy per class (classes in training-frequency order), one line per head
    and remedy, mean over seeds."""
    groups = by_config(rows, study)
    groups = {config: runs for config, runs in groups.items()
              if all("per_class_accuracy" in run for run in runs.values())}
    if not groups:
        return None
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(7, 4))
    for config, runs in sorted(groups.items(), key=config_order):
        mean = np.mean([run["per_class_accuracy"] for run in runs.values()], axis=0)
        axis.plot(np.arange(len(mean)), mean, marker="o", label=_remedy_label(config))
    axis.set_xlabel("class (0 = most training examples)")
    axis.set_ylabel("test accuracy")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, path)


def training_curves(rows, study, path):
    """Training loss and validation accuracy along training, one line per head and
    remedy, mean over seeds."""
    groups = by_config(rows, study)
    if not groups:
        return None
    pyplot = _pyplot()
    figure, (loss_axis, accuracy_axis) = pyplot.subplots(1, 2, figsize=(10, 4))
    for config, runs in sorted(groups.items(), key=config_order):
        for axis, name in ((loss_axis, "loss"), (accuracy_axis, "val_accuracy")):
            curves = [run["history"][name] for run in runs.values() if run["history"].get(name)]
            if curves:
                length = min(len(curve) for curve in curves)
                mean = np.mean([curve[:length] for curve in curves], axis=0)
                axis.plot(np.arange(1, length + 1), mean, marker=".", label=_remedy_label(config))
    loss_axis.set_ylabel("training loss")
    accuracy_axis.set_ylabel("validation accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.set_xlabel("training progress (tenths of the step budget)")
        axis.grid(alpha=0.3)
    accuracy_axis.legend(fontsize=8)
    return _save(figure, path)


# Robustness figures: colour by head, line style by augmentation, marker by adversarial
# training, so that the 16 configurations of a dataset stay apart.
_LINE_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "^", "s", "D", "v")


def _robustness_style(config, heads, augments, adversarials):
    head, augment, adversarial = config[2], config[3], config[13]
    colour = f"C{heads.index(head) % 10}"
    return dict(color=colour, linestyle=_LINE_STYLES[augments.index(augment) % len(_LINE_STYLES)],
                marker=_MARKERS[adversarials.index(adversarial) % len(_MARKERS)],
                label=f"{head}, aug {augment}, adv {adversarial}")


def _robustness_groups(rows):
    groups = {config: runs for config, runs in by_config(rows, "robustness").items()
              if all("robustness" in run for run in runs.values())}
    heads = _sorted({config[2] for config in groups})
    # "none" first, so plain training gets the solid line and the first marker.
    augments = sorted({config[3] for config in groups}, key=lambda value: (value != "none", value))
    adversarials = sorted({config[13] for config in groups}, key=lambda value: (value != "none", value))
    return groups, heads, augments, adversarials


def robustness_against_severity(rows, dataset, path):
    """Accuracy against corruption severity (0 = clean) for one dataset: one panel per
    corruption family (mean over its corruptions and over seeds), one line per head,
    augmentation and adversarial training."""
    groups, heads, augments, adversarials = _robustness_groups(rows)
    groups = {config: runs for config, runs in groups.items() if config[1] == dataset}
    if not groups:
        return None
    families = collections.OrderedDict()
    for runs in groups.values():
        for run in runs.values():
            for family, names in run["robustness"]["families"].items():
                if names:
                    families.setdefault(family, names)
    if not families:
        return None
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(families), figsize=(4 * len(families), 4), sharey=True,
                                   squeeze=False)
    for axis, (family, names) in zip(axes[0], families.items()):
        for config, runs in sorted(groups.items(), key=config_order):
            curves = []
            for run in runs.values():
                detail = run["robustness"]
                per_severity = np.mean([detail["corruption_accuracy"][name] for name in names], axis=0)
                curves.append([detail["clean_accuracy"], *per_severity])
            axis.plot(range(len(curves[0])), np.mean(curves, axis=0),
                      **_robustness_style(config, heads, augments, adversarials))
        axis.set_title(f"{family} ({', '.join(names)})", fontsize=8)
        axis.set_xlabel("severity (0 = clean)")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"test accuracy, {dataset}")
    axes[0][-1].legend(fontsize=6)
    return _save(figure, path)


def robustness_against_epsilon(rows, path):
    """Accuracy under L-infinity PGD (worst of the cross-entropy and margin losses)
    against the radius epsilon (0 = clean), one panel per dataset, mean over seeds."""
    groups, heads, augments, adversarials = _robustness_groups(rows)
    if not groups:
        return None
    datasets = _sorted({config[1] for config in groups})
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), sharey=True,
                                   squeeze=False)
    for axis, dataset in zip(axes[0], datasets):
        for config, runs in sorted(groups.items(), key=config_order):
            if config[1] != dataset:
                continue
            details = [run["robustness"] for run in runs.values()]
            epsilons = [0.0, *details[0]["pgd"]["epsilons"]]
            means = np.mean([[detail["clean_accuracy"], *detail["pgd"]["accuracy"]]
                             for detail in details], axis=0)
            axis.plot(epsilons, means, **_robustness_style(config, heads, augments, adversarials))
        axis.set_xlabel("PGD epsilon (L-infinity, 0-255 pixels)")
        axis.set_title(dataset)
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("accuracy under PGD")
    axes[0][-1].legend(fontsize=6)
    return _save(figure, path)
