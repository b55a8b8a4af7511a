"""Which kernels do the work: the backend switch.

Layers never import a kernel module themselves; they ask ``kernels()`` for the active set and call it by name
(``kernels().conv2d_forward(...)``). Every backend module offers the same names with the same signatures, so adding a
backend means adding one module to ``_BACKEND_MODULES``.

Choose a backend with ``set_backend("numpy")``, for one block with ``with use_backend("numpy"): ...``, or for a whole
process with the environment variable ``MINICNN_BACKEND``.
"""

import contextlib
import importlib
import os

from minicnn.errors import BackendError

_BACKEND_MODULES = {
    "numba": "minicnn.kernels.cpu",
    "numpy": "minicnn.kernels.numpy_kernels",
    "cuda": "minicnn.kernels.cuda",
}
DEFAULT_BACKEND = "numba"
ACCELERATOR_BACKENDS = ("cuda",)

_active = {"name": None, "module": None}


def known_backends():
    """Every backend name minicnn knows, whether or not this machine can run it."""
    return tuple(_BACKEND_MODULES)


def available_backends():
    """The backend names ``set_backend`` accepts on this machine: the host ones, and ``cuda`` where a GPU (or the
    CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``) is there."""
    usable = []
    for name in _BACKEND_MODULES:
        try:
            _check(name, _load(name))
        except (BackendError, ImportError):
            continue
        usable.append(name)
    return tuple(usable)


def _load(name):
    if not isinstance(name, str) or name.lower() not in _BACKEND_MODULES:
        raise BackendError(f"unknown backend {name!r}; known backends: {', '.join(known_backends())}")
    try:
        return importlib.import_module(_BACKEND_MODULES[name.lower()])
    except ImportError as error:
        others = ", ".join(repr(n) for n in _BACKEND_MODULES if n not in ACCELERATOR_BACKENDS)
        raise BackendError(f"the {name!r} backend cannot be loaded ({error}); install it with "
                           f"pip install \"minicnn[{name.lower()}]\", or use {others}") from error


def _check(name, module):
    """An accelerator backend says here whether this machine can run it (a clear error if not)."""
    check = getattr(module, "check_available", None)
    if check is not None:
        check()


def set_backend(name):
    """Make ``name`` the backend every layer uses from now on.

    ``set_backend("cuda")`` on a machine without a CUDA GPU raises ``BackendError`` saying so and naming the other
    backends; nothing falls back silently.
    """
    module = _load(name)
    _check(name, module)
    _active["name"], _active["module"] = name.lower(), module


def get_backend():
    """The active backend's name."""
    if _active["name"] is None:
        chosen = os.environ.get("MINICNN_BACKEND")
        try:
            set_backend(chosen or DEFAULT_BACKEND)
        except BackendError as error:
            if chosen is None:
                raise
            raise BackendError(f"the environment variable MINICNN_BACKEND={chosen!r}: {error}") from None
    return _active["name"]


def kernels():
    """The active backend's kernel module (``conv2d_forward``, ``max_pool2d_backward``, ...)."""
    if _active["module"] is None:
        get_backend()
    return _active["module"]


def to_host(array):
    """``array`` (a result of the active backend: on cuda, a GPU array) as a NumPy array; None stays None."""
    return None if array is None else kernels().to_host(array)


def on_host(value):
    """``value`` with every accelerator array in it (a numba device array, which has ``copy_to_host``), also inside
    dicts, lists and tuples, copied to a NumPy array; anything else as it is (a container without one is the same
    object, so that ``copy.copy`` of a layer still shares its dicts). What a copy of a layer or an optimizer takes
    (``copy.deepcopy``, ``astype``, pickling): a GPU array cannot be copied as a Python object."""
    if hasattr(value, "copy_to_host"):
        return value.copy_to_host()
    if type(value) is dict:
        items = {key: on_host(item) for key, item in value.items()}
        return value if all(items[key] is item for key, item in value.items()) else items
    if type(value) in (list, tuple):
        items = [on_host(item) for item in value]
        return value if all(new is old for new, old in zip(items, value)) else type(value)(items)
    return value


def chosen_backend():
    """The backend chosen so far (``set_backend``, ``use_backend``, or the first use of ``kernels``), or None
    where none was: unlike ``get_backend``, this does not choose one, nor read ``MINICNN_BACKEND``."""
    return _active["name"]


@contextlib.contextmanager
def use_backend(name):
    """Run a block with another backend, then restore the previous one, even if the block raises. Where none was
    chosen before, none is after: ``MINICNN_BACKEND`` is read only where the active backend is asked for, so that
    a block with a backend of its own (a tracker's ``backend="numba"``) never fails on the variable's backend.

    One backend is active per process: two threads in ``use_backend`` blocks at once switch each other's."""
    previous = dict(_active)
    set_backend(name)
    try:
        yield
    finally:
        _active.update(previous)
