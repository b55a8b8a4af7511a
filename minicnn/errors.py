"""The error types minicnn raises, and what to use instead of the Keras names and arguments minicnn lacks.

Each error subclasses the built-in type a Python user would expect, so ``except ValueError`` keeps working; the message
names the layer or argument, what was expected and what was given.

Keras course code ported with ``import minicnn as mc`` meets Keras names and arguments minicnn does not have; Python's
own error ("unexpected keyword argument 'kernel_initializer'", "module 'minicnn' has no attribute 'InputLayer'") says
what is missing but not what minicnn does instead. ``ARGUMENTS`` and ``NAMES`` say it, and ``refuse_keras_arguments``
and ``missing_name`` make the errors that use them.
"""

import inspect
import numbers

import numpy as np


class ShapeError(ValueError):
    """An array has the wrong rank or shape for the layer, loss or weight file it was given to."""


class NonFiniteError(ValueError):
    """An input holds NaN or infinity."""


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during ``fit``; ``epoch`` and ``batch`` say where (1-based), ``rows`` which
    samples the batch held (their indices into ``fit``'s ``x``; None where unknown)."""

    def __init__(self, message, epoch, batch, history=None, rows=None):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.history = history
        self.rows = rows


class WeightFileError(ValueError):
    """A weight file does not match the model's architecture, or is not a minicnn weight file."""


class BackendError(RuntimeError):
    """An unknown backend name, or a backend that cannot run on this machine."""


class NoGPUError(BackendError):
    """The 'cuda' backend found no CUDA GPU or driver on this machine (its message names the CUDA simulator too,
    which a command whose work would take days there, such as tracking, leaves out)."""


# ---------------------------------------------------------------------------------------- Keras names and arguments
NO_REGULARIZERS = "minicnn has no regularizers; Dropout is the one it offers against overfitting"
NO_CALLBACKS = ("minicnn has no callbacks; for early stopping, call fit(epochs=1) in a loop and keep get_weights() of "
                "the best epoch (for a seeded run, make rng = np.random.default_rng(0) once, before the loop, and "
                "call fit(..., seed=rng) in it)")
NO_CLIPPING = "minicnn does not clip gradients"
NO_SCHEDULES = ("minicnn has no learning-rate schedules; set optimizer.learning_rate between fit(epochs=1) calls in a "
                "loop (it is checked, and the optimizer's state is kept)")

#: Keras arguments of layers, optimizers and the model's methods, and what minicnn does instead
ARGUMENTS = {
    "kernel_initializer": "kernels start Glorot-uniform, Keras' default; for another start, give the built layer "
                          "set_weights([kernel, bias]), which checks the shapes and casts to its dtype",
    "bias_initializer": "biases start at 0, Keras' default; for another start, give the built layer "
                        "set_weights([kernel, bias])",
    "kernel_regularizer": NO_REGULARIZERS,
    "bias_regularizer": NO_REGULARIZERS,
    "activity_regularizer": NO_REGULARIZERS,
    "kernel_constraint": "minicnn has no weight constraints",
    "bias_constraint": "minicnn has no weight constraints",
    "input_dim": "give input_shape=(features,) instead",
    "batch_input_shape": "give input_shape, one sample's shape without the batch axis, e.g. (32, 32, 1)",
    "data_format": "minicnn takes images channels-last only, (N, H, W, C); np.moveaxis(x, 1, -1) moves channels "
                   "there",
    "dilation_rate": "minicnn has no dilated convolutions",
    "groups": "minicnn has no grouped convolutions",
    "noise_shape": "Dropout draws one mask entry per input value",
    "axis": "BatchNormalization and Softmax work along the last axis (the channels) only; for images, (N, H, W, C), "
            "Keras' axis=3 is that axis: leave axis out",
    "center": "BatchNormalization always learns both beta and gamma",
    "scale": "BatchNormalization always learns both beta and gamma",
    "lr": "the argument is learning_rate",
    "decay": NO_SCHEDULES,
    "clipnorm": NO_CLIPPING,
    "clipvalue": NO_CLIPPING,
    "global_clipnorm": NO_CLIPPING,
    "amsgrad": "minicnn's Adam is the original one, without AMSGrad",
    "weight_decay": "minicnn has no weight decay",
    "callbacks": NO_CALLBACKS,
    "steps_per_epoch": "fit takes arrays and goes once through them per epoch",
    "validation_steps": "fit validates on the whole of validation_data",
    "initial_epoch": "each fit call starts from the weights the last one left",
    "class_weight": "minicnn has no class or sample weights; for rare classes, repeat their samples in x and y "
                    "(np.repeat) so that each class weighs as you want",
    "sample_weight": "minicnn has no class or sample weights; to weigh a sample more, repeat it in x and y "
                     "(np.repeat)",
    "workers": "minicnn reads arrays, not generators",
    "use_multiprocessing": "minicnn reads arrays, not generators",
    "by_name": "load_weights matches weights by their layer's position and shape",
    "skip_mismatch": "load_weights refuses a file for another architecture",
    "steps": "predict and evaluate go once through the arrays they are given",
    "loss_weights": "a minicnn model has one output and one loss",
    "run_eagerly": "minicnn always runs eagerly (it is NumPy)",
    "jit_compile": "the numba backend compiles the kernels (mc.set_backend('numba'))",
    "label_smoothing": "the cross-entropies take the labels as given; smooth them first: y·(1 − α) + α/K for K classes "
                       "(α/2 towards ½ for binary labels)",
    "reduction": "a loss is the mean over the samples",
    "line_length": "summary's columns fit its longest layer name",
    "positions": "summary's columns fit its longest layer name",
    "expand_nested": "a minicnn model has no nested models",
    "show_trainable": "summary counts the trainable and non-trainable weights below the table",
    "layer_range": "summary lists every layer",
    "weighted_metrics": "minicnn has no class or sample weights",
    "validation_freq": "fit validates after every epoch",
    "gamma_initializer": "BatchNormalization starts gamma at 1 and beta at 0, Keras' defaults; for another start, "
                         "give the built layer set_weights([gamma, beta, moving_mean, moving_variance])",
    "beta_initializer": "BatchNormalization starts gamma at 1 and beta at 0, Keras' defaults; for another start, "
                        "give the built layer set_weights([gamma, beta, moving_mean, moving_variance])",
    "moving_mean_initializer": "the moving averages start at mean 0 and variance 1, Keras' defaults",
    "moving_variance_initializer": "the moving averages start at mean 0 and variance 1, Keras' defaults",
    "gamma_regularizer": NO_REGULARIZERS,
    "beta_regularizer": NO_REGULARIZERS,
    "gamma_constraint": "minicnn has no weight constraints",
    "beta_constraint": "minicnn has no weight constraints",
}

#: Keras model methods and attributes that ``Sequential`` does not have, and what to use instead
MODEL_NAMES = {
    "save": "minicnn saves weights only: model.save_weights(path), then load_weights(path) into the same Sequential",
    "to_json": "minicnn saves weights only; the architecture is the Python code that builds the Sequential",
    "get_config": "minicnn saves weights only; each layer has get_config(), and the Sequential is the code that "
                  "builds it",
    "fit_generator": "fit takes arrays (x, y); augment=f(x_batch, rng) changes each batch",
    "evaluate_generator": "evaluate takes arrays (x, y)",
    "predict_generator": "predict takes arrays",
    "predict_classes": "np.argmax(model.predict(x), axis=-1), or model.predict(x) > 0.5 for one sigmoid output",
    "predict_proba": "model.predict(x) gives the probabilities of a last layer with a sigmoid or softmax",
    "reset_states": "minicnn has no recurrent layers",
    "trainable_weights": "model.trainable_pairs() gives (weight, gradient) for every trainable weight",
    "weights": "model.get_weights() gives a copy of every weight, layer by layer",
}

#: attributes of a Keras layer that minicnn's layers lack, and what to use instead
LAYER_NAMES = {
    "weights": "layer.get_weights() gives a copy of its weights ([kernel, bias] for Conv2D and Dense); layer.params "
               "holds them by name",
    "trainable_weights": "layer.params holds the weights by name ('kernel', 'bias'), and layer.grads their gradients "
                         "after a backward pass",
    "non_trainable_weights": "layer.state holds what training does not step (BatchNormalization's moving averages)",
    "kernel": "layer.params['kernel'], once the layer is built",
    "bias": "layer.params['bias'], once the layer is built",
    "output_shape": "layer.compute_output_shape(layer.built_input_shape) once the layer is built; model.summary() "
                    "lists every layer's",
    "output": "minicnn has no symbolic tensors: layer.forward(x) computes the layer's output for x",
    "input": "minicnn has no symbolic tensors: a layer's input is the array given to layer.forward(x)",
}

#: Keras arguments given their Keras default (or a value that means the same), which change nothing in minicnn: code
#: that spells a default out runs as it is (``kernel_initializer="glorot_uniform"``, ``data_format="channels_last"``,
#: ``callbacks=[]``). Strings are compared in lower case without underscores ("GlorotUniform"); empty lists, tuples
#: and dicts stand for None.
KERAS_DEFAULTS = {
    "kernel_initializer": ("glorot_uniform",), "bias_initializer": ("zeros", "zero"),
    "kernel_regularizer": (None,), "bias_regularizer": (None,), "activity_regularizer": (None,),
    "kernel_constraint": (None,), "bias_constraint": (None,),
    "data_format": ("channels_last", None), "dilation_rate": (1, (1, 1)), "groups": (1,), "noise_shape": (None,),
    "axis": (-1,), "center": (True,), "scale": (True,),
    "decay": (None, 0), "clipnorm": (None,), "clipvalue": (None,), "global_clipnorm": (None,), "amsgrad": (False,),
    "weight_decay": (None, 0),
    "callbacks": (None,), "steps_per_epoch": (None,), "validation_steps": (None,), "initial_epoch": (0,),
    "class_weight": (None,), "sample_weight": (None,), "workers": (1,), "use_multiprocessing": (False,),
    "steps": (None,), "loss_weights": (None,), "run_eagerly": (None, False), "jit_compile": (None, False, "auto"),
    "label_smoothing": (0,), "reduction": ("sum_over_batch_size", "auto"), "expand_nested": (False,),
    "show_trainable": (False,), "layer_range": (None,), "line_length": (None,), "positions": (None,),
    "weighted_metrics": (None,), "validation_freq": (1,), "gamma_initializer": ("ones",),
    "beta_initializer": ("zeros",), "moving_mean_initializer": ("zeros",), "moving_variance_initializer": ("ones",),
    "gamma_regularizer": (None,), "beta_regularizer": (None,), "gamma_constraint": (None,), "beta_constraint": (None,),
}


#: Keras names that ``minicnn`` does not have, and what to use instead
NAMES = {
    "InputLayer": "mc.Input(shape=(H, W, C)) first in the Sequential, or input_shape=(H, W, C) on the first layer",
    "MaxPool2D": "the layer is mc.MaxPooling2D",
    "AvgPool2D": "the layer is mc.AveragePooling2D",
    "Model": "minicnn has Sequential models only: mc.Sequential([...])",
    "utils": "minicnn's to_categorical is mc.to_categorical(labels, num_classes)",
    "callbacks": NO_CALLBACKS,
    "EarlyStopping": NO_CALLBACKS,
    "Callback": NO_CALLBACKS,
    "ModelCheckpoint": NO_CALLBACKS,
    "LearningRateScheduler": NO_SCHEDULES,
    "ReduceLROnPlateau": NO_SCHEDULES,
    "schedules": NO_SCHEDULES,
    "load_model": "minicnn saves weights only: build the same Sequential, then model.load_weights(path)",
    "RMSprop": "minicnn has SGD (with momentum) and Adam; an optimizer of your own subclasses mc.Optimizer and "
               "defines step(pairs, names=None)",
    "GlobalAveragePooling2D": "mc.AveragePooling2D(pool_size=(H, W)) over the whole map, then mc.Flatten()",
    "Reshape": "minicnn reshapes only with mc.Flatten()",
    "LeakyReLU": "minicnn's activations are relu, sigmoid, tanh and softmax; an activation of your own subclasses "
                 "mc.Activation and defines apply(z) and backward(grad_out) (README: 'A layer of your own')",
}


def _is_keras_default(name, value):
    """Whether ``value`` of the Keras argument ``name`` is its default, or means the same (``KERAS_DEFAULTS``): the
    same string (in lower case, without underscores), number (not a bool for a number), tuple or list, or None."""
    def comparable(item):
        if isinstance(item, (list, tuple, dict)) and len(item) == 0:
            return None
        if isinstance(item, str):
            return item.lower().replace("_", "")
        if isinstance(item, np.bool_):  # np.False_: a bool, not a number
            return bool(item)
        if isinstance(item, list):
            return tuple(item)
        if isinstance(item, numbers.Number) and not isinstance(item, bool):
            return ("number", item)
        return item

    value = comparable(value)
    return any(type(value) is type(default) and value == default
               for default in map(comparable, KERAS_DEFAULTS.get(name, ())))


def parameter_names(*functions):
    """The keyword arguments the ``functions`` take, from their signatures, in order and each once (``self``,
    ``*args`` and ``**kwargs`` left out)."""
    names = []
    for function in functions:
        for name, parameter in inspect.signature(function).parameters.items():
            if name != "self" and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL) and (
                    name not in names):
                names.append(name)
    return names


def refuse_keras_arguments(where, arguments, *functions):
    """Raise a TypeError for the first of ``arguments`` (a dict of keyword arguments that ``where`` does not take):
    a Keras argument with what minicnn does instead, any other with the arguments ``where`` takes, read from the
    signatures of ``functions`` (its own, and those it passes its keyword arguments on to). A Keras argument given
    its Keras default (``KERAS_DEFAULTS``) is taken: it changes nothing."""
    arguments = {name: value for name, value in arguments.items() if not _is_keras_default(name, value)}
    if not arguments:
        return
    name = next(iter(arguments))
    if name in ARGUMENTS:
        default = (f" ({name}={KERAS_DEFAULTS[name][0]!r}, Keras' default, is taken and changes nothing)"
                   if name in KERAS_DEFAULTS and KERAS_DEFAULTS[name][0] is not None else "")
        raise TypeError(f"{where}: minicnn has no argument {name!r} (a Keras one): {ARGUMENTS[name]}{default}")
    takes = ", ".join(parameter_names(*functions)) or "no arguments"
    raise TypeError(f"{where}: unexpected argument {name!r}; it takes {takes}")


def missing_name(module, name):
    """The AttributeError for ``module.name``, saying what to use instead where ``name`` is a Keras name."""
    if name in NAMES:
        return AttributeError(f"module {module!r} has no attribute {name!r} (a Keras name): {NAMES[name]}")
    return AttributeError(f"module {module!r} has no attribute {name!r}")
