"""Optimizers: the update rules by hand."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import equations
from minicnn.optimizers import get_optimizer
from tolerances import assert_close


def test_sgd_is_the_documents_update():
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    expected = equations.sgd_update(w, g, 0.1)
    mc.SGD(learning_rate=0.1).step([(w, g)])
    assert_close(w, [0.95, -2.025], "float64", "SGD step")
    assert_close(w, expected, "float64", "SGD vs equations.sgd_update")


def test_sgd_momentum_and_nesterov_by_hand():
    w, g = np.array([1.0]), np.array([1.0])
    sgd = mc.SGD(learning_rate=0.1, momentum=0.9)
    sgd.step([(w, g)])          # v = −0.1, w = 0.9
    sgd.step([(w, g)])          # v = 0.9·(−0.1) − 0.1 = −0.19, w = 0.71
    assert_close(w, [0.71], "float64", "momentum")
    w = np.array([1.0])
    nesterov = mc.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    nesterov.step([(w, g)])     # v = −0.1, w = 1 + 0.9·(−0.1) − 0.1 = 0.81
    assert_close(w, [0.81], "float64", "nesterov")
    nesterov.step([(w, g)])     # v = 0.9·(−0.1) − 0.1 = −0.19, w = 0.81 + 0.9·(−0.19) − 0.1 = 0.539
    assert_close(w, [0.539], "float64", "nesterov, second step (from a velocity that is not 0)")


def test_sgd_small_momentum_still_keeps_a_velocity():
    """Any μ > 0 keeps a velocity, not only large ones: μ = 0.3 must differ from plain SGD (which gives w = 0.8)."""
    w, g = np.array([1.0]), np.array([1.0])
    sgd = mc.SGD(learning_rate=0.1, momentum=0.3)
    sgd.step([(w, g)])          # v = −0.1, w = 0.9
    sgd.step([(w, g)])          # v = 0.3·(−0.1) − 0.1 = −0.13, w = 0.77
    assert_close(w, [0.77], "float64", "momentum 0.3")


def test_adam_first_steps_by_hand():
    w, g = np.array([1.0, 1.0]), np.array([0.5, -2.0])
    adam = mc.Adam(learning_rate=0.1, epsilon=1e-8)
    adam.step([(w, g)])
    # step 1: m̂ = g, v̂ = g², so the step is α·g/(|g| + ε) ≈ α·sign(g)
    assert_close(w, [1 - 0.1 * 0.5 / (0.5 + 1e-8), 1 + 0.1 * 2 / (2 + 1e-8)], "float64", "Adam step 1")
    g2 = np.array([1.0, 1.0])
    adam.step([(w, g2)])
    m = 0.9 * 0.1 * g + 0.1 * g2
    v = 0.999 * 0.001 * g ** 2 + 0.001 * g2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    expected = np.array([1 - 0.1 * 0.5 / (0.5 + 1e-8), 1 + 0.1 * 2 / (2 + 1e-8)]) - \
        0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)
    assert_close(w, expected, "float64", "Adam step 2")


def test_keras_epsilon_form_is_this_rule_with_epsilon_over_the_root_of_its_correction():
    """The docstring's claim: Keras' update ``w −= α·sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (sqrt(v) + ε)`` is minicnn's
    rule with ``ε / sqrt(1 − β₂ᵗ)`` in place of ε. A gradient as small as ε makes the difference show."""
    g, eps, beta_2 = np.array([3e-7, -1e-6]), 1e-7, 0.999
    m, v = 0.1 * g, (1 - beta_2) * g ** 2                                  # step t = 1 from zero moments
    keras = 1.0 - 0.1 * np.sqrt(1 - beta_2) / (1 - 0.9) * m / (np.sqrt(v) + eps)
    w = np.ones(2)
    mc.Adam(learning_rate=0.1, epsilon=eps / np.sqrt(1 - beta_2)).step([(w, g)])
    assert_close(w, keras, "float64", "Keras' epsilon form")
    w = np.ones(2)
    mc.Adam(learning_rate=0.1, epsilon=eps).step([(w, g)])
    assert not np.allclose(w, keras, rtol=1e-3, atol=0)                    # with ε itself, it differs


@pytest.mark.parametrize("make", [mc.Adam, lambda: mc.SGD(momentum=0.9)], ids=["adam", "momentum"])
def test_optimizer_refuses_other_parameters_and_does_not_count_the_refused_step(make):
    """A step refused for parameters of other shapes is not a step: SGD with momentum counted it (Adam did not), and
    a count one too large would shift Adam's bias correction ``1 − βᵗ`` for every later step."""
    optimizer = make()
    optimizer.step([(np.zeros(3), np.ones(3))])
    with pytest.raises(ValueError, match="holds state for shapes"):
        optimizer.step([(np.zeros(4), np.ones(4))])
    assert optimizer.iterations == 1


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_counts_its_steps(momentum):
    """SGD's ``iterations`` (Keras' step count, saved with the optimizer's state) counts every step, with and
    without momentum (mutation round: it stayed 0)."""
    sgd = mc.SGD(momentum=momentum)
    for _ in range(3):
        sgd.step([(np.zeros(2, np.float32), np.ones(2, np.float32))])
    assert sgd.iterations == 3 and int(sgd.state_arrays()["iterations"]) == 3


@pytest.mark.parametrize("make", [lambda: mc.SGD(learning_rate=0), lambda: mc.Adam(learning_rate=-1),
                                  lambda: mc.SGD(momentum=1.5), lambda: mc.Adam(beta_1=1.0)])
def test_bad_hyperparameters(make):
    with pytest.raises(ValueError, match="must be"):
        make()


def test_sgd_refuses_a_momentum_of_one():
    """Momentum 1 never forgets a gradient, so the velocity grows without bound: refused, as the message says
    [0, 1) (mutation round: it was taken)."""
    with pytest.raises(ValueError, match=r"SGD: momentum must be a number in \[0, 1\), got 1"):
        mc.SGD(momentum=1)


def test_the_defaults_and_configs_are_keras_and_name_every_setting():
    """Adam's ε is Keras' 1e-7, as its docstring says (mutation round: PyTorch's 1e-8 passed); SGD's config and so
    its repr name nesterov (it printed SGD(0.1, momentum=0.9, nesterov=True) as the plain momentum form)."""
    assert mc.Adam().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
    sgd = mc.SGD(0.1, momentum=0.9, nesterov=True)
    assert sgd.get_config() == {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}
    assert repr(sgd) == "SGD(learning_rate=0.1, momentum=0.9, nesterov=True)"


def test_optimizer_names_are_taken_in_any_case():
    """``compile(optimizer="Adam")``, the class's spelling, which Keras accepts, is Adam (mutation round: names
    were compared as given)."""
    assert type(get_optimizer("Adam")) is mc.Adam and type(get_optimizer("SGD")) is mc.SGD
    assert type(get_optimizer("adam")) is mc.Adam


def test_state_arrays_name_each_slot_by_a_three_digit_position():
    """Checkpoint keys are ``"003.m"``, as documented, so that they sort in the parameters' order up to 1000 of
    them (mutation round: ``"3.m"`` passed, which sorts 10 before 2)."""
    adam = mc.Adam()
    adam.step([(np.zeros(2, np.float32), np.ones(2, np.float32)) for _ in range(11)])
    keys = sorted(adam.state_arrays())
    assert keys[:3] == ["000.m", "000.v", "001.m"] and "010.v" in keys and keys[-1] == "iterations"


def test_a_saved_slot_of_another_shape_is_refused_and_changes_nothing():
    """A saved slot whose shape is not its parameter's is refused by name (mutation round: the check could go),
    and the refused load leaves the optimizer as it was: the step count was set before the slots were checked, so
    a caller that went on after the error had the old slots with another count."""
    grad = np.ones(3, np.float32)
    saved = mc.Adam()
    saved.step([(np.zeros(3, np.float32), grad)])
    state = {**saved.state_arrays(), "000.m": np.zeros(4, np.float32)}
    adam = mc.Adam()
    for _ in range(5):
        adam.step([(np.zeros(3, np.float32), grad)])
    with pytest.raises(ValueError, match=r"saved slot 'm' of parameter 0 has shape \(4,\), the parameter \(3,\)"):
        adam.load_state_arrays(state, [(np.zeros(3, np.float32), grad)])
    assert adam.iterations == 5


@pytest.fixture(params=["numpy", "numba", "cuda"])
def each_backend(request):
    """The test once per backend (cuda under numba's CUDA simulator unless a GPU is asked for; skipped where
    neither is there)."""
    previous = mc.get_backend()
    try:
        mc.set_backend(request.param)
    except mc.BackendError as error:  # pragma: no cover - only where the cuda backend cannot run
        pytest.skip(str(error))
    try:
        yield request.param
    finally:
        mc.set_backend(previous)


OPTIMIZERS = [lambda: mc.SGD(0.1), lambda: mc.SGD(0.1, momentum=0.9), lambda: mc.Adam(0.1)]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
@pytest.mark.parametrize("grad_shape", [(1,), (2,), (6,), (3, 1)])
def test_a_gradient_of_another_shape_is_refused_before_any_update(each_backend, make, grad_shape):
    """NumPy broadcast a (1,) gradient over the parameter; the numba and cuda kernels read past the end of a shorter
    gradient (Adam made ``[-0.1, -3e-35, 0]`` of a (1,) one) or used part of a longer one. The first pair, which is
    good, must not be updated either: every pair is checked before any update."""
    optimizer = make()
    good, bad = np.ones(2, np.float32), np.zeros(3, np.float32)
    with pytest.raises(mc.ShapeError, match=rf"^{type(optimizer).__name__}\.step: pair 1: expected the gradient of "
                                            rf"shape \(3,\) \(its parameter's\), got {re.escape(str(grad_shape))}$"):
        optimizer.step([(good, np.ones(2, np.float32)), (bad, np.ones(grad_shape, np.float32))])
    assert_close(good, [1.0, 1.0], "float32", "the good pair")
    assert_close(bad, [0.0, 0.0, 0.0], "float32", "the bad pair")
    assert optimizer.iterations == 0


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_a_parameter_the_backend_cannot_update_in_place_is_refused(each_backend, make):
    """A list was silently left unchanged by SGD (Adam: AttributeError 'list' object has no attribute 'shape'), an
    int array filled with garbage by numba's Adam (a UFuncTypeError on numpy), a read-only array failed in the
    kernel's words (numba's Adam: a TypingError) after Adam's state had changed."""
    optimizer = make()
    name = type(optimizer).__name__
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 0: expected the parameter as a NumPy array "
                                        r"(or a device array )?of floats \(it is updated in place\), got list$"):
        optimizer.step([([0.0, 0.0], np.ones(2))])
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 0: expected the parameter as an array of floats, "
                                        r"got dtype int64$"):
        optimizer.step([(np.zeros(2, np.int64), np.ones(2))])
    read_only = np.zeros(2)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=rf"^{name}\.step: pair 0: the parameter is a read-only array"):
        optimizer.step([(read_only, np.ones(2))])
    assert optimizer.iterations == 0


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_a_parameter_that_is_a_view_is_updated_in_place_as_a_copy_would_be(each_backend, make):
    """A transposed view (not C-contiguous) is updated where it lies, two steps alike on every backend: numba's
    Adam refused it ('must be C-contiguous'), the cuda kernels too, while NumPy took it. A gradient that is a view
    is read as it is."""
    rng = np.random.default_rng(5)
    base, gradients = rng.standard_normal((3, 2)), [rng.standard_normal((3, 2)).T for _ in range(2)]
    view, copy = base.copy().T, base.T.copy()
    on_view, on_copy = make(), make()
    for grad in gradients:
        on_view.step([(view, grad)])
        with mc.use_backend("numpy"):
            on_copy.step([(copy, np.ascontiguousarray(grad))])
    assert not view.flags.c_contiguous
    assert_close(view, copy, "float64", "the view, against a contiguous copy on the numpy backend")


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_a_gradient_that_is_not_an_array_of_floats_is_refused(make):
    optimizer = make()
    name = type(optimizer).__name__
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 0: expected the gradient as an array of floats of "
                                        r"shape \(2,\) \(its parameter's\), got list$"):
        optimizer.step([(np.zeros(2), [1.0, 1.0])])
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 0: expected the gradient as an array of floats, got "
                                        r"dtype <U1$"):
        optimizer.step([(np.zeros(2), np.array(["a", "b"]))])
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 1: expected a \(param, grad\) pair, got 1 items$"):
        optimizer.step([(np.zeros(2), np.ones(2)), (np.zeros(2),)])
    with pytest.raises(TypeError, match=rf"^{name}\.step: pair 0: expected a \(param, grad\) pair, got ndarray$"):
        optimizer.step([np.zeros(2)])


def test_device_arrays_and_host_arrays_are_both_updated_on_cuda():
    """On the cuda backend a parameter may live on the device (as in ``fit``) or on the host (copied there and
    back): both pass the check and are updated; a device gradient of another shape is refused all the same."""
    try:
        kernels = mc.backend._load("cuda")
        mc.backend._check("cuda", kernels)
    except mc.BackendError as error:  # pragma: no cover - only where the cuda backend cannot run
        pytest.skip(str(error))
    with mc.use_backend("cuda"):
        on_device, on_host = kernels.to_device(np.ones(2)), np.ones(2)
        mc.SGD(0.5).step([(on_device, kernels.to_device(np.ones(2))), (on_host, np.ones(2))])
        assert_close(kernels.to_host(on_device), [0.5, 0.5], "float64", "the device parameter")
        assert_close(on_host, [0.5, 0.5], "float64", "the host parameter")
        with pytest.raises(mc.ShapeError, match=r"^Adam\.step: pair 0: expected the gradient of shape \(2,\)"):
            mc.Adam(0.5).step([(on_device, kernels.to_device(np.ones(1)))])


def test_a_models_step_names_the_weight_whose_gradient_is_wrong():
    """A layer of your own whose ``backward`` gives a gradient of another shape: the optimizer's error names the
    weight (``Sequential.trainable_names``), not only its position among the model's pairs, and nothing changes."""

    class RowBias(mc.Dense):
        def backward(self, grad_out):
            grad_in = super().backward(grad_out)
            self.grads["bias"] = self.grads["bias"][None]  # a (1, units) row: the student's mistake
            return grad_in

    model = mc.Sequential([mc.Dense(3, input_shape=(2,), name="hidden"), RowBias(1, name="head")], seed=0)
    model.compile(optimizer=mc.SGD(0.1), loss="mse")
    model.build((None, 2))
    assert model.trainable_names() == ["Dense 'hidden' kernel", "Dense 'hidden' bias", "RowBias 'head' kernel",
                                       "RowBias 'head' bias"]
    before = model.get_weights()
    with pytest.raises(mc.ShapeError, match=r"^SGD\.step: pair 3 \(RowBias 'head' bias\): expected the gradient "
                                            r"of shape \(1,\) \(its parameter's\), got \(1, 1\)$"):
        model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1)))
    for weight, old in zip(model.get_weights(), before):
        np.testing.assert_array_equal(weight, old)


@pytest.mark.parametrize("names", ["ab", ["a"], ["a", 2], 5])
def test_names_must_be_one_string_per_pair(names):
    pairs = [(np.zeros(2), np.ones(2)), (np.zeros(1), np.ones(1))]
    with pytest.raises(TypeError, match=r"^Adam\.step: names must be None or one string per pair \(2\), got "):
        mc.Adam().step(pairs, names)
    assert np.all(pairs[0][0] == 0)


def test_compile_takes_an_optimizers_class_as_it_takes_a_losss():
    """compile(optimizer=mc.SGD) was refused while compile(loss=mc.MeanSquaredError) was taken."""
    model = mc.Sequential([mc.Dense(1, input_shape=(2,))])
    model.compile(optimizer=mc.SGD, loss=mc.MeanSquaredError)
    assert type(model.optimizer) is mc.SGD and model.optimizer.learning_rate == mc.SGD().learning_rate
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamw'; choose one of \['adam', 'sgd'\] or pass an "
                                         r"Optimizer \(such as SGD\(learning_rate=0.1\)\)"):
        model.compile(optimizer="adamw", loss="mse")


def test_a_step_takes_pairs_as_lists_too_and_compile_instantiates_only_optimizer_classes():
    """A (param, grad) pair may be a list, as zip's tuples are; a class that is not an Optimizer (dict) is no
    optimizer to instantiate."""
    param = np.ones(3)
    mc.SGD(learning_rate=0.5).step([[param, np.full(3, 2.0)]])
    np.testing.assert_array_equal(param, 0.0)
    assert isinstance(mc.optimizers.get_optimizer(mc.SGD), mc.SGD)
    with pytest.raises(ValueError, match=r"optimizer: unknown optimizer <class 'dict'>"):
        mc.optimizers.get_optimizer(dict)


class PlainSGD(mc.Optimizer):
    """An optimizer of one's own, as a student writes it: w ← w − α ∂L/∂w, in place."""

    def step(self, pairs, names=None):
        for param, grad in pairs:
            param -= self.learning_rate * grad
        self.iterations += 1


def test_an_optimizer_of_ones_own_trains_and_one_that_cannot_is_named_at_compile():
    """An __init__ without super().__init__ failed at the first step with "'NoSuper' object has no attribute
    '_slots'", a step(self, pairs) with "takes 2 positional arguments but 3 were given"."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = mc.Sequential([mc.Dense(1, input_shape=(3,))], seed=0)
    model.compile(optimizer=PlainSGD(0.1), loss="mse")
    losses = model.fit(x, y, epochs=60, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < losses[0] / 10 and model.optimizer.iterations == 60

    class NoSuper(PlainSGD):
        def __init__(self, learning_rate=0.1):
            self.rate = learning_rate

    class OnePair(mc.Optimizer):
        def step(self, pairs):
            pass

    with pytest.raises(TypeError, match=r"^optimizer: NoSuper\.__init__ does not call super\(\)\.__init__\("
                                        r"learning_rate\), which sets the step size"):
        model.compile(optimizer=NoSuper(), loss="mse")
    with pytest.raises(TypeError, match=r"^optimizer: OnePair\.step\(pairs\) cannot be called as step\(pairs, "
                                        r"names\), as Sequential calls it"):
        model.compile(optimizer=OnePair(0.1), loss="mse")


def test_an_optimizer_of_yours_that_moves_no_weight_in_its_first_steps_is_named(recwarn):
    """``param = param - lr * grad`` in a step makes a new array and leaves the weight as it was: training ran with a
    flat loss and nothing said (found in review). Warned once, after ``UNMOVED_STEPS`` steps that moved nothing; an
    optimizer that adds gradients up and steps every 4 batches, or warms up from a step of 0, is not warned of (a
    false alarm of the first version, found in review), nor is the in-place form."""
    from minicnn.model import UNMOVED_STEPS

    class Rebinds(PlainSGD):
        def step(self, pairs, names=None):
            for param, grad in pairs:
                param = param - self.learning_rate * grad  # noqa: F841 (the student's mistake)

    class Accumulates(PlainSGD):
        def step(self, pairs, names=None):
            self.iterations += 1
            self.sums = [g.copy() if self.iterations % 4 == 1 else s + g for s, (_, g) in zip(
                getattr(self, "sums", [None] * len(pairs)), pairs)]
            if self.iterations % 4 == 0:
                for (param, _), total in zip(pairs, self.sums):
                    param -= self.learning_rate * total / 4

    class WarmsUp(PlainSGD):
        def step(self, pairs, names=None):
            for param, grad in pairs:
                param -= self.learning_rate * min(1.0, self.iterations / 5) * grad
            self.iterations += 1

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    model = mc.Sequential([mc.Dense(1, input_shape=(3,))], seed=0)
    model.compile(optimizer=Rebinds(0.1), loss="mse")
    with pytest.warns(UserWarning, match=rf"^sequential: Rebinds\.step changed no weight in its first "
                                         rf"{UNMOVED_STEPS} steps, though the gradients are not all 0: update each "
                                         r"param in place \(param -= ") as caught:
        model.fit(x, y, epochs=UNMOVED_STEPS, batch_size=8, verbose=0)
    assert len([w for w in caught if "changed no weight" in str(w.message)]) == 1
    recwarn.clear()
    for optimizer in (PlainSGD(0.1), Accumulates(0.1), WarmsUp(0.1)):
        model.compile(optimizer=optimizer, loss="mse")
        before = model.get_weights()[0].copy()
        model.fit(x, y, epochs=UNMOVED_STEPS, batch_size=8, verbose=0)
        assert not np.array_equal(before, model.get_weights()[0])
    assert not [w for w in recwarn if "changed no weight" in str(w.message)]


def test_an_optimizer_class_of_ones_own_given_to_compile_is_checked_as_an_instance_is():
    """compile(optimizer=SGD) takes a class and makes it with its default settings; a class of one's own is checked
    as its instance is, so an __init__ without super().__init__ or a step(self, pairs) is named at compile, not met
    at the first step in Python's words."""

    class DefaultRate(PlainSGD):
        def __init__(self, learning_rate=0.05):
            super().__init__(learning_rate)

    class NoSuper(PlainSGD):
        def __init__(self, learning_rate=0.1):
            self.rate = learning_rate

    class OnePair(DefaultRate):
        def step(self, pairs):
            pass

    model = mc.Sequential([mc.Dense(1, input_shape=(3,))], seed=0)
    model.compile(optimizer=DefaultRate, loss="mse")
    assert type(model.optimizer) is DefaultRate and model.optimizer.learning_rate == 0.05
    with pytest.raises(TypeError, match=r"^optimizer: NoSuper\.__init__ does not call super\(\)\.__init__\("
                                        r"learning_rate\), which sets the step size"):
        model.compile(optimizer=NoSuper, loss="mse")
    with pytest.raises(TypeError, match=r"^optimizer: OnePair\.step\(pairs\) cannot be called as step\(pairs, "
                                        r"names\), as Sequential calls it"):
        model.compile(optimizer=OnePair, loss="mse")
