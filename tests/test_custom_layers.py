"""A student's own layers and losses: ``gradcheck`` gives the right verdict and says what is wrong, and ``Sequential``
names the layer that breaks the contract (from an audit that wrote 30 such layers, correct and buggy)."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn.errors import ShapeError


class MyDense(mc.Layer):
    """Correct: ``z = x·W + b``; ``∂L/∂W = xᵀ·G``, ``∂L/∂b = Σ_n G``, ``∂L/∂x = G·Wᵀ``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        rng = np.random.default_rng(0)
        self.params["W"] = (0.5 * rng.standard_normal((input_shape[-1], self.units))).astype(self.dtype)
        self.params["b"] = (0.1 * rng.standard_normal(self.units)).astype(self.dtype)
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def forward(self, x, training=False):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad_out):
        self.grads["W"] = self.x.T @ grad_out
        self.grads["b"] = grad_out.sum(axis=0)
        return grad_out @ self.params["W"].T


class Alias(MyDense):
    """``MyDense`` that names its weights in build (``self.W = self.params["W"]``), as many students write it."""

    def build(self, input_shape):
        super().build(input_shape)
        self.W, self.b = self.params["W"], self.params["b"]

    def forward(self, x, training=False):
        self.x = x
        return x @ self.W + self.b


class Square(mc.Layer):
    """Correct, and without weights: ``y = x²``, ``∂L/∂x = 2x·G``."""

    def forward(self, x, training=False):
        self.x = np.array(x)
        return self.x ** 2

    def backward(self, grad_out):
        return 2 * self.x * grad_out


X = np.random.default_rng(1).standard_normal((4, 3))


def test_a_correct_layer_of_your_own_passes_trains_and_saves(tmp_path):
    for layer in (MyDense(2), Square()):
        report = mc.gradcheck(layer, X)
        assert report.passed and not report.problems, report
    model = mc.Sequential([MyDense(4), mc.ReLU(), MyDense(1), mc.Sigmoid()])
    model.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
    y = (X[:, :1] > 0).astype(float)
    losses = model.fit(X, y, epochs=5, batch_size=4, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    model.save_weights(tmp_path / "mine.npz")
    twin = mc.Sequential([MyDense(4), mc.ReLU(), MyDense(1), mc.Sigmoid()])
    twin.build((None, 3))
    twin.load_weights(tmp_path / "mine.npz")
    assert np.array_equal(twin.predict(X), model.predict(X))


def test_layers_of_your_own_are_named_as_keras_names_them_first_plain_then_numbered():
    """The first layer of a class is ``times_two``, the next ``times_two_1``, ``times_two_2`` (numbering from
    ``_1`` passed every test; mutation round). The class is this test's own: the counts are kept per name for the
    whole session."""
    class TimesTwo(mc.Layer):
        def forward(self, x, training=False):
            return 2 * x

    assert [TimesTwo().name for _ in range(3)] == ["times_two", "times_two_1", "times_two_2"]


def test_a_forward_that_changes_its_input_in_place_fails_and_the_callers_x_is_untouched():
    """It passed: the check's own x was squared by the first call, so every later slope was measured elsewhere and
    every entry looked like a kink."""

    class SquareInPlace(Square):
        def forward(self, x, training=False):
            self.x = x.copy()
            x **= 2
            return x

    x = X.copy()
    report = mc.gradcheck(SquareInPlace(), x)
    assert not report.passed and np.array_equal(x, X), report
    assert "NOT passed: forward changed its input x in place (x **= 2, x[...] = ...)" in str(report)


def test_a_forward_with_a_random_draw_fails():
    class Noisy(mc.Layer):
        def forward(self, x, training=False):
            self.mask = np.random.uniform(0.9, 1.1, size=np.shape(x))
            return x * self.mask

        def backward(self, grad_out):
            return np.zeros_like(grad_out)  # wrong, and it passed 12 times in 20

    report = mc.gradcheck(Noisy(), X[:1, :2])
    assert not report.passed and "forward gave other outputs for the same input and weights" in str(report)
    assert mc.gradcheck(mc.Dropout(0.5, seed=3), X, training=True).passed  # a seeded generator is a function


def test_a_backward_that_writes_into_its_upstream_gradient_is_judged_on_what_it_returns():
    """The upstream gradient was reused for the numerical slopes after backward had changed it: a wrong backward
    (``g *= 0``) passed and a right one (``g *= 3``) failed."""

    class Triple(mc.Layer):
        scale = 3

        def forward(self, x, training=False):
            return 3 * np.asarray(x)

        def backward(self, grad_out):
            grad_out *= self.scale
            return grad_out

    assert mc.gradcheck(Triple(), X).passed
    wrong = Triple()
    wrong.scale = 0
    assert not mc.gradcheck(wrong, X).passed


@pytest.mark.parametrize("gradient, error, message", [
    (lambda layer, g: g.sum(), ShapeError,
     "gradcheck: Wrong 'wrong'.grads['b'] has shape (); expected (2,), the shape of params['b']"),
    (lambda layer, g: g.sum(axis=0, keepdims=True), ShapeError,
     "gradcheck: Wrong 'wrong'.grads['b'] has shape (1, 2); expected (2,), the shape of params['b']"),
    (None, KeyError, "gradcheck: Wrong 'wrong'.grads holds ['bias'], which params lacks (params holds ['W', 'b']): "
                     "the gradient of params[key] goes in grads[key], under the same key; a misspelled key?"),
], ids=["bias-summed-to-a-number", "bias-kept-as-a-row", "bias-under-another-key"])
def test_a_weight_gradient_of_the_wrong_shape_or_key_is_named(gradient, error, message):
    """A bias gradient summed to one number passed (the whole bias was nudged at once); other shapes failed in an
    IndexError from inside gradcheck, a missing key in a bare KeyError."""

    class Wrong(MyDense):
        def backward(self, grad_out):
            grad_x = super().backward(grad_out)
            if gradient is None:
                self.grads["bias"] = self.grads.pop("b")
            else:
                self.grads["b"] = gradient(self, grad_out)
            return grad_x

    with pytest.raises(error, match=re.escape(message)):
        mc.gradcheck(Wrong(2, name="wrong"), X)


@pytest.mark.parametrize("returned, given", [
    (lambda grad_x: grad_x.T, "returned ∂L/∂x of shape (3, 4); expected the input's shape (4, 3)"),
    (lambda grad_x: grad_x.sum(axis=0), "returned ∂L/∂x of shape (3,); expected the input's shape (4, 3)"),
    (lambda grad_x: None, "returned None; it must return ∂L/∂x, an array of the input's shape (4, 3) (a forgotten "
                          "return?)"),
], ids=["transposed", "summed-over-the-batch", "none"])
def test_an_input_gradient_of_the_wrong_shape_is_named_by_gradcheck_and_by_the_model(returned, given):
    class Wrong(MyDense):
        def backward(self, grad_out):
            return returned(super().backward(grad_out))

    with pytest.raises((ShapeError, TypeError), match=re.escape(f"gradcheck: Wrong 'wrong'.backward {given}")):
        mc.gradcheck(Wrong(2, name="wrong"), X)
    model = mc.Sequential([MyDense(3), Wrong(2, name="wrong"), mc.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ShapeError, match=r"^sequential(_\d+)?\.backward: Wrong 'wrong'\.backward returned "
                                         r"(None \(a forgotten return\?\)|shape \((3, 4|3,)\)); expected ∂L/∂\(its "
                                         r"input\), of its input's shape \(4, 3\)$"):
        model.fit(X, np.ones((4, 1)), epochs=1, verbose=0)


def test_gradients_added_to_instead_of_set_fail_even_on_a_fresh_layer():
    """``grads[key] += ...`` passed on a fresh layer (its grads start at 0) and failed after one call by hand."""

    class Accumulate(MyDense):
        def backward(self, grad_out):
            self.grads["W"] += self.x.T @ grad_out
            self.grads["b"] += grad_out.sum(axis=0)
            return grad_out @ self.params["W"].T

    report = mc.gradcheck(Accumulate(2), X)
    assert not report.passed and "not add to it (+=)" in str(report), report


def test_weights_made_in_forward_are_named():
    class Lazy(mc.Layer):
        def forward(self, x, training=False):
            if "w" not in self.params:
                self.params["w"], self.grads["w"] = np.ones(np.shape(x)[1]), np.zeros(np.shape(x)[1])
            self.x = x
            return x * self.params["w"]

        def backward(self, grad_out):
            self.grads["w"] = (grad_out * self.x).sum(axis=0) * 0.5  # wrong, and never checked
            return grad_out * self.params["w"]

    report = mc.gradcheck(Lazy(name="lazy"), X)
    assert not report.passed
    assert "the forward of Lazy 'lazy' made weights ['w'] that its build did not" in str(report), report


@pytest.mark.parametrize("dtype, why", [(np.float32, "rounding swamps the differences"),
                                        (np.int64, "whole numbers have no gradient")])
def test_a_forward_that_computes_in_its_own_dtype_is_named(dtype, why):
    class OwnDtype(Square):
        def forward(self, x, training=False):
            return super().forward(x).astype(dtype)

    report = mc.gradcheck(OwnDtype(), X)
    assert not report.passed
    assert (f"forward returned {np.dtype(dtype)} where the check computes in float64: the layer computes in a dtype "
            f"of its own (written into forward?), and {why}") in str(report)


def test_a_weight_that_forward_does_not_read_gets_a_hint():
    """A layer that computes with a copy of its weight made in build changes nothing when the weight changes."""

    class Copied(Alias):
        def build(self, input_shape):
            super().build(input_shape)
            self.W = self.params["W"].copy()

    with pytest.warns(UserWarning, match=r"build made self\.W, an array outside params and state"):
        report = mc.gradcheck(Copied(2), X)
    assert not report.passed
    assert ("  W: the numerical gradient is 0 at every entry checked: changing this array does not change the "
            "output") in str(report), report


def test_names_of_your_own_for_the_weights_follow_them_into_gradchecks_float64_copy():
    """``self.W = self.params['W']`` in build trains and saves correctly, but ``astype`` (gradcheck's float64 copy,
    a model's twin) cast the arrays in ``params`` and left ``self.W`` at the old one: gradcheck failed a correct
    layer, saying forward did not read W (found in review)."""
    layer = Alias(2)
    assert mc.gradcheck(layer, X).passed
    twin = layer.astype("float64")
    assert twin.W is twin.params["W"] and twin.b is twin.params["b"] and twin.W.dtype == np.float64
    assert layer.W is layer.params["W"] and layer.W.dtype == np.float32  # the layer itself is left as it was
    model = mc.Sequential([Alias(2, input_shape=(3,))])
    assert mc.gradcheck(model, X, y=np.zeros((4, 2)), loss="mse").passed


@pytest.mark.parametrize("scale, hint", [
    (0.25, "the hand-written gradient is 0.25 times the numerical one at every entry checked, which is 1/4, one "
           "over the batch size (a mean taken twice?)"),
    (-1, "the hand-written gradient has the opposite sign at every entry checked (a minus sign lost?)"),
    (2, "the hand-written gradient is 2 times the numerical one at every entry checked: a constant factor"),
])
def test_a_constant_factor_in_a_wrong_gradient_is_named(scale, hint):
    class Scaled(MyDense):
        def backward(self, grad_out):
            grad_x = super().backward(grad_out)
            self.grads["W"] = self.grads["W"] * scale
            return grad_x

    report = mc.gradcheck(Scaled(2), X)
    assert not report.passed and f"  W: {hint}" in str(report), report
    assert "  x: " not in str(report) and "  b: " not in str(report)  # the arrays that passed get no hint


def test_a_loss_of_your_own_with_a_gradient_of_the_wrong_shape_or_size_is_named():
    class MeanOnce(mc.MeanSquaredError):
        def gradient(self, y_true, y_pred):
            return (y_pred - np.reshape(y_true, np.shape(y_pred)))  # the 1/N left out

    class Flat(mc.MeanSquaredError):
        def gradient(self, y_true, y_pred):
            return super().gradient(y_true, y_pred).ravel()

    y = np.zeros((4, 1))
    report = mc.gradcheck(MeanOnce(), X[:, :1], y)
    assert "which is 4, the batch size (a mean left out?)" in str(report), report
    with pytest.raises(ShapeError, match=re.escape("gradcheck: Flat.gradient returned ∂L/∂ŷ of shape (4,); expected "
                                                   "the predictions' shape (4, 1)")):
        mc.gradcheck(Flat(), X[:, :1], y)
    model = mc.Sequential([mc.Dense(1)])
    model.compile(optimizer="sgd", loss=Flat())
    with pytest.raises(ShapeError, match=r"Flat\.gradient returned shape \(4,\); expected ∂L/∂ŷ, of the "
                                         r"predictions' shape \(4, 1\)"):
        model.fit(X, y, epochs=1, verbose=0)


def test_a_layer_that_breaks_the_contract_is_told_how_to_mend_it():
    class NoInit(Square):
        def __init__(self):
            self.k = 2

    class ParamsList(MyDense):
        def build(self, input_shape):
            super().build(input_shape)
            self.params = list(self.params.values())

    class NoSuperBuild(MyDense):
        def build(self, input_shape):
            self.params["W"] = np.ones((input_shape[-1], self.units))
            self.grads["W"] = np.zeros((input_shape[-1], self.units))

    with pytest.raises(TypeError, match=r"^gradcheck: the NoInit has no name, params or grads: its __init__ must call "
                                        r"super\(\).__init__\(...\) before anything else$"):
        mc.gradcheck(NoInit(), X)
    with pytest.raises(TypeError, match=r"^Sequential.add: the NoInit has no name"):
        mc.Sequential([NoInit()])
    with pytest.raises(TypeError, match=r"^gradcheck: ParamsList 'params_list(_\d+)?'.params must be a dict "
                                        r"\{key: array\} \(e.g. self.params\['kernel'\] = ...\), got list$"):
        mc.gradcheck(ParamsList(2), X)
    with pytest.raises(TypeError, match=r"NoSuperBuild 'no_super_build(_\d+)?'.build did not call "
                                        r"super\(\).build\(input_shape\), so the layer stays unbuilt"):
        mc.Sequential([NoSuperBuild(2)]).predict(X)
    with pytest.raises(TypeError, match=r"^gradcheck: got the class MyDense; pass an instance of it, e\.g\. "
                                        r"MyDense\(\.\.\.\)$"):
        mc.gradcheck(MyDense, X)


def test_the_model_names_a_layer_whose_output_is_not_what_it_said():
    """A mean over the batch was blamed on the labels (fit) or returned one row for five samples (predict); a width
    that compute_output_shape does not know of was blamed on the next layer."""

    class BatchMean(mc.Layer):
        def forward(self, x, training=False):
            return np.mean(x, axis=0, keepdims=True)

    class Wider(MyDense):
        def compute_output_shape(self, input_shape):
            return tuple(input_shape)  # the default: forgets that the width becomes `units`

    for layer, message in ((BatchMean(name="mean"), r"BatchMean 'mean' returned an output of shape \(1, 3\) for a "
                                                    r"batch of 4: a layer gives one output per sample"),
                           (Wider(5, name="wider"), r"Wider 'wider' returned an output of shape \(4, 5\), where its "
                                                    r"compute_output_shape gives \(N, 3\)")):
        model = mc.Sequential([layer, mc.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises(ShapeError, match=message):
            model.fit(X, np.ones((4, 1)), epochs=1, verbose=0)
        with pytest.raises(ShapeError, match=message):
            model.predict(X)


def test_the_output_shape_check_follows_layers_swapped_or_added_and_inputs_of_any_size():
    """The expected shapes were those of the model's build, so a head swapped on a built model (transfer learning
    by hand), a layer appended, or a rebuild for another size was refused as a layer breaking its shape."""
    x = np.random.default_rng(0).standard_normal((4, 6))
    model = mc.Sequential([mc.Dense(8, input_shape=(6,)), mc.Dense(10)], seed=0)
    assert model.predict(x).shape == (4, 10)
    model.layers[-1] = mc.Dense(3)
    assert model.predict(x).shape == (4, 3)
    model.layers.append(mc.Dense(2))
    assert model.predict(x).shape == (4, 2)
    convolutional = mc.Sequential([mc.Conv2D(2, 3, padding="same"), mc.MaxPooling2D(2)])
    for size in (8, 16, 6):
        assert convolutional.predict(np.zeros((1, size, size, 1))).shape == (1, size // 2, size // 2, 2)


def test_a_layer_that_names_its_weights_in_build_reads_the_weights_loaded_or_set(tmp_path):
    """``self.W = self.params["W"]`` in build is how many students write a layer; ``load_weights`` and
    ``set_weights`` replaced the arrays in ``params``, so such a layer kept predicting with its old weights."""

    trained = mc.Sequential([Alias(2, input_shape=(3,))])
    trained.set_weights([np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])])
    assert np.allclose(trained.predict(X), X @ np.arange(6.0).reshape(3, 2) + [1.0, -1.0])
    trained.save_weights(tmp_path / "w.npz")
    fresh = mc.Sequential([Alias(2, input_shape=(3,))])
    fresh.load_weights(tmp_path / "w.npz")
    assert np.allclose(fresh.predict(X), trained.predict(X))
    given = [np.ones((3, 2)), np.zeros(2)]
    fresh.layers[0].set_weights(given)
    assert np.allclose(fresh.predict(X), X.sum(axis=1, keepdims=True) * [1.0, 1.0])
    given[0][...] = 7.0  # the caller's arrays are not kept: changing them later changes no weight
    assert np.allclose(fresh.get_weights()[0], 1.0)


@pytest.mark.parametrize("last", [False, True])
def test_a_layer_that_returns_a_list_is_named(last):
    """A list went through as the next layer's input (converted without a word), and as the last layer's output it
    failed inside minicnn with "'list' object has no attribute 'shape'"."""

    class AsList(Square):
        def forward(self, x, training=False):
            return super().forward(x).tolist()

    layers = [MyDense(2), AsList(name="as_list")] if last else [MyDense(2), AsList(name="as_list"), MyDense(1)]
    model = mc.Sequential(layers)
    model.compile(optimizer="sgd", loss="mse")
    message = r"AsList 'as_list' returned a list from forward \(\[\[.*\), where a layer returns an array"
    with pytest.raises(TypeError, match=message):
        model.fit(X, np.ones((4, 2 if last else 1)), epochs=1, verbose=0)
    with pytest.raises(TypeError, match=message):
        model.predict(X)


def test_a_gradient_written_under_a_misspelled_key_beside_the_one_build_made_is_named_in_training():
    """build made grads['W'] (zeros) and backward wrote grads['w']: fit trained on, with SGD and Adam, and W never
    changed (gradcheck only said its hand-written gradient was 0)."""

    class Misspelled(MyDense):
        def backward(self, grad_out):
            grad_x = super().backward(grad_out)
            self.grads["w"] = self.grads["W"]
            self.grads["W"] = np.zeros_like(self.grads["W"])
            return grad_x

    for optimizer in ("sgd", "adam"):
        model = mc.Sequential([Misspelled(2, name="misspelled"), mc.Dense(1)])
        model.compile(optimizer=optimizer, loss="mse")
        with pytest.raises(KeyError, match=re.escape("Misspelled 'misspelled'.grads holds ['w'], which params lacks "
                                                     "(params holds ['W', 'b'])")):
            model.fit(X, np.ones((4, 1)), epochs=1, verbose=0)


def test_a_layer_of_ones_own_that_misses_forward_or_backward_or_calls_add_weight_is_told_what_to_write():
    """A Keras-style layer (call() for forward, add_weight in build) got a bare NotImplementedError, with an empty
    message, or "object has no attribute 'add_weight'"."""

    class KerasStyle(mc.Layer):
        def call(self, x):
            return x

    with pytest.raises(NotImplementedError, match=r"^KerasStyle 'keras_style(_\d+)?' defines no forward\(x, "
                                                  r"training=False\) \(Keras' call\(\) is forward here\): a layer of "
                                                  r"yours defines forward, returning its output, and "
                                                  r"backward\(grad_out\)$"):
        KerasStyle()(X)

    class ForwardOnly(mc.Layer):
        def forward(self, x, training=False):
            return x

    with pytest.raises(NotImplementedError, match=r"defines no backward\(grad_out\): a layer of yours returns ∂L/∂x, "
                                                  r"of its input's shape, and sets grads\[key\] = ∂L/∂params\[key\]"):
        ForwardOnly().backward(X)

    class WithAddWeight(mc.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="glorot_uniform")
            super().build(input_shape)

    with pytest.raises(NotImplementedError, match=r"minicnn has no add_weight; in build, make each weight an array "
                                                  r"self\.params\[key\] and its gradient self\.grads\[key\]"):
        WithAddWeight().build(X.shape)


@pytest.mark.parametrize("make, message", [
    (lambda: mc.Linear(10), r"^Linear: name must be a non-empty string, got 10 \(minicnn's Linear is the identity "
                            r"activation; a fully connected layer is Dense\(units\)\)$"),
    (lambda: mc.Flatten(2), r"^Flatten: name must be a non-empty string, got 2 \(the first argument of Flatten is its "
                            r"name: it takes no size\)$"),
    (lambda: mc.Dense(2, input_shape=784), r"input_shape must be a tuple of positive ints .*, got 784 \(a single "
                                           r"size\? \(784,\) with its comma: \(784\) is just the number\)$"),
    (lambda: mc.Dense(2, input_shape=(28, 28)), r"^Dense 'dense(_\d+)?': input_shape must give 1 size \(one sample, "
                                                r"without the batch axis\), got \(28, 28\); Dense takes one row of "
                                                r"features per sample: put Flatten\(input_shape=\(28, 28\)\) before "
                                                r"it$"),
], ids=["pytorch-linear", "flatten-size", "input-shape-without-comma", "images-to-dense"])
def test_constructor_mistakes_from_other_frameworks_are_told_the_way_here(make, message):
    """mc.Linear(10) (PyTorch's nn.Linear) and Dense(input_shape=(784)) were told only that a name must be a string
    or that input_shape must be a tuple; Dense(input_shape=(28, 28)) that it 'must give 1 sizes'."""
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def test_an_array_that_build_keeps_outside_params_and_state_is_warned_of(recwarn):
    """Weights kept as attributes (``self.kernel_w = ...``, as Keras layers keep theirs) were neither trained nor
    saved, gradcheck passed and summary said 0 parameters, without a word (found in review). Names of your own for
    arrays in params or state (``self.W = self.params["W"]``) and arrays made in forward are not warned of."""

    class OutsideParams(MyDense):
        def build(self, input_shape):
            self.kernel_w = np.ones((input_shape[-1], self.units), dtype=self.dtype)
            self.running_mean = np.zeros(input_shape[-1], dtype=self.dtype)
            self.state["kept"] = np.zeros(1, dtype=self.dtype)
            self.steps = 0
            super().build(input_shape)

    model = mc.Sequential([OutsideParams(2)])
    with pytest.warns(UserWarning) as caught:
        model.build((None, 3))
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 2, messages
    assert messages[0] == ("OutsideParams 'outside_params': build made self.kernel_w, an array outside params and "
                           "state: training leaves it as it is and save_weights does not save it. A weight goes in "
                           "self.params['kernel_w'] (its gradient in self.grads['kernel_w'], set by backward); "
                           "another array to keep with the weights (a running mean) goes in "
                           "self.state['kernel_w']; a constant that build makes the same every time can stay where "
                           "it is")
    assert "build made self.running_mean" in messages[1]
    recwarn.clear()

    class Transposed(MyDense):  # a view of its own weight: training moves it too (a false alarm, found in review)
        def build(self, input_shape):
            super().build(input_shape)
            self.Wt = self.params["W"].T

    class Tied(MyDense):  # the weights of another layer, built before it
        def __init__(self, units, tied_to, **kwargs):
            super().__init__(units, **kwargs)
            self.tied_to = tied_to

        def build(self, input_shape):
            super().build(input_shape)
            self.W_other = self.tied_to.params["W"]

    mc.Sequential([Alias(2)]).predict(X)
    mc.gradcheck(Alias(2), X)
    mc.Sequential([MyDense(2), Square()]).predict(X)
    first = MyDense(3)
    mc.Sequential([first, Tied(3, tied_to=first), Transposed(2)]).predict(X)
    assert not recwarn.list, [str(w.message) for w in recwarn]


def test_a_gradient_that_backward_never_sets_is_named_at_the_first_step(recwarn):
    """``self.grad = {...}`` for ``self.grads[...]`` left the weight at the zeros build made: it never learned while
    the other layers' learning made the loss fall (found in review). Warned once per model, at the first step."""

    class Misspelt(MyDense):
        def backward(self, grad_out):
            self.grad = {"W": self.x.T @ grad_out}
            self.grads["b"] = grad_out.sum(axis=0)
            return grad_out @ self.params["W"].T

    y = (X[:, :1] > 0).astype(float)
    model = mc.Sequential([Misspelt(4, name="mine"), mc.ReLU(), MyDense(1), mc.Sigmoid()])
    model.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
    with pytest.warns(UserWarning, match=r"^sequential: after the first backward pass, the gradient of mine/W is "
                                         r"still the zeros that build made: its weight will not learn") as caught:
        model.fit(X, y, epochs=3, batch_size=2, verbose=0)
    assert len([w for w in caught if "still the zeros" in str(w.message)]) == 1
    # the gradients as built are let go after the first step, and never kept for minicnn's layers (the review: every
    # model kept an all-zero copy of its weights, 4.3 MB for the document's network, in its pickles too)
    assert not any("_grads_as_built" in vars(layer) for layer in model.layers)
    built_in = mc.Sequential([mc.Dense(2, input_shape=(3,))])
    built_in.build()
    assert "_grads_as_built" not in vars(built_in.layers[0])
    recwarn.clear()
    correct = mc.Sequential([MyDense(4), mc.ReLU(), MyDense(1), mc.Sigmoid()])
    correct.compile(optimizer=mc.SGD(0.5), loss="binary_crossentropy")
    correct.fit(X, y, epochs=1, batch_size=2, verbose=0)
    assert not [w for w in recwarn if "still the zeros" in str(w.message)]


@pytest.mark.parametrize("base", [mc.Conv2D, mc.Dense])
def test_a_subclass_with_a_backward_of_its_own_trains_as_the_lowest_layer_with_weights(base):
    """The lowest layer with weights is asked for its weight gradients alone; Conv2D's and Dense's skipped the input
    gradient with ``backward(grad_out, input_gradient=False)``, which a subclass's ``backward(self, grad_out)`` did not
    take: fit failed inside minicnn with "unexpected keyword argument 'input_gradient'" (found in review)."""

    class Masked(base):
        def backward(self, grad_out):
            self.backward_calls = getattr(self, "backward_calls", 0) + 1
            return super().backward(grad_out)

    images = np.random.default_rng(0).standard_normal((4, 6, 6, 1))
    first = Masked(2, 3) if base is mc.Conv2D else Masked(2)
    layers = [first, mc.Flatten(), mc.Dense(1)] if base is mc.Conv2D else [mc.Flatten(), first, mc.Dense(1)]
    model = mc.Sequential(layers, seed=0)
    model.compile(optimizer=mc.SGD(0.01), loss="mse")
    model.build((None, 6, 6, 1))  # built before fit, so that the weights before training can be kept
    before = first.get_weights()[0].copy()
    model.fit(images, np.ones((4, 1)), epochs=2, batch_size=2, verbose=0)
    assert first.backward_calls == 4
    assert not np.array_equal(before, first.get_weights()[0])
