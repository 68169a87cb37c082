"""`write_report`: `report.md`, a self-contained `report.html`, `results.csv` and figures."""

import csv
import datetime
import io
import os

from keras_margin.studies import findings
from keras_margin.studies.corruption_error import BASELINE as CORRUPTION_BASELINE
from keras_margin.studies.corruption_error import corruption_errors
from keras_margin.studies import plots
from keras_margin.studies.document import Document
from keras_margin.studies.findings import by_config
from keras_margin.studies.findings import config_order
from keras_margin.studies.findings import metric_value
from keras_margin.studies.head_spec import format_value
from keras_margin.studies.head_spec import head_label
from keras_margin.studies.statistics import format_mean
from keras_margin.utils.atomic_write import write_atomically

CLOSED_SET_COLUMNS = (
    ("accuracy", "accuracy"), ("macro_f1", "macro F1"), ("roc_auc", "ROC AUC"),
    ("expected_calibration_error", "ECE"),
    ("calibrated_expected_calibration_error", "ECE after temperature scaling"),
    ("mean_angle_to_center", "mean angle to centre (°)"),
    ("min_center_angle", "min centre angle (°)"),
)
OPEN_SET_COLUMNS = (
    ("tar_at_far_1e-3", "TAR@FAR 1e-3"), ("tar_at_far_1e-2", "TAR@FAR 1e-2"),
    ("tar_at_far_1e-1", "TAR@FAR 1e-1"), ("eer", "EER"), ("roc_auc", "ROC AUC"),
    ("verification_accuracy", "10-fold accuracy"),
)
_ANGLES = ("mean_angle_to_center", "min_center_angle")
STEPS_USED = "steps used (median, range)"


def steps_used(rows):
    """`"700 (500-900) of 2000, early stop 3/3"` for rows trained with early stopping:
    the median and range over seeds of the steps each run used; `"250 (fixed)"` for rows
    that ran their whole budget by design (no early stopping, or written before it)."""
    rows = list(rows)
    budget = sorted({row["spec"]["steps"] for row in rows})
    budget_text = "/".join(str(b) for b in budget)
    if not any(row["spec"].get("patience") for row in rows):
        return f"{budget_text} (fixed)"
    used = sorted(row.get("steps_used") or row["spec"]["steps"] for row in rows)
    stopped = sum(bool(row.get("stopped_early")) for row in rows)
    median = used[len(used) // 2] if len(used) % 2 else (used[len(used) // 2 - 1] + used[len(used) // 2]) / 2
    spread = f" ({used[0]}-{used[-1]})" if len(used) > 1 else ""
    return f"{median:g}{spread} of {budget_text}, early stop {stopped}/{len(rows)}"


def write_report(rows, folder, command=None):
    """Writes the report of `rows` (the rows of `results.jsonl`) into `folder`.

    Args:
        rows: list of result rows, as `ResultsFile.rows()` returns them.
        folder: output folder; `figures/` is created inside it.
        command: the command line that produced the rows, quoted in the report.

    Returns:
        `{"markdown": path, "html": path, "csv": path}`.
    """
    figures = os.path.join(folder, "figures")
    os.makedirs(figures, exist_ok=True)
    csv_rows, rows = rows, _with_head_labels(rows)
    document = Document("keras_margin comparison: margin heads and augmentation on limited data")
    _introduction(document, rows, command)
    _findings(document, rows)
    _closed_set(document, rows, figures)
    _open_set(document, rows, figures)
    _embedding_pictures(document, rows, figures)
    _difficulties(document, rows, figures)
    _robustness(document, rows, figures)
    _text(document, rows)
    _data(document, rows)
    paths = {
        "markdown": os.path.join(folder, "report.md"),
        "html": os.path.join(folder, "report.html"),
        "csv": os.path.join(folder, "results.csv"),
    }
    write_atomically(paths["markdown"], document.to_markdown(folder))
    write_atomically(paths["html"], document.to_html())
    _write_csv(csv_rows, paths["csv"])
    return paths


def _with_head_labels(rows):
    """`rows` with each spec's `head` replaced by its label, e.g. `"arcface (scale=16)"`:
    the tables, figures and paired comparisons group by `head`, so a head with options
    is its own head there, and two option sets are never paired as one head."""
    return [dict(row, spec=dict(row["spec"], head=head_label(row["spec"]["head"],
                                                            row["spec"].get("head_options") or ())))
            for row in rows]


def _introduction(document, rows, command):
    specs = [row["spec"] for row in rows]
    seeds = sorted({spec["seed"] for spec in specs})
    document.paragraph(
        f"{len(rows)} training runs, written {datetime.date.today().isoformat()}. Every run trains "
        "a small network of `keras_margin.models` (`small_cnn` for images, `text_cnn` for texts, "
        "`audio_cnn` for audio) with one head from scratch (Adam, cosine-decayed "
        "learning rate, or lowered on plateaus) and is measured on the dataset's fixed test split, which no run trains "
        "or validates on. Runs with the same seed share their data split, so heads and "
        "augmentation policies are compared on identical data. Tables give the mean ± 95% "
        f"confidence interval (Student t) over seeds ({len(seeds)} seed"
        f"{'s' if len(seeds) != 1 else ''}: {', '.join(map(str, seeds))}); with one seed there is "
        "no interval."
    )
    for study in ("closed-set", "open-set", "embedding-picture", "robustness"):
        chosen = [spec for spec in specs if spec["study"] == study]
        if chosen:
            document.paragraph(f"**{study}**: " + _grid_summary(chosen))
    document.paragraph(_convergence_caveat(specs, seeds))
    if command:
        document.paragraph(f"Reproduce with `{command}`.")


def _convergence_caveat(specs, seeds):
    """What the reader may conclude, given how the runs were stopped and how many seeds."""
    fixed = [spec for spec in specs if not spec.get("patience")]
    if not fixed:
        text = ("Every run trained until validation accuracy stopped rising (early stopping, the "
                "same patience for every head, best validation weights kept, at most the step "
                "budget); the tables give the steps each used.")
    else:
        budgets = "/".join(str(b) for b in sorted({spec["steps"] for spec in fixed}))
        text = (f"**Not trained to convergence**: {len(fixed)} of {len(specs)} runs trained a fixed "
                f"budget of {budgets} steps with no early stopping. Their numbers compare the heads "
                "at that budget only; margin heads often need more steps than softmax "
                "(docs/training_difficulties.md).")
    if len(seeds) < 2:
        text += " **One seed, short budget: illustrative only.**" if fixed else \
            " **One seed: no intervals, illustrative only.**"
    return text


def _grid_summary(specs):
    def values(field):
        found = sorted({spec.get(field) for spec in specs}, key=lambda v: (v is None, str(v)))
        found = sorted(found, key=lambda v: (v is None, v if isinstance(v, (int, float)) else 0))
        return ", ".join("all" if value is None else str(value) for value in found)

    return (f"datasets {values('dataset')}; heads {values('head')}; augmentation {values('augment')}; "
            f"samples per class {values('samples_per_class')}; seeds {values('seed')}; "
            f"training steps {values('steps')} (batch {values('batch_size')}); embedding size {values('embedding_dim')}"
            + (f"; early-stopping patience {values('patience')} validations" if any(
                spec.get("patience") for spec in specs) else "") + ".")


# `compare --tuned` runs every head at its own tuned learning rate and augmentation.
_TUNED_WITH_HEAD = ("learning_rate", "augment")


def _findings(document, rows):
    document.heading("What the numbers say")
    document.paragraph(
        "Each line compares runs that differ in one thing and share their seeds (so their data). "
        "\"better\" / \"worse\" means the 95% interval of the paired difference excludes zero; "
        "\"no clear difference\" means it does not. Differences are in percentage points."
    )
    sections = (
        ("Margin head instead of softmax (closed set, test accuracy)",
         findings.compare(rows, "closed-set", {"head": "softmax"}, "accuracy", tied=_TUNED_WITH_HEAD)),
        ("Augmentation instead of none (closed set, test accuracy)",
         findings.compare(rows, "closed-set", {"augment": "none"}, "accuracy")),
        ("Pre-training instead of none (closed set, test accuracy)",
         findings.compare(rows, "closed-set", {"pretraining": "none", "pretraining_steps": None},
                          "accuracy")),
        ("The claim: augmentation plus a margin head instead of plain softmax without augmentation "
         "(closed set, test accuracy)",
         [c for c in findings.compare(rows, "closed-set", {"head": "softmax", "augment": "none"},
                                      "accuracy") if len(c.candidate) == 2]),
        ("Margin head instead of softmax (open set, TAR at FAR 1e-2 on unseen identities)",
         findings.compare(rows, "open-set", {"head": "softmax"}, "tar_at_far_1e-2",
                          part="open_set_metrics", tied=_TUNED_WITH_HEAD)),
        ("Margin head instead of softmax (open set, equal error rate; lower is better)",
         findings.compare(rows, "open-set", {"head": "softmax"}, "eer", part="open_set_metrics",
                          higher_is_better=False, tied=_TUNED_WITH_HEAD)),
        ("Augmentation instead of none (open set, TAR at FAR 1e-2)",
         findings.compare(rows, "open-set", {"augment": "none"}, "tar_at_far_1e-2",
                          part="open_set_metrics")),
        ("Long-tailed training set: each head and remedy instead of plain softmax (balanced "
         "test set, accuracy)",
         findings.compare(rows, "long-tailed", {"head": "softmax", "remedy": "none"}, "accuracy")),
        ("Noisy labels: each head and remedy instead of plain softmax (clean test set, accuracy)",
         findings.compare(rows, "label-noise", {"head": "softmax", "remedy": "none"}, "accuracy")),
        ("Convergence: margin warm-up instead of none (accuracy)",
         findings.compare(rows, "convergence", {"remedy": "none"}, "accuracy")),
        ("Robustness: adversarial training instead of none (accuracy under PGD, mean over the "
         "epsilon grid)",
         findings.compare(rows, "robustness", {"adversarial": "none"}, "mean_pgd_accuracy",
                          part="robustness_metrics")),
        ("Robustness: margin head instead of softmax (accuracy under corruptions, mean over "
         "corruptions and severities)",
         findings.compare(rows, "robustness", {"head": "softmax"}, "mean_corruption_accuracy",
                          part="robustness_metrics")),
        ("Robustness: margin head instead of softmax (accuracy under PGD, mean over the epsilon "
         "grid)",
         findings.compare(rows, "robustness", {"head": "softmax"}, "mean_pgd_accuracy",
                          part="robustness_metrics")),
        ("Robustness: augmentation instead of none (accuracy under corruptions)",
         findings.compare(rows, "robustness", {"augment": "none"}, "mean_corruption_accuracy",
                          part="robustness_metrics")),
        ("Text: EDA instead of none (test accuracy)",
         findings.compare(rows, "text", {"augment": "none"}, "accuracy")),
        ("Text: margin head instead of softmax (test accuracy)",
         findings.compare(rows, "text", {"head": "softmax"}, "accuracy", tied=_TUNED_WITH_HEAD)),
    )
    for title, comparisons in sections:
        if not comparisons:
            continue
        document.heading(title, level=3)
        counts = {verdict: sum(c.verdict == verdict for c in comparisons)
                  for verdict in ("better", "worse", "no clear difference", "single seed, no interval")}
        document.paragraph(
            f"{len(comparisons)} comparisons: better in {counts['better']}, worse in "
            f"{counts['worse']}, no clear difference in {counts['no clear difference']}"
            + (f", single seed (no verdict) in {counts['single seed, no interval']}"
               if counts["single seed, no interval"] else "") + "."
        )
        groups = (
            ("Helped:", ("better",)),
            ("Did **not** help (worse, or no clear difference):", ("worse", "no clear difference")),
            ("Undecided (one seed, so no interval; read the sign with care):",
             ("single seed, no interval",)),
        )
        for heading, verdicts in groups:
            chosen = [c for c in comparisons if c.verdict in verdicts]
            if chosen:
                document.paragraph(heading)
                document.bullets(findings.describe(c) for c in chosen)


def _closed_set(document, rows, figures):
    groups = by_config(rows, "closed-set")
    if not groups:
        return
    document.heading("Closed set: test accuracy against training-set size")
    sizes = sorted({config[4] for config in groups}, key=lambda v: (v is None, v or 0))
    pairs = sorted({(config[2], config[3]) for config in groups})
    table = []
    for head, augment in pairs:
        cells = [head, augment]
        for size in sizes:
            runs = [runs for config, runs in groups.items()
                    if config[2] == head and config[3] == augment and config[4] == size]
            values = [metric_value(r, "accuracy") for group in runs for r in group.values()]
            cells.append(format_mean(values) if values else "—")
        table.append(cells)
    document.table(["head", "augment"] + [f"{'all' if s is None else s} per class" for s in sizes], table)
    figure = plots.accuracy_against_samples(rows, os.path.join(figures, "accuracy_vs_samples.png"))
    if figure:
        document.figure(figure, "Test accuracy against training samples per class (error bars: 95% "
                        "interval over seeds).")

    document.heading("Closed set: all metrics", level=3)
    detail = []
    for config, runs in sorted(groups.items(), key=config_order):
        cells = [config[2], config[3], "all" if config[4] is None else config[4]]
        for name, _ in CLOSED_SET_COLUMNS:
            digits = 1 if name in _ANGLES else 3
            cells.append(format_mean([metric_value(r, name) for r in runs.values()], digits))
        cells.append(steps_used(runs.values()))
        cells.append(f"{sum(r['train_seconds'] for r in runs.values()) / len(runs):.0f}")
        detail.append(cells)
    document.table(["head", "augment", "per class"] + [label for _, label in CLOSED_SET_COLUMNS]
                   + [STEPS_USED, "training s"], detail)
    figure = plots.learning_curves(rows, os.path.join(figures, "learning_curves.png"))
    if figure:
        document.figure(figure, "Learning curves: validation accuracy at each tenth of training, mean over seeds.")
    figure = plots.angle_histograms(rows, os.path.join(figures, "angle_histograms.png"))
    if figure:
        document.figure(figure, "Angle between each test embedding and its class centre, per head "
                        "(closed-set runs pooled). Margin heads should pull this distribution left.")


def _open_set(document, rows, figures):
    groups = by_config(rows, "open-set")
    if not groups:
        return
    document.heading("Open set: verification on identities never seen in training")
    document.paragraph(
        "Genuine and impostor pairs are drawn from the held-out identities; the score of a pair "
        "is the cosine of its two embeddings. TAR@FAR is the true accept rate at the threshold "
        "whose false accept rate is at most the target; the 10-fold accuracy follows the LFW "
        "protocol (threshold chosen on 9 folds, measured on the 10th). \"seen-class accuracy\" "
        "is the closed-set test accuracy on the training identities."
    )
    table = []
    for config, runs in sorted(groups.items(), key=config_order):
        cells = [config[1], config[2], config[3]]
        cells += [format_mean([metric_value(r, name, "open_set_metrics") for r in runs.values()])
                  for name, _ in OPEN_SET_COLUMNS]
        cells.append(format_mean([metric_value(r, "accuracy") for r in runs.values()]))
        cells += [format_mean([metric_value(r, name) for r in runs.values()])
                  for name in ("expected_calibration_error", "calibrated_expected_calibration_error")]
        cells.append(steps_used(runs.values()))
        table.append(cells)
    document.table(["dataset", "head", "augment"] + [label for _, label in OPEN_SET_COLUMNS]
                   + ["seen-class accuracy", "seen-class ECE", "ECE after temperature scaling",
                      STEPS_USED], table)
    figure = plots.roc_curves(rows, os.path.join(figures, "roc_unseen_identities.png"))
    if figure:
        document.figure(figure, "ROC of verification on unseen identities (mean TAR over seeds).")


def _embedding_pictures(document, rows, figures):
    figure = plots.embedding_pictures(rows, os.path.join(figures, "embeddings_2d.png"))
    if figure:
        document.heading("Two-dimensional embeddings")
        document.paragraph(
            "Heads trained with `embedding_dim=2`; dots are test images coloured by class, rays are "
            "the class centres' directions. Softmax separates classes by direction and length; "
            "margin heads compress each class into a narrower angle."
        )
        document.figure(figure, "2-D embeddings of test images per head.")


_DIFFICULTIES = (
    ("long-tailed", "Long-tailed training set",
     "Training classes shrink exponentially from the first to the last (largest over smallest "
     "count = the imbalance ratio); the test set stays balanced, so accuracy is the mean "
     "per-class accuracy. `class-weights`: inverse-frequency loss weights; `drw`: deferred "
     "re-weighting (effective-number weights over the last fifth of training), with LDAM's "
     "per-class margins."),
    ("label-noise", "Noisy training labels",
     "A fraction of the training labels is flipped to another class at random (symmetric "
     "noise); validation and test labels are clean. `bootstrapping`: hard bootstrapping loss "
     "(Reed et al. 2015). `sub-center-cleaning`: train Sub-center ArcFace, drop the samples "
     "more than 75° from their class's dominant sub-centre, train again on the rest (twice "
     "the training cost); the table gives how many dropped samples were really corrupted "
     "(precision) and how many corrupted samples were dropped (recall)."),
    ("convergence", "Convergence",
     "ArcFace from scratch, with the margin switched on at once or ramped in over the first "
     "30% of the steps (`margin-warmup`). The figure shows training loss and validation "
     "accuracy along training."),
)


def _difficulties(document, rows, figures):
    for study, title, explanation in _DIFFICULTIES:
        groups = by_config(rows, study)
        if not groups:
            continue
        document.heading(title)
        document.paragraph(explanation)
        table = []
        for config, runs in sorted(groups.items(), key=config_order):
            spec = next(iter(runs.values()))["spec"]
            cells = [spec["head"], spec.get("remedy", "none")]
            if study == "label-noise":
                cells.append(f"{spec['label_noise']:.0%}")
            for name in ("accuracy", "macro_f1", "expected_calibration_error"):
                cells.append(format_mean([metric_value(r, name) for r in runs.values()]))
            cells.append(steps_used(runs.values()))
            cleaning = [r["cleaning"] for r in runs.values() if "cleaning" in r]
            cells.append(
                f"{format_mean([c['precision'] for c in cleaning], 2)} / "
                f"{format_mean([c['recall'] for c in cleaning], 2)}" if cleaning else "—")
            table.append(cells)
        header = ["head", "remedy"] + (["label noise"] if study == "label-noise" else [])
        document.table(header + ["accuracy", "macro F1", "ECE", STEPS_USED,
                                 "cleaning precision / recall"], table)
        if study == "long-tailed":
            figure = plots.per_class_accuracy(rows, study, os.path.join(figures, "long_tailed.png"))
            if figure:
                document.figure(figure, "Test accuracy per class, classes ordered from the most to "
                                "the least frequent in training (mean over seeds).")
        if study == "convergence":
            figure = plots.training_curves(rows, study, os.path.join(figures, "convergence.png"))
            if figure:
                document.figure(figure, "Training loss (with the margin, as trained) and validation "
                                "accuracy along training, mean over seeds.")


def _robustness(document, rows, figures):
    groups = {config: runs for config, runs in by_config(rows, "robustness").items()
              if all("robustness" in run for run in runs.values())}
    if not groups:
        return
    example = next(iter(next(iter(groups.values())).values()))["robustness"]
    families = {family: names for family, names in example["families"].items() if names}
    epsilons = example["pgd"]["epsilons"]
    document.heading("Robustness: common corruptions and adversarial attacks")
    document.paragraph(
        f"Each model is measured on a seeded sample of {example['test_images']} test images "
        "(the same images for every run of a seed): clean, under each corruption of "
        "`keras_margin.robustness` at severities 1-5 "
        f"({', '.join(name for names in families.values() for name in names)}), and under "
        f"L-infinity PGD ({example['pgd']['steps']} steps, random start, step 2.5ε/steps) at "
        f"ε = {', '.join(f'{e:g}' for e in epsilons)} (0-255 pixels). PGD runs twice, with the "
        "cross-entropy and with the Carlini-Wagner margin loss (a margin head's scale can mask "
        "the cross-entropy's gradient); an image counts as robust only if it survives both. "
        "mCE is the mean corruption error of Hendrycks & Dietterich (2019): per corruption, the "
        "error summed over severities divided by that of plain softmax without augmentation and "
        "without adversarial training on the same data and seed, averaged over corruptions "
        "(1.00 = that baseline, lower is better). Adversarial training (`adversarial`) replaces "
        "each training batch by PGD (Madry et al. 2018) or FGSM-with-random-start (Wong et al. "
        "2020) examples crafted on the inference logits. Reference point: Pang et al. (NeurIPS "
        "2020) report that normalised features and weights with an angular margin improve "
        "adversarial training. Overlap: with the `standard` policy, `translate` at severities "
        "1-2 and `scale` at 1 are inside the training augmentation's range "
        "(docs/robustness.md), so those cells are not unseen shifts."
    )
    errors = corruption_errors(rows)
    table = []
    for config, runs in sorted(groups.items(), key=config_order):
        spec = next(iter(runs.values()))["spec"]
        details = [run["robustness"] for run in runs.values()]
        cells = [spec["dataset"], spec["head"], spec["augment"], spec.get("adversarial", "none"),
                 format_mean([d["clean_accuracy"] for d in details]),
                 format_mean(list(errors.get(config, {}).values()), 2)]
        for names in families.values():
            cells.append(format_mean([float(sum(sum(d["corruption_accuracy"][n]) for n in names))
                                      / (5 * len(names)) for d in details]))
        for index in range(len(epsilons)):
            cells.append(format_mean([d["pgd"]["accuracy"][index] for d in details]))
        cells.append(steps_used(runs.values()))
        table.append(cells)
    baseline = ", ".join(f"{field}={value}" for field, value in CORRUPTION_BASELINE.items())
    document.table(["dataset", "head", "augment", "adversarial", "clean accuracy",
                    f"mCE (vs {baseline})"]
                   + [f"{family} accuracy" for family in families]
                   + [f"PGD ε={e:g}" for e in epsilons] + [STEPS_USED], table)
    for dataset in sorted({config[1] for config in groups}):
        figure = plots.robustness_against_severity(
            rows, dataset, os.path.join(figures, f"robustness_severity_{dataset}.png"))
        if figure:
            document.figure(figure, f"{dataset}: accuracy against corruption severity per family "
                            "(severity 0 = clean), mean over the family's corruptions and over seeds.")
    figure = plots.robustness_against_epsilon(rows, os.path.join(figures, "robustness_epsilon.png"))
    if figure:
        document.figure(figure, "Accuracy under L-infinity PGD against ε (worst of the cross-entropy "
                        "and margin attacks; ε = 0 is clean), mean over seeds.")


# Wei & Zou 2019, Table 2: EDA's average gain in accuracy points over five datasets
# (CNN and RNN), by training-set size, as the issue that asked for this study quotes it.
EDA_PAPER_GAINS = {500: 3.0, 2000: 0.8}


def _text(document, rows):
    groups = by_config(rows, "text")
    if not groups:
        return
    document.heading("Text: EDA on limited data")
    document.paragraph(
        "The EDA paper's limited-data setting: N training texts, the `text_cnn` backbone, "
        "with and without EDA at the paper's recommended parameters for N (alpha 0.05 and 16 "
        "augmented copies per text at N = 500; alpha 0.05 and 8 copies at N = 2,000). Every "
        "run has the same number of optimizer steps, with or without the copies."
    )
    table = []
    for config, runs in sorted(groups.items(), key=config_order):
        spec = next(iter(runs.values()))["spec"]
        table.append([spec["dataset"], spec.get("num_train") or "all", spec["head"], spec["augment"],
                      format_mean([metric_value(r, "accuracy") for r in runs.values()]),
                      format_mean([metric_value(r, "macro_f1") for r in runs.values()]),
                      steps_used(runs.values())])
    document.table(["dataset", "N", "head", "augment", "accuracy", "macro F1", STEPS_USED], table)
    gains = findings.compare(rows, "text", {"augment": "none"}, "accuracy")
    lines = []
    for size in sorted({c.context.get("num_train") for c in gains}, key=lambda v: (v is None, v or 0)):
        chosen = [c.difference * 100 for c in gains if c.context.get("num_train") == size]
        paper = EDA_PAPER_GAINS.get(size)
        lines.append(f"N = {size}: measured EDA gain {sum(chosen) / len(chosen):+.1f} points (mean of "
                     f"{len(chosen)} dataset x head comparisons); the EDA paper reports "
                     + (f"{paper:+.1f}" if paper is not None else "no number for this size") + ".")
    document.bullets(lines)


def _data(document, rows):
    seen = {}
    for row in rows:
        # Merged over rows: rows written by older versions may lack some facts.
        facts = seen.setdefault((row["spec"]["study"], row["dataset"]["name"]), {})
        facts.update({key: value for key, value in row["dataset"].items() if value})
    document.heading("Data")
    items = []
    for (study, name), facts in sorted(seen.items()):
        text = (f"{study}: `{name}` from {facts.get('source', '?')}; {facts.get('num_classes')} "
                f"training classes, {facts.get('num_test')} test examples")
        if facts.get("unseen_class_names"):
            text += f"; unseen identities: {len(facts['unseen_class_names'])}"
        if facts.get("fonts"):
            text += f"; fonts used: {', '.join(map(str, facts['fonts']))}"
        items.append(text)
    document.bullets(items)


def _write_csv(rows, path):
    spec_fields = ["study", "dataset", "head", "head_options", "augment", "samples_per_class",
                   "seed", "steps", "patience", "embedding_dim", "batch_size", "learning_rate",
                   "adversarial", "pretraining", "pretraining_steps"]
    closed = sorted({name for row in rows for name in row.get("metrics", {})})
    opened = sorted({name for row in rows for name in row.get("open_set_metrics", {})})
    robust = sorted({name for row in rows for name in row.get("robustness_metrics", {})})
    header = (["key"] + spec_fields + closed + [f"open_set_{name}" for name in opened]
              + [f"robustness_{name}" for name in robust]
              + ["steps_used", "best_step", "stopped_early", "train_seconds", "total_seconds"])
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [row["key"]] + [_csv_spec_value(row["spec"], field) for field in spec_fields]
            + [row.get("metrics", {}).get(name) for name in closed]
            + [row.get("open_set_metrics", {}).get(name) for name in opened]
            + [row.get("robustness_metrics", {}).get(name) for name in robust]
            + [row.get("steps_used"), row.get("best_step"), row.get("stopped_early"),
               row.get("train_seconds"), row.get("total_seconds")]
        )
    write_atomically(path, text.getvalue())


def _csv_spec_value(spec, field):
    if field in ("adversarial", "pretraining"):
        return spec.get(field, "none")  # rows written before the field: plain training
    if field == "head_options":
        # "margin=0.2 scale=16"; empty for the head's defaults.
        return " ".join(f"{name}={format_value(value)}" for name, value in spec.get("head_options") or ())
    return spec.get(field)

