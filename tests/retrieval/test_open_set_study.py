"""The open-set study reports rank-1 accuracy and MAP@R of the unseen identities."""

from keras_margin.studies import RunSpec
from keras_margin.studies import runner


def test_open_set_rows_carry_identification_metrics():
    spec = RunSpec("open-set", "mnist-5k-open", "arcface", "none", 10, 0, 4, embedding_dim=8, batch_size=32)
    metrics = runner.run(spec)["open_set_metrics"]
    assert metrics["num_queries"] == 400  # every unseen test image of digits 6-9 queries the others
    assert 0.0 <= metrics["map_at_r"] <= 1.0 and 0.0 <= metrics["rank_1_accuracy"] <= 1.0
