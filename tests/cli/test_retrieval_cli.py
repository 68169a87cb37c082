"""`keras-margin embed`, `enroll`, `search` and `verify` on a tiny exported model."""

import json

import numpy as np
import pytest

from keras_margin.cli.main import main
from keras_margin.cli.predict import _read_image
from keras_margin.retrieval import Gallery
from retrieval_model import IDENTITIES, THRESHOLDS, export_tiny_model, identity_folder, images_of, write_png


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("retrieval")
    model = export_tiny_model(root)
    files = identity_folder(root / "people")
    queries = [write_png(root / f"query{k}.png", images_of(k, 1, 500 + k)[0]) for k in range(4)]
    return model, root, files, queries


def _embed(model, paths):
    return model.embed(np.stack([_read_image(path, (8, 8, 1)) for path in paths]))


def _json_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_embed_writes_the_models_embeddings(setup, tmp_path, capsys):
    model, root, files, queries = setup
    output = tmp_path / "out" / "embeddings.npz"
    assert main(["embed", str(root / "faces"), *queries, "--output", str(output)]) == 0
    assert "wrote 4 embeddings of size 8" in capsys.readouterr().out
    with np.load(output) as saved:
        np.testing.assert_allclose(saved["embeddings"], _embed(model, queries), atol=1e-5)
        assert saved["files"].tolist() == queries


def test_enroll_search_and_append(setup, tmp_path, capsys):
    model, root, files, queries = setup
    gallery_dir = tmp_path / "gallery"
    assert main(["enroll", str(root / "faces"), str(gallery_dir), "--data", f"folder:{root / 'people'}"]) == 0
    assert "enrolled 12 images of 4 identities" in capsys.readouterr().out
    gallery = Gallery.load(gallery_dir)
    assert sorted(gallery.identities) == list(IDENTITIES)
    all_files = [path for identity in IDENTITIES for path in files[identity]]
    assert gallery.ids.tolist() == all_files
    np.testing.assert_allclose(gallery.embeddings, _embed(model, all_files), atol=1e-5)

    assert main(["search", str(root / "faces"), str(gallery_dir), *queries, "--top-k", "3",
                 "--far", "1e-1"]) == 0
    lines = _json_lines(capsys)
    expected = gallery.search(_embed(model, queries), k=3)
    assert [line["file"] for line in lines] == queries
    for row, line in enumerate(lines):
        assert [m["id"] for m in line["matches"]] == expected.ids[row].tolist()
        assert [m["label"] for m in line["matches"]] == expected.labels[row].tolist()
        assert [m["same"] for m in line["matches"]] == [m["similarity"] >= 0.5 for m in line["matches"]]

    # A second enrolment appends.
    more = tmp_path / "more"
    (more / "row9").mkdir(parents=True)
    write_png(more / "row9" / "a.png", images_of(0, 1, 900)[0])
    assert main(["enroll", str(root / "faces"), str(gallery_dir), "--data", f"folder:{more}"]) == 0
    assert "now holds 13 images of 5 identities" in capsys.readouterr().out


def test_verify_decides_at_the_stored_threshold(setup, capsys):
    model, root, files, queries = setup
    a, b = files["row0"][0], files["row1"][0]
    score = float(np.sum(np.prod(_embed(model, [a, b]), axis=0)))
    for far in ("1e-3", "1e-1"):
        assert main(["verify", str(root / "faces"), a, b, "--far", far]) == 0
        (line,) = _json_lines(capsys)
        assert line["score"] == pytest.approx(score, abs=1e-5)
        assert line["threshold"] == THRESHOLDS[far] and line["far"] == far
        assert line["same"] == (line["score"] >= THRESHOLDS[far])
    assert main(["verify", str(root / "faces"), a, a, "--threshold", "0.99"]) == 0
    assert _json_lines(capsys)[0]["same"] is True


@pytest.mark.parametrize("arguments, message", [
    (["embed", "{root}/nowhere", "{query}"], "no such model folder"),
    (["embed", "{root}/faces", "{root}/missing.png"], "no such image file"),
    (["embed", "{root}", "{query}"], "not a SavedModel folder"),
    (["embed", "{root}/faces", "{root}/people/row0"], "no such image file"),
    (["enroll", "{root}/faces", "{root}/g", "--data", "{root}/people"], "folder:PATH"),
    (["enroll", "{root}/faces", "{root}/g", "--data", "folder:{root}/none"], "no such folder"),
    (["enroll", "{root}/faces", "{root}/g", "--data", "folder:{root}/faces"], "holds no images"),
    (["search", "{root}/faces", "{root}/nogallery", "{query}"], "not a saved gallery"),
    (["search", "{root}/faces", "{root}/g", "{query}", "--top-k", "0"], "--top-k"),
    (["verify", "{root}/faces", "{query}", "{query}", "--far", "0.5"], "stores thresholds for FAR 1e-3, 1e-1 only"),
    (["verify", "{root}/faces", "{query}", "{query}", "--far", "2"], "FAR must lie in"),
    (["verify", "{root}/faces", "{query}", "{query}", "--threshold", "nan"], "finite"),
    (["verify", "{root}/faces", "{query}", "{root}/notes.txt"], "not a readable PNG"),
])
def test_bad_input_prints_one_line_and_exits_2(setup, capsys, arguments, message):
    model, root, files, queries = setup
    (root / "notes.txt").write_text("not an image")
    argv = [a.format(root=root, query=queries[0]) for a in arguments]
    capsys.readouterr()
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("keras-margin: error:")
    assert message in error


def test_a_gallery_of_another_embedding_size_is_refused(setup, tmp_path, capsys):
    model, root, files, queries = setup
    other = Gallery(3)
    other.enroll(np.eye(3), ["a", "b", "c"])
    other.save(tmp_path / "small")
    assert main(["search", str(root / "faces"), str(tmp_path / "small"), queries[0]]) == 2
    assert "embeddings of size 3, the model makes 8" in capsys.readouterr().err


def test_a_model_without_stored_thresholds_needs_threshold():
    from types import SimpleNamespace

    from keras_margin.cli import _embedding
    from keras_margin.cli.main import UsageError

    with pytest.raises(UsageError, match="stores no verification thresholds"):
        _embedding.stored_threshold(SimpleNamespace(thresholds={}, path="m"), 1e-3, UsageError)
