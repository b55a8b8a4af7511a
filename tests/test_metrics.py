"""Accuracy metrics: values by hand, and the threshold that ``"accuracy"`` picks for the loss."""

import numpy as np
import pytest

import minicnn as mc
from minicnn.metrics import binary_accuracy, categorical_accuracy, get_metric, sparse_categorical_accuracy


def test_sparse_categorical_accuracy_takes_the_largest_output_of_each_sample():
    """The predicted class is the argmax over each sample's outputs (the last axis), not over the batch."""
    y_pred = np.array([[0.1, 0.2, 0.7],     # predicts class 2, labelled 2: right
                       [0.3, 0.6, 0.1]])    # predicts class 1, labelled 0: wrong
    assert sparse_categorical_accuracy(np.array([2, 0]), y_pred) == 0.5
    assert sparse_categorical_accuracy(np.array([[2], [1]]), y_pred) == 1.0  # labels of shape (N, 1) too
    # as many samples as classes: the argmax down each column would be [2, 1, 0], two thirds right
    square = np.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1], [0.6, 0.3, 0.1]])
    assert sparse_categorical_accuracy(np.array([2, 0, 0]), square) == 1.0


def test_categorical_accuracy_compares_the_prediction_with_the_label():
    """One-hot labels: a sample counts when the argmax of its outputs is the argmax of its label."""
    y_true = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    y_pred = np.array([[0.2, 0.7, 0.1],     # predicts class 1, labelled 0: wrong
                       [0.1, 0.8, 0.1]])    # predicts class 1, labelled 1: right
    assert categorical_accuracy(y_true, y_pred) == 0.5
    assert categorical_accuracy(y_true[:1], y_pred[:1]) == 0.0


def test_binary_accuracy_reads_labels_at_one_half_whatever_the_threshold():
    """The threshold applies to the predictions only; a (soft) label counts as class 1 when it is above 0.5.
    With logits the threshold is 0, yet a label 0.3 is still class 0."""
    assert binary_accuracy(np.array([[0.3]]), np.array([[0.4]])) == 1.0               # both class 0
    assert binary_accuracy(np.array([[0.3]]), np.array([[0.6]])) == 0.0               # label 0, prediction 1
    assert binary_accuracy(np.array([[0.3], [1.0]]), np.array([[-0.1], [0.2]]), threshold=0.0) == 1.0
    # an output of exactly the threshold is a "no", as Keras' ŷ > t (a ≥ passed every test; mutation round)
    assert binary_accuracy(np.array([[0.0], [1.0]]), np.array([[0.5], [0.6]])) == 1.0


def test_accuracy_of_a_binary_model_trained_on_logits_thresholds_at_zero():
    """With ``BinaryCrossentropy(from_logits=True)`` the outputs are logits z, and σ(z) > 0.5 means z > 0: a logit
    of 0.3 predicts class 1 although it is below 0.5. A Dense layer with weight 1 and bias 0 outputs its input."""
    model = mc.Sequential([mc.Dense(1, input_shape=(1,))])
    model.compile(optimizer=mc.SGD(0.1), loss=mc.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    model.set_weights([np.array([[1.0]]), np.array([0.0])])
    x, y = np.array([[-0.2], [0.3]]), np.array([[0.0], [1.0]])
    assert model.predict(x) == pytest.approx(x)
    _, accuracy = model.evaluate(x, y)
    assert accuracy == 1.0


def test_a_metric_that_is_neither_a_name_nor_a_function_is_a_type_error():
    """A number used to be looked up as a name ('unknown metric 5')."""
    from minicnn.metrics import get_metric

    with pytest.raises(TypeError, match=r"^metrics: expected a metric name such as 'accuracy' or a function "
                                        r"f\(y_true, y_pred\) -> float, got 5$"):
        get_metric(5, mc.BinaryCrossentropy())


def test_keras_regression_metrics_mae_is_offered_and_mse_says_why_not():
    """Keras' regression tutorials compile with metrics=["mae"] (and "mse"): both were 'unknown metric'. The mean
    absolute error is the same everywhere; Keras' "mse" metric is the mean of (y − ŷ)², where minicnn's "mse" loss
    is the document's half of it, so the name is refused with the way to either value."""
    from minicnn.metrics import get_metric

    y, predicted = np.array([[1.0], [2.0], [4.0]]), np.array([[1.5], [2.0], [1.0]])
    for name in ("mae", "mean_absolute_error"):
        kept, function = get_metric(name, mc.MeanSquaredError())
        assert kept == name and function(y, predicted) == pytest.approx((0.5 + 0 + 3) / 3)
        # labels of shape (N,) are read as a column, not broadcast against (N, 1) to an N×N table (mutation round)
        assert function(np.array([1.0, 0.0, 2.0]), np.array([[1.5], [0.0], [2.0]])) == pytest.approx(0.5 / 3)
    model = mc.Sequential([mc.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.set_weights([np.array([[1.0]]), np.array([0.0])])
    assert model.evaluate(np.array([[1.5], [2.0], [1.0]]), y)[1] == pytest.approx(3.5 / 3)
    with pytest.raises(ValueError, match=r"metrics: 'mse' is Keras' mean of \(y − ŷ\)², twice minicnn's 'mse' loss, "
                                         r"the document's 1/\(2N\) Σ \(y − ŷ\)²"):
        get_metric("mse", mc.MeanSquaredError())


def loss(y_true, y_pred):
    return 123.0


def _mean_error(y_true, y_pred):
    return float(np.mean(y_pred - y_true))


@pytest.mark.parametrize("metrics, message", [
    ([loss], r"a metric named 'loss' would overwrite the history's 'loss'"),
    (["mae", "mae"], r"more than one metric is named 'mae'"),
    ([lambda y, p: 1.0, lambda y, p: 2.0], r"more than one metric is named '<lambda>'"),
    ([_mean_error, "acc", _mean_error], r"more than one metric is named '_mean_error'")])
def test_metrics_whose_names_would_overwrite_a_value_of_the_history_are_refused(metrics, message):
    """A metric function called ``loss`` replaced the training loss in the history, in evaluate and in
    train_on_batch's dict; two metrics of one name kept only the second's values, and ``metrics_names`` then named
    more values than ``evaluate`` returned."""
    model = mc.Sequential([mc.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"^metrics: " + message):
        model.compile(optimizer="sgd", loss="mse", metrics=metrics)
    assert model.loss is None  # nothing of the refused compile was kept

    def val_accuracy(y_true, y_pred):
        return 0.0

    with pytest.raises(ValueError, match=r"^metrics: a metric named 'val_accuracy' would overwrite"):
        model.compile(optimizer="sgd", loss="mse", metrics=[val_accuracy])
    model.compile(optimizer="sgd", loss="mse", metrics=[_mean_error, "mae"])  # names of their own: taken


def test_an_accuracy_given_labels_of_another_form_is_refused_not_computed():
    """categorical_accuracy of integer labels (N,) compared every prediction's class with 0, and of one output per
    sample was always 1; sparse_categorical_accuracy of one-hot labels ended in NumPy's broadcasting error."""
    from minicnn.errors import ShapeError

    probabilities = np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    cases = [(categorical_accuracy, np.array([2, 1]), probabilities,
              r"^categorical_accuracy: expected one-hot labels of the predictions' shape \(2, 3\), got \(2,\); integer "
              r"class labels go with sparse_categorical_accuracy"),
             (categorical_accuracy, np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]]),
              r"^categorical_accuracy: with one output per sample the largest output is always that one, class 0, "
              r"whatever the model predicts: for yes/no outputs use binary_accuracy"),
             (sparse_categorical_accuracy, np.eye(3)[[2, 1]], probabilities,
              r"^sparse_categorical_accuracy: expected integer class labels of shape \(2,\) beside predictions of "
              r"shape \(2, 3\), got \(2, 3\); one-hot labels go with categorical_accuracy"),
             (sparse_categorical_accuracy, np.array([1, 0]), np.array([[0.9], [0.2]]), r"one output per sample"),
             (binary_accuracy, np.array([2, 1]), probabilities,
              r"^binary_accuracy: expected one yes/no label per output, of the predictions' shape \(2, 3\), got "
              r"\(2,\); integer class labels go with sparse_categorical_accuracy$")]
    for metric, labels, predictions, message in cases:
        with pytest.raises(ShapeError, match=message):
            metric(labels, predictions)


def test_accuracies_take_every_form_of_labels_that_fits():
    """(N,) or (N, 1) integer labels, one-hot rows, yes/no labels as a flat vector beside one output per sample,
    several yes/no labels per sample, and one class per pixel beside a class map of shape (N, H, W, classes)."""
    probabilities = np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    assert sparse_categorical_accuracy(np.array([[2], [0]]), probabilities) == 0.5
    assert categorical_accuracy(np.eye(3)[[2, 1]], probabilities) == 1.0
    assert binary_accuracy(np.array([1.0, 0.0]), np.array([[0.9], [0.6]])) == 0.5
    assert binary_accuracy(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), probabilities) == pytest.approx(5 / 6)
    class_map = np.zeros((2, 2, 2, 3))
    class_map[..., 1] = 1.0
    assert sparse_categorical_accuracy(np.array([[[1, 1], [1, 0]], [[1, 1], [2, 1]]]), class_map) == 0.75


@pytest.mark.parametrize("command", ["fit", "evaluate", "train_on_batch"])
def test_fit_evaluate_and_train_on_batch_refuse_a_metric_that_does_not_fit_the_labels_before_any_step(command):
    """In fit, sparse_categorical_accuracy of one-hot labels failed after the first step had moved the weights
    (found in review); categorical_accuracy of integer labels reported 0.0 and 1.0 for a model of 0.375."""
    from minicnn.errors import ShapeError

    rng = np.random.default_rng(0)
    x, classes = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    for loss, metric, labels, form in (("sparse_categorical_crossentropy", "categorical_accuracy", classes,
                                        "expected one-hot labels"),
                                       ("categorical_crossentropy", "sparse_categorical_accuracy", np.eye(3)[classes],
                                        "one-hot labels go with categorical_accuracy")):
        model = mc.Sequential([mc.Dense(3, activation="softmax", input_shape=(5,))], seed=0)
        model.compile(mc.Adam(0.01), loss, metrics=[metric])
        before = [w.copy() for w in model.get_weights()]
        arguments = {"verbose": 0} if command == "fit" else {}
        with pytest.raises(ShapeError, match=rf"^sequential.{command}: y: the metric '{metric}': .*{form}"):
            getattr(model, command)(x, labels, **arguments)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        assert model.optimizer.iterations == 0


def test_a_loss_object_or_a_callable_object_as_a_metric_is_kept_under_a_name_of_its_own():
    """Every callable without ``__name__`` went into the history as 'metric': two of them were refused as one name
    given twice (found in review). A loss keeps its ``name``, another object its class's name in snake case."""

    class PrecisionAtHalf:
        def __call__(self, y_true, y_pred):
            return float(np.mean(y_true[y_pred > 0.5])) if np.any(y_pred > 0.5) else 0.0

    x = np.random.default_rng(0).standard_normal((8, 2))
    y = (x[:, :1] > 0).astype(float)
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(2,))], seed=0)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[mc.MeanSquaredError(), PrecisionAtHalf()])
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert sorted(history) == ["loss", "mean_squared_error", "precision_at_half"]
    for class_name, name in [("MAE", "mae"), ("HTTPErrorRate", "http_error_rate"), ("Top5Accuracy", "top5_accuracy")]:
        assert get_metric(type(class_name, (), {"__call__": lambda self, y_true, y_pred: 0.0})(), None)[0] == name
    scores = model.evaluate(x, y, return_dict=True)
    assert scores["mean_squared_error"] == pytest.approx(mc.MeanSquaredError()(y, model.predict(x)))


def test_train_on_batch_with_metrics_names_the_labels_shape_of_xs_samples():
    """The metric check before the step read the sample count from the labels: one sample's one-hot row given flat,
    (3,), was told "expected (3, 3)" (found in review); x holds one sample."""
    from minicnn.errors import ShapeError

    model = mc.Sequential([mc.Dense(3, activation="softmax", input_shape=(5,))], seed=0)
    model.compile(mc.Adam(0.01), "categorical_crossentropy", metrics=["categorical_accuracy"])
    x = np.ones((1, 5))
    with pytest.raises(ShapeError, match=r"expected y_true of shape \(1, 3\) \(the shape of the predictions\), "
                                         r"got \(3,\)"):
        model.train_on_batch(x, np.eye(3)[1])
    assert model.optimizer.iterations == 0


def test_one_samples_flat_predictions_are_one_sample_of_several_outputs():
    """categorical_accuracy([0, 1, 0], [0.1, 0.8, 0.1]) was refused as "one output per sample" (found in review):
    a flat prediction is one sample's outputs, as in Keras."""
    assert categorical_accuracy([0, 1, 0], [0.1, 0.8, 0.1]) == 1.0
    assert sparse_categorical_accuracy(1, [0.1, 0.8, 0.1]) == 1.0
    assert binary_accuracy(np.array([[1.0], [0.0]]), np.array([0.9, 0.2])) == 1.0  # a column beside a flat vector


def test_flat_yes_no_labels_beside_flat_probabilities_are_sent_to_binary_accuracy():
    """After flat predictions became one sample, categorical_accuracy of five yes/no labels beside five
    probabilities returned 0.0 for five right answers, and sparse_categorical_accuracy's refusal pointed to it (found
    in review)."""
    from minicnn.errors import ShapeError

    labels, probabilities = [0, 1, 1, 0, 1], [0.1, 0.8, 0.9, 0.2, 0.7]
    with pytest.raises(ShapeError, match=r"^categorical_accuracy: a flat y_true is one sample's one-hot row, and these "
                                         r"labels are not one \(they sum to 3\): for one yes/no output per sample, "
                                         r"binary_accuracy$"):
        categorical_accuracy(labels, probabilities)
    with pytest.raises(ShapeError, match=r"flat predictions are one sample's outputs: for one yes/no output per "
                                         r"sample, binary_accuracy$"):
        sparse_categorical_accuracy(labels, probabilities)
    assert binary_accuracy(labels, probabilities) == 1.0
    assert categorical_accuracy([0.05, 0.9, 0.05], [0.1, 0.8, 0.1]) == 1.0  # a smoothed one-hot row sums to 1
