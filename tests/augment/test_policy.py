"""`keras_margin.augment.Policy`: the one policy type of image, audio and text."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_margin import augment  # noqa: E402
from keras_margin.augment import Policy  # noqa: E402
from keras_margin.augment import audio  # noqa: E402
from keras_margin.augment import image  # noqa: E402
from keras_margin.augment import seeded_map  # noqa: E402
from keras_margin.augment import text  # noqa: E402
from keras_margin.augment.seeded_map import apply_all  # noqa: E402

SENTENCES = [
    "A fool and his money are soon parted.",
    "Never eat more than you can lift.",
    "Good coffee, good price, fast delivery -- would buy again!",
    "Computers are useless.  They can only give you answers.",
    "Life is what happens to you while you're busy making other plans.",
    "These are the best tasting gummy fruits I have ever eaten.",
]
SYNONYMS = {"good": ["fine"], "money": ["cash"], "eat": ["consume"], "fast": ["quick"]}


def as_lists(dataset):
    return [tuple(np.asarray(item).tolist() for item in element) for element in dataset]


def image_batches(digits, batch_size=8):
    images, labels = digits
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)


def clip_batches():
    t = np.arange(16000) / 16000
    clips = (0.3 * np.sin(2 * np.pi * 440 * t) * np.linspace(0.5, 1, 6)[:, None]).astype("float32")
    return tf.data.Dataset.from_tensor_slices((clips, np.arange(6, dtype="int32"))).batch(3)


def text_batches():
    texts = tf.data.Dataset.from_tensor_slices(SENTENCES)
    return tf.data.Dataset.zip(texts, tf.data.Dataset.range(len(SENTENCES))).batch(3)


def test_every_modality_returns_a_policy_with_its_parts():
    strong = image.policy("strong", num_classes=10, seed=0)
    assert isinstance(strong, Policy) and augment.Policy is Policy
    assert (strong.name, strong.modality, strong.model_layer, strong.copies) == (
        "strong", "image", None, None)
    assert [type(layer).__name__ for layer in strong.layers] == [
        "RandomAffine", "RandomContrast", "RandAugment", "RandomErasing"]
    assert strong.mixer is not None and strong.soft_labels
    assert not image.policy("standard").soft_labels

    standard = audio.policy("standard", seed=0)
    assert isinstance(standard, Policy) and standard.modality == "audio"
    assert [type(layer).__name__ for layer in standard.layers] == [
        "SpeedPerturbation", "TimeShift", "Gain"]
    assert isinstance(standard.model_layer, audio.SpecAugment)
    assert (standard.mixer, standard.copies, standard.soft_labels) == (None, None, False)

    eda = text.policy("eda", num_train=500)
    assert isinstance(eda, Policy) and eda.modality == "text"
    [layer] = eda.layers
    assert isinstance(layer, text.EDA) and layer.seed is None
    assert (layer.alpha_sr, layer.alpha_ri, layer.alpha_rs, layer.p_rd) == (0.05,) * 4
    assert (eda.copies, eda.model_layer, eda.soft_labels) == (16, None, False)
    assert text.policy("eda", num_train=4000).copies == 4
    assert text.policy("eda", seed=3).layers[0].seed == 3

    for none in (image.policy("none"), audio.policy("none"), text.policy("none")):
        assert (none.name, none.layers, none.model_layer, none.mixer, none.copies) == (
            "none", (), None, None, None)
    assert text.POLICIES == ("none", "eda")
    assert "EDA" in text.describe("eda")


def test_eda_parameters_moved_beside_the_layer():
    assert text.EDA_PARAMETERS[0] == (500, 0.05, 16)
    assert text.eda_parameters(501) == (0.05, 8)


def test_a_policy_that_does_nothing_returns_the_dataset_itself(digits):
    dataset = image_batches(digits)
    for none in (image.policy("none"), audio.policy("none"), text.policy("none")):
        assert none.apply(dataset, seed=0) is dataset
        assert none.apply(dataset) is dataset


@pytest.mark.parametrize("name", ["standard", "strong"])
def test_image_apply_is_the_old_seeded_path(name, digits):
    # make_pipeline used to map a policy with seeded_map(batches, policy, seed).
    def build():
        return image.policy(name, num_classes=10, horizontal_flip=True, seed=3)

    dataset = image_batches(digits)
    new = as_lists(build().apply(dataset, seed=5))
    old = as_lists(seeded_map(dataset, build(), seed=5))
    assert new == old
    assert new != as_lists(build().apply(dataset, seed=6))


def test_image_apply_without_a_seed_is_the_old_plain_map(digits):
    # `train.map(policy)`, as the studies and `keras-margin train` map it: the layers'
    # own seeded state (one batch, so parallel calls cannot reorder the draws).
    dataset = image_batches(digits, batch_size=16)
    new = as_lists(image.policy("strong", 10, seed=3).apply(dataset))
    old = as_lists(dataset.map(image.policy("strong", 10, seed=3)))
    assert new == old


def test_audio_apply_is_the_old_waveform_path():
    # The studies used to map seeded_map(train, policy.waveform, seed).
    standard = audio.policy("standard", seed=0)
    dataset = clip_batches()
    new = as_lists(standard.apply(dataset, seed=1))
    old = as_lists(seeded_map(dataset, list(standard.layers), seed=1))
    assert new == old
    assert not np.allclose(new[0][0], next(iter(dataset))[0].numpy())


def test_text_apply_is_the_old_eda_path():
    # The text study used to expand with seeded_map(..., num_aug) and reshuffle.
    eda = text.EDA(SYNONYMS, alpha_sr=0.3, alpha_ri=0.3, alpha_rs=0.3, p_rd=0.3)
    policy = Policy("eda", "text", layers=[eda], copies=2)
    dataset = text_batches()
    new = as_lists(policy.apply(dataset, seed=4, batch_size=4))
    old = seeded_map(dataset, eda, seed=4, num_aug=2).unbatch().shuffle(20_000, seed=4).batch(4)
    assert new == as_lists(old)
    assert [len(labels) for _, labels in new] == [4, 4, 4, 4, 2]  # 6 texts x (1 + 2)
    # Without batch_size, each batch keeps its copies.
    expanded = as_lists(policy.apply(dataset, seed=4))
    assert [len(labels) for _, labels in expanded] == [9, 9]
    assert expanded == as_lists(seeded_map(dataset, eda, seed=4, num_aug=2))


def test_calling_a_policy_with_an_element_seed_is_what_apply_maps():
    standard = audio.policy("standard", seed=0)
    waveforms, labels = next(iter(clip_batches()))
    seed = tf.constant([7, 0], tf.int64)
    called = standard(waveforms, labels, seed=seed)
    # seeded_map's rule for one element: the k-th layer draws from fold_in(seed, k).
    expected = apply_all(list(standard.layers), (waveforms, labels), seed)
    np.testing.assert_array_equal(called[0].numpy(), expected[0].numpy())
    np.testing.assert_array_equal(called[1].numpy(), labels.numpy())
    unseeded, same_labels = standard(waveforms, labels)  # from the layers' own state
    assert unseeded.shape == waveforms.shape
    np.testing.assert_array_equal(same_labels, labels)


def test_a_mixer_makes_soft_labels_after_the_layers(digits):
    mixing = Policy("mix", "image", layers=[image.GaussianNoise(seed=0)],
                    mixer=image.FourierMix(seed=1))
    assert mixing.soft_labels
    images, labels = digits
    labels = tf.one_hot(labels, 10)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    new = as_lists(mixing.apply(dataset, seed=2))
    old = as_lists(seeded_map(dataset, [mixing.layers[0], mixing.mixer], seed=2))
    assert new == old


def test_repr_names_the_parts():
    assert repr(image.policy("strong", 10)) == (
        "<Policy 'strong' (image): RandomAffine, RandomContrast, RandAugment, "
        "RandomErasing; then MixUp or CutMix (soft labels)>")
    assert repr(audio.policy("standard")) == (
        "<Policy 'standard' (audio): SpeedPerturbation, TimeShift, Gain; "
        "in the model: SpecAugment>")
    assert repr(text.policy("eda", num_train=500)) == "<Policy 'eda' (text): EDA; 16 copies>"
    assert repr(text.policy("none")) == "<Policy 'none' (text): no augmentation>"


def test_a_policy_is_frozen():
    policy = audio.policy("standard")
    with pytest.raises(AttributeError):
        policy.name = "other"


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(name=""), "`name`"),
        (dict(name=3), "`name`"),
        (dict(modality="video"), "`modality`"),
        (dict(layers=audio.Gain()), "`layers`"),
        (dict(layers=["gain"]), "`layers`"),
        (dict(layers=[keras.layers.RandomFlip()]), "`layers`"),
        (dict(model_layer="spec_augment"), "`model_layer`"),
        (dict(mixer="mixup"), "`mixer`"),
        (dict(copies=0), "`copies`"),
        (dict(copies=2.5), "`copies`"),
        (dict(copies=2, mixer=image.FourierMix()), "`copies`"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    arguments = dict(name="custom", modality="audio")
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        Policy(**arguments)


@pytest.mark.parametrize(
    "kwargs, argument",
    [(dict(dataset=[1, 2]), "`dataset`"), (dict(seed=-1), "`seed`"),
     (dict(batch_size=0), "`batch_size`")],
)
def test_bad_apply_arguments_name_the_argument(kwargs, argument):
    arguments = dict(dataset=clip_batches())
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        audio.policy("standard").apply(**arguments)


def test_bad_text_policy_arguments():
    with pytest.raises(ValueError, match="Unknown text augmentation policy 'strong'"):
        text.policy("strong")
    with pytest.raises(ValueError, match="`num_train`"):
        text.policy("eda", num_train=0)
    with pytest.raises(ValueError, match="`seed`"):
        text.policy("eda", seed=-1)


def test_the_data_pipelines_apply_a_policy():
    from keras_margin.data import make_pipeline
    from keras_margin.data.text_pipeline import make_text_pipeline

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (24, 12, 12, 1), dtype=np.uint8), np.arange(24) % 3

    def image_pipeline(augment):
        return as_lists(make_pipeline(images, labels, 8, training=True, augment=augment, seed=2))

    plain = make_pipeline(images, labels, 8, training=True, seed=2)
    policy = image.policy("standard", seed=1)
    assert image_pipeline(policy) == as_lists(seeded_map(plain, image.policy("standard", seed=1), seed=2))

    eda = text.EDA(SYNONYMS, alpha_sr=0.3, alpha_ri=0.3, alpha_rs=0.3, p_rd=0.3)
    policy = Policy("eda", "text", layers=[eda], copies=2)
    texts, text_labels = np.array(SENTENCES * 2, dtype=object), np.arange(12) % 2
    new = make_text_pipeline(texts, text_labels, 4, training=True, augment=policy, seed=3)
    plain = make_text_pipeline(texts, text_labels, 4, training=True, seed=3)
    old = seeded_map(plain, eda, seed=3, num_aug=2).unbatch().shuffle(20_000, seed=3).batch(4)
    assert as_lists(new) == as_lists(old)
