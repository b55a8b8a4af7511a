"""The bundled faces data, its splits and the augmentation."""

import numpy as np
import pytest

from minicnn import datasets


@pytest.fixture(scope="module")
def faces():
    return datasets.load_faces(size=32, seed=0)


def test_shapes_dtypes_and_stratified_splits(faces):
    assert faces.x_train.shape == (120, 32, 32, 1) and faces.x_train.dtype == np.float32
    assert faces.y_train.shape == (120, 1) and faces.y_train.dtype == np.float32
    assert len(faces.x_val) == len(faces.x_test) == 40
    for y in (faces.y_train, faces.y_val, faces.y_test):
        assert y.mean() == 0.5  # as many faces as non-faces in every part
    (x_train, _), (x_val, _), _ = faces.splits()
    assert x_train is faces.x_train and x_val is faces.x_val


def test_no_image_in_two_splits(faces):
    rows = [tuple(np.round(image.ravel(), 5)) for image in
            np.concatenate([faces.x_train, faces.x_val, faces.x_test])]
    assert len(set(rows)) == 200


def test_normalised_with_training_statistics_only(faces):
    assert abs(faces.x_train.mean()) < 1e-5 and abs(faces.x_train.std() - 1) < 1e-4
    raw = datasets.load_faces(size=32, seed=0, normalize=False)
    np.testing.assert_allclose(faces.x_test, (raw.x_test - faces.mean) / faces.std, atol=1e-5)
    assert faces.mean == pytest.approx(raw.x_train.mean(), rel=1e-5)


def test_split_depends_on_the_seed(faces):
    again = datasets.load_faces(size=32, seed=0)
    other = datasets.load_faces(size=32, seed=1)
    assert np.array_equal(again.x_test, faces.x_test)
    assert not np.array_equal(other.x_test, faces.x_test)


def test_augment_is_deterministic_and_leaves_input_alone(faces):
    batch = faces.x_train[:8].copy()
    a = datasets.augment(batch, 3)
    assert a.shape == batch.shape and a.dtype == np.float32
    assert np.array_equal(batch, faces.x_train[:8])
    assert np.array_equal(a, datasets.augment(batch, 3))
    assert not np.array_equal(a, datasets.augment(batch, 4))
    assert not np.allclose(a, batch)


def test_augment_with_everything_off_is_the_identity(faces):
    batch = faces.x_train[:4]
    out = datasets.augment(batch, 0, scale=(1, 1), rotation=0, shift=0, flip=False)
    np.testing.assert_allclose(out, batch, atol=1e-6)


def test_forced_flip_mirrors(faces):
    batch = faces.x_train[:3]
    out = datasets.augment(batch, 0, scale=(1, 1), rotation=0, shift=0, flip=1.0)
    np.testing.assert_allclose(out, batch[:, :, ::-1], atol=1e-6)


def test_pure_shift_moves_the_content():
    image = np.zeros((1, 9, 9, 1))
    image[0, 4, 4, 0] = 1.0
    out = datasets.augment(image, np.random.default_rng(0), scale=(1, 1), rotation=0, shift=0.3, flip=False)
    assert out.sum() == pytest.approx(1.0, abs=1e-3) and out[0, 4, 4, 0] < 1.0


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.load_faces(size=4), "size must be an int of at least 8"),
    (lambda: datasets.load_faces(split=(0.5, 0.5, 0.5)), "split must be three"),
    (lambda: datasets.train_val_test_split(np.zeros((3, 2)), np.zeros(2)), "same number of samples, got 3 and 2"),
    (lambda: datasets.augment(np.zeros((2, 8, 8)), 0), r"expected images of shape \(N, H, W, C\)"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, flip=2), "flip must be a probability"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
