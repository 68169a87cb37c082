"""`keras-margin serve`: TensorFlow Serving's REST API in-process (FastAPI's TestClient,
httpx over ASGI) and on a free loopback port with a real HTTP client."""

import asyncio
import base64
import json
import os
import socket
import time
import warnings

import httpx
import numpy as np
import pytest
import tensorflow as tf

from keras_margin.cli.micro_batcher import MicroBatcher
from keras_margin.cli.predict import decode_image
from keras_margin.cli.rest_api import create_app
from keras_margin.cli.serving import ServingModel
from keras_margin.retrieval import Gallery
from retrieval_model import THRESHOLDS, export_tiny_model, images_of

with warnings.catch_warnings():
    # Starlette 1.x asks for `httpx2` under its TestClient; httpx is what the project installs.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

URL = "/v1/models/faces"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    export_tiny_model(root)
    model = ServingModel(str(root / "faces"))
    gallery = Gallery(8)
    enrolled = np.concatenate([images_of(k, 3, seed=50 + k) for k in range(4)]).astype("float32")
    gallery.enroll(model(enrolled)["embedding"], np.repeat(["row0", "row1", "row2", "row3"], 3))
    gallery.save(root / "gallery")
    app = create_app(model, gallery, max_delay_ms=20.0, max_body_bytes=200_000)
    with TestClient(app) as client:
        yield model, gallery, client, root


def _png_b64(image):
    return base64.b64encode(tf.io.encode_png(image).numpy()).decode()


def test_status_and_metadata(served):
    _, _, client, _ = served
    status = client.get(URL)
    assert status.status_code == 200
    assert status.json() == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert client.get(URL + "/versions/1").status_code == 200
    signature = client.get(URL + "/metadata").json()["metadata"]["signature_def"]["signature_def"]
    inputs = signature["serving_default"]["inputs"]["inputs"]
    assert inputs["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in inputs["tensor_shape"]["dim"]] == ["-1", "8", "8", "1"]
    assert set(signature["serving_default"]["outputs"]) == {"probabilities", "class_id", "embedding"}


def test_predict_row_and_columnar_formats(served):
    model, _, client, _ = served
    images = images_of(2, 3, seed=7).astype("float32")
    expected = model(images)
    rows = client.post(URL + ":predict", json={"instances": images.tolist()})
    assert rows.status_code == 200
    predictions = rows.json()["predictions"]
    assert len(predictions) == 3
    np.testing.assert_allclose([p["embedding"] for p in predictions], expected["embedding"], atol=1e-6)
    assert [p["class_id"] for p in predictions] == expected["class_id"].tolist()
    named = client.post(URL + ":predict", json={"instances": [{"inputs": image} for image in images.tolist()]})
    assert named.json() == rows.json()
    columns = client.post(URL + "/versions/1:predict", json={"signature_name": "serving_default",
                                                            "inputs": images.tolist()})
    outputs = columns.json()["outputs"]
    np.testing.assert_allclose(outputs["probabilities"], expected["probabilities"], atol=1e-6)
    assert client.post(URL + ":predict", json={"inputs": {"inputs": images.tolist()}}).json() == columns.json()


def test_predict_decodes_b64_images_to_the_input_shape(served):
    model, _, client, _ = served
    rgb = np.random.default_rng(0).integers(0, 255, (16, 12, 3), dtype=np.uint8)
    response = client.post(URL + ":predict", json={"instances": [{"b64": _png_b64(rgb)}]})
    assert response.status_code == 200
    pixels = decode_image(tf.io.encode_png(rgb).numpy(), (8, 8, 1))
    np.testing.assert_allclose(response.json()["predictions"][0]["embedding"],
                               model(pixels[None])["embedding"][0], atol=1e-6)


def test_search_and_verify(served):
    model, gallery, client, _ = served
    queries = images_of(1, 2, seed=9)
    response = client.post(URL + ":search", json={"instances": [{"b64": _png_b64(q)} for q in queries],
                                                  "k": 4, "far": 0.1})
    assert response.status_code == 200
    embeddings = model(np.stack([decode_image(tf.io.encode_png(q).numpy(), (8, 8, 1)) for q in queries]))
    expected = gallery.search(embeddings["embedding"], k=4)
    for row, matches in enumerate(response.json()["predictions"]):
        assert [m["label"] for m in matches] == expected.labels[row].tolist()
        assert [m["same"] for m in matches] == [m["similarity"] >= THRESHOLDS["1e-1"] for m in matches]

    a, b = images_of(0, 2, seed=11).astype("float32")
    pair = client.post(URL + ":verify", json={"instances": [{"a": a.tolist(), "b": b.tolist()}], "far": 1e-3})
    (answer,) = pair.json()["predictions"]
    score = float(np.sum(np.prod(model(np.stack([a, b]))["embedding"], axis=0)))
    assert answer["score"] == pytest.approx(score, abs=1e-5)
    assert answer["threshold"] == THRESHOLDS["1e-3"] and answer["far"] == "1e-3"
    assert answer["same"] == (answer["score"] >= THRESHOLDS["1e-3"])
    claim = client.post(URL + ":verify", json={"inputs": {"image": [a.tolist()], "label": ["row0"]},
                                               "threshold": 0.2})
    (answer,) = claim.json()["outputs"]
    expected_score = np.max(gallery.embeddings[gallery.labels == "row0"] @ model(a[None])["embedding"][0])
    assert answer["score"] == pytest.approx(float(expected_score), abs=1e-5) and answer["threshold"] == 0.2


GOOD = {"instances": [np.zeros((8, 8, 1)).tolist()]}


@pytest.mark.parametrize("verb, body, message", [
    ("predict", b"{not json", "malformed JSON"),
    ("predict", b"\xff\xfe", "malformed JSON"),
    ("predict", b"[1, 2]", "JSON object"),
    ("predict", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("predict", b"{}", "exactly one of"),
    ("predict", {"instances": [], "inputs": []}, "exactly one of"),
    ("predict", {"instances": []}, "non-empty list"),
    ("predict", {"instances": [np.zeros((8, 8)).tolist()]}, "does not match the model's input (8, 8, 1)"),
    ("predict", {"instances": [[[1, 2], [3]]]}, "ragged"),
    ("predict", {"instances": [np.full((8, 8, 1), "x").tolist()]}, "must hold numbers"),
    ("predict", {"instances": [np.full((8, 8, 1), True).tolist()]}, "booleans"),
    ("predict", b'{"instances": [[[[NaN]]]]}', "does not match"),
    ("predict", {"instances": [{"b64": "not base64!"}]}, "not valid base64"),
    ("predict", {"instances": [{"b64": base64.b64encode(b"plain text").decode()}]}, "not a readable PNG"),
    ("predict", {"instances": [{"b64": 3}]}, "as {\"b64\""),
    ("predict", {"instances": [{"pixels": [1]}]}, "one input, 'inputs'"),
    ("predict", {"signature_name": "other", **GOOD}, "unknown signature_name"),
    ("search", {"k": 0, **GOOD}, "'k' must be an integer"),
    ("search", {"far": 0.5, **GOOD}, "no threshold stored for FAR 0.5"),
    ("verify", {"instances": [{"a": GOOD["instances"][0]}]}, "every :verify instance"),
    ("verify", {"instances": [{"image": GOOD["instances"][0], "label": "nobody"}]}, "not enrolled"),
    ("verify", {"instances": [{"a": GOOD["instances"][0], "b": GOOD["instances"][0]}], "far": 2},
     "'far' must be"),
    ("verify", {"inputs": {"a": [1], "b": [1, 2]}}, "equal length"),
])
def test_every_bad_request_is_a_400_and_the_server_keeps_serving(served, verb, body, message):
    _, _, client, _ = served
    if isinstance(body, dict):
        response = client.post(f"{URL}:{verb}", json=body)
    else:
        response = client.post(f"{URL}:{verb}", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
    assert client.post(URL + ":predict", json=GOOD).status_code == 200


def test_nan_values_are_refused(served):
    _, _, client, _ = served
    image = np.zeros((8, 8, 1)).tolist()
    image[0][0][0] = float("nan")
    response = client.post(URL + ":predict", content=json.dumps({"instances": [image]}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and "NaN" in response.json()["error"]


def test_oversized_bodies_are_refused_with_and_without_a_length(served):
    _, _, client, _ = served
    big = b'{"instances": [' + b"0," * 150_000 + b"0]}"
    response = client.post(URL + ":predict", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "exceeds the limit of 200000 bytes" in response.json()["error"]
    chunked = client.post(URL + ":predict", content=iter([big[:100_000], big[100_000:]]))
    assert chunked.status_code == 400 and "exceeds the limit" in chunked.json()["error"]
    assert client.post(URL + ":predict", json=GOOD).status_code == 200


def test_unknown_model_version_or_method_is_a_404(served):
    _, _, client, _ = served
    assert "Servable not found" in client.post("/v1/models/other:predict", json=GOOD).json()["error"]
    assert client.post(URL + "/versions/2:predict", json=GOOD).status_code == 404
    assert client.post(URL + ":classify", json=GOOD).status_code == 404
    assert client.get("/v1/models/other").status_code == 404
    assert "error" in client.get("/nowhere").json()


def test_search_without_a_gallery_is_a_400(served):
    model, _, _, _ = served
    with TestClient(create_app(model, model_name="plain")) as client:
        response = client.post("/v1/models/plain:search", json=GOOD)
    assert response.status_code == 400 and "--gallery" in response.json()["error"]


def test_concurrent_requests_share_model_calls(served):
    model, _, _, _ = served
    app = create_app(model, max_delay_ms=50.0, max_batch_size=64)
    images = [images_of(k % 4, 1 + k % 3, seed=k).astype("float32") for k in range(16)]

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*[client.post(URL + ":predict", json={"instances": x.tolist()})
                                          for x in images])

    responses = asyncio.run(send_all())
    for x, response in zip(images, responses):
        np.testing.assert_allclose([p["embedding"] for p in response.json()["predictions"]],
                                   model(x)["embedding"], atol=1e-6)
    assert app.state.batcher.calls < 16


def test_a_failing_request_does_not_fail_its_batch_mates():
    def model(inputs):
        if np.any(inputs < 0):
            raise ValueError("negative input")
        return {"double": inputs * 2}

    batcher = MicroBatcher(model, max_batch_size=8, max_delay_ms=50.0)

    async def send():
        return await asyncio.gather(batcher(np.ones((2, 1))), batcher(-np.ones((1, 1))),
                                    batcher(np.full((3, 1), 3.0)), return_exceptions=True)

    good, bad, other = asyncio.run(send())
    np.testing.assert_array_equal(good["double"], [[2], [2]])
    np.testing.assert_array_equal(other["double"], [[6]] * 3)
    assert isinstance(bad, ValueError)
    batcher.close()


def test_batches_hold_at_most_max_batch_size_instances():
    sizes = []

    def model(inputs):
        sizes.append(len(inputs))
        return {"x": inputs}

    batcher = MicroBatcher(model, max_batch_size=4, max_delay_ms=50.0)

    async def send():
        return await asyncio.gather(*[batcher(np.zeros((n, 1))) for n in (3, 2, 1, 6, 1)])

    results = asyncio.run(send())
    assert [len(r["x"]) for r in results] == [3, 2, 1, 6, 1]
    assert sizes[0] == 3 and all(size <= 4 for size in sizes if size != 6) and sum(sizes) == 13
    batcher.close()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_keras_margin_serve_on_a_loopback_port(served, monkeypatch):
    # `keras-margin serve` runs in a thread of this process (TensorFlow is already
    # imported), its uvicorn server kept so that the test can stop it.
    import threading

    import uvicorn

    from keras_margin.cli.main import main

    _, _, _, root = served
    servers = []

    def run_and_keep(app, host, port, log_level):
        servers.append(uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level)))
        servers[0].run()

    monkeypatch.setattr(uvicorn, "run", run_and_keep)
    port = _free_port()
    thread = threading.Thread(target=main, args=(["serve", str(root / "faces"), "--gallery", str(root / "gallery"),
                                                  "--port", str(port)],), daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}{URL}"
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=30) as client:
            while True:
                try:
                    if client.get(base).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            image = {"b64": _png_b64(images_of(3, 1, seed=1)[0])}
            assert client.post(base + ":predict", content=b"{broken").status_code == 400
            found = client.post(base + ":search", json={"instances": [image], "k": 1})
            assert found.status_code == 200 and found.json()["predictions"][0][0]["label"] == "row3"
            assert client.post(base + ":predict", json={"instances": [image]}).status_code == 200
    finally:
        if servers:
            servers[0].should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_serve_refuses_bad_arguments_before_loading(capsys):
    from keras_margin.cli.main import main

    assert main(["serve", "/nowhere", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", "/nowhere", "--model-name", "a:b"]) == 2
