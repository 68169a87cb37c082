"""The error raised when a dataset is not on this machine."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not on this machine; the message says how to get them.

    Nothing in `keras_margin.data` downloads, so a missing dataset is an ordinary,
    expected situation (a machine without the Debian package, an unprepared `tfds`
    data_dir, a wrong folder). The message is one line that names what is missing and
    how to get it. Subclassing `FileNotFoundError` lets callers that already handle
    missing files keep working.

    Example:

    >>> import keras_margin as km
    >>> try:
    ...     km.data.load("fashion-mnist", data_dir="/nowhere")
    ... except km.data.DatasetNotFoundError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    fashion-mnist: files not found in /nowhere; ...
    """
