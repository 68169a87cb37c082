"""The hyper-parameters `keras-margin tune` searches for each head, read from the heads.

A head's space: the learning rate and the augmentation policy for every head; the
scale when the head's constructor takes one (and the choice of `scale="auto"` when the
head accepts it); the head's margins from `MARGIN_RANGES`; for a loss on embeddings
(`triplet`, ...), its option from `PAIR_LOSS_RANGES`. A test builds every head at
both ends of every range, so a range never leaves what the head accepts.
"""

import dataclasses
import inspect

import keras_margin as km
from keras_margin.studies import pair_losses
from keras_margin.studies.run_spec import JOINT_SEPARATOR
from keras_margin.studies.run_spec import head_names

# Bumped whenever the search space changes, so a changed space starts new studies
# instead of mixing its trials with the old ones.
SEARCH_SPACE_VERSION = 1

LEARNING_RATE_RANGE = (1e-4, 1e-2)
# From about AdaCos' fixed scale sqrt(2) ln(C - 1) for tens of classes (4 at C = 18) to
# the face-recognition default 64; searched on a log scale.
SCALE_RANGE = (4.0, 64.0)
# The margins searched per head: (option, low, high), integers for the multiplicative
# margins. Each range lies inside what the head accepts (a test builds every endpoint)
# and spans the papers' defaults; a head absent here searches no margin.
MARGIN_RANGES = {
    "arcface": (("margin", 0.05, 0.8),),
    "subcenterarcface": (("margin", 0.05, 0.8),),
    "curricularface": (("margin", 0.05, 0.8),),
    "adaface": (("margin", 0.05, 0.8),),
    "elasticface": (("margin", 0.05, 0.8),),
    "cosface": (("margin", 0.05, 0.6),),
    "combinedmargin": (("m2", 0.0, 0.6), ("m3", 0.0, 0.4)),
    "ldam": (("max_margin", 0.1, 1.0),),
    "sphereface": (("margin", 1, 4),),
    "largemarginsoftmax": (("margin", 1, 4),),
}
# The losses on embeddings (`studies.pair_losses`): (option, low, high, log), around
# pytorch-metric-learning's defaults (triplet margin 0.05, FaceNet's 0.2; contrastive
# negative margin 1; multi-similarity base 0.5; SupCon temperature 0.1).
PAIR_LOSS_RANGES = {
    "triplet": (("margin", 0.01, 0.5, True),),
    "contrastive": (("neg_margin", 0.3, 1.5, False),),
    "multisimilarity": (("base", 0.2, 0.8, False),),
    "supcon": (("temperature", 0.03, 0.5, True),),
}
@dataclasses.dataclass(frozen=True)
class Parameter:
    """One searched hyper-parameter: a float or int range, or categorical `choices`.

    `condition` is `(parameter, value)`: searched only when that parameter took that
    value (the scale only when `scale_rule` is `"fixed"`)."""

    name: str
    low: float = None
    high: float = None
    log: bool = False
    choices: tuple = ()
    condition: tuple = ()

    def suggest(self, trial):
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(self.name, self.low, self.high, log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


def search_space(head, augments):
    """The `Parameter`s searched for `head`: its scale when it has one ("auto" too when
    the head accepts it), its margins (`MARGIN_RANGES`), the learning rate and the
    augmentation policy among `augments` (for a loss on embeddings, those it can train
    with: not `pair_losses.REFUSED_POLICIES`).

    A joint model (`"softmax+arcface"`) searches the learning rate, the augmentation
    and the options of its margin heads: `RunSpec` gives its `head_options` to every
    head but `softmax`, so those are what can be tuned.
    """
    if pair_losses.is_pair_loss(head):
        augments = [name for name in augments if name not in pair_losses.REFUSED_POLICIES]
    space = [Parameter("learning_rate", *LEARNING_RATE_RANGE, log=True),
             Parameter("augment", choices=tuple(augments))]
    for name in _option_heads(head):
        space += [parameter for parameter in _head_space(name) if parameter not in space]
    return space


def _head_space(head):
    if head in PAIR_LOSS_RANGES:
        return [Parameter(name, low, high, log=log) for name, low, high, log in PAIR_LOSS_RANGES[head]]
    space = []
    if "scale" in inspect.signature(km.heads.get(head).__init__).parameters:
        if accepts(head, scale="auto"):
            space += [Parameter("scale_rule", choices=("fixed", "auto")),
                      Parameter("scale", *SCALE_RANGE, log=True, condition=("scale_rule", "fixed"))]
        else:
            space.append(Parameter("scale", *SCALE_RANGE, log=True))
    return space + [Parameter(name, low, high)
                    for name, low, high in MARGIN_RANGES.get(head_name(head), ())]


def _option_heads(head):
    """The heads of `head` that receive `head_options` (all but softmax in a joint model)."""
    names = head_names(head)
    if len(names) == 1:
        return names
    return [name for name in names if km.heads.get(name) is not km.heads.Softmax]


def suggest(trial, space):
    """Draws `space` in `trial`; returns the params as `settings_from_params` reads them."""
    params = {}
    for parameter in space:
        if not parameter.condition or params.get(parameter.condition[0]) == parameter.condition[1]:
            params[parameter.name] = parameter.suggest(trial)
    return params


def settings_from_params(params):
    """`(head_options, learning_rate, augment)` of a trial's params."""
    options = {name: value for name, value in params.items()
               if name not in ("learning_rate", "augment", "scale_rule")}
    if params.get("scale_rule") == "auto":
        options["scale"] = "auto"
    return options, params["learning_rate"], params["augment"]


def accepts(head, **options):
    """True when `head`, built for 10 classes, takes `options` (every margin head of a
    joint model)."""
    try:
        for name in _option_heads(head):
            km.heads.create(name, 10, [1] * 10, **options)
    except (TypeError, ValueError):
        return False
    return True


def head_name(head):
    """The registry's name of `head` (`"ArcFace"` -> `"arcface"`, aliases resolved;
    `"Softmax+ArcFace"` -> `"softmax+arcface"`).

    Raises:
        ValueError: for a name no head has.
    """
    if head in PAIR_LOSS_RANGES:
        return head
    return JOINT_SEPARATOR.join(km.heads.get(name).__name__.lower() for name in head_names(head))
