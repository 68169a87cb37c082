"""Shared by `embed`, `enroll`, `search`, `verify` and `serve`: loading the exported model,
embedding image files with a progress bar, image folders, stored thresholds."""

import os
import sys

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
# Images decoded and embedded per model call.
BATCH_SIZE = 256


def load_model(path, usage_error):
    """The exported model as a `ServingModel`, or a one-line usage error."""
    from keras_margin.cli.serving import ServingModel

    if not os.path.isdir(path):
        raise usage_error(f"no such model folder: {path}")
    try:
        return ServingModel(path)
    except (ValueError, OSError) as error:
        raise usage_error(" ".join(str(error).split())) from None


def check_files(paths, usage_error):
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        raise usage_error(f"no such image file: {missing[0]}")


def embed_files(model, paths, usage_error, description="embedding"):
    """(len(paths), dim) float32 unit embeddings; a progress bar on a terminal."""
    import numpy as np
    from tqdm import tqdm

    from keras_margin.cli.predict import _read_image

    chunks = []
    with tqdm(total=len(paths), desc=description, unit="image", file=sys.stderr, disable=None,
              leave=False) as progress:
        for start in range(0, len(paths), BATCH_SIZE):
            batch = paths[start:start + BATCH_SIZE]
            try:
                images = np.stack([_read_image(path, model.input_shape) for path in batch])
            except ValueError as error:
                raise usage_error(str(error)) from None
            chunks.append(model(images, batch_size=BATCH_SIZE)["embedding"])
            progress.update(len(batch))
    return np.concatenate(chunks).astype(np.float32)


def identity_folder(spec, usage_error):
    """`(paths, labels)` of `folder:PATH`: one sub-folder per identity, its name the label."""
    if not spec.startswith("folder:"):
        raise usage_error(f"--data must be folder:PATH (one sub-folder per identity); received {spec!r}")
    root = spec[len("folder:"):]
    if not os.path.isdir(root):
        raise usage_error(f"--data: no such folder: {root}")
    paths, labels = [], []
    for identity in sorted(os.listdir(root)):
        folder = os.path.join(root, identity)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                paths.append(os.path.join(folder, name))
                labels.append(identity)
    if not paths:
        raise usage_error(f"--data: {root} holds no images in sub-folders (one per identity); "
                          f"image files end in {', '.join(IMAGE_EXTENSIONS)}")
    return paths, labels


def stored_threshold(model, far, usage_error):
    """`(far_key, threshold)` stored in the model by `export(thresholds=...)` for `far`."""
    from keras_margin.metrics.report import far_key

    if not model.thresholds:
        raise usage_error(f"{model.path} stores no verification thresholds; export it with "
                          "MarginModel.export(..., thresholds={far: threshold}) or pass --threshold")
    key = far_key(far)
    if key not in model.thresholds:
        raise usage_error(f"--far {far:g}: {model.path} stores thresholds for FAR "
                          f"{', '.join(model.thresholds)} only")
    return key, model.thresholds[key]


def far_argument(text):
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"a FAR must lie in (0, 1]; received {text}")
    return value


def load_gallery(directory, usage_error, dim):
    from keras_margin.retrieval import Gallery

    try:
        gallery = Gallery.load(directory)
    except (ValueError, OSError) as error:
        raise usage_error(" ".join(str(error).split())) from None
    if gallery.dim != dim:
        raise usage_error(f"{directory} holds embeddings of size {gallery.dim}, the model makes {dim}")
    return gallery


def embedding_dim(model):
    import numpy as np

    return int(model(np.zeros((1, *model.input_shape)))["embedding"].shape[1])
