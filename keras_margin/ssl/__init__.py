"""Self-supervised and supervised contrastive pre-training of a backbone.

- `two_views(dataset, augment, seed)`: two augmented views of every example, made in
  `tf.data` by `keras_margin.augment.seeded_map` (reproducible under parallelism).
- `SimCLR(backbone, ...)`: projection head + NT-Xent on the views of unlabelled data
  (`keras_margin.data.unlabelled_pool`), trained with `model.fit`; `SupCon` the
  supervised variant (SupConLoss on labelled views).
- `linear_probe`, `knn_accuracy`: how good the frozen `model.backbone` is.

Then fine-tune: `keras_margin.MarginModel(model.backbone, keras_margin.heads.ArcFace(...))`.
See docs/ssl.md. Built on `tf.data` (the views), so it needs TensorFlow whatever the
Keras backend; it sits above `models` and `retrieval`, and nothing below imports it.
"""

from keras_margin.utils.quiet import import_tensorflow_quietly

import_tensorflow_quietly()  # first, on any Keras backend: the views are made in tf.data

from keras_margin.ssl.evaluation import features  # noqa: E402
from keras_margin.ssl.evaluation import knn_accuracy  # noqa: E402
from keras_margin.ssl.evaluation import linear_probe  # noqa: E402
from keras_margin.ssl.simclr import SimCLR  # noqa: E402
from keras_margin.ssl.supcon import SupCon  # noqa: E402
from keras_margin.ssl.views import two_views  # noqa: E402

__all__ = ["SimCLR", "SupCon", "features", "knn_accuracy", "linear_probe", "two_views"]
