"""Text augmentation policies: EDA with the paper's parameters for the training-set size.

| policy | `layers` (tf.data) | `copies` |
| --- | --- | --- |
| `"none"` | nothing | None |
| `"eda"` | one `EDA` layer, all four operations at `alpha` | `num_aug` |

`alpha` and `num_aug` are those Wei & Zou (2019, Table 3) recommend for the number of
training texts (`EDA_PARAMETERS`): the fewer texts, the more copies of each. The
policy keeps every text and adds `num_aug` augmented copies; `policy.apply(train, seed,
batch_size)` reshuffles them into batches of the usual size.

```python
train, val, test = keras_margin.data.load_text("fortunes", num_train=500, seed=0)
eda = keras_margin.augment.text.policy("eda", num_train=500)
train = eda.apply(train, seed=0, batch_size=64)     # 500 texts + 16 copies each
```
"""

from keras_margin.augment.policy import Policy
from keras_margin.augment.text.eda import EDA
from keras_margin.utils import validation

POLICIES = ("none", "eda")

# The EDA paper's recommended parameters (Wei & Zou 2019, Table 3) by training-set size:
# (largest size, alpha for all four operations, augmented copies per text).
EDA_PARAMETERS = ((500, 0.05, 16), (2000, 0.05, 8), (5000, 0.1, 4), (None, 0.1, 4))

_DESCRIPTIONS = {
    "none": "no augmentation",
    "eda": "EDA (synonym replacement, random insertion, swap, deletion; one per text) with "
           "Wei & Zou's alpha and number of copies for the training-set size",
}


def eda_parameters(num_train):
    """`(alpha, num_aug)` the EDA paper recommends for `num_train` training texts.

    Example:

    >>> from keras_margin.augment import text
    >>> text.eda_parameters(500), text.eda_parameters(None)
    ((0.05, 16), (0.1, 4))
    """
    for largest, alpha, num_aug in EDA_PARAMETERS:
        if largest is None or (num_train is not None and num_train <= largest):
            return alpha, num_aug
    return EDA_PARAMETERS[-1][1:]


def describe(name):
    """A one-line summary of policy `name`."""
    return _DESCRIPTIONS[_check_name(name)]


def policy(name, num_train=None, seed=None):
    """Returns the text `Policy` named `name` (see the module docstring for the table).

    Args:
        name: one of `POLICIES`: `"none"` or `"eda"`.
        num_train: the number of training texts, which sets EDA's `alpha` and `num_aug`
            (`eda_parameters`); None takes the parameters for more than 5,000 texts.
        seed: None or an integer >= 0: the EDA layer's own `seed` argument (folded into
            every element seed that `apply` hands it).

    Returns:
        A `keras_margin.augment.Policy` of modality `"text"`: for `"eda"`, `layers` is
        one `EDA` layer and `copies` its `num_aug`; for `"none"`, nothing.

    Raises:
        ValueError: naming the argument, for an unknown `name` or a bad `num_train` or
            `seed`.

    Example:

    >>> from keras_margin.augment import text
    >>> eda = text.policy("eda", num_train=500, seed=0)
    >>> eda
    <Policy 'eda' (text): EDA; 16 copies>
    >>> eda.layers[0].alpha_sr, eda.copies
    (0.05, 16)
    """
    name = _check_name(name)
    if num_train is not None:
        num_train = validation.integer_at_least(num_train, 1, "num_train")
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    if name == "none":
        return Policy(name, "text")
    alpha, num_aug = eda_parameters(num_train)
    eda = EDA(alpha_sr=alpha, alpha_ri=alpha, alpha_rs=alpha, p_rd=alpha, seed=seed)
    return Policy(name, "text", layers=(eda,), copies=num_aug)


def _check_name(name):
    if not isinstance(name, str) or name not in POLICIES:
        raise ValueError(f"Unknown text augmentation policy {name!r}; choose one of: "
                         f"{', '.join(POLICIES)}.")
    return name
