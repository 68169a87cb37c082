"""The synonym table travels as a SavedModel asset; an export serves raw strings."""

import os
import shutil
import subprocess
import sys
import textwrap

import keras
import tensorflow as tf

from keras_margin.augment import text


def test_exported_layer_serves_with_its_table_after_the_source_file_is_gone(tmp_path):
    source = tmp_path / "mine.tsv"
    source.write_text("film\tmovie\tpicture\ngood\tfine\n", "utf-8")
    table = text.SynonymTable.from_tsv(source)
    private = tmp_path / "private.tsv"  # a copy only this test uses, so it may go
    shutil.copy(table.path, private)
    layer = text.SynonymReplacement(text.SynonymTable(private), alpha=1.0)

    archive = keras.export.ExportArchive()
    archive.track(layer)
    archive.add_endpoint(
        name="augment",
        fn=lambda texts: layer(texts, seed=tf.constant([1, 2]), training=True),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    archive.write_out(str(tmp_path / "export"), verbose=False)
    assert os.listdir(tmp_path / "export" / "assets") == ["private.tsv"]
    os.remove(private)

    # A process that never imports keras_margin.
    script = textwrap.dedent(
        f"""
        import tensorflow as tf
        served = tf.saved_model.load({str(tmp_path / "export")!r})
        out = served.augment(tf.constant(["a good film", "no match here"]))
        print("|".join(t.decode() for t in out.numpy()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    first, second = result.stdout.strip().splitlines()[-1].split("|")
    assert first in {"a fine movie", "a fine picture"}
    assert second == "no match here"
