"""`class_sharded`: a Keras distribution that splits a head's class centres by class."""

import re

import keras
from keras import backend

from keras_margin.heads.base import MarginHead
from keras_margin.utils import validation


def class_sharded(head, devices=None, model_devices=None, batch_dim_name="batch", model_dim_name="model"):
    """A `keras.distribution.ModelParallel` that splits `head`'s centres across devices.

    The devices form a (batch, model) mesh. The head's kernel is split along its class
    axis (`head.class_axis`: the columns of a full head's (D, C*K) kernel, the rows of a
    sampling head's (C*K, D) one) over the `model` devices, so each holds the centres of
    C / model_devices classes, and the optimizer's slots for the kernel follow it.
    Every other variable is replicated, and batches are split over the `batch` devices
    (data parallel). GSPMD partitions the logits matmul, the gather of sampled centres
    and the update; the head's code is the same on one device and on many.

    Set the distribution after creating the head and before building the model, so
    the kernel is created with its layout (the few variables the head creates in its
    constructor, such as `margin_scale`, are moved onto the devices, replicated):

    ```python
    head = km.heads.ArcFace(num_classes, sample_rate=0.1)
    keras.distribution.set_distribution(km.distribution.class_sharded(head))
    model = km.MarginModel(backbone, head)   # built and trained sharded
    ```

    Only the JAX backend shards variables: Keras' TensorFlow distribution backend
    accepts a `ModelParallel` and ignores it (the centres would stay whole on one
    device), so other backends raise instead.

    Args:
        head: an unbuilt `keras_margin.heads.MarginHead`; its `name` locates the kernel.
        devices: the devices to use (default: `keras.distribution.list_devices()`).
        model_devices: how many devices split the centres (default: all of them); the
            rest of the mesh, `len(devices) // model_devices`, is data parallel. Must
            divide the number of devices and the number of centres, C*K.
        batch_dim_name: the mesh axis that splits batches.
        model_dim_name: the mesh axis that splits the centres.

    Returns:
        A `keras.distribution.ModelParallel`, for `keras.distribution.set_distribution`
        or as a context manager (`with distribution.scope(): ...`).

    Example (JAX backend):

    >>> import keras, keras_margin as km
    >>> head = km.heads.CosFace(8, sample_rate=0.5, name="head")
    >>> distribution = km.distribution.class_sharded(head)
    >>> distribution.device_mesh.axis_names
    ['batch', 'model']
    >>> distribution._layout_map["margin_model/head/kernel"].axes  # rows (C, D)
    ('model', None)

    References:
        - Xiang An et al., "Partial FC: Training 10 Million Identities on a Single
          Machine", ICCV Workshops 2021 (centres split by class across GPUs).
        - Lianmin Zheng, Yuanzhong Xu et al., "GSPMD: General and Scalable
          Parallelization for ML Computation Graphs", 2021.
    """
    if backend.backend() != "jax":
        raise ValueError(
            "class_sharded needs the JAX backend (KERAS_BACKEND=jax): Keras' "
            f"{backend.backend()} backend does not shard variables, and would silently keep "
            "every centre on one device."
        )
    if not isinstance(head, MarginHead):
        raise ValueError(f"`head` must be a keras_margin MarginHead; received {type(head).__name__}.")
    if head.built:
        raise ValueError(
            f"`head` ({head.name!r}) is already built, so its kernel exists unsharded; "
            "create the distribution before building the model."
        )
    devices = list(keras.distribution.list_devices() if devices is None else devices)
    if model_devices is None:
        model_devices = len(devices)
    model_devices = validation.integer_at_least(model_devices, 1, "model_devices")
    if len(devices) % model_devices:
        raise ValueError(
            f"`model_devices` ({model_devices}) must divide the number of devices ({len(devices)})."
        )
    centers = head.num_classes * head.centers_per_class
    if centers % model_devices:
        raise ValueError(
            f"`model_devices` ({model_devices}) must divide the number of class centres "
            f"({centers}), so that every device holds whole classes."
        )
    mesh = keras.distribution.DeviceMesh(
        (len(devices) // model_devices, model_devices), [batch_dim_name, model_dim_name], devices
    )
    layout = [None, None]
    layout[head.class_axis] = model_dim_name
    layout_map = keras.distribution.LayoutMap(mesh)
    # The key is matched against the variable's full path ("margin_model/head/kernel");
    # a bare "head/kernel" would match nothing and leave the centres replicated.
    layout_map[f"(.*/)?{re.escape(head.name)}/kernel"] = tuple(layout)
    distribution = keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=batch_dim_name)
    _replicate_existing_variables(head, distribution)
    return distribution


def _replicate_existing_variables(head, distribution):
    """Moves the variables `head` made before the distribution existed onto its mesh.

    A head creates some variables in its constructor (`margin_scale`, the sampling seed's
    state), on the default device; JAX cannot compile a step whose state mixes those with
    mesh-placed variables.
    """
    import jax

    for variable in head.variables:
        layout = distribution.get_variable_layout(variable)
        variable.assign(jax.device_put(variable.value, layout.backend_layout))
