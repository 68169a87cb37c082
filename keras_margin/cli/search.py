"""Search a gallery for the identities nearest each image file: one JSON line per file,
`{"file", "matches": [{"label", "id", "similarity"}, ...]}`, most similar first. With
`--far`, each match also says `same` at the threshold the model stores for that FAR.
"""

import json
import sys


def add_arguments(parser):
    from keras_margin.cli._embedding import far_argument

    parser.add_argument("model_dir", metavar="MODEL", help="SavedModel folder (or `train` output folder)")
    parser.add_argument("gallery_dir", metavar="GALLERY_DIR", help="gallery written by `enroll`")
    parser.add_argument("files", metavar="FILE", nargs="+", help="image files")
    parser.add_argument("--top-k", type=int, default=5, help="matches per file (default: %(default)s)")
    parser.add_argument("--far", type=far_argument, help="mark matches at or above this FAR's threshold")


def run(args, usage_error):
    from keras_margin.cli import _embedding

    if args.top_k < 1:
        raise usage_error(f"--top-k must be at least 1; received {args.top_k}")
    _embedding.check_files(args.files, usage_error)
    model = _embedding.load_model(args.model_dir, usage_error)
    threshold = _embedding.stored_threshold(model, args.far, usage_error)[1] if args.far else None
    gallery = _embedding.load_gallery(args.gallery_dir, usage_error, _embedding.embedding_dim(model))
    if len(gallery) == 0:
        raise usage_error(f"{args.gallery_dir} is empty; enroll identities first")
    result = gallery.search(_embedding.embed_files(model, args.files, usage_error), k=args.top_k)
    for row, path in enumerate(args.files):
        sys.stdout.write(json.dumps({"file": path, "matches": matches(result, row, threshold)}) + "\n")
    return 0


def matches(result, row, threshold=None):
    """The JSON matches of query `row` of a `SearchResult` (found neighbours only)."""
    found = []
    for label, item, similarity, position in zip(result.labels[row], result.ids[row],
                                                 result.similarities[row], result.positions[row]):
        if position < 0:
            continue
        match = {"label": label.item(), "id": item.item(), "similarity": round(float(similarity), 6)}
        if threshold is not None:
            match["same"] = bool(similarity >= threshold)
        found.append(match)
    return found
