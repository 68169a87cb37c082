"""`BestValidation`: early stopping on a validation metric, keeping the best weights."""

import math
import warnings

import keras

from keras_margin.utils import validation


class BestValidation(keras.callbacks.Callback):
    """Stops training when `monitor` has not improved for `patience` validations, and
    ends with the weights of the best validation seen.

    Unlike `keras.callbacks.EarlyStopping` it breaks ties: on a small validation split
    accuracy moves in steps of 1/N and often repeats, and among equal accuracies the one
    with the lower `tie_breaker` (by default the validation loss) is kept. Patience only
    counts improvements of `monitor` itself by more than `min_delta`, so a slowly falling
    loss on an accuracy plateau does not keep a run going; the restored weights are the
    best by `(monitor, -tie_breaker)` all the same. The best weights are restored at the
    end of training whether it stopped early or ran its whole budget. They include the
    non-trainable state (batch-norm statistics, a head's running statistics); the
    optimizer's state is not rewound.

    After `fit`, `best_epoch` (0-based), `epochs_run` and `stopped_early` say what
    happened, e.g. to report the steps a run used.

    Args:
        monitor: the log to maximise, e.g. `"val_accuracy"` (default).
        patience: validations without an improvement of `monitor` before stopping, an
            integer >= 1; None never stops early (best weights are still restored).
        min_delta: smallest rise of `monitor` that counts as an improvement, >= 0.
        tie_breaker: a log to minimise among equal values of `monitor`, or None.

    Example:

    >>> import keras_margin as km
    >>> stopper = km.callbacks.BestValidation(patience=3)
    >>> # model.fit(train, validation_data=val, epochs=50, callbacks=[stopper])
    >>> # stopper.best_epoch, stopper.epochs_run, stopper.stopped_early
    """

    def __init__(self, monitor="val_accuracy", patience=None, min_delta=0.0, tie_breaker="val_loss"):
        super().__init__()
        if patience is not None:
            patience = validation.integer_at_least(patience, 1, "patience")
        min_delta = validation.non_negative(min_delta, "min_delta")
        self.monitor = str(monitor)
        self.patience = patience
        self.min_delta = min_delta
        self.tie_breaker = tie_breaker

    def on_train_begin(self, logs=None):
        self.best_value = -math.inf
        self.best_tie = math.inf
        self.best_epoch = None
        self.best_weights = None
        self.epochs_run = 0
        self.stopped_early = False
        self._last_improvement = -math.inf
        self._wait = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_run = epoch + 1
        if self.monitor not in logs:
            if any(name.startswith("val_") for name in logs):
                raise ValueError(f"`BestValidation` monitors {self.monitor!r}, which is not in "
                                 f"the logs ({', '.join(sorted(logs))}).")
            return  # no validation this epoch (`validation_freq`)
        value = float(logs[self.monitor])
        tie = float(logs.get(self.tie_breaker, 0.0)) if self.tie_breaker else 0.0
        if not math.isfinite(tie):
            tie = math.inf
        # NaN compares False everywhere: a diverged validation is never the best.
        if value > self.best_value or (value == self.best_value and tie < self.best_tie):
            self.best_value, self.best_tie, self.best_epoch = value, tie, epoch
            self.best_weights = self.model.get_weights()
        if value > self._last_improvement + self.min_delta:
            self._last_improvement, self._wait = value, 0
        else:
            self._wait += 1
            if self.patience is not None and self._wait >= self.patience:
                self.stopped_early = True
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        elif self.epochs_run:
            warnings.warn(f"`BestValidation` never saw {self.monitor!r}: no early stopping and "
                          "no best weights. Pass `validation_data` to `fit`.", stacklevel=2)
