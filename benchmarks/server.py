"""Load test of `keras-margin serve` on loopback: requests/s and latency with concurrent
clients, then the same with 1 request in 10 malformed.

The served model is the small CNN (`km.models.small_cnn`, width 16, 32x32x1 input,
128-d embedding) with an ArcFace head of 100 classes, untrained (speed does not depend on
the weights), exported with a stored threshold. Every good request is one
`:predict` of one 32x32 PNG sent as `{"b64": ...}`, so the server decodes an image per
request. The malformed requests cycle through: broken JSON, a wrong input shape, invalid
base64, bytes that are not an image, and a body over the server's limit
(`--max-body-mb 1`, a 1.2 MB body). A phase passes when every good request got 200 and
every malformed one 400.

Each configuration runs in its own server process, after 3 s of untimed warm-up load, on 127.0.0.1 and a free port; the
clients (asyncio + httpx, one connection each) share the machine with it, so on a small
machine the numbers include the load generator's cost. The baseline is the same server
with micro-batching off (`--max-batch-size 1`), measured in the same run.

Usage:
    python benchmarks/server.py                          # 16 clients, 30 s per phase
    python benchmarks/server.py --clients 8 --seconds 10
"""

import argparse
import asyncio
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def export_model(folder):
    import keras

    import keras_margin as km

    keras.utils.set_random_seed(0)
    backbone = km.models.small_cnn(embedding_dim=128, input_shape=(32, 32, 1), width=16)
    model = km.MarginModel(backbone, km.heads.ArcFace(100))
    model(np.zeros((1, 32, 32, 1), np.float32))
    model.export(os.path.join(folder, "bench"), verbose=False, thresholds={"1e-3": 0.5}, version=1)
    return os.path.join(folder, "bench")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model, port, max_batch_size):
    command = [sys.executable, "-m", "keras_margin.cli.main", "serve", model, "--port", str(port),
               "--max-batch-size", str(max_batch_size), "--max-body-mb", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url, server, timeout=300):
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(server.stderr.read().decode()[-2000:])
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not start")


def request_bodies():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (64, 32, 32, 1), dtype=np.uint8)
    good = [('{"instances": [{"b64": "%s"}]}' % base64.b64encode(tf.io.encode_png(image).numpy()).decode()).encode()
            for image in images]
    bad = [b'{"instances": [',
           b'{"instances": [[[1.0, 2.0]]]}',
           b'{"instances": [{"b64": "@@not base64@@"}]}',
           ('{"instances": [{"b64": "%s"}]}' % base64.b64encode(b"not an image").decode()).encode(),
           b'{"instances": [' + b"0," * 600_000 + b"0]}"]
    return good, bad


async def load(url, clients, seconds, malformed_every, good, bad):
    import httpx

    latencies, failures, wrong_rejections, counter = [], 0, 0, [0]
    deadline = time.monotonic() + seconds

    async def client():
        nonlocal failures, wrong_rejections
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1)) as session:
            while time.monotonic() < deadline:
                counter[0] += 1
                number = counter[0]
                is_bad = malformed_every and number % malformed_every == 0
                body = bad[(number // malformed_every) % len(bad)] if is_bad else good[number % len(good)]
                started = time.perf_counter()
                try:
                    response = await session.post(url, content=body, headers={"content-type": "application/json"})
                    status = response.status_code
                except httpx.HTTPError:
                    status = None
                if is_bad:
                    wrong_rejections += status != 400
                else:
                    latencies.append(time.perf_counter() - started)
                    failures += status != 200

    started = time.monotonic()
    await asyncio.gather(*[client() for _ in range(clients)])
    elapsed = time.monotonic() - started
    return {"requests": counter[0], "rps": counter[0] / elapsed, "good": len(latencies),
            "p50_ms": 1000 * float(np.percentile(latencies, 50)), "p99_ms": 1000 * float(np.percentile(latencies, 99)),
            "good_failures": failures, "bad_not_400": wrong_rejections,
            "bad": counter[0] - len(latencies)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    import keras_margin  # noqa: F401  (first: imports TensorFlow without its start-up notices)

    good, bad = request_bodies()
    print(f"{args.clients} clients, {args.seconds:g} s per phase, :predict of one 32x32 PNG")
    print("| server | requests | requests/s | p50 ms | p99 ms | good failed | malformed | malformed not 400 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        model = export_model(folder)
        for label, max_batch, phases in (("batching (64, 2 ms)", 64, (0, 10)), ("no batching", 1, (0,))):
            port = free_port()
            server = start_server(model, port, max_batch)
            try:
                base = f"http://127.0.0.1:{port}/v1/models/bench"
                wait_ready(base, server)
                # Untimed: the first calls trace the model and warm the allocator.
                asyncio.run(load(base + ":predict", args.clients, 3.0, 0, good, bad))
                for malformed_every in phases:
                    result = asyncio.run(load(base + ":predict", args.clients, args.seconds, malformed_every,
                                              good, bad))
                    name = label + (", 1 in 10 malformed" if malformed_every else "")
                    print(f"| {name} | {result['requests']:,} | {result['rps']:,.0f} | {result['p50_ms']:.1f} | "
                          f"{result['p99_ms']:.1f} | {result['good_failures']} | {result['bad']} | "
                          f"{result['bad_not_400']} |", flush=True)
                assert server.poll() is None, "the server died"
            finally:
                server.terminate()
                server.wait(timeout=60)


if __name__ == "__main__":
    main()
