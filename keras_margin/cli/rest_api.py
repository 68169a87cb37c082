"""TensorFlow Serving's REST API over an exported model, plus gallery search and
verification, on FastAPI.

Routes (NAME is the served model's name; `/versions/N` may follow it, as in TF Serving):

    GET  /v1/models/NAME              model status
    GET  /v1/models/NAME/metadata     the serving_default signature
    POST /v1/models/NAME:predict      {"instances": [...]} -> {"predictions": [...]}
                                      {"inputs": ...}      -> {"outputs": {...}}
    POST /v1/models/NAME:search       {"instances": [...], "k": 5[, "far": 1e-3]}
                                      -> {"predictions": [[{"label", "id", "similarity"}, ...]]}
    POST /v1/models/NAME:verify       {"instances": [{"a": IMG, "b": IMG} | {"image": IMG, "label": L}],
                                       "far": 1e-3 | "threshold": T}
                                      -> {"predictions": [{"score", "same", "threshold", "far"}]}

An instance is a nested list of numbers of the model's input shape, or an image as
`{"b64": "<base64 of PNG/JPEG/GIF/BMP bytes>"}` decoded and resized to that shape. Every
request a client can get wrong is answered `{"error": "..."}` with status 400; the
server keeps serving. Concurrent requests share model calls through `MicroBatcher`.
"""

import base64
import binascii
import contextlib
import json
import math
import os

import numpy as np

# Bodies above this many bytes are refused before they are parsed.
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
_VERBS = ("predict", "search", "verify")


class RequestError(Exception):
    """A request the client can fix: answered `{"error": message}` with `status`."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def create_app(model, gallery=None, model_name=None, max_batch_size=64, max_delay_ms=2.0,
               max_body_bytes=DEFAULT_MAX_BODY_BYTES):
    """The FastAPI application serving `model` (a `ServingModel`) and `gallery`."""
    from fastapi import FastAPI
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    from keras_margin.cli.micro_batcher import MicroBatcher

    name = model_name or default_model_name(model.path)
    version = os.path.basename(model.path) if os.path.basename(model.path).isdigit() else "1"
    batcher = MicroBatcher(lambda inputs: model(inputs, batch_size=len(inputs)), max_batch_size,
                           max_delay_ms)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        batcher.close()

    app = FastAPI(title=f"keras-margin: {name}", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.batcher = batcher

    @app.exception_handler(RequestError)
    async def _request_error(request, error):
        return JSONResponse({"error": str(error)}, status_code=error.status)

    @app.exception_handler(HTTPException)
    async def _http_error(request, error):
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def _internal_error(request, error):  # the server answers and keeps serving
        return JSONResponse({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500)

    @app.get("/v1/models/{path:path}")
    async def _get(path: str):
        parts = path.split("/")
        _check_model(parts[0], parts[1:3], name, version)
        rest = parts[3:] if len(parts) > 1 and parts[1] == "versions" else parts[1:]
        if rest == []:
            return {"model_version_status": [{"version": version, "state": "AVAILABLE",
                                              "status": {"error_code": "OK", "error_message": ""}}]}
        if rest == ["metadata"]:
            return metadata(model, name, version)
        raise RequestError(f"unknown resource: /v1/models/{path}", status=404)

    @app.post("/v1/models/{path:path}")
    async def _post(path: str, request: Request):
        target, _, verb = path.rpartition(":")
        parts = target.split("/")
        _check_model(parts[0], parts[1:], name, version)
        if verb not in _VERBS:
            raise RequestError(f"unknown method {verb!r}; use one of {', '.join(_VERBS)}", status=404)
        body = await _read_body(request, max_body_bytes)
        parsed = await run_in_threadpool(_parse, body, verb, model, gallery)
        outputs = await batcher(parsed.inputs)
        return await run_in_threadpool(_answer, verb, parsed, outputs, gallery)

    return app


def default_model_name(path):
    """The model folder's name (above a version folder and `saved_model/`)."""
    path = os.path.abspath(path)
    while os.path.basename(path).isdigit() or os.path.basename(path) == "saved_model":
        path = os.path.dirname(path)
    return os.path.basename(path) or "model"


def metadata(model, name, version):
    """The `serving_default` signature in TF Serving's metadata JSON."""
    from tensorflow.core.framework import types_pb2

    def tensor(spec, tensor_name):
        dims = [{"size": str(-1 if size is None else size), "name": ""} for size in spec.shape]
        return {"dtype": types_pb2.DataType.Name(spec.dtype.as_datatype_enum), "tensor_shape": {"dim": dims, "unknown_rank": False},
                "name": tensor_name}

    inputs = model.signature.structured_input_signature[1]
    outputs = model.signature.structured_outputs
    signature = {"inputs": {key: tensor(spec, f"serving_default_{key}:0") for key, spec in inputs.items()},
                 "outputs": {key: tensor(value, key) for key, value in outputs.items()},
                 "method_name": "tensorflow/serving/predict"}
    return {"model_spec": {"name": name, "signature_name": "", "version": version},
            "metadata": {"signature_def": {"signature_def": {"serving_default": signature}}}}


class _Parsed:
    """A checked request: the model inputs, its format and options, checked before any model call."""

    def __init__(self, inputs, columnar, options, threshold=(None, None), verify_info=None):
        self.inputs = inputs
        self.columnar = columnar
        self.options = options
        self.threshold, self.far = threshold
        self.verify_info = verify_info


def _check_model(requested, version_parts, name, version):
    if requested != name:
        raise RequestError(f"Servable not found for request: Latest({requested})", status=404)
    if version_parts[:1] == ["versions"]:
        if len(version_parts) < 2 or version_parts[1] != version:
            asked = version_parts[1] if len(version_parts) > 1 else ""
            raise RequestError(f"Servable not found for request: Specific({requested}, {asked})", status=404)
    elif version_parts and version_parts != ["metadata"]:
        raise RequestError(f"unknown resource under /v1/models/{requested}", status=404)


async def _read_body(request, limit):
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(f"request body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():  # also bounds bodies sent without a length
        size += len(chunk)
        if size > limit:
            raise RequestError(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body, verb, model, gallery):
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"malformed JSON: {error}") from None
    except RecursionError:
        raise RequestError("malformed JSON: nested too deeply") from None
    if not isinstance(request, dict):
        raise RequestError("the request must be a JSON object with 'instances' or 'inputs'")
    signature = request.get("signature_name", "serving_default")
    if signature != "serving_default":
        raise RequestError(f"unknown signature_name {signature!r}; this model serves 'serving_default'")
    if ("instances" in request) == ("inputs" in request):
        raise RequestError("the request must hold exactly one of 'instances' (rows) or 'inputs' (columns)")
    columnar = "inputs" in request
    values = request["inputs"] if columnar else request["instances"]
    if verb == "verify":
        threshold = _threshold(request, model, default_far=True)
        if threshold[0] is None:
            raise RequestError("the model stores no thresholds; pass \"threshold\" in the request")
        inputs, info = _verify_inputs(values, columnar, model, gallery)
        return _Parsed(inputs, columnar, request, threshold, info)
    threshold = (None, None)
    if verb == "search":
        if gallery is None:
            raise RequestError("no gallery is loaded; start the server with --gallery DIR")
        _positive_int(request.get("k", 5), "k")
        threshold = _threshold(request, model, default_far=False)
    if columnar and isinstance(values, dict):
        values = _single_input(values, model.input_name)
    elif not columnar:
        values = [_single_input(value, model.input_name) if isinstance(value, dict) and "b64" not in value
                  else value for value in values] if isinstance(values, list) else values
    return _Parsed(_batch(values, model, "inputs" if columnar else "instances"), columnar, request, threshold)


def _single_input(value, input_name):
    """The tensor of the model's only input from `{input_name: value}`."""
    if set(value) != {input_name}:
        raise RequestError(f"the model has one input, {input_name!r}; received keys {sorted(value)}")
    return value[input_name]


def _batch(values, model, where):
    """(n, *input_shape) array of the model's dtype from a list of instances."""
    if not isinstance(values, list) or not values:
        raise RequestError(f"'{where}' must be a non-empty list with one entry per instance")
    rows = [_instance(value, model, f"{where}[{index}]") for index, value in enumerate(values)]
    return np.stack(rows).astype(model.input_dtype.as_numpy_dtype)


def _instance(value, model, where):
    if isinstance(value, dict):
        if set(value) != {"b64"} or not isinstance(value["b64"], str):
            raise RequestError(f"{where}: an image must be given as {{\"b64\": \"<base64>\"}}")
        from keras_margin.cli.predict import decode_image

        try:
            contents = base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(f"{where}: 'b64' is not valid base64") from None
        try:
            return decode_image(contents, model.input_shape, what=f"{where}")
        except ValueError as error:
            raise RequestError(str(error)) from None
    try:
        array = np.asarray(value)
    except ValueError:
        raise RequestError(f"{where}: ragged nested lists; every instance must have shape "
                           f"{_shape(model.input_shape)}") from None
    if array.dtype.kind not in "iuf":
        raise RequestError(f"{where}: must hold numbers (dtype {model.input_dtype.name}); received "
                           f"{'booleans' if array.dtype.kind == 'b' else 'non-numbers'}")
    if not _matches(array.shape, model.input_shape):
        raise RequestError(f"{where}: shape {_shape(array.shape)} does not match the model's input "
                           f"{_shape(model.input_shape)}")
    if not np.all(np.isfinite(array)):
        raise RequestError(f"{where}: must not contain NaN or infinity")
    return array


def _matches(shape, expected):
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def _shape(shape):
    sizes = ["?" if size is None else str(size) for size in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


def _verify_inputs(values, columnar, model, gallery):
    """Stacks both sides of every pair (a then b) into one batch; claims need the gallery."""
    if columnar:
        if not isinstance(values, dict):
            raise RequestError("'inputs' of :verify must be {\"a\": [...], \"b\": [...]} or "
                               "{\"image\": [...], \"label\": [...]}")
        keys = sorted(values)
        columns = [values[key] for key in keys]
        if not all(isinstance(column, list) for column in columns) or len({len(c) for c in columns}) != 1:
            raise RequestError("'inputs' of :verify must hold lists of equal length")
        values = [dict(zip(keys, row)) for row in zip(*columns)]
    if not isinstance(values, list) or not values:
        raise RequestError("'instances' must be a non-empty list")
    kinds = {tuple(sorted(value)) if isinstance(value, dict) else None for value in values}
    if kinds == {("a", "b")}:
        images = [value["a"] for value in values] + [value["b"] for value in values]
        return _batch(images, model, "instances"), {"pairs": len(values)}
    if kinds == {("image", "label")}:
        if gallery is None:
            raise RequestError("verifying a claimed identity needs a gallery; start the server with --gallery DIR")
        labels = [value["label"] for value in values]
        missing = [label for label in labels if not np.any(gallery.labels == label)]
        if missing:
            raise RequestError(f"label {missing[0]!r} is not enrolled in the gallery")
        return _batch([value["image"] for value in values], model, "instances"), {"claims": labels}
    raise RequestError("every :verify instance must be {\"a\": IMG, \"b\": IMG} (a pair) or "
                       "{\"image\": IMG, \"label\": L} (a claimed identity in the gallery)")


def _answer(verb, parsed, outputs, gallery):
    options = parsed.options
    if verb == "predict":
        if parsed.columnar:
            return {"outputs": {key: value.tolist() for key, value in outputs.items()}}
        keys = list(outputs)
        return {"predictions": [{key: outputs[key][row].tolist() for key in keys}
                                for row in range(len(parsed.inputs))]}
    embeddings = outputs["embedding"]
    if verb == "search":
        from keras_margin.cli.search import matches

        result = gallery.search(embeddings, k=options.get("k", 5))
        answers = [matches(result, row, parsed.threshold) for row in range(len(embeddings))]
    else:
        answers = _verify_answers(parsed, embeddings, gallery)
    return {"outputs": answers} if parsed.columnar else {"predictions": answers}


def _verify_answers(parsed, embeddings, gallery):
    threshold, far = parsed.threshold, parsed.far
    info = parsed.verify_info
    if "pairs" in info:
        count = info["pairs"]
        scores = np.sum(embeddings[:count] * embeddings[count:], axis=1)
    else:
        scores = np.array([np.max(gallery.embeddings[gallery.labels == label] @ embedding)
                           for label, embedding in zip(info["claims"], embeddings)])
    scores = np.clip(scores, -1.0, 1.0)
    return [{"score": round(float(score), 6), "same": bool(score >= threshold), "threshold": threshold,
             "far": far} for score in scores]


def _threshold(options, model, default_far):
    """`(threshold, far)` from the request's "threshold" or "far"; else, with
    `default_far`, the stored threshold for FAR 1e-3 (or the first stored), else None."""
    from keras_margin.metrics.report import far_key

    if "threshold" in options:
        value = options["threshold"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RequestError(f"'threshold' must be a finite number; received {value!r}")
        return float(value), None
    if "far" not in options:
        if not default_far or not model.thresholds:
            return None, None
        key = far_key(1e-3) if far_key(1e-3) in model.thresholds else next(iter(model.thresholds))
        return model.thresholds[key], key
    far = options["far"]
    if isinstance(far, bool) or not isinstance(far, (int, float)) or not 0 < far <= 1:
        raise RequestError(f"'far' must be a number in (0, 1]; received {far!r}")
    if far_key(far) not in model.thresholds:
        stored = ", ".join(model.thresholds) or "none"
        raise RequestError(f"no threshold stored for FAR {far:g} (stored: {stored})")
    return model.thresholds[far_key(far)], far_key(far)


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError(f"'{name}' must be an integer >= 1; received {value!r}")
    return value
