"""Embed image files with an exported SavedModel: writes an .npz with `embeddings`
(n, dim) float32 L2-normalised rows and `files`, in the order given.
"""


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL", help="SavedModel folder (or `train` output folder)")
    parser.add_argument("files", metavar="FILE", nargs="+", help="image files")
    parser.add_argument("--output", default="embeddings.npz", help="the .npz to write (default: %(default)s)")


def run(args, usage_error):
    from keras_margin.cli import _embedding

    _embedding.check_files(args.files, usage_error)
    model = _embedding.load_model(args.model_dir, usage_error)
    embeddings = _embedding.embed_files(model, args.files, usage_error)
    import numpy as np

    from keras_margin.utils.atomic_write import write_atomically

    output = args.output if args.output.endswith(".npz") else args.output + ".npz"
    # A killed run never leaves a truncated archive.
    write_atomically(output, lambda file: np.savez(file, embeddings=embeddings, files=np.asarray(args.files)))
    print(f"wrote {len(embeddings)} embeddings of size {embeddings.shape[1]} to {output}")
    return 0
