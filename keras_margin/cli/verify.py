"""Verify whether two image files show the same identity: one JSON line with the cosine
`score`, the `threshold` (stored in the model for `--far`, or `--threshold`), the `far`
and `same`.
"""

import json
import sys


def add_arguments(parser):
    from keras_margin.cli._embedding import far_argument

    parser.add_argument("model_dir", metavar="MODEL", help="SavedModel folder (or `train` output folder)")
    parser.add_argument("file_a", metavar="FILE_A")
    parser.add_argument("file_b", metavar="FILE_B")
    parser.add_argument("--far", type=far_argument, default=1e-3,
                        help="false acceptance rate whose stored threshold decides (default: %(default)g)")
    parser.add_argument("--threshold", type=float, help="decide at this cosine instead of a stored one")


def run(args, usage_error):
    import math

    from keras_margin.cli import _embedding
    from keras_margin.retrieval import verify

    if args.threshold is not None and not math.isfinite(args.threshold):
        raise usage_error(f"--threshold must be a finite number; received {args.threshold}")
    _embedding.check_files([args.file_a, args.file_b], usage_error)
    model = _embedding.load_model(args.model_dir, usage_error)
    if args.threshold is None:
        far, threshold = _embedding.stored_threshold(model, args.far, usage_error)
    else:
        far, threshold = None, args.threshold
    embeddings = _embedding.embed_files(model, [args.file_a, args.file_b], usage_error)
    result = verify(embeddings[:1], embeddings[1:], threshold)
    line = {"file_a": args.file_a, "file_b": args.file_b, "score": round(float(result.scores[0]), 6),
            "threshold": threshold, "far": far, "same": bool(result.same[0])}
    sys.stdout.write(json.dumps(line) + "\n")
    return 0
