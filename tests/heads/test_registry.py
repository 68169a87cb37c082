import pytest

import keras_margin as km


@pytest.mark.parametrize(
    "name, expected",
    [("arcface", "ArcFace"), ("ArcFace", "ArcFace"), ("cos-face", "CosFace"),
     ("lsoftmax", "LargeMarginSoftmax"), ("largemarginsoftmax", "LargeMarginSoftmax"),
     ("sphereface", "SphereFace"), ("combinedmargin", "CombinedMargin"),
     ("normface", "NormFace"), ("softmax", "Softmax"),
     ("subcenterarcface", "SubCenterArcFace"), ("sub-center-arcface", "SubCenterArcFace"),
     ("adaface", "AdaFace"), ("magface", "MagFace"), ("curricularface", "CurricularFace"),
     ("elasticface", "ElasticFace"), ("ldam", "LDAM"), ("AdaCos", "AdaCos")],
)
def test_names_resolve(name, expected):
    assert km.heads.get(name).__name__ == expected


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="cosface, arcface"):
        km.heads.get("magic")


def test_names_are_the_lower_case_class_names():
    assert km.heads.names() == [
        "softmax", "normface", "largemarginsoftmax", "sphereface", "cosface", "arcface", "combinedmargin",
        "subcenterarcface", "adaface", "magface", "curricularface", "elasticface", "ldam", "adacos"]


def test_create_builds_ldam_from_class_counts_and_others_from_num_classes():
    ldam = km.heads.create("ldam", 3, class_counts=[100, 10, 1], max_margin=0.4)
    assert isinstance(ldam, km.heads.LDAM) and ldam.num_classes == 3
    assert max(ldam.class_margins) == pytest.approx(0.4)
    cosface = km.heads.create("amsoftmax", 3, class_counts=[100, 10, 1], scale=16.0)
    assert isinstance(cosface, km.heads.CosFace) and cosface.scale == 16.0
    with pytest.raises(ValueError, match="class_counts"):
        km.heads.create("ldam", 3)
    with pytest.raises(ValueError, match="2 entries for 3 classes"):
        km.heads.create("ldam", 3, class_counts=[5, 5])


def test_create_passes_the_layer_name_through():
    head = km.heads.create("arcface", 3, name="head")
    assert head.name == "head" and head.num_classes == 3
