"""The labelled image data of `train` and `evaluate`: a named dataset of
`keras_margin.data.load`, or `--dataset folder --data-dir FOLDER` through
`keras_margin.data.from_directory`, read the same way by both commands."""


def load_labelled_images(km, args, image_size=None, **options):
    """`(train, validation, test, info)` of `args.dataset` (`args.data_dir`,
    `args.color_mode` for a folder); `image_size` resizes a folder's images while they
    are decoded; `options` go to the loader (`validation_split`, `seed`, ...).

    Raises:
        ValueError: for `--dataset folder` without `--data-dir`, or what the loader
            refuses (the message names the argument).
    """
    if args.dataset == "folder":
        if not args.data_dir:
            raise ValueError("--dataset folder needs --data-dir FOLDER (one sub-folder per class)")
        return km.data.from_directory(args.data_dir, color_mode=args.color_mode,
                                      image_size=image_size, with_info=True, **options)
    return km.data.load(args.dataset, data_dir=args.data_dir, with_info=True, **options)
