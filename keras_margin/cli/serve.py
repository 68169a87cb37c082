"""Serve an exported model over TensorFlow Serving's REST API (FastAPI + uvicorn), with
`:search` and `:verify` over a gallery. Clients written for TF Serving work unchanged:

  GET  /v1/models/NAME              status
  GET  /v1/models/NAME/metadata     signature
  POST /v1/models/NAME:predict      {"instances": [...]} or {"inputs": ...}; images as {"b64": ...}
  POST /v1/models/NAME:search       {"instances": [...], "k": 5}          (needs --gallery)
  POST /v1/models/NAME:verify       {"instances": [{"a": IMG, "b": IMG}], "far": 1e-3}

Concurrent requests share model calls: a batch closes at --max-batch-size instances or
--batch-delay-ms after its first request. Bad requests get {"error": ...} and status 400.
"""


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL",
                        help="SavedModel folder, TF Serving base path (BASE/NAME) or `train` output folder")
    parser.add_argument("--gallery", metavar="DIR", help="gallery written by `enroll`, for :search")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8501, help="(default: %(default)s, TF Serving's REST port)")
    parser.add_argument("--model-name", help="NAME in the URLs (default: the model folder's name)")
    parser.add_argument("--max-batch-size", type=int, default=64,
                        help="instances per model call (default: %(default)s)")
    parser.add_argument("--batch-delay-ms", type=float, default=2.0,
                        help="how long a batch waits for more requests (default: %(default)s)")
    parser.add_argument("--max-body-mb", type=float, default=16.0,
                        help="larger request bodies are refused (default: %(default)s)")


def run(args, usage_error):
    from keras_margin.cli import _embedding
    from keras_margin.cli import rest_api

    if not 0 <= args.port <= 65535:
        raise usage_error(f"--port must be in [0, 65535]; received {args.port}")
    if args.max_batch_size < 1:
        raise usage_error(f"--max-batch-size must be at least 1; received {args.max_batch_size}")
    if not args.batch_delay_ms >= 0 or not args.max_body_mb > 0:
        raise usage_error("--batch-delay-ms must be >= 0 and --max-body-mb > 0")
    if args.model_name is not None and (not args.model_name or any(c in args.model_name for c in "/:")):
        raise usage_error(f"--model-name must be non-empty without '/' or ':'; received {args.model_name!r}")
    model = _embedding.load_model(args.model_dir, usage_error)
    gallery = None
    if args.gallery:
        gallery = _embedding.load_gallery(args.gallery, usage_error, _embedding.embedding_dim(model))
    app = rest_api.create_app(model, gallery, model_name=args.model_name, max_batch_size=args.max_batch_size,
                              max_delay_ms=args.batch_delay_ms,
                              max_body_bytes=int(args.max_body_mb * 1024 * 1024))
    import uvicorn

    name = args.model_name or rest_api.default_model_name(model.path)
    print(f"serving {model.path} as {name} on http://{args.host}:{args.port}/v1/models/{name}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
