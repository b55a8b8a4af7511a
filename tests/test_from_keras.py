"""Keras course code ported with ``import minicnn as mc``: what minicnn lacks says what to use instead, and the
common slips of ported code (one sample without its batch axis, integer labels for a one-hot loss) name their fix
(from an audit porting Keras examples, with a helper)."""

import re
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn.errors import ARGUMENTS, NAMES, ShapeError


@pytest.mark.parametrize("make, message", [
    (lambda: mc.Conv2D(8, 3, kernel_initializer="he_normal"),
     "Conv2D: minicnn has no argument 'kernel_initializer' (a Keras one): kernels start Glorot-uniform"),
    (lambda: mc.Dense(3, input_dim=4), "Dense: minicnn has no argument 'input_dim' (a Keras one): give "
                                       "input_shape=(features,) instead"),
    (lambda: mc.BatchNormalization(axis=1), "BatchNormalization: minicnn has no argument 'axis' (a Keras one)"),
    (lambda: mc.Adam(lr=0.1), "Adam: minicnn has no argument 'lr' (a Keras one): the argument is learning_rate"),
    (lambda: mc.SGD(0.1, decay=1e-6), "SGD: minicnn has no argument 'decay' (a Keras one)"),
    (lambda: mc.Dense(3, units_=2), "Dense: unexpected argument 'units_'; it takes units, activation, use_bias, seed, "
                                    "name, input_shape, dtype, trainable"),
], ids=["kernel_initializer", "input_dim", "axis", "lr", "decay", "a-typo"])
def test_a_keras_argument_says_what_minicnn_does_instead(make, message):
    """Each was Python's "Layer.__init__() got an unexpected keyword argument ...", naming the base class."""
    with pytest.raises(TypeError, match=f"^{re.escape(message)}"):
        make()


def test_the_models_methods_name_keras_arguments_and_take_keras_verbose_levels(tmp_path):
    model = mc.Sequential([mc.Dense(1, activation="sigmoid", input_shape=(3,))])
    x, y = np.zeros((4, 3)), np.zeros((4, 1))
    for call, name in ((lambda: model.compile(loss="mse", run_eagerly=True), "compile"),
                       (lambda: model.fit(x, y, callbacks=[object()]), "fit"),
                       (lambda: model.evaluate(x, y, steps=1), "evaluate"),
                       (lambda: model.predict(x, steps=1), "predict"),
                       (lambda: model.load_weights(tmp_path / "w.npz", by_name=True), "load_weights")):
        if name != "compile":
            model.compile(loss="mse")
        with pytest.raises(TypeError, match=rf"^sequential(_\d+)?\.{name}: minicnn has no argument '\w+' \(a Keras "
                                            r"one\): \w"):
            call()
    assert model.predict(x, verbose=0).shape == (4, 1)


def test_keras_arguments_given_their_keras_default_are_taken(tmp_path):
    """Tutorial code spells defaults out (``kernel_initializer="glorot_uniform"``, ``data_format="channels_last"``,
    ``BatchNormalization(axis=-1)``, ``callbacks=[]``): they change nothing in minicnn, so they are taken, and the
    layer is the one made without them; another value is refused, with the default that would be taken."""
    spelled = mc.Conv2D(2, 3, data_format="channels_last", kernel_initializer="GlorotUniform", bias_initializer="zeros",
                        dilation_rate=(1, 1), groups=1, kernel_regularizer=None, seed=0, input_shape=(5, 5, 1))
    plain = mc.Conv2D(2, 3, seed=0, input_shape=(5, 5, 1))
    spelled.build((None, 5, 5, 1))
    plain.build((None, 5, 5, 1))
    assert all(np.array_equal(a, b) for a, b in zip(spelled.get_weights(), plain.get_weights()))
    model = mc.Sequential([mc.Dense(2, input_shape=(3,), kernel_initializer="glorot_uniform"),
                           mc.BatchNormalization(axis=-1, center=True, scale=True, gamma_initializer="ones",
                                                 beta_initializer="zeros", moving_variance_initializer="ones"),
                           mc.Dropout(0.5, noise_shape=None), mc.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mc.Adam(amsgrad=False, clipnorm=None), loss=mc.BinaryCrossentropy(label_smoothing=0.0),
                  run_eagerly=False, jit_compile=None, weighted_metrics=None)
    x, y = np.zeros((4, 3)), np.zeros((4, 1))
    model.fit(x, y, callbacks=[], initial_epoch=0, class_weight=None, validation_freq=1, verbose=0)
    model.evaluate(x, y, steps=None)
    model.summary(print_fn=None, expand_nested=False, show_trainable=False)
    for call, argument, default in ((lambda: mc.BatchNormalization(axis=3), "axis", "-1"),
                                    (lambda: mc.Conv2D(2, 3, dilation_rate=2), "dilation_rate", "1"),
                                    (lambda: mc.Dense(2, kernel_initializer="he_normal"), "kernel_initializer",
                                     "'glorot_uniform'"),
                                    (lambda: mc.BinaryCrossentropy(label_smoothing=0.1), "label_smoothing", "0")):
        taken = rf"\({argument}={default}, Keras' default, is taken and changes nothing\)$"
        with pytest.raises(TypeError, match=rf"minicnn has no argument '{argument}' \(a Keras one\): .* {taken}"):
            call()
    with pytest.raises(TypeError, match=r"for images, \(N, H, W, C\), Keras' axis=3 is that axis: leave axis out"):
        mc.BatchNormalization(axis=3)  # what a student porting Keras code about images most often writes


@pytest.mark.parametrize("module, name", [(mc, "InputLayer"), (mc, "EarlyStopping"), (mc, "utils"),
                                          (mc.layers, "MaxPool2D"), (mc, "MaxPool2D"), (mc, "Callback"),
                                          (mc, "LearningRateScheduler"), (mc.optimizers, "schedules"),
                                          (mc.optimizers, "RMSprop")])
def test_a_keras_name_minicnn_lacks_says_what_to_use(module, name):
    with pytest.raises(AttributeError, match=rf"^module '{module.__name__}' has no attribute '{name}' \(a Keras "
                                             rf"name\): {re.escape(NAMES[name])}$"):
        getattr(module, name)
    with pytest.raises(AttributeError, match=r"^module 'minicnn' has no attribute 'nothing_such'$"):
        mc.nothing_such
    assert not hasattr(mc, "InputLayer") and hasattr(mc, "Dense")


def test_every_keras_argument_named_is_one_that_minicnn_really_lacks():
    """The table must not shadow an argument that exists: each name is refused by every layer, optimizer and model
    method that could take it, and none of them takes it."""
    import inspect

    accepted = set()
    for owner in (mc.Conv2D, mc.Dense, mc.MaxPooling2D, mc.BatchNormalization, mc.Dropout, mc.Flatten, mc.SGD,
                  mc.Adam, mc.Sequential.fit, mc.Sequential.evaluate, mc.Sequential.predict, mc.Sequential.compile,
                  mc.Sequential.load_weights, mc.layers.Layer):
        function = owner.__init__ if isinstance(owner, type) else owner
        accepted |= set(inspect.signature(function).parameters)
    assert not accepted & set(ARGUMENTS), accepted & set(ARGUMENTS)
    assert not [name for name in NAMES if name in mc.__all__]


@pytest.mark.parametrize("x, advice", [
    (np.zeros((8, 8, 1)), "a single sample? x[None] makes it a batch of one"),
    (np.zeros((5, 8, 8)), "images without their channel axis? x[..., None] adds it"),
    (np.zeros((8, 8)), "a single grey image? x[None, ..., None] makes it a batch of one with its channel axis"),
])
def test_an_input_of_another_rank_gets_the_fix_it_most_likely_needs(x, advice):
    """One image gave the channel-axis advice, which made it (8, 8, 1, 1)."""
    model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(8, 8, 1)), mc.Flatten(), mc.Dense(1)])
    with pytest.raises(ShapeError, match=re.escape(advice)):
        model.predict(x)


def test_one_sample_given_to_a_model_that_starts_with_flatten_is_told_to_make_a_batch():
    """Keras' first tutorial, Flatten(input_shape=(28, 28)) then predict(x[0]), got the shape error without the fix
    that Conv2D and Dense give (Flatten takes any rank)."""
    model = mc.Sequential([mc.Flatten(input_shape=(8, 8)), mc.Dense(2)])
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, 8, 8\) \(its input_shape\), got \(8, 8\); a "
                                         r"single sample\? x\[None\] makes it a batch of one$"):
        model.predict(np.zeros((8, 8)))


def test_one_rgb_image_given_to_a_layer_not_yet_built_is_offered_both_fixes():
    """(28, 28, 3) to a Conv2D with no input shape yet: the channel-axis advice alone made it 28 images of 28×3
    (from a student's audit); a single image comes first now."""
    with pytest.raises(ShapeError, match=re.escape("; a single image? x[None] makes it a batch of one; or images "
                                                   "without their channel axis? x[..., None] adds it")):
        mc.Conv2D(2, 3).forward(np.ones((28, 28, 3)))


def test_images_given_to_dense_are_told_to_flatten_and_a_size_of_none_to_leave_input_shape_out():
    with pytest.raises(ShapeError, match=r"Dense takes one row of features per sample: put Flatten\(\) before it$"):
        mc.Sequential([mc.Dense(2)]).predict(np.zeros((3, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"got \(None, None, 3\) \(for images of any size, leave input_shape out: "
                                         r"the layer is built at its first call\)$"):
        mc.Conv2D(2, 3, input_shape=(None, None, 3))


def test_labels_of_the_other_kind_name_the_loss_or_the_conversion_before_any_training():
    """Integer classes with categorical_crossentropy failed at the first step, in a batch's shape (32, 3) rather
    than the data's, and without a word on the sparse loss; one-hot rows with the sparse loss likewise."""
    x = np.random.default_rng(0).standard_normal((100, 4))
    classes = np.arange(100) % 3
    model = mc.Sequential([mc.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(loss="categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"fit: y: CategoricalCrossentropy: expected y_true of shape \(100, 3\) .*got "
                                         r"\(100,\); class indices\? use loss='sparse_categorical_crossentropy' for "
                                         r"them, or np\.eye\(3\)\[y\.ravel\(\)\.astype\(int\)\] for one-hot rows$"):
        model.fit(x, classes, verbose=0)
    with pytest.raises(ShapeError, match=r"^sequential(_\d+)?\.evaluate: y: CategoricalCrossentropy: expected y_true "
                                         r"of shape \(100, 3\) "):  # the data's shape, not a batch's (32, 3)
        model.evaluate(x, classes)
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"one-hot rows\? use loss='categorical_crossentropy' for them, or "
                                         r"y\.argmax\(axis=1\) for the indices$"):
        model.fit(x, np.eye(3)[classes], verbose=0)
    model.compile(loss="mse")
    with pytest.raises(ShapeError, match=r"class indices\? np\.eye\(3\)\[y\.ravel\(\)\.astype\(int\)\] makes "
                                         r"one-hot rows of them$"):
        model.fit(x, classes, verbose=0)
    assert model.fit(x, np.eye(3)[classes], verbose=0, epochs=1).history["loss"]


def test_a_loss_function_and_a_softmax_before_logits_say_what_to_do():
    model = mc.Sequential([mc.Dense(3, activation="softmax", input_shape=(4,))])
    with pytest.raises(TypeError, match=r"^loss: a function such as mae gives the loss but not the gradient .* write a "
                                        r"subclass of mc\.Loss with both"):
        def mae(y_true, y_pred):
            return np.mean(np.abs(y_true - y_pred))
        model.compile(loss=mae)
    with pytest.warns(UserWarning, match=r"CategoricalCrossentropy\(from_logits=True\) expects logits, but the last "
                                         r"layer, Dense 'dense(_\d+)?', ends in a softmax"):
        model.compile(loss=mc.CategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile(loss=mc.CategoricalCrossentropy())
        mc.Sequential([mc.Dense(3, input_shape=(4,))]).compile(loss=mc.CategoricalCrossentropy(from_logits=True))


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_a_layers_get_weights_and_set_weights_work_as_keras(backend_name):
    """``model.layers[0].get_weights()[0]``, the filters a Keras tutorial plots, was an AttributeError."""
    with mc.use_backend(backend_name):
        model = mc.Sequential([mc.Conv2D(2, 3, input_shape=(5, 5, 1), seed=0), mc.BatchNormalization(),
                               mc.Flatten(), mc.Dense(1, seed=0)])
        conv, norm = model.layers[0], model.layers[1]
        assert mc.Dense(2).get_weights() == []
        model.build()
        kernel, bias = conv.get_weights()
        assert kernel.shape == (3, 3, 1, 2) and np.array_equal(kernel, model.get_weights()[0])
        kernel[...] = 7.0  # a copy: the layer keeps its own
        assert not np.any(conv.params["kernel"] == 7.0)
        conv.set_weights([kernel, [0.5, -0.5]])
        assert np.all(model.get_weights()[0] == 7.0) and model.get_weights()[1].tolist() == [0.5, -0.5]
        assert [w.shape for w in norm.get_weights()] == [(2,)] * 4  # gamma, beta, moving mean and variance
        with pytest.raises(ShapeError, match=r"Conv2D 'conv2d(_\d+)?'.set_weights: Conv2D 'conv2d(_\d+)?' kernel: "
                                             r"expected shape \(3, 3, 1, 2\), got \(3, 3, 1, 3\)"):
            conv.set_weights([np.ones((3, 3, 1, 3)), np.zeros(2)])
        with pytest.raises(ValueError, match=r"expected variances ≥ 0"):
            norm.set_weights([np.ones(2), np.zeros(2), np.zeros(2), -np.ones(2)])
        assert np.all(conv.params["kernel"] == 7.0) and np.all(norm.state["moving_variance"] == 1.0)
        with pytest.raises(RuntimeError, match=r"has no weights before it is built"):
            mc.Dense(2).set_weights([np.ones((3, 2)), np.zeros(2)])


def test_a_loss_of_your_own_that_reads_its_labels_itself_is_not_checked_by_the_builtin_rule():
    """A loss whose own ``__call__`` and ``gradient`` take integer classes for several outputs trained with
    train_on_batch, and fit refused it up front with the one-hot advice, which is wrong for it."""

    class SparseSquares(mc.Loss):
        def __call__(self, y_true, y_pred):
            return float(np.mean((np.asarray(y_pred) - np.eye(3)[np.asarray(y_true)]) ** 2))

        def gradient(self, y_true, y_pred):
            return (2 * (np.asarray(y_pred) - np.eye(3)[np.asarray(y_true)]) / np.size(y_pred)).astype(y_pred.dtype)

    class NotALoss:
        def gradient(self, y_true, y_pred):
            return y_pred

    model = mc.Sequential([mc.Dense(3, input_shape=(4,), seed=0)])
    model.compile(optimizer=mc.SGD(0.5), loss=SparseSquares())
    x = np.random.default_rng(0).standard_normal((12, 4))
    losses = model.fit(x, np.arange(12) % 3, epochs=3, batch_size=12, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    with pytest.raises(TypeError, match=r"^loss: NotALoss has a gradient method but is not a subclass of mc\.Loss, "
                                        r"whose checks the model uses: write class NotALoss\(mc\.Loss\)$"):
        model.compile(loss=NotALoss())


def test_the_keras_mnist_convnet_ports_line_for_line():
    """keras.io's "Simple MNIST convnet", with ``mc.`` for ``keras.`` and ``layers.``: ``Input`` first in the list
    and ``to_categorical`` were the two lines that did not port, and ``Activation("relu")`` (here in place of the
    first convolution's activation argument) a third common one. Its summary counts 34,826 parameters, as
    Keras'."""
    num_classes, input_shape = 10, (28, 28, 1)
    y_train = mc.to_categorical(np.array([3, 0, 9, 3]), num_classes)
    model = mc.Sequential([
        mc.Input(shape=input_shape),
        mc.Conv2D(32, kernel_size=(3, 3)),
        mc.Activation("relu"),
        mc.MaxPooling2D(pool_size=(2, 2)),
        mc.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        mc.MaxPooling2D(pool_size=(2, 2)),
        mc.Flatten(),
        mc.Dropout(0.5),
        mc.Dense(num_classes, activation="softmax"),
    ], seed=0)
    text = model.summary(print_fn=None)
    assert "Total params: 34,826" in text and "Input" not in text and len(model.layers) == 8
    assert re.search(r" activation(_\d+)? \(Activation\) ", text)
    assert model.layers[1].get_config()["activation"] == "relu"
    assert model.input_shape == (None, 28, 28, 1)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(np.zeros((4, 28, 28, 1)), y_train, batch_size=2, epochs=1, validation_split=0.5, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert y_train.dtype == np.float32 and y_train.tolist()[0] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("make, error, message", [
    (lambda: mc.Sequential([mc.Dense(2), mc.Input(shape=(3,))]), ValueError,
     r"^Sequential.add: an Input comes first, before any layer, and once; got Input\(shape=\(3,\)\) after Dense"),
    (lambda: mc.Sequential([mc.Input(shape=(3,)), mc.Input(shape=(3,))]), ValueError, r"and once; .* after another "
                                                                                      r"Input$"),
    (lambda: mc.Sequential([mc.Input(shape=(3,)), mc.Dense(2, input_shape=(4,))]), ValueError,
     r"has input_shape \(4,\), but the Input in front of it has shape \(3,\); give one of them$"),
    (lambda: mc.Input(shape=(None, None, 3)), ValueError, r"^Input: shape must be a tuple of positive ints .*leave the "
                                                          r"Input out"),
    (lambda: mc.Sequential([mc.Input(shape=(28, 28)), mc.Conv2D(2, 3)]), ShapeError,
     r"input_shape must give 3 sizes .* got \(28, 28\); images without their channel axis\? \(28, 28, 1\) for grey "
     r"ones$"),
    (lambda: mc.to_categorical([0, 1.5]), ValueError, r"^to_categorical: expected whole-number class labels ≥ 0, got "
                                                      r"values from 0.0 to 1.5$"),
    # -1 would index the last column: a wrong one-hot row without a word (mutation round)
    (lambda: mc.to_categorical([-1, 0, 2]), ValueError, r"^to_categorical: expected whole-number class labels ≥ 0, "
                                                        r"got values from -1 to 2$"),
    (lambda: mc.to_categorical([3], 2), ValueError, r"^to_categorical: num_classes must be a whole number ≥ 4 \(the "
                                                    r"largest label \+ 1\), got 2$"),
    (lambda: mc.to_categorical(np.zeros((2, 2))), ValueError, r"expected labels of shape \(N,\) or \(N, 1\), got "
                                                              r"\(2, 2\)$"),
    (lambda: mc.to_categorical(["a"]), TypeError, r"^to_categorical: expected labels of real numbers, got \['a'\]; "
                                                  r"class names\? classes, numbers = np\.unique\(labels, "),
    (lambda: mc.to_categorical([np.inf]), ValueError, r"^to_categorical: expected whole-number class labels"),
    (lambda: mc.to_categorical([1e20]), ValueError,
     r"^to_categorical: the largest label, 1e\+20, asks for 100,000,000,000,000,000,001 one-hot columns for each of "
     r"1 labels"),
    (lambda: mc.ReLU(activation="sigmoid"), TypeError, r"^ReLU: unexpected argument 'activation'; it takes name, "
                                                       r"input_shape, dtype, trainable$"),
    (lambda: mc.Input((3,), dtype="float32"), TypeError, r"^Input: unexpected argument 'dtype'; it takes shape, name$"),
    (lambda: mc.Activation("gelu"), ValueError, r"^Activation 'activation(_\d+)?': unknown activation 'gelu'; choose "
                                                r"one of \['linear', 'relu', 'sigmoid', 'softmax', 'tanh'\], or a "
                                                r"subclass of mc\.Activation of your own \(defining apply and "
                                                r"backward\)$"),
], ids=["input-after-a-layer", "two-inputs", "two-shapes", "input-of-any-size", "grey-images", "labels-not-whole",
        "labels-negative", "too-few-classes", "labels-a-matrix", "labels-strings", "labels-infinite", "labels-huge",
        "relu-given-another", "input-dtype", "activation-unknown"])
def test_input_and_to_categorical_name_what_is_wrong(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
@pytest.mark.parametrize("name, layer", [("relu", mc.ReLU), ("sigmoid", mc.Sigmoid), ("tanh", mc.Tanh),
                                         ("softmax", mc.Softmax), ("linear", mc.Linear)])
def test_keras_activation_layer_computes_as_the_layer_it_names(backend_name, name, layer):
    """``Activation("relu")`` was an AttributeError; it is a layer that gives the named activation's forward and
    backward, passes a gradient check, and survives a config round trip."""
    x = np.random.default_rng(0).standard_normal((3, 4))
    upstream = np.random.default_rng(1).standard_normal((3, 4))
    with mc.use_backend(backend_name):
        keras_style, plain = mc.Activation(name), layer()
        assert np.array_equal(keras_style.forward(x), plain.forward(x))
        assert np.array_equal(keras_style.backward(upstream), plain.backward(upstream))
        assert mc.gradcheck(keras_style, x).passed
    twin = mc.Activation(**keras_style.get_config())
    assert twin.get_config() == keras_style.get_config() and twin.get_config()["activation"] == name


def test_a_named_activation_inside_dense_is_the_activation_it_names():
    """``Dense(3, activation=mc.Activation("relu"))`` kept the wrapper: its config said 'Activation' (no twin could
    be made of it), and a softmax over one output or after which logits were expected went without a warning; an
    ``Activation("softmax")`` layer over one output did not warn either. ``ReLU("name")`` names the layer, as
    before the named form existed."""
    dense = mc.Dense(3, activation=mc.Activation("relu"))
    assert isinstance(dense.activation, mc.ReLU) and dense.get_config()["activation"] == "relu"
    assert mc.Dense(**{**dense.get_config(), "name": "twin"}).get_config()["activation"] == "relu"
    with pytest.warns(UserWarning, match=r"a softmax over 1 output is always 1\.0"):
        mc.Dense(1, activation=mc.Activation("softmax"))
    with pytest.warns(UserWarning, match=r"Activation 'activation(_\d+)?': a softmax over 1 output is always 1\.0"):
        mc.Sequential([mc.Dense(1, input_shape=(3,)), mc.Activation("softmax")]).predict(np.zeros((2, 3)))
    model = mc.Sequential([mc.Dense(3, input_shape=(4,), activation=mc.Activation("softmax"))])
    with pytest.warns(UserWarning, match=r"expects logits, but the last layer, Dense 'dense(_\d+)?', ends in a "
                                         r"softmax"):
        model.compile(loss=mc.CategoricalCrossentropy(from_logits=True))
    assert mc.ReLU("my_relu").name == "my_relu"


def test_an_input_alone_gives_the_models_input_shape_and_to_categorical_builds_only_its_rows():
    assert mc.Sequential([mc.Input(shape=(4,))]).input_shape == (None, 4)
    assert mc.to_categorical([2.0, True], 4).tolist() == [[0, 0, 1, 0], [0, 1, 0, 0]]
    assert mc.to_categorical(np.zeros(0), 3).shape == (0, 3)
    import tracemalloc

    tracemalloc.start()
    mc.to_categorical([5000])  # 20 KB of rows; np.eye(5001) would be 100 MB
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000, peak


def test_freezing_the_whole_model_freezes_every_layer():
    """``model.trainable = False`` (transfer learning's "freeze the base") set an attribute nothing read: the weights
    kept training and summary counted them trainable. It freezes every layer now, and ``True`` unfreezes them."""
    x, y = np.random.default_rng(0).standard_normal((6, 3)), np.ones((6, 1))
    model = mc.Sequential([mc.Dense(2, input_shape=(3,), seed=0), mc.Dense(1, seed=1)])
    model.trainable = False
    model.compile(optimizer=mc.SGD(0.1), loss="mse")
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert model.trainable is False and [layer.trainable for layer in model.layers] == [False, False]
    assert "Trainable params: 0\n" in model.summary(print_fn=None)
    model.trainable = True
    model.compile(optimizer=mc.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert not any(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    with pytest.raises(TypeError, match=r"trainable must be True or False"):
        model.trainable = "no"


def test_an_optimizers_old_name_lr_is_refused_and_learning_rate_can_be_changed():
    """``optimizer.lr = 0.0`` set an attribute nothing read (training went on at the old rate); it names
    learning_rate now, which is checked when it changes."""
    optimizer = mc.SGD(0.1)
    with pytest.raises(AttributeError, match=r"^SGD: the attribute is learning_rate \(lr is Keras' old name\): "
                                             r"optimizer\.learning_rate = 0\.0 changes the step size$"):
        optimizer.lr = 0.0
    with pytest.raises(AttributeError, match="the attribute is learning_rate"):
        optimizer.lr
    w = np.array([1.0])
    optimizer.learning_rate = 0.5
    optimizer.step([(w, np.array([1.0]))])
    assert w.tolist() == [0.5]
    with pytest.raises(ValueError, match=r"^SGD: learning_rate must be a positive number, got -1$"):
        optimizer.learning_rate = -1
    with pytest.raises(TypeError, match=r"^SGD: learning_rate must be a positive number, got <function .*: minicnn "
                                        r"has no learning-rate schedules; set optimizer\.learning_rate between "
                                        r"fit\(epochs=1\) calls in a loop"):
        optimizer.learning_rate = lambda step: 0.1 * 0.9 ** step  # a Keras schedule (found in review)
    with pytest.raises(TypeError, match=r"^Adam: learning_rate must be a positive number, got <function"):
        mc.Adam(learning_rate=lambda step: 0.01)
    assert optimizer.learning_rate == 0.5


def test_keras_model_methods_minicnn_has_and_those_it_lacks():
    """get_layer, pop, output_shape, metrics_names, test_on_batch, predict_on_batch and train_on_batch's
    return_dict work as Keras' (dict(zip(model.metrics_names, model.evaluate(...))) is a common line); a Keras
    method minicnn lacks says what to use instead."""
    model = mc.Sequential([mc.Dense(2, input_shape=(3,), name="hidden", seed=0),
                           mc.Dense(1, activation="sigmoid", name="out", seed=1)])
    model.compile(optimizer=mc.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).standard_normal((4, 3)), np.array([[0.0], [1.0], [1.0], [0.0]])
    assert model.get_layer("out") is model.layers[1] and model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match=r"no layer named 'output'; the layers are 'hidden', 'out'"):
        model.get_layer("output")
    assert model.output_shape == (None, 1)
    scores = model.evaluate(x, y)
    assert model.metrics_names == ["loss", "accuracy"] and dict(zip(model.metrics_names, scores))["loss"] == scores[0]
    assert model.test_on_batch(x, y) == scores
    np.testing.assert_array_equal(model.predict_on_batch(x), model.predict(x))
    loss, accuracy = model.train_on_batch(x, y, return_dict=False)
    assert loss == pytest.approx(scores[0]) and accuracy == scores[1]
    assert set(model.train_on_batch(x, y)) == {"loss", "accuracy"}
    with pytest.raises(AttributeError, match=r"^'Sequential' object has no attribute 'save' \(a Keras one\): minicnn "
                                             r"saves weights only: model\.save_weights\(path\)"):
        model.save("model.keras")
    with pytest.raises(AttributeError, match=r"^'Sequential' object has no attribute 'nothing_such'$"):
        model.nothing_such
    assert model.pop().name == "out"
    assert [layer.name for layer in model.layers] == ["hidden"] and model.output_shape == (None, 2)


def test_keras_style_metric_functions_and_fit_for_no_epochs():
    """A Keras metric function returns one value per sample (MeanMetricWrapper averages them): evaluate failed to
    broadcast the batches' arrays (uneven last batch) or returned arrays. Its mean is taken now; anything but
    numbers is named. fit(epochs=0) trains nothing and returns an empty History, as Keras does."""
    def mean_absolute(y_true, y_pred):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 3)), rng.standard_normal((10, 1))
    model = mc.Sequential([mc.Dense(1, input_shape=(3,), seed=0)])
    model.compile(optimizer=mc.SGD(0.01), loss="mse", metrics=[mean_absolute])
    before = model.get_weights()
    assert model.fit(x, y, epochs=0, verbose=0).history == {}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    loss, mae = model.evaluate(x, y, batch_size=4)
    assert mae == pytest.approx(np.mean(np.abs(y - model.predict(x))), rel=1e-6)
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0).history
    assert [type(value) for value in history["mean_absolute"]] == [float, float]
    model.compile(optimizer=mc.SGD(0.01), loss="mse", metrics=[lambda y_true, y_pred: "good"])
    with pytest.raises(TypeError, match=r"the metric '<lambda>' returned 'good'; expected a number, or one number "
                                        r"per sample"):
        model.evaluate(x, y)


def test_a_metric_function_gets_labels_of_the_predictions_shape():
    """The loss takes labels of shape (N,) for one output a sample, (N, 1): a metric function of your own was given
    them as they came, and ``y_true - y_pred`` made an (N, N) table of every label against every prediction, a
    wrong number without an error (Keras 2 reshaped them too). Class indices beside several outputs stay as given."""
    def mean_absolute(y_true, y_pred):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def shape_seen(y_true, y_pred):
        return float(np.ndim(y_true))

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    model = mc.Sequential([mc.Dense(1, input_shape=(3,), seed=0)])
    model.compile(optimizer=mc.SGD(0.01), loss="mse", metrics=[mean_absolute])
    true_value = np.mean(np.abs(y - model.predict(x)[:, 0]))
    assert model.evaluate(x, y, batch_size=4)[1] == pytest.approx(true_value, rel=1e-6)
    assert model.evaluate(x, y[:, None], batch_size=4)[1] == pytest.approx(true_value, rel=1e-6)
    assert model.train_on_batch(x, y)["mean_absolute"] == pytest.approx(true_value, rel=1e-6)
    classes = mc.Sequential([mc.Dense(4, input_shape=(3,), seed=0)])
    classes.compile(optimizer="sgd", loss=mc.SparseCategoricalCrossentropy(from_logits=True), metrics=[shape_seen])
    assert classes.evaluate(x, np.arange(10) % 4)[1] == 1.0


def test_one_number_per_sample_is_told_to_make_a_column():
    """The classic first model, Dense(1, input_shape=[1]) fitted on x of shape (N,): Keras 3 adds the axis itself;
    minicnn names it."""
    model = mc.Sequential([mc.Dense(1, input_shape=[1])])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ShapeError, match=r"got \(7,\); one number per sample\? x\[:, None\] makes the column of "
                                         r"features, shape \(N, 1\)$"):
        model.fit(np.arange(7.0), 2 * np.arange(7.0), verbose=0)


def test_an_attribute_error_inside_a_model_property_is_raised_as_it_is():
    """Python answers an AttributeError raised inside a property by calling __getattr__, whose message ('no
    attribute output_shape') hid the layer's own mistake (found in review)."""
    class Forgetful(mc.Layer):
        def compute_output_shape(self, input_shape):
            return self.shape_i_never_set

    model = mc.Sequential([mc.Dense(2, input_shape=(3,)), Forgetful()])
    with pytest.raises(AttributeError, match="shape_i_never_set"):
        model.output_shape


def test_the_modules_help_names_are_reached_from_the_package_and_offered_by_tab_completion():
    """help(mc) names minicnn.equations, but mc.equations said "module 'minicnn' has no attribute 'equations'"
    (as for track, plots, models, functional, exercises); tab completion offered blas_threads and missing_name."""
    import importlib

    for name in mc.SUBMODULES:
        assert getattr(mc, name) is importlib.import_module(f"minicnn.{name}")
    offered = dir(mc)
    assert {"equations", "track", "Sequential", "gradcheck", "__version__"} <= set(offered)
    assert not {"missing_name", "blas_threads", "openmp_waiting", "importlib"} & set(offered)
    with pytest.raises(AttributeError, match=r"has no attribute 'InputLayer' \(a Keras name\)"):
        mc.InputLayer


def test_names_are_read_in_any_case_and_as_class_names_and_a_misspelling_is_offered_the_closest():
    """loss="BINARY_CROSSENTROPY" and activation="RELU" were taken while metrics=["Accuracy"] and
    loss="BinaryCrossentropy" (which Keras takes) were refused, and a misspelling got no suggestion."""
    model = mc.Sequential([mc.Dense(1, activation="Sigmoid", input_shape=(2,))])
    model.compile(optimizer="Adam", loss="BinaryCrossentropy", metrics=["Accuracy", "MAE"])
    assert isinstance(model.loss, mc.BinaryCrossentropy)
    assert isinstance(model.layers[0].activation, mc.Sigmoid)
    assert isinstance(mc.Dense(3, activation="ReLU").activation, mc.ReLU)  # PyTorch's spelling: no word break
    history = model.fit(np.ones((4, 2)), np.array([[0.0], [1.0], [0.0], [1.0]]), verbose=0)
    assert sorted(history.history) == ["Accuracy", "MAE", "loss"]
    assert isinstance(mc.losses.get_loss("MeanSquaredError"), mc.MeanSquaredError)
    for make, message in [
        (lambda: model.compile(loss="binary_cross_entropy"), r"^loss: unknown loss 'binary_cross_entropy' \(did you "
                                                             r"mean 'binary_crossentropy'\?\); choose one of"),
        (lambda: model.compile(loss="mse", metrics=["accuracyy"]), r"^metrics: unknown metric 'accuracyy' \(did you "
                                                                   r"mean 'accuracy'\?\)"),
        (lambda: mc.Dense(1, activation="relux"), r"unknown activation 'relux' \(did you mean 'relu'\?\)"),
        (lambda: model.compile(loss="hinge"), r"^loss: unknown loss 'hinge'; choose one of"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()


def test_a_missing_keras_activation_or_optimizer_points_at_writing_ones_own():
    """mc.LeakyReLU and mc.RMSprop said what minicnn has, not that a subclass of one's own is the way."""
    with pytest.raises(AttributeError, match=r"an activation of your own subclasses mc\.Activation and defines "
                                             r"apply\(z\) and backward\(grad_out\)"):
        mc.LeakyReLU
    with pytest.raises(AttributeError, match=r"an optimizer of your own subclasses mc\.Optimizer and defines "
                                             r"step\(pairs, names=None\)"):
        mc.RMSprop


@pytest.mark.parametrize("name, advice", [
    ("kernel", r"layer\.params\['kernel'\], once the layer is built"),
    ("bias", r"layer\.params\['bias'\]"),
    ("weights", r"layer\.get_weights\(\) gives a copy of its weights"),
    ("trainable_weights", r"layer\.params holds the weights by name"),
    ("output_shape", r"layer\.compute_output_shape\(layer\.built_input_shape\)"),
    ("output", r"minicnn has no symbolic tensors")])
def test_a_keras_attribute_of_a_layer_says_what_to_use_instead(name, advice):
    """layer.kernel, layer.weights, layer.output_shape: a bare AttributeError where the model's Keras names had
    advice (found in review)."""
    layer = mc.Dense(2, input_shape=(3,), seed=0)
    layer.build((None, 3))
    with pytest.raises(AttributeError, match=rf"^'Dense' object has no attribute '{name}' \(a Keras one\): {advice}"):
        getattr(layer, name)
    with pytest.raises(AttributeError, match=r"^'Dense' object has no attribute 'nothing_such'$"):
        layer.nothing_such
    assert getattr(layer, name, "absent") == "absent"  # hasattr and getattr with a default still work


def test_an_input_shape_on_a_later_layer_that_does_not_fit_is_refused_where_the_layer_is_added():
    """Keras ignores input_shape after the first layer; minicnn checks it, and said at fit only "Dense 'dense_1':
    expected input of shape (N, 99) (its input_shape), got (None, 32)" (found in review). One that fits is taken."""
    from minicnn.errors import ShapeError

    model = mc.Sequential([mc.Dense(32, input_shape=(10,), name="hidden")])
    with pytest.raises(ShapeError, match=r"^Sequential.add: Dense 'out' has input_shape \(99,\), and the layer before "
                                         r"it, Dense 'hidden', gives \(32,\): input_shape belongs on the first layer "
                                         r"\(Keras ignores it on later ones, minicnn checks it\); leave it out here$"):
        model.add(mc.Dense(4, input_shape=(99,), name="out"))
    assert [layer.name for layer in model.layers] == ["hidden"]
    model.add(mc.Dense(4, input_shape=(32,), name="out"))
    assert model.predict(np.zeros((2, 10))).shape == (2, 4)


def test_a_layer_of_yours_keeps_the_error_its_own_property_raised():
    """With the layers' Keras names, a cached_property of a layer of yours reading an attribute it never set said
    "no attribute 'scale'" (the real missing name lost), and hasattr of a write-only property raised TypeError
    (found in review)."""
    import functools

    class Mine(mc.Dense):
        @functools.cached_property
        def scale(self):
            return self.scale_factor * 2

        @property
        def weights(self):  # a Keras name, defined by the class: its own error
            return self._lazy_weights

        setting = property(None, lambda self, value: None)

    layer = Mine(3)
    with pytest.raises(AttributeError, match=r"'Mine' object has no attribute 'scale_factor'"):
        layer.scale
    with pytest.raises(AttributeError, match=r"'Mine' object has no attribute '_lazy_weights'"):
        layer.weights
    assert not hasattr(layer, "setting")
    with pytest.raises(AttributeError, match=r"\(a Keras one\): layer\.params\['kernel'\]"):
        layer.kernel
