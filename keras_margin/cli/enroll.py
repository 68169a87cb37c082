"""Enroll images of known identities into a gallery folder (created, or appended to).
`--data folder:PATH` holds one sub-folder per identity; the sub-folder's name is the
label, the image's path the item id. Saves atomically: a killed run leaves the previous
gallery, and two enrolments into one gallery at once both land (a file lock).
"""


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL", help="SavedModel folder (or `train` output folder)")
    parser.add_argument("gallery_dir", metavar="GALLERY_DIR", help="gallery folder to create or extend")
    parser.add_argument("--data", required=True, metavar="folder:PATH",
                        help="images in one sub-folder per identity")
    parser.add_argument("--index", choices=("exact", "hnsw", "ivf"), default="exact",
                        help="FAISS index of a new gallery (default: %(default)s)")


def run(args, usage_error):
    import os

    from keras_margin.cli import _embedding
    from keras_margin.retrieval import Gallery

    paths, labels = _embedding.identity_folder(args.data, usage_error)
    model = _embedding.load_model(args.model_dir, usage_error)
    dim = _embedding.embedding_dim(model)
    exists = os.path.isfile(os.path.join(args.gallery_dir, "CURRENT"))
    if exists:  # checked before the images are embedded
        _check_can_append(_embedding.load_gallery(args.gallery_dir, usage_error, dim), args, usage_error)
    embeddings = _embedding.embed_files(model, paths, usage_error, description="enrolling")
    try:
        # Load, append and save under the folder's lock: a second `enroll` into the same
        # gallery waits, then appends to what this one saved.
        with Gallery.lock(args.gallery_dir):
            exists = os.path.isfile(os.path.join(args.gallery_dir, "CURRENT"))
            gallery = (_embedding.load_gallery(args.gallery_dir, usage_error, dim) if exists
                       else Gallery(dim, index=args.index))
            _check_can_append(gallery, args, usage_error)
            gallery.enroll(embeddings, labels, ids=paths)
            gallery.save(args.gallery_dir)
    except ValueError as error:
        raise usage_error(" ".join(str(error).split())) from None
    print(f"enrolled {len(paths)} images of {len(set(labels))} identities; {args.gallery_dir} now "
          f"holds {len(gallery)} images of {len(gallery.identities)} identities")
    return 0


def _check_can_append(gallery, args, usage_error):
    if len(gallery) and gallery.labels.dtype.kind != "U":
        raise usage_error(f"{args.gallery_dir} holds integer labels; folder names cannot be added to it")
