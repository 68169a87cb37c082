"""SimCLR on the unlabelled pool of `digits`, then a linear probe, k-NN and ArcFace fine-tuning.

10 labelled digits per class; the other 1,193 training-pool images (all but the labelled
and the validation ones) are pre-trained on without labels. Compares the pre-trained
backbone with a randomly initialised one, and fine-tuning from each. One seed: an
illustration, not a study (docs/ssl.md). About 20 s on two CPU cores.

Run: .venv/bin/python examples/ssl_digits.py [--epochs 30] [--dataset digits]
"""

import keras_margin as km  # noqa: I001

import argparse

import keras

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="digits")
parser.add_argument("--samples-per-class", type=int, default=10)
parser.add_argument("--epochs", type=int, default=30, help="SimCLR pre-training epochs")
parser.add_argument("--finetune-epochs", type=int, default=40)
args = parser.parse_args()
keras.utils.set_random_seed(0)

train, _, test, info = km.data.load(args.dataset, samples_per_class=args.samples_per_class,
                                    seed=0, with_info=True)
pool = km.data.unlabelled_pool(args.dataset, samples_per_class=args.samples_per_class, seed=0,
                               batch_size=256)
views = km.ssl.two_views(pool, km.augment.image.policy("standard", seed=0), seed=0)


def backbone():
    return km.models.small_cnn(embedding_dim=32, input_shape=info.input_shape, width=16)


def fine_tune(features):
    model = km.MarginModel(features, km.heads.ArcFace(info.num_classes, scale=16.0, margin=0.2))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    model.fit(train, epochs=args.finetune_epochs, verbose=0)
    return model.evaluate(test, verbose=0, return_dict=True)["accuracy"]


simclr = km.ssl.SimCLR(backbone(), projection_dim=32, temperature=0.2)
simclr.compile(optimizer=keras.optimizers.Adam(1e-3))
history = simclr.fit(views, epochs=args.epochs, verbose=0)
print(f"SimCLR loss: {history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.3f}")

print("backbone   k-NN   linear probe   ArcFace fine-tuned")
for name, features in (("random", backbone()), ("SimCLR", simclr.backbone)):
    knn = km.ssl.knn_accuracy(features, train, test, k=20)
    probe = km.ssl.linear_probe(features, train, test)
    print(f"{name:8s}  {knn:.3f}  {probe:.3f}          {fine_tune(features):.3f}")
