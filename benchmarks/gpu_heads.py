"""Cosine heads on a GPU under JAX, against the Dense floor and PyTorch's margin losses.

One training step of the classification layer, forward and backward: logits, the
cross-entropy, the gradients for the embeddings and the class centres, and a plain-SGD
update of the centres, at C = 1,000,000 classes, D = 512, B = 1024 by default.

- JAX (Keras 3 with `KERAS_BACKEND=jax`, set here): each keras_margin head of `HEADS`
  present in `km.heads.names()`, and the floor, a bias-free `Dense` with the same loss
  (`km.losses.CrossEntropy`, computed in float32 as in `MarginModel`). Each step is one
  `jax.jit` of the layer's `stateless_call` with the centres donated (updated in place).
- PyTorch, same process: pytorch-metric-learning's `ArcFaceLoss` / `CosFaceLoss` when the
  package imports, else a plain-PyTorch re-implementation of those two losses' formulas
  (rows labelled `torch-formula`), and a PyTorch floor (`F.linear` + `F.cross_entropy`).
  Eager PyTorch, as those losses are used.

`bfloat16` means what each framework's users get: under Keras, the `mixed_bfloat16`
policy with bfloat16 embeddings (float32 variables; the floor's matmul runs in bfloat16,
while keras_margin heads compute in float32 under any mixed policy, by design); under
PyTorch, bfloat16 embeddings and centres (pytorch-metric-learning casts its centres to
the embeddings' dtype itself). The Keras loss is computed in float32. float32 matmuls run
at full float32 precision on both sides (no TF32) unless `--tf32`.

Times are the median of `--rounds` timed steps after `--warmup` steps, with the device
synchronised (`block_until_ready` / `torch.cuda.synchronize`); configurations alternate
within each round, so drifts of the machine hit all alike. Ratios are to the floor of
the same framework and dtype. Memory: for JAX, XLA's own account of the compiled step
(arguments + outputs + temporaries - donated buffers); for PyTorch on CUDA, the peak
allocated during the step (`torch.cuda.max_memory_allocated`; empty on CPU). Every layer
starts from the same centres and inputs, so the `first loss` column, the loss of the
first step, must agree between a keras_margin head and its PyTorch counterpart: a check
that both sides compute the same thing.

TensorFlow is never imported (the GPU machine has none); the result records it.

Usage:
    python benchmarks/gpu_heads.py --output runs/gpu_heads.json           # GPU, full size
    python benchmarks/gpu_heads.py --classes 1000 --batch 64 --rounds 2 --output /tmp/g.json
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

# Before JAX or Keras are imported: the backend, and no JAX pre-allocation of 75% of
# the GPU, so PyTorch can allocate in the same process.
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Benchmarked when `km.heads.names()` has them (AdaCos may not exist on every branch).
HEADS = ("arcface", "cosface", "adacos")
# The heads' margins, the same on both sides (pytorch-metric-learning's ArcFace margin is
# in degrees).
SCALE = 64.0
MARGINS = {"arcface": 0.5, "cosface": 0.35}
DTYPES = ("float32", "bfloat16")
LEARNING_RATE = 0.01


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    parser.add_argument("--heads", nargs="+", default=list(HEADS))
    parser.add_argument("--rounds", type=int, default=20, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (compile)")
    parser.add_argument("--no-torch", action="store_true", help="JAX only")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls for float32")
    parser.add_argument("--output", required=True, help="JSON path; the table goes beside it as .md")
    args = parser.parse_args(argv)
    for name in ("classes", "dim", "batch", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    return args


def inputs(args, seed=0):
    """Embeddings (B, D), labels (B,) and centres (D, C), the same for every layer."""
    import numpy as np

    rng = np.random.default_rng(seed)
    embeddings = rng.standard_normal((args.batch, args.dim), dtype=np.float32)
    labels = rng.integers(0, args.classes, size=args.batch).astype("int32")
    centres = rng.standard_normal((args.dim, args.classes), dtype=np.float32)
    centres *= args.dim**-0.5
    return embeddings, labels, centres


# --- JAX --------------------------------------------------------------------------------


def jax_steps(args, data, dtype, heads):
    """{name: (run, memory_bytes)} for the floor and `heads` under JAX in `dtype`."""
    import jax
    import keras
    import numpy as np

    import keras_margin as km

    embeddings, labels, centres = data
    x = jax.device_put(np.asarray(embeddings, dtype=jax.numpy.dtype(dtype)))
    policy = "mixed_bfloat16" if dtype == "bfloat16" else dtype
    y = jax.device_put(labels)
    loss_fn = km.losses.CrossEntropy()
    layers = {"floor": keras.layers.Dense(args.classes, use_bias=False, dtype=policy)}
    for name in heads:
        layers[name] = km.heads.create(name, args.classes, dtype=policy, **_head_arguments(name))
    steps = {}
    for name, layer in layers.items():
        layer.build((None, args.dim))
        for variable in layer.trainable_variables:
            if tuple(variable.shape) == centres.shape:
                variable.assign(centres)
        steps[name] = _jax_step(layer, name == "floor", loss_fn, x, y)
    return steps


def _head_arguments(name):
    return {"margin": MARGINS[name], "scale": SCALE} if name in MARGINS else {}


def _jax_step(layer, is_floor, loss_fn, x, y):
    import jax

    def loss(trainable, non_trainable, x, y):
        kwargs = {} if is_floor else {"labels": y, "training": True}
        logits, non_trainable = layer.stateless_call(trainable, non_trainable, x, **kwargs)
        return loss_fn(y, logits), non_trainable

    def step(trainable, non_trainable, x, y):
        (value, non_trainable), (grad_trainable, grad_x) = jax.value_and_grad(
            loss, argnums=(0, 2), has_aux=True
        )(trainable, non_trainable, x, y)
        trainable = [w - LEARNING_RATE * g.astype(w.dtype) for w, g in zip(trainable, grad_trainable)]
        return value, grad_x, trainable, non_trainable

    state = {
        "trainable": [v.value for v in layer.trainable_variables],
        "non_trainable": [v.value for v in layer.non_trainable_variables],
    }
    # Compiled ahead of time, once: the same executable is timed and its memory read.
    # The centres and the layer's state are donated: updated in place, as in training.
    compiled_step = (
        jax.jit(step, donate_argnums=(0, 1))
        .lower(state["trainable"], state["non_trainable"], x, y)
        .compile()
    )

    def run():
        value, grad_x, state["trainable"], state["non_trainable"] = compiled_step(
            state["trainable"], state["non_trainable"], x, y
        )
        jax.block_until_ready((value, grad_x, state["trainable"]))
        return float(value)

    return run, _xla_memory(compiled_step)


def _xla_memory(compiled_step):
    """Bytes XLA plans for the step: arguments + outputs + temporaries - donated buffers."""
    try:
        analysis = compiled_step.memory_analysis()
    except Exception:  # a platform without the analysis
        return None
    if analysis is None:
        return None
    peak = getattr(analysis, "peak_memory_in_bytes", 0)
    if peak:
        return int(peak)
    return int(
        analysis.argument_size_in_bytes + analysis.output_size_in_bytes
        + analysis.temp_size_in_bytes - analysis.alias_size_in_bytes
    )


# --- PyTorch ------------------------------------------------------------------------------


def torch_steps(args, data, dtype, heads):
    """{name: run} for the PyTorch floor and the margin losses, and their source."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch_dtype = getattr(torch, dtype)
    embeddings, labels, centres = data
    x = torch.tensor(embeddings, dtype=torch_dtype, device=device, requires_grad=True)
    y = torch.tensor(labels, dtype=torch.int64, device=device)
    losses, source = _margin_losses(args, [name for name in heads if name in MARGINS])
    modules = {"floor": _Floor(args.dim, args.classes)}
    modules.update(losses)
    steps = {}
    for name, module in modules.items():
        with torch.no_grad():  # F.linear's weight is (C, D), the margin losses' (D, C)
            module.W.copy_(torch.from_numpy(centres.T if name == "floor" else centres))
        module.to(device=device, dtype=torch_dtype)
        steps[name] = _torch_step(module, x, y, device)
    return steps, source


def _margin_losses(args, heads):
    try:
        from pytorch_metric_learning import losses as pml_losses
    except ImportError:
        classes = {"arcface": _ArcFaceLossFormula, "cosface": _CosFaceLossFormula}
        source = "torch-formula"
    else:
        classes = {"arcface": pml_losses.ArcFaceLoss, "cosface": pml_losses.CosFaceLoss}
        source = "pytorch-metric-learning"
    losses = {}
    for name in heads:
        margin = math.degrees(MARGINS[name]) if name == "arcface" else MARGINS[name]
        losses[name] = classes[name](
            num_classes=args.classes, embedding_size=args.dim, margin=margin, scale=SCALE
        )
    return losses, source


def _torch_step(module, x, y, device):
    import torch

    def run():
        module.zero_grad(set_to_none=True)
        x.grad = None
        loss = module(x, y)
        loss.backward()
        with torch.no_grad():
            for parameter in module.parameters():
                parameter -= LEARNING_RATE * parameter.grad
        if device == "cuda":
            torch.cuda.synchronize()
        return float(loss.detach())

    return run


def _Floor(dim, classes):
    import torch
    import torch.nn.functional as F

    class Floor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.empty(classes, dim))

        def forward(self, x, y):
            return F.cross_entropy(F.linear(x, self.W), y)

    return Floor()


def _formula_loss(modify_target_cosine):
    """A PyTorch module computing pytorch-metric-learning's LargeMarginSoftmaxLoss path.

    Re-implemented from pytorch-metric-learning 2.x (`ArcFaceLoss`, `CosFaceLoss`, their
    base `LargeMarginSoftmaxLoss.compute_loss`): cosines of the L2-normalised embeddings
    and centres (centres stored (D, C)), a (B, C) target mask built by scatter, the target
    cosine replaced through `cosine + mask * (modified - cosine)`, times `scale`, then
    cross-entropy averaged over the batch. Used only where the package is not installed.
    """
    import torch
    import torch.nn.functional as F

    class FormulaLoss(torch.nn.Module):
        def __init__(self, num_classes, embedding_size, margin, scale):
            super().__init__()
            self.margin = margin
            self.scale = scale
            self.W = torch.nn.Parameter(torch.empty(embedding_size, num_classes))

        def forward(self, embeddings, labels):
            mask = torch.zeros(
                labels.shape[0], self.W.shape[1], dtype=embeddings.dtype, device=embeddings.device
            )
            mask[torch.arange(labels.shape[0], device=labels.device), labels] = 1
            cosine = torch.matmul(F.normalize(embeddings, dim=1), F.normalize(self.W, dim=0))
            target = cosine[mask == 1]
            diff = (modify_target_cosine(self, target) - target).unsqueeze(1)
            logits = (cosine + mask * diff) * self.scale
            return F.cross_entropy(logits, labels)

    return FormulaLoss


def _arcface_target(loss, cosine):
    import torch

    # pytorch-metric-learning takes the margin in degrees and converts it.
    eps = 1e-7
    angles = torch.acos(torch.clamp(cosine, -1 + eps, 1 - eps))
    return torch.cos(angles + math.radians(loss.margin))


def _cosface_target(loss, cosine):
    return cosine - loss.margin


def _ArcFaceLossFormula(**kwargs):
    return _formula_loss(_arcface_target)(**kwargs)


def _CosFaceLossFormula(**kwargs):
    return _formula_loss(_cosface_target)(**kwargs)


def torch_peak_memory(run, device):
    import torch

    if device != "cuda":
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    run()
    return int(torch.cuda.max_memory_allocated())


# --- timing and report ---------------------------------------------------------------------


def time_steps(steps, rounds, warmup):
    """Median seconds of each step over `rounds` interleaved rounds, after `warmup`.

    Also returns each step's first loss: every layer starts from the same centres and
    inputs, so a margin head and its PyTorch counterpart start from the same loss.
    """
    first_losses = {name: run() for name, run in steps.items()}
    for name, run in steps.items():
        for _ in range(warmup):
            run()
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, run in steps.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}, first_losses


def environment(torch_source):
    import jax
    import keras

    info = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "jax": jax.__version__,
        "jax_devices": [str(device) for device in jax.devices()],
        "torch_losses": torch_source,
    }
    try:
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    if torch.cuda.is_available():
        info["torch_device"] = torch.cuda.get_device_name(0)
    try:
        import pytorch_metric_learning

        info["pytorch_metric_learning"] = pytorch_metric_learning.__version__
    except ImportError:
        pass
    return info


def markdown(result):
    config = result["config"]
    lines = [
        f"C = {config['classes']:,}, D = {config['dim']}, B = {config['batch']}; median of "
        f"{config['rounds']} steps after {config['warmup']} warm-up steps; "
        f"torch margin losses: {result['environment']['torch_losses']}.",
        "",
        "| framework | dtype | layer | ms / step | x floor | memory MB | first loss |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        memory = "" if row["memory_bytes"] is None else f"{row['memory_bytes'] / 2**20:,.0f}"
        lines.append(
            f"| {row['framework']} | {row['dtype']} | {row['layer']} | {row['ms']:.2f} | "
            f"{row['ratio_to_floor']:.2f} | {memory} | {row['first_loss']:.3f} |"
        )
    for line in result["skipped"]:
        lines.append(f"\n{line}")
    return "\n".join(lines) + "\n"


def _write_atomically(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w") as file:
        file.write(text)
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    import jax

    import keras_margin as km

    if not args.tf32:
        jax.config.update("jax_default_matmul_precision", "highest")
    available = set(km.heads.names())
    heads, skipped = [], []
    for name in args.heads:
        if name in available:
            heads.append(name)
        else:
            skipped.append(f"skipped {name}: not in km.heads.names() on this branch")
            print(skipped[-1], flush=True)

    rows = []

    def add_rows(framework, dtype, steps, memory):
        seconds, losses = time_steps(steps, args.rounds, args.warmup)
        for name in steps:
            rows.append({
                "framework": framework, "dtype": dtype, "layer": name,
                "ms": seconds[name] * 1e3, "ratio_to_floor": seconds[name] / seconds["floor"],
                "memory_bytes": memory.get(name), "first_loss": losses[name],
            })
            print(f"{framework:24s} {dtype:8s} {name:10s} {seconds[name] * 1e3:9.2f} ms "
                  f"{seconds[name] / seconds['floor']:5.2f}x floor", flush=True)

    data = inputs(args)
    for dtype in args.dtypes:
        steps = jax_steps(args, data, dtype, heads)
        add_rows("jax", dtype, {n: s[0] for n, s in steps.items()}, {n: s[1] for n, s in steps.items()})
        del steps
    jax.clear_caches()

    torch_source = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            skipped.append("skipped PyTorch: torch does not import")
            print(skipped[-1], flush=True)
        else:
            if not args.tf32:
                torch.backends.cuda.matmul.allow_tf32 = False
                torch.backends.cudnn.allow_tf32 = False
            device = "cuda" if torch.cuda.is_available() else "cpu"
            for dtype in args.dtypes:
                steps, torch_source = torch_steps(args, data, dtype, heads)
                add_rows(f"torch ({torch_source})", dtype, steps, {})
                memory = {n: torch_peak_memory(run, device) for n, run in steps.items()}
                for row in rows[-len(steps):]:
                    row["memory_bytes"] = memory[row["layer"]]
                del steps
                if device == "cuda":
                    torch.cuda.empty_cache()

    result = {
        "config": {k: getattr(args, k) for k in ("classes", "dim", "batch", "rounds", "warmup", "tf32")},
        "environment": environment(torch_source),
        "rows": rows,
        "skipped": skipped,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }
    _write_atomically(args.output, json.dumps(result, indent=2) + "\n")
    _write_atomically(os.path.splitext(args.output)[0] + ".md", markdown(result))
    print(f"wrote {args.output}", flush=True)
    return result


if __name__ == "__main__":
    main()
