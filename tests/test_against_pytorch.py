"""The document's network against PyTorch, float64, same weights: outputs, every gradient of the binary
cross-entropy, and the weights after a few Adam steps. PyTorch is an optional reference (`.ci/run` installs it)."""

import numpy as np
import pytest

import minicnn as mc
from minicnn.models import document_network
from tolerances import assert_close

torch = pytest.importorskip("torch")


class TorchDocumentNetwork(torch.nn.Module):
    """The same network in PyTorch's NCHW layout; flattening goes through NHWC so Dense weights line up."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding="same")
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding="same")
        self.dense1 = torch.nn.Linear(4096, 256)
        self.dense2 = torch.nn.Linear(256, 1)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.permute(0, 2, 3, 1).flatten(1)
        return torch.sigmoid(self.dense2(torch.relu(self.dense1(x))))


def torch_twin(model):
    """A PyTorch copy of ``model``'s weights: conv (kh, kw, in, out) → (out, in, kh, kw), dense (in, out) →
    (out, in)."""
    twin = TorchDocumentNetwork().double()
    conv1, _, conv2, _, _, dense1, dense2 = model.layers
    with torch.no_grad():
        for torch_layer, layer in ((twin.conv1, conv1), (twin.conv2, conv2)):
            torch_layer.weight.copy_(torch.from_numpy(layer.params["kernel"].transpose(3, 2, 0, 1).copy()))
            torch_layer.bias.copy_(torch.from_numpy(layer.params["bias"]))
        for torch_layer, layer in ((twin.dense1, dense1), (twin.dense2, dense2)):
            torch_layer.weight.copy_(torch.from_numpy(layer.params["kernel"].T.copy()))
            torch_layer.bias.copy_(torch.from_numpy(layer.params["bias"]))
    return twin


def torch_grads_in_keras_layout(twin):
    return {
        "conv1": (twin.conv1.weight.grad.numpy().transpose(2, 3, 1, 0), twin.conv1.bias.grad.numpy()),
        "conv2": (twin.conv2.weight.grad.numpy().transpose(2, 3, 1, 0), twin.conv2.bias.grad.numpy()),
        "dense1": (twin.dense1.weight.grad.numpy().T, twin.dense1.bias.grad.numpy()),
        "dense2": (twin.dense2.weight.grad.numpy().T, twin.dense2.bias.grad.numpy()),
    }


@pytest.fixture
def setup():
    model = document_network(seed=7).astype(np.float64)
    model.build()
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if "bias" in layer.params:
            layer.params["bias"][:] = rng.normal(0, 0.05, layer.params["bias"].shape)
    x = rng.standard_normal((4, 32, 32, 1))
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    return model, torch_twin(model), x, y


def test_outputs_and_every_gradient_agree(setup):
    model, twin, x, y = setup
    x_torch = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
    output_torch = twin(x_torch)
    loss_torch = torch.nn.functional.binary_cross_entropy(output_torch, torch.from_numpy(y))
    loss_torch.backward()

    loss = mc.BinaryCrossentropy()
    output = model.forward(x, training=True)
    assert_close(output, output_torch.detach().numpy(), "pytorch", "network output")
    assert loss(y, output) == pytest.approx(loss_torch.item(), rel=1e-12)
    grad_x = model.backward(loss.gradient(y, output))
    assert_close(grad_x, x_torch.grad.numpy().transpose(0, 2, 3, 1), "pytorch", "∂L/∂x")
    expected = torch_grads_in_keras_layout(twin)
    conv1, _, conv2, _, _, dense1, dense2 = model.layers
    for name, layer in (("conv1", conv1), ("conv2", conv2), ("dense1", dense1), ("dense2", dense2)):
        scale = max(np.abs(expected[name][0]).max(), 1e-12)  # gradients are small: compare relative to their size
        assert_close(layer.grads["kernel"] / scale, expected[name][0] / scale, "pytorch", f"{name} kernel gradient")
        assert_close(layer.grads["bias"] / scale, expected[name][1] / scale, "pytorch", f"{name} bias gradient")


def test_weights_after_adam_steps_agree(setup):
    model, twin, x, y = setup
    # PyTorch adds ε to sqrt(v̂), as minicnn's Adam does; give both the same ε.
    model.compile(optimizer=mc.Adam(learning_rate=0.001, epsilon=1e-8), loss="binary_crossentropy")
    optimizer = torch.optim.Adam(twin.parameters(), lr=0.001, eps=1e-8)
    x_torch = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    for _ in range(3):
        model.train_on_batch(x, y)
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy(twin(x_torch), torch.from_numpy(y)).backward()
        optimizer.step()
    conv1, _, conv2, _, _, dense1, dense2 = model.layers
    pairs = ((conv1, twin.conv1.weight.detach().numpy().transpose(2, 3, 1, 0), twin.conv1.bias),
             (conv2, twin.conv2.weight.detach().numpy().transpose(2, 3, 1, 0), twin.conv2.bias),
             (dense1, twin.dense1.weight.detach().numpy().T, twin.dense1.bias),
             (dense2, twin.dense2.weight.detach().numpy().T, twin.dense2.bias))
    for layer, kernel, bias in pairs:
        assert_close(layer.params["kernel"], kernel, "pytorch", f"{layer.name} kernel after Adam")
        assert_close(layer.params["bias"], bias.detach().numpy(), "pytorch", f"{layer.name} bias after Adam")
