"""Losses: values by hand, hand-written gradients against gradcheck, stability, label checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn as mc
from minicnn.errors import ShapeError
from tolerances import assert_close, assert_gradcheck


def test_mse_is_the_documents_half_mean():
    y, y_hat = np.array([[1.0], [2.0], [4.0]]), np.array([[2.0], [2.0], [1.0]])
    # 1/(2·3) · (1 + 0 + 9) = 10/6
    assert mc.MeanSquaredError()(y, y_hat) == pytest.approx(10 / 6)
    # ∂L/∂ŷ = (ŷ − y)/N
    assert_close(mc.MeanSquaredError().gradient(y, y_hat), [[1 / 3], [0.0], [-1.0]], "float64", "MSE gradient")


def test_binary_crossentropy_by_hand_and_from_logits():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.4]])
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    assert mc.BinaryCrossentropy()(y, p) == pytest.approx(expected)
    logits = np.log(p / (1 - p))
    assert mc.BinaryCrossentropy(from_logits=True)(y, logits) == pytest.approx(expected)
    # ∂L/∂z = (σ(z) − y)/N
    assert_close(mc.BinaryCrossentropy(from_logits=True).gradient(y, logits), [[-0.1], [0.2]], "float64", "BCE")


def test_binary_crossentropy_is_finite_at_zero_and_one():
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    p = np.array([[0.0], [1.0], [1.0], [0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = mc.BinaryCrossentropy()(y, p)
        grad = mc.BinaryCrossentropy().gradient(y, p)
    assert np.isfinite(value) and value == pytest.approx(-np.log(1e-7) / 2, rel=1e-6)
    assert np.all(np.isfinite(grad)) and grad[0, 0] < 0 and grad[1, 0] > 0
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert np.isfinite(mc.BinaryCrossentropy(from_logits=True)(y, np.array([[-800.0], [800.0], [0.0], [1.0]])))


def test_categorical_crossentropy_by_hand():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert mc.CategoricalCrossentropy()(y, p) == pytest.approx(expected)
    assert mc.SparseCategoricalCrossentropy()(np.array([1, 0]), p) == pytest.approx(expected)
    logits = np.log(p)
    assert mc.CategoricalCrossentropy(from_logits=True)(y, logits) == pytest.approx(expected)
    # ∂L/∂z = (softmax(z) − y)/N
    assert_close(mc.CategoricalCrossentropy(from_logits=True).gradient(y, logits), (p - y) / 2, "float64", "CCE")


def test_categorical_crossentropy_is_finite_at_zero_probability():
    """A probability of 0 for the labelled class is clipped to ε = 1e-7 (Keras' value), so the loss is the large
    finite ``−log(1e-7) ≈ 16.118`` that Keras gives, and the gradient ``−y / clip(p, ε, 1) / N`` never divides by 0."""
    y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = mc.CategoricalCrossentropy()(y, p)
        grad = mc.CategoricalCrossentropy().gradient(y, p)
    assert value == pytest.approx(-np.log(1e-7), rel=1e-9) and value == pytest.approx(16.118, abs=1e-3)
    # −1 / 1e-7 / 1 for the labelled class; −0 / 1 for the other
    assert_close(grad, [[-1e7, 0.0]], "float64", "CCE gradient at p = 0")


def test_categorical_crossentropy_from_logits_with_labels_that_do_not_sum_to_one():
    """For soft labels summing to s ≠ 1, ``∂L/∂z = (softmax(z)·s − y) / N``; ``softmax(z) − y`` holds only for s = 1.
    softmax(z) = [0.2, 0.3, 0.5] and y = [0.5, 0.2, 0] (s = 0.7) give [0.14 − 0.5, 0.21 − 0.2, 0.35 − 0]."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    y, z = np.array([[0.5, 0.2, 0.0]]), np.log(np.array([[0.2, 0.3, 0.5]]))
    assert_close(loss.gradient(y, z), [[-0.36, 0.01, 0.35]], "float64", "CCE gradient, labels summing to 0.7")
    assert_gradcheck(mc.gradcheck(loss, z, y), "CCE from logits, labels summing to 0.7")


def test_categorical_crossentropy_from_large_logits_is_finite():
    """The log-softmax subtracts each row's largest logit before ``exp``, so no ``exp`` sees more than 0: logits
    1000 apart overflow neither the value nor the gradient. Row 1: −log softmax([1000, 0])[1] = 1000; row 2:
    −log softmax([0, −1000])[0] = log(1 + e^−1000) ≈ 0; L = 1000/2. ∂L/∂z = (softmax − y)/N = ([1, 0] − y)/2."""
    loss = mc.CategoricalCrossentropy(from_logits=True)
    y, z = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1000.0, 0.0], [0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        value = loss(y, z)
        grad = loss.gradient(y, z)
    assert value == pytest.approx(500.0, rel=1e-12)
    assert_close(grad, [[0.5, -0.5], [0.0, 0.0]], "float64", "CCE gradient from large logits")


LOSS_CASES = [
    ("mse", lambda rng, shape: (rng.standard_normal(shape), rng.standard_normal(shape))),
    ("bce", lambda rng, shape: ((rng.random(shape) > 0.5).astype(float), rng.uniform(0.02, 0.98, shape))),
    ("bce_logits", lambda rng, shape: (rng.random(shape), rng.standard_normal(shape) * 3)),
    ("cce", lambda rng, shape: (np.eye(shape[1])[rng.integers(0, shape[1], shape[0])],
                                rng.dirichlet(np.ones(shape[1]), shape[0]) * 0.9 + 0.1 / shape[1])),
    ("cce_logits", lambda rng, shape: (np.eye(shape[1])[rng.integers(0, shape[1], shape[0])],
                                       rng.standard_normal(shape) * 2)),
    ("sparse", lambda rng, shape: (rng.integers(0, shape[1], shape[0]),
                                   rng.dirichlet(np.ones(shape[1]), shape[0]) * 0.9 + 0.1 / shape[1])),
]
LOSSES = {"mse": mc.MeanSquaredError(), "bce": mc.BinaryCrossentropy(),
          "bce_logits": mc.BinaryCrossentropy(from_logits=True), "cce": mc.CategoricalCrossentropy(),
          "cce_logits": mc.CategoricalCrossentropy(from_logits=True), "sparse": mc.SparseCategoricalCrossentropy()}


@pytest.mark.parametrize("name, make", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
@given(n=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_loss_gradient_matches_gradcheck(name, make, n, k, seed):
    if name.startswith(("cce", "sparse")):
        k = max(k, 2)
    y, y_pred = make(np.random.default_rng(seed), (n, k))
    assert_gradcheck(mc.gradcheck(LOSSES[name], y_pred, y), name)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_loss_rejects_labels_of_the_wrong_shape(loss):
    y_pred = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"y_true.*\(4,?"):
        loss(np.zeros((5, 3)), y_pred)


def test_label_vector_accepted_for_single_output():
    y_pred = np.array([[0.9], [0.2]])
    assert mc.BinaryCrossentropy()(np.array([1.0, 0.0]), y_pred) == \
        pytest.approx(mc.BinaryCrossentropy()(np.array([[1.0], [0.0]]), y_pred))


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\)"):
        mc.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))


def test_sparse_labels_that_are_not_whole_numbers_are_refused():
    """Float class labels such as 1.5 (a regression target given to a classifier) are refused, not truncated to
    class 1 without a word (mutation round: the whole-number check could go); 0.0 and 2.0 are classes 0 and 2."""
    loss = mc.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"expected y_true to hold integer class indices in \[0, 3\)"):
        loss(np.array([0.0, 1.5]), np.full((2, 3), 1 / 3))
    assert loss(np.array([0.0, 2.0]), np.full((2, 3), 1 / 3)) == pytest.approx(np.log(3))


@pytest.mark.parametrize("loss", [mc.MeanSquaredError(), mc.BinaryCrossentropy(), mc.CategoricalCrossentropy()],
                         ids=repr)
def test_labels_holding_nan_are_refused_by_name(loss):
    """A NaN label passes a [0, 1] range check (NaN compares false) and made the loss NaN; ``train_on_batch``,
    which leaves y to the loss, then said only "loss is nan" (mutation round: the labels' check could go)."""
    labels = np.array([[np.nan, 1.0]])
    with pytest.raises(mc.NonFiniteError, match="y_true contains NaN or infinity"):
        loss(labels, np.array([[0.5, 0.5]]))
    model = mc.Sequential([mc.Dense(2, input_shape=(3,), seed=0)])
    model.compile(optimizer="sgd", loss=type(loss)(**({"from_logits": True} if hasattr(loss, "from_logits") else {})))
    with pytest.raises(mc.NonFiniteError, match="y_true contains NaN"):
        model.train_on_batch(np.ones((1, 3), np.float32), labels)


def test_a_loss_of_your_own_gives_its_gradient_in_the_predictions_dtype():
    """``Loss.gradient`` casts a loss of your own's gradient to the predictions' dtype: without it a float32
    model's ``backward(loss.gradient(...))`` got float64 (mutation round)."""
    class MeanAbsolute(mc.Loss):
        def value(self, y_true, y_pred):
            return float(np.mean(np.abs(y_true - y_pred)))

        def grad(self, y_true, y_pred):
            return np.sign(y_pred - y_true).astype(np.float64) / y_pred.size

    assert MeanAbsolute().gradient(np.zeros((2, 1)), np.ones((2, 1), dtype=np.float32)).dtype == np.float32


def test_unknown_loss_name_lists_the_choices():
    model = mc.Sequential([mc.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*binary_crossentropy"):
        model.compile(loss="hinge")


@pytest.mark.parametrize("labels", [np.array(["a", "b"]), [None, 1.0]], ids=["strings", "objects"])
def test_labels_that_are_not_numbers_are_named(labels):
    for loss in (mc.MeanSquaredError(), mc.BinaryCrossentropy()):
        with pytest.raises(TypeError, match=rf"{type(loss).__name__}: expected y_true of real numbers, got "
                                            r"(dtype <U1|\[None, 1.0\])"):
            loss(labels, np.zeros((2, 1)))


CROSS_ENTROPIES = [mc.BinaryCrossentropy(), mc.BinaryCrossentropy(from_logits=True), mc.CategoricalCrossentropy(),
                   mc.CategoricalCrossentropy(from_logits=True)]


def _calls(loss):
    """Every way a loss takes labels: its value, its gradient, ``clipped`` (gradcheck), ``labels`` (the cuda path,
    where the predictions stay on the device)."""
    return {"value": loss, "gradient": loss.gradient, "clipped": loss.clipped,
            "labels": lambda y, y_pred: loss.labels(y, y_pred.shape, y_pred.dtype)}


@pytest.mark.parametrize("loss", CROSS_ENTROPIES, ids=repr)
@pytest.mark.parametrize("labels, hint", [
    ([3.0, 3.0], r"class numbers \(up to 3\)\? they are not probabilities: give the model one output per class with "
                 r"a softmax, and loss='sparse_categorical_crossentropy'"),
    ([0.0, 255.0], r"labels 0/255 \(a mask image\)\? divide by 255"),
    ([-1.0, 1.0], r"labels −1/1\? use 0/1: \(y_true \+ 1\) / 2"),
    ([1.0, 2.0], r"labels 1/2\? use 0/1: y_true − 1"),
    ([0.0, 1.5], r"soft labels are probabilities: scale them into \[0, 1\]")])
def test_cross_entropy_labels_outside_0_1_are_refused(loss, labels, hint):
    """Labels 3 gave BinaryCrossentropy 0.693 at p = 0.5; labels 0/255 or −1/1 trained silently. Soft labels in
    [0, 1] (label smoothing) stay valid. The hint follows the values: every label outside [0, 1] was told to divide
    by 255, class numbers 0–4 too (which would then have trained on nonsense)."""
    name = type(loss).__name__
    y_pred = np.array([[0.5, 0.5], [0.5, 0.5]], np.float32)
    y = np.array([labels, labels[::-1]])
    lowest, highest = min(labels), max(labels)
    for function in _calls(loss).values():
        with pytest.raises(ValueError, match=rf"^{name}: expected y_true in \[0, 1\] \(.*\), got values from "
                                             rf"{lowest:g} to {highest:g}; {hint}$"):
            function(y, y_pred)
        smoothed = np.array([[0.95, 0.05], [0.05, 0.95]])
        function(smoothed, y_pred)                                  # accepted


def test_one_sigmoid_output_with_sparse_categorical_crossentropy_is_told_it_is_one_class():
    """Dense(1, activation="sigmoid") with loss="sparse_categorical_crossentropy" and labels 0/1 was told only
    "expected y_true to hold integer class indices in [0, 1), got values from 0 to 1" (found in review)."""
    labels, predictions = np.array([0, 1, 1]), np.array([[0.2], [0.7], [0.9]])
    with pytest.raises(ValueError, match=r"in \[0, 1\), got values from 0 to 1; one output per sample is one class: "
                                         r"for yes/no labels 0/1, loss='binary_crossentropy' with a sigmoid output, "
                                         r"or two outputs, Dense\(2, activation='softmax'\)$"):
        mc.SparseCategoricalCrossentropy()(labels, predictions)
    with pytest.raises(ValueError, match=r"in \[0, 3\), got values from 0 to 3$"):  # more classes: no such advice
        mc.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("loss", [mc.BinaryCrossentropy(), mc.CategoricalCrossentropy()], ids=repr)
@pytest.mark.parametrize("y_pred", [[[5.0, -4.0], [0.0, 0.0]], [[-3.0, 0.5], [0.5, 0.5]], [[0.5, 1.2], [0.5, 0.5]]])
def test_probabilities_outside_0_1_are_refused_with_a_hint_about_logits(loss, y_pred):
    """Logits given as probabilities silently gave BinaryCrossentropy 1e-7 (p = 5 clipped) or 16.1 (p = −3):
    a last layer without its sigmoid or softmax. With ``from_logits=True`` the same values are fine."""
    name = type(loss).__name__
    activation = "sigmoid" if name == "BinaryCrossentropy" else "softmax"
    y, y_pred = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array(y_pred)
    message = (rf"^{name}: expected y_pred to hold probabilities in \[0, 1\], got values from {y_pred.min():g} to "
               rf"{y_pred.max():g}; end the last layer in a {activation} \(activation='{activation}'\), or give its "
               rf"raw outputs \(no activation: logits\) to {name}\(from_logits=True\)$")
    for call in ("value", "gradient", "clipped"):
        with pytest.raises(ValueError, match=message):
            _calls(loss)[call](y, y_pred)
    loss.labels(y, y_pred.shape, y_pred.dtype)          # the cuda path: the predictions are on the device
    logits = type(loss)(from_logits=True)
    assert np.isfinite(logits(y, y_pred)) and np.all(np.isfinite(logits.gradient(y, y_pred)))


def test_categorical_probabilities_whose_rows_do_not_sum_to_one_are_refused():
    """Rows summing to 3 (a sigmoid in place of a softmax) gave −0.0: the formulas take the probabilities as they
    are (Keras would divide each row by its sum first). Rows summing to 1 within rounding pass."""
    loss = mc.CategoricalCrossentropy()
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for y_pred, low, high in [(np.ones((2, 3)), 3, 3), (np.array([[0.2, 0.3, 0.1], [0.2, 0.3, 0.5]]), 0.6, 1)]:
        for call in ("value", "gradient", "clipped"):
            with pytest.raises(ValueError, match=rf"^CategoricalCrossentropy: expected each row of y_pred to sum to "
                                                 rf"1 \(a probability for each class\), got row sums from {low:g} "
                                                 rf"to {high:g}; a sigmoid on the last layer\? use a softmax"):
                _calls(loss)[call](y, y_pred)
    with pytest.raises(ValueError, match=r"^SparseCategoricalCrossentropy: expected each row of y_pred to sum to 1"):
        mc.SparseCategoricalCrossentropy()(np.array([0, 1]), np.ones((2, 3)))
    nearly = np.array([[0.2, 0.3, 0.5 + 1e-6], [1.0, 0.0, 0.0]], np.float32)
    assert np.isfinite(loss(y, nearly)) and np.all(np.isfinite(loss.gradient(y, nearly)))


@settings(deadline=None)
@given(logits=st.lists(st.floats(-200, 200, width=32), min_size=2, max_size=8),
       backend=st.sampled_from(["numpy", "numba"]))
def test_what_sigmoid_and_softmax_give_in_float32_is_accepted_and_raw_logits_are_not(logits, backend):
    """The framework's own outputs in float32, exactly 0.0 or 1.0 included, must pass; the logits themselves, where
    any of them lies outside [0, 1], must not."""
    z = np.array([logits], np.float32)
    kernels = mc.backend._load(backend)
    probabilities, y = kernels.sigmoid_forward(z), (np.arange(z.size) % 2).reshape(1, -1)
    assert np.isfinite(mc.BinaryCrossentropy()(y, probabilities))
    softmax = kernels.softmax_forward(z)
    one_hot = np.eye(z.size)[[0]]
    assert np.isfinite(mc.CategoricalCrossentropy()(one_hot, softmax))
    if z.min() < -1e-3 or z.max() > 1 + 1e-3:
        for loss, labels in ((mc.BinaryCrossentropy(), y), (mc.CategoricalCrossentropy(), one_hot)):
            with pytest.raises(ValueError, match="from_logits=True"):
                loss(labels, z)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_predictions_that_are_not_numbers_or_not_a_batch_are_named(loss):
    """Strings gave "ufunc 'isfinite' not supported", None "expected y_true of shape ()", a single number to
    ``clipped`` "len() of unsized object", an empty batch a NaN (or, for the sparse labels, "zero-size array to
    reduction operation minimum")."""
    name = type(loss).__name__
    y = np.array([1, 0]) if name.startswith("Sparse") else np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match=rf"^{name}: expected y_pred of real numbers \(the model's output\), got dtype "
                                        r"<U1$"):
        loss(y, np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match=rf"^{name}: expected y_pred of real numbers \(the model's output\), got None$"):
        loss.gradient(y, None)
    with pytest.raises(ValueError, match=rf"^{name}: expected y_pred (with a batch axis \(one row per sample\)|of "
                                         r"shape \(N, K\) \(N samples, K classes\)), got (a single number|\(\))$"):
        loss.clipped(0.5, 0.5)
    with pytest.raises(ValueError, match=rf"^{name}: the batch holds no samples \(y_pred of shape \(0, 2\)\)$"):
        loss(y[:0], np.zeros((0, 2)))
    with pytest.raises(ValueError, match=rf"^{name}: the batch holds no samples"):
        loss.labels(y[:0], (0, 2), np.float32)


def test_sparse_labels_that_are_not_numbers_are_named():
    """String class labels gave NumPy's UFuncTypeError about 'minimum'."""
    with pytest.raises(TypeError, match=r"^SparseCategoricalCrossentropy: expected y_true of integer class indices, "
                                        r"got dtype <U1$"):
        mc.SparseCategoricalCrossentropy()(np.array(["a", "b"]), np.full((2, 3), 1 / 3))


def test_whole_number_predictions_are_taken_as_floats():
    """Labels were cast to the predictions' dtype, and the gradient too: with int predictions a label 0.5 became 0
    and the gradient was rounded (MSE gave 0.5 and a gradient of 1 for y = 0.5, ŷ = 1)."""
    y, y_pred = np.array([[0.5]]), np.array([[1]])
    assert mc.MeanSquaredError()(y, y_pred) == pytest.approx(0.125)
    gradient = mc.MeanSquaredError().gradient(y, y_pred)
    assert gradient.dtype == np.float64 and gradient[0, 0] == pytest.approx(0.5)


def test_labels_outside_0_1_are_refused_on_the_cuda_path_before_any_update():
    """On the cuda backend the loss's kernel computes on the device; the labels are checked on the host first
    (``labels``), so labels 0/255 stop the step before the weights change."""
    previous = mc.get_backend()
    try:
        mc.set_backend("cuda")
    except mc.BackendError as error:  # pragma: no cover - only where the cuda backend cannot run
        pytest.skip(str(error))
    try:
        model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(2,))], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
        before = model.get_weights()
        with pytest.raises(ValueError, match=r"BinaryCrossentropy: expected y_true in \[0, 1\].*divide by 255"):
            model.train_on_batch(np.ones((2, 2), np.float32), np.array([[0.0], [255.0]]))
        for weight, old in zip(model.get_weights(), before):
            np.testing.assert_array_equal(weight, old)
    finally:
        mc.set_backend(previous)


@pytest.mark.parametrize("backend_name", ["numpy", "numba", "cuda"])
@pytest.mark.parametrize("loss, activation, message", [
    ("binary_crossentropy", None, r"^BinaryCrossentropy: expected y_pred to hold probabilities in \[0, 1\]"),
    ("categorical_crossentropy", "sigmoid", r"^CategoricalCrossentropy: expected each row of y_pred to sum to 1"),
    ("categorical_crossentropy", "relu", r"^CategoricalCrossentropy: expected y_pred to hold probabilities in"),
], ids=["logits-into-bce", "sigmoid-into-cce", "relu-into-cce"])
def test_predictions_outside_the_losses_domain_are_refused_on_every_backend(backend_name, loss, activation, message):
    """A last layer that gives no probabilities is refused by the same words on every backend, before any update;
    on cuda the predictions stay on the device and the loss kernel finds them (a NaN term) for the host to name."""
    previous = mc.get_backend()
    try:
        mc.set_backend(backend_name)
    except mc.BackendError as error:  # pragma: no cover - only where that backend cannot run
        pytest.skip(str(error))
    try:
        model = mc.Sequential([mc.Dense(3, activation=activation, input_shape=(2,))], seed=0)
        model.compile(optimizer=mc.SGD(0.1), loss=loss)
        model.set_weights([np.full((2, 3), 3.0, np.float32), np.zeros(3, np.float32)])  # outputs of 6 or 0.998
        before = model.get_weights()
        with pytest.raises(ValueError, match=message):
            model.train_on_batch(np.ones((2, 2), np.float32), np.array([[1.0, 0, 0], [0, 1, 0]]))
        for weight, old in zip(model.get_weights(), before):
            np.testing.assert_array_equal(weight, old)
    finally:
        mc.set_backend(previous)


def test_the_slack_on_probabilities_and_row_sums_is_small():
    """The clip absorbs a probability 1e-4 outside [0, 1] (PROBABILITY_SLACK = 1e-3), but 1.01 is no probability;
    a row summing to 1.05 (ROW_SUM_SLACK = 1e-2) is not a softmax's."""
    y = np.array([[1.0], [0.0]])
    assert np.isfinite(mc.BinaryCrossentropy()(y, np.array([[1.0001], [-0.0001]])))
    for y_pred in ([[1.01], [0.5]], [[0.5], [-0.01]]):
        with pytest.raises(ValueError, match="expected y_pred to hold probabilities in"):
            mc.BinaryCrossentropy()(y, np.array(y_pred))
    one_hot = np.array([[1.0, 0.0, 0.0]])
    assert np.isfinite(mc.CategoricalCrossentropy()(one_hot, np.array([[0.5, 0.3, 0.205]])))
    for row in ([0.5, 0.3, 0.25], [0.5, 0.3, 0.15]):
        with pytest.raises(ValueError, match=rf"row sums from {sum(row):g} to {sum(row):g}"):
            mc.CategoricalCrossentropy()(one_hot, np.array([row]))


@pytest.mark.parametrize("loss", [mc.BinaryCrossentropy(), mc.CategoricalCrossentropy()], ids=repr)
@pytest.mark.parametrize("label", [1.2, -0.2])
def test_cross_entropy_labels_just_outside_0_1_are_refused(loss, label):
    """Soft labels are probabilities: 1.2 or −0.2 (a smoothing gone wrong) is none."""
    y = np.array([[label, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=rf"expected y_true in \[0, 1\] \(.*\), got values from {min(label, 0.5):g} "
                                         rf"to {max(label, 0.5):g}"):
        loss(y, np.full((2, 2), 0.5))


def test_boolean_predictions_are_numbers_and_boolean_class_indices_are_not():
    """A bool y_pred is 0/1 (as float64); a bool label vector for the sparse loss is a mistake for 0/1 indices."""
    assert mc.BinaryCrossentropy()(np.array([[1.0], [0.0]]), np.array([[True], [False]])) < 1e-6
    with pytest.raises(TypeError, match=r"^SparseCategoricalCrossentropy: expected y_true of integer class indices, "
                                        r"got dtype bool$"):
        mc.SparseCategoricalCrossentropy()(np.array([True, False]), np.full((2, 2), 0.5))


def test_predictions_clipped_on_the_wrong_side_are_found_and_training_says_so():
    """The docs said the cross-entropy's gradient "keeps the unclipped formula, so that training still learns"; it
    is the formula at the clipped probability, which a sigmoid's backward multiplies by p·(1 − p): a prediction of
    σ(30) for a label 0 does not move at all (from a numerical audit). Training now says so, once, and names what
    learns from such samples: the loss on logits."""
    import warnings

    bce, cce = mc.losses.BinaryCrossentropy(), mc.losses.CategoricalCrossentropy()
    p = np.array([[1.0], [1.0], [0.0], [1e-9], [0.5]])
    assert bce.stuck(np.array([[0.0], [1.0], [1.0], [0.0], [0.0]]), p).tolist() == [True, False, True, False, False]
    assert cce.stuck(np.eye(2)[[0, 1]], np.array([[1e-9, 1 - 1e-9], [1e-9, 1 - 1e-9]])).tolist() == [True, False]
    assert not mc.losses.BinaryCrossentropy(from_logits=True).stuck(np.zeros((1, 1)), np.full((1, 1), 30.0)).any()

    x, y = np.ones((4, 1), np.float32), np.array([[0.0], [0.0], [1.0], [1.0]], np.float32)
    losses = {}
    for last, loss in (("sigmoid", "binary_crossentropy"), (None, mc.losses.BinaryCrossentropy(from_logits=True))):
        model = mc.Sequential([mc.Dense(1, activation=last, input_shape=(1,))])
        model.compile(optimizer=mc.SGD(0.1), loss=loss)
        model.set_weights([np.full((1, 1), 30.0), np.zeros(1)])  # z = 30: p = 1 for the two labels 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            losses[last] = model.fit(x, y, epochs=3, verbose=0).history["loss"]
        messages = [str(w.message) for w in caught]
        if last == "sigmoid":
            assert len(messages) == 1 and caught[0].filename == __file__, messages
            assert messages[0].startswith("sequential")
            assert (": 2 of 4 samples of a batch have a prediction within 1e-7 of 0 or 1, on the wrong side of their "
                    "label: BinaryCrossentropy on probabilities clips it") in messages[0]
            assert messages[0].endswith("leave the activation out of the last layer and use "
                                        "BinaryCrossentropy(from_logits=True)")
            assert "A learning rate too large drives predictions there;" in messages[0]  # x = 1: not the inputs
        else:
            assert messages == []
    assert losses["sigmoid"][0] == losses["sigmoid"][-1]  # stuck: p = 1 in float32, σ' = 0
    assert losses[None][-1] < losses[None][0]  # on logits the two samples pull the weight down at full strength


def test_predictions_stuck_by_inputs_far_from_0_to_1_name_the_inputs_before_the_learning_rate():
    """Ages 18–90 as features saturated a sigmoid at the first step, and the warning blamed the learning rate
    alone: a student lowered it and nothing changed."""
    ages = np.random.default_rng(0).integers(18, 91, (32, 3)).astype(np.float32)
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))], seed=0)
    model.compile(optimizer=mc.SGD(1e-6), loss="binary_crossentropy")
    with pytest.warns(UserWarning, match=r"samples of a batch have a prediction within 1e-7") as caught:
        model.fit(ages, (ages[:, :1] > 50).astype(np.float32), epochs=1, verbose=0)
    message = str(caught[0].message)
    beyond = np.percentile(ages, 99)
    assert f"Inputs far from 0–1 drive predictions there (a hundredth of this batch's values lie beyond " \
           f"±{beyond:.3g}: x / 255 scales 8-bit pixels, (x - x.mean(axis=0)) / x.std(axis=0) standardises " \
           f"features), and so does a learning rate too large" in message


def test_standardised_features_with_a_few_outliers_are_not_blamed_for_stuck_predictions():
    """Standardised features with an outlier (a z-score of 12 in the review's heavy-tailed data) at a learning rate
    too large were told that the inputs drove the predictions to 0 or 1, before the learning rate."""
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    x[0, 0] = 15.0  # one outlier
    assert np.percentile(np.abs(x), 99) < 10
    labels = np.random.default_rng(1).integers(0, 2, (64, 1)).astype(np.float32)
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))], seed=0)
    model.compile(optimizer=mc.SGD(learning_rate=50.0), loss="binary_crossentropy")
    with pytest.warns(UserWarning, match=r"samples of a batch have a prediction within 1e-7") as caught:
        model.fit(x, labels, epochs=20, batch_size=64, verbose=0)
    message = [str(w.message) for w in caught if "prediction within" in str(w.message)][0]
    assert "A learning rate too large drives predictions there;" in message and "Inputs far" not in message


def _terms(loss, labels, predictions):
    """Each sample's share of the loss, as a backend's loss kernel returns them: its row's loss over N, in the
    predictions' dtype."""
    return np.array([loss(labels[n:n + 1], predictions[n:n + 1]) / len(labels) for n in range(len(labels))],
                    dtype=predictions.dtype)


def test_binary_crossentropy_clipped_and_stuck_look_at_both_ends_and_at_each_output():
    """``clipped`` finds predictions at either end of [ε, 1 − ε] (mutation round: only below ε, so gradcheck judged
    samples at p = 1, where the loss is flat); a sample of several outputs is ``stuck`` where any one output is,
    not only where all are."""
    bce = mc.BinaryCrossentropy()
    assert bce.clipped(np.array([[1.0], [0.0], [1.0]]), np.array([[1.0], [0.5], [1e-9]])).tolist() == [True, False,
                                                                                                      True]
    assert bce.stuck(np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 1.0]])).tolist() == [True,
                                                                                                         False]


def test_might_be_stuck_bounds_a_sample_by_its_least_certain_label_and_says_no_on_logits():
    """On an accelerator the output comes back for ``stuck`` only where ``might_be_stuck`` says a term is large
    enough. Labels [0.6, 1] stuck on the 0.6 add only 0.6·16 to the term, so the bound must come from the sample's
    least certain label (mutation round: from its surest, and cuda never warned; the property test below did not
    draw such a sample). On logits nothing is clipped, so a large term must not fetch the output each step."""
    bce = mc.BinaryCrossentropy()
    labels, predictions = np.array([[0.6, 1.0]]), np.array([[0.0, 1.0]], dtype=np.float32)
    assert bce.stuck(labels, predictions).all()
    assert bce.might_be_stuck(labels, np.array([bce(labels, predictions)], dtype=np.float32))
    assert not mc.BinaryCrossentropy(from_logits=True).might_be_stuck(np.zeros((1, 1)), np.array([100.0]))
    assert not mc.CategoricalCrossentropy(from_logits=True).might_be_stuck(np.eye(2)[:1], np.array([100.0]))


@settings(max_examples=60)
@given(st.integers(1, 5), st.integers(1, 4), st.randoms(use_true_random=False), st.sampled_from(["f4", "f8"]))
def test_the_terms_find_every_stuck_sample_and_no_sample_far_from_the_clip(samples, columns, rng, dtype):
    """On an accelerator only the per-sample terms come back each step, and the output comes to the host for
    ``stuck`` only where ``might_be_stuck`` says a term is large enough: that bound must hold for every sample
    ``stuck`` finds (soft labels included); it should not fetch the output where every probability is between 0.25
    and 0.75 (for the categorical one, of one-hot labels)."""
    edges = [0.0, 1e-9, 1 - 1e-9, 1.0]
    soft = [0.0, 0.3, 0.499, 0.5, 0.501, 0.7, 1.0]
    bce = mc.BinaryCrossentropy()
    labels = np.array([[rng.choice(soft) for _ in range(columns)] for _ in range(samples)])
    near = np.array([[rng.choice(edges) if rng.random() < 0.4 else rng.uniform(0.01, 0.99) for _ in range(columns)]
                     for _ in range(samples)]).astype(dtype)  # float32 rounds 1 − ε to 1 − 1.19e-7 (found in review)
    far = np.array([[rng.uniform(0.25, 0.75) for _ in range(columns)] for _ in range(samples)])
    almost_even, certain = np.array([[0.499]]), np.array([[1.0]], dtype)  # the bound's closest case
    assert bce.stuck(almost_even, certain).all() and bce.might_be_stuck(almost_even, _terms(bce, almost_even, certain))
    if bce.stuck(labels, near).any():
        assert bce.might_be_stuck(labels, _terms(bce, labels, near))
    assert not bce.might_be_stuck(labels, _terms(bce, labels, far))

    cce = mc.CategoricalCrossentropy()
    classes = columns + 1
    weights = np.array([[rng.choice([0.0, 0.05, 0.5, 1.0]) for _ in range(classes)] for _ in range(samples)])
    weights[:, 0] += 1e-3
    labels = weights / weights.sum(axis=1, keepdims=True)
    logits = np.array([[rng.choice([-40.0, 0.0, 40.0]) if rng.random() < 0.5 else rng.uniform(-2, 2)
                        for _ in range(classes)] for _ in range(samples)])
    near = np.exp(logits - logits.max(axis=1, keepdims=True))
    near /= near.sum(axis=1, keepdims=True)
    if cce.stuck(labels, near).any():
        assert cce.might_be_stuck(labels, _terms(cce, labels, near))
    one_hot = np.eye(classes)[[rng.randrange(classes) for _ in range(samples)]]
    far = np.full((samples, classes), 1 / classes)
    assert not cce.might_be_stuck(one_hot, _terms(cce, one_hot, far))


def test_the_stuck_warning_made_an_error_leaves_the_step_whole():
    """Under -W error the warning, raised inside the step's rollback, undid BatchNorm's moving averages while the
    optimizer had already moved the weights."""
    import warnings

    model = mc.Sequential([mc.BatchNormalization(input_shape=(1,)), mc.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy")
    model.build()
    model.layers[1].set_weights([np.full((1, 1), 30.0), np.zeros(1)])
    x, y = np.array([[2.0], [1.0], [1.5]], np.float32), np.zeros((3, 1), np.float32)  # the first sample is stuck
    before = model.get_weights()  # BatchNorm's gamma, beta, moving mean, moving variance; Dense's kernel, bias
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="on the wrong side of their label"):
            model.train_on_batch(x, y)
    after = model.get_weights()
    assert not np.array_equal(after[5], before[5])  # the step moved the bias (the third sample is not stuck)
    assert not np.array_equal(after[2], before[2])  # and, with it, the moving mean


@pytest.mark.parametrize("loss", [mc.MeanSquaredError(), mc.BinaryCrossentropy()], ids=repr)
def test_flat_predictions_beside_a_column_of_labels_are_a_shape_error_that_says_so(loss):
    """A linear model's ŷ = w·x + b written as a flat vector beside labels as a column (notebooks 4 and 6) failed
    with an IndexError from inside the loss, in its value, its gradient and gradcheck."""
    name = type(loss).__name__
    labels, flat = np.array([[1.0], [0.0], [1.0]]), np.array([0.9, 0.2, 0.6])
    for function in (loss, loss.gradient):
        with pytest.raises(ShapeError, match=rf"^{name}: expected y_true of shape \(3,\) \(the shape of the "
                                             r"predictions\), got \(3, 1\); predictions as a flat vector beside "
                                             r"labels as a column\? give both one shape: y_pred\[:, None\]$"):
            function(labels, flat)
        with pytest.raises(ShapeError, match=rf"^{name}: expected y_true of shape \(3,\) \(the shape of the "
                                             r"predictions\), got \(2,\)$"):
            function(labels[:2, 0], flat)
        assert np.isfinite(function(labels, flat[:, None])).all()


def test_a_loss_of_ones_own_that_returns_the_wrong_kind_of_thing_is_named():
    """A value of one number per sample (a forgotten mean) failed with "only 0-dimensional arrays can be converted
    to Python scalars", a grad returned as a float with "'float' object has no attribute 'astype'", and a loss with
    only __call__ with "object has no attribute 'grad'"."""

    class PerSample(mc.Loss):
        def value(self, y_true, y_pred):
            return np.abs(y_true - y_pred)[:, 0]

        def grad(self, y_true, y_pred):
            return 0.5

    class ValueOnly(mc.Loss):
        def value(self, y_true, y_pred):
            return float(np.mean(y_true - y_pred))

    y, predicted = np.array([[1.0], [0.0]]), np.array([[0.5], [0.25]])
    with pytest.raises(TypeError, match=r"^PerSample\.value returned array\(\[.*\]\): expected one "
                                        r"number, the mean over the batch \(one value per sample\? take their "
                                        r"mean\)$"):
        PerSample()(y, predicted)
    with pytest.raises(TypeError, match=r"^PerSample\.grad returned 0\.5: expected an array of floats of y_pred's "
                                        r"shape \(2, 1\), ∂L/∂y_pred$"):
        PerSample().gradient(y, predicted)
    assert ValueOnly()(y, predicted) == pytest.approx(0.125)
    with pytest.raises(NotImplementedError, match=r"^ValueOnly defines no grad\(y_true, y_pred\): a loss of yours "
                                                  r"defines value\(y_true, y_pred\), the mean over the batch, and "
                                                  r"grad, ∂L/∂y_pred \(or __call__ and gradient\)$"):
        ValueOnly().gradient(y, predicted)
