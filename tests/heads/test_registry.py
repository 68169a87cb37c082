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
     ("elasticface", "ElasticFace"), ("ldam", "LDAM")],
)
def test_names_resolve(name, expected):
    assert km.heads.get(name).__name__ == expected


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="cosface, arcface"):
        km.heads.get("magic")


def test_names_are_the_lower_case_class_names():
    assert km.heads.names() == [
        "softmax", "normface", "largemarginsoftmax", "sphereface", "cosface", "arcface", "combinedmargin",
        "subcenterarcface", "adaface", "magface", "curricularface", "elasticface", "ldam"]
