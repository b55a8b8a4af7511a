"""The bundled faces data, its splits and the augmentation."""

import numpy as np
import pytest

from minicnn import datasets


@pytest.fixture(scope="module")
def faces():
    return datasets.load_faces(size=32, seed=0)


def ramp(n=1, height=16, width=16, channels=1):
    """Images whose value is the x coordinate: a warp's geometry can be read off the output."""
    x = np.broadcast_to(np.arange(width, dtype=np.float32)[None, None, :, None], (n, height, width, channels))
    return np.ascontiguousarray(x)


# ------------------------------------------------------------------------------------------------------- load_faces

def test_shapes_dtypes_and_class_names(faces):
    for x, y, n in ((faces.x_train, faces.y_train, 120), (faces.x_val, faces.y_val, 40),
                    (faces.x_test, faces.y_test, 40)):
        assert x.shape == (n, 32, 32, 1) and x.dtype == np.float32
        assert y.shape == (n, 1) and y.dtype == np.float32
        assert set(np.unique(y)) == {0.0, 1.0}
    assert faces.class_names == ("non-face", "face")
    assert isinstance(faces.mean, float) and isinstance(faces.std, float)
    small = datasets.load_faces(size=8, normalize=False)
    assert small.x_train.shape == (120, 8, 8, 1) and 0 <= small.x_train.min() and small.x_train.max() <= 1


def test_splits_unpacks_into_three_pairs(faces):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = faces.splits()
    assert x_train is faces.x_train and y_train is faces.y_train
    assert x_val is faces.x_val and y_val is faces.y_val
    assert x_test is faces.x_test and y_test is faces.y_test


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_every_split_is_half_faces(seed):
    data = datasets.load_faces(size=8, seed=seed)
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.mean() == 0.5  # as many faces as non-faces in every part, as in the whole set
        # ... in shuffled order: without the last shuffle each part listed its non-faces, then its faces, and
        # fit(shuffle=False) or a validation batch saw one class at a time (mutation round)
        assert np.any(np.diff(y[:, 0]) < 0), "a part sorted by label"


def test_faces_are_the_first_hundred_images():
    from skimage import data as skdata

    raw = datasets.load_faces(size=25, normalize=False)  # 25×25 → 25×25 changes nothing
    original = skdata.lfw_subset()
    x = np.concatenate([raw.x_train, raw.x_val, raw.x_test])[..., 0]
    y = np.concatenate([raw.y_train, raw.y_val, raw.y_test])[:, 0]
    for image, label in zip(x, y):
        index = np.argmin(np.abs(original - image).reshape(len(original), -1).max(axis=1))
        assert np.allclose(original[index], image, atol=1e-6)
        assert label == (index < 100)


def test_no_image_in_two_splits(faces):
    rows = [image.tobytes() for image in np.concatenate([faces.x_train, faces.x_val, faces.x_test])]
    assert len(set(rows)) == 200  # the 200 bundled images are distinct, so 200 distinct rows = no overlap


def test_normalised_with_training_statistics_only(faces):
    assert abs(faces.x_train.mean()) < 1e-5 and abs(faces.x_train.std() - 1) < 1e-4
    raw = datasets.load_faces(size=32, seed=0, normalize=False)
    assert (raw.mean, raw.std) == (0.0, 1.0)
    assert faces.mean == pytest.approx(raw.x_train.mean(dtype=np.float64), rel=1e-6)
    assert faces.std == pytest.approx(raw.x_train.std(dtype=np.float64), rel=1e-6)
    for normalised, original in ((faces.x_val, raw.x_val), (faces.x_test, raw.x_test)):
        np.testing.assert_allclose(normalised, (original - faces.mean) / faces.std, atol=1e-5)
        own_statistics = abs(normalised.mean()) < 1e-4 and abs(normalised.std() - 1) < 1e-4
        assert not own_statistics


def test_split_depends_on_the_seed(faces):
    again = datasets.load_faces(size=32, seed=0)
    other = datasets.load_faces(size=32, seed=1)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert np.array_equal(getattr(again, name), getattr(faces, name))
    assert not np.array_equal(other.x_test, faces.x_test)
    assert not np.array_equal(other.x_train, faces.x_train)


def test_resized_images_are_cached_and_never_handed_out(faces, monkeypatch):
    import skimage.data

    assert 32 in datasets._resized_cache

    def no_reload():
        raise AssertionError("lfw_subset() loaded again although size 32 is cached")

    monkeypatch.setattr(skimage.data, "lfw_subset", no_reload)
    first = datasets.load_faces(size=32, seed=0, normalize=False)
    first.x_train[...] = -1.0  # a caller scribbling on its arrays must not reach the cache
    second = datasets.load_faces(size=32, seed=0, normalize=False)
    assert second.x_train.min() >= 0


# ---------------------------------------------------------------------------------------------------- the splitter

def test_train_val_test_split_is_stratified_and_complete():
    x = np.arange(100)
    y = (x % 10 < 3).astype(np.float32)  # 30 % positives
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = datasets.train_val_test_split(x, y, seed=3)
    assert (len(x_train), len(x_val), len(x_test)) == (60, 20, 20)
    assert (y_train.sum(), y_val.sum(), y_test.sum()) == (18, 6, 6)
    assert sorted(np.concatenate([x_train, x_val, x_test]).tolist()) == list(range(100))
    for xs, ys in ((x_train, y_train), (x_val, y_val), (x_test, y_test)):
        np.testing.assert_array_equal(ys, (xs % 10 < 3))  # pairs stay together


def test_train_val_test_split_stratifies_one_hot_rows():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    y = np.eye(3)[labels]
    parts = datasets.train_val_test_split(labels, y, split=(0.5, 0.3, 0.2), seed=0)
    counts = [np.bincount(x, minlength=3).tolist() for x, _ in parts]
    assert counts == [[25, 15, 10], [15, 9, 6], [10, 6, 4]]


def test_unstratified_split_keeps_sizes_and_uses_every_sample():
    x = np.arange(50)
    parts = datasets.train_val_test_split(x, x, split=(0.7, 0.0, 0.3), seed=0, stratify=False)
    assert [len(p[0]) for p in parts] == [35, 0, 15]
    assert sorted(np.concatenate([p[0] for p in parts]).tolist()) == list(range(50))


@pytest.mark.parametrize("y, label, count", [
    (np.arange(10), "0", 1),                                  # every sample its own class
    (np.array([0] * 20 + [1] * 3), "1", 3),                   # 3 samples go 2, 1, 0: none left for the test part
    (np.eye(2)[[0] * 20 + [1] * 2], r"\[0\.0, 1\.0\]", 2),     # a one-hot row names its label as a row
])
def test_stratifying_refuses_a_label_too_rare_to_reach_every_part(y, label, count):
    """Stratified, a label of 1 sample went wholly to training: ``np.arange(10)`` as labels split [10, 0, 0]."""
    with pytest.raises(ValueError, match=rf"train_val_test_split: cannot stratify: label {label} has {count} "
                                         rf"samples?, too few .* stratify=False"):
        datasets.train_val_test_split(np.arange(len(y)), y)
    sizes = [len(part[0]) for part in datasets.train_val_test_split(np.arange(len(y)), y, stratify=False)]
    assert sum(sizes) == len(y)


def test_only_parts_with_a_positive_fraction_need_a_sample_of_every_label():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.raises(ValueError, match=r"label 1 has 2 samples.*\(1, 0, 1\)"):
        datasets.train_val_test_split(np.arange(12), y, split=(0.5, 0.25, 0.25))
    parts = datasets.train_val_test_split(np.arange(12), y, split=(0.5, 0.0, 0.5))
    assert [np.bincount(part[1], minlength=2).tolist() for part in parts] == [[5, 1], [0, 0], [5, 1]]


@pytest.mark.parametrize("y, what", [
    (np.linspace(0, 1, 10), "continuous"),
    (np.random.default_rng(0).random(30), "continuous"),
    (np.full(10, np.nan), "NaN"),
    (np.array([0.0, 1.0, np.inf] * 4), "infinity"),
])
def test_stratifying_refuses_continuous_or_missing_labels(y, what):
    """Each distinct float became a class of one, so every sample went to training."""
    with pytest.raises(ValueError, match=rf"train_val_test_split: cannot stratify.*{what}.*stratify=False"):
        datasets.train_val_test_split(np.arange(len(y)), y)


def test_float_labels_stratify_only_when_whole_numbers():
    with pytest.raises(ValueError, match=r"continuous labels \(such as 0\.5\)"):
        datasets.train_val_test_split(np.arange(30), np.array([0.0, 0.5, 1.0] * 10))
    y = np.array([0.0, 1.0, 2.0] * 10, dtype=np.float32)
    parts = datasets.train_val_test_split(np.arange(30), y, seed=1)
    assert [np.bincount(part[1].astype(int)).tolist() for part in parts] == [[6, 6, 6], [2, 2, 2], [2, 2, 2]]


# -------------------------------------------------------------------------------------------------------- augment

def test_augment_is_deterministic_and_leaves_input_alone(faces):
    batch = faces.x_train[:8].copy()
    a = datasets.augment(batch, 3)
    assert a.shape == batch.shape and a.dtype == np.float32
    assert np.array_equal(batch, faces.x_train[:8])
    assert np.array_equal(a, datasets.augment(batch, 3))
    assert np.array_equal(a, datasets.augment(batch, np.random.default_rng(3)))
    assert not np.array_equal(a, datasets.augment(batch, 4))
    assert not np.allclose(a, batch, atol=1e-2)


def test_augment_draws_a_new_transform_for_every_image(faces):
    batch = np.repeat(faces.x_train[:1], 4, axis=0)
    out = datasets.augment(batch, 0)
    assert all(not np.allclose(out[0], out[k]) for k in range(1, 4))


def test_augment_handles_any_channel_count_and_dtype():
    batch = np.random.default_rng(0).random((3, 12, 10, 3))  # float64, non-square, RGB
    out = datasets.augment(batch, 0)
    assert out.shape == batch.shape and out.dtype == np.float32
    off = datasets.augment(batch, 0, scale=(1, 1), rotation=0, shift=0, flip=False)
    np.testing.assert_allclose(off, batch, atol=1e-6)
    same = datasets.augment(np.repeat(batch[..., :1], 3, axis=3), 5)  # equal channels stay equal
    np.testing.assert_array_equal(same[..., 0], same[..., 2])


def test_augment_with_everything_off_is_the_identity(faces):
    batch = faces.x_train[:4]
    out = datasets.augment(batch, 0, scale=(1, 1), rotation=0, shift=0, flip=False, crop=1.0)
    np.testing.assert_allclose(out, batch, atol=1e-6)
    assert out is not batch


def test_forced_flip_mirrors(faces):
    batch = faces.x_train[:3]
    out = datasets.augment(batch, 0, scale=(1, 1), rotation=0, shift=0, flip=1.0)
    np.testing.assert_allclose(out, batch[:, :, ::-1], atol=1e-6)
    halves = datasets.augment(np.repeat(batch[:1], 40, axis=0), 0, scale=(1, 1), rotation=0, shift=0, flip=True)
    mirrored = [np.allclose(image, batch[0, :, ::-1], atol=1e-6) for image in halves]
    assert 5 < sum(mirrored) < 35  # flip=True flips about half


def test_pure_shift_moves_the_content():
    image = np.zeros((1, 9, 9, 1))
    image[0, 4, 4, 0] = 1.0
    out = datasets.augment(image, np.random.default_rng(0), scale=(1, 1), rotation=0, shift=0.3, flip=False)
    assert out.sum() == pytest.approx(1.0, abs=1e-3) and out[0, 4, 4, 0] < 1.0
    rows = datasets.augment(ramp(4), 1, scale=(1, 1), rotation=0, shift=0.1, flip=False)[:, 8, 4:12, 0]
    np.testing.assert_allclose(np.diff(rows, axis=1), 1.0, atol=1e-5)  # a shift keeps the slope
    assert np.ptp(rows[:, 0]) > 0.1  # ... and moves by a different amount per image


def test_a_shift_is_a_fraction_of_the_width_across_and_of_the_height_down():
    """On a wide image (10 rows, 40 columns) shift=0.2 moves the content by up to 8 pixels across and 2 down. The
    width and height swapped, or the width used for both, passed every test of square images (mutation round)."""
    across = ramp(60, height=10, width=40)  # each pixel holds its column
    down = np.ascontiguousarray(np.broadcast_to(np.arange(10, dtype=np.float32)[None, :, None, None], across.shape))
    settings = dict(scale=(1, 1), rotation=0, shift=0.2, flip=False)
    moved_across = datasets.augment(across, 0, **settings)[:, 5, 20, 0] - 20
    moved_down = datasets.augment(down, 0, **settings)[:, 5, 20, 0] - 5
    assert 2.5 < np.abs(moved_across).max() <= 8 + 1e-4
    assert 0.5 < np.abs(moved_down).max() <= 2 + 1e-4


def test_scale_and_crop_zoom_in_without_leaving_the_image():
    # crop-only: output x maps to input x0 + s·x, s in [0.5, 1], the window inside the image (no reflection)
    out = datasets.augment(ramp(20), 0, scale=(1, 1), rotation=0, shift=0, flip=False, crop=0.5)[..., 0]
    slopes = np.diff(out, axis=2)
    assert np.allclose(slopes, slopes[:, :1, :1], atol=1e-4)  # a linear stretch of the ramp per image
    assert slopes.min() >= 0.5 - 1e-4 and slopes.max() <= 1 + 1e-4 and slopes.min() < 0.8
    assert out.min() >= -1e-4 and out.max() <= 15 + 1e-4
    # scale-only: zoom by a about the centre, slope 1 / a in the output
    zoomed = datasets.augment(ramp(1), 0, scale=(1.25, 1.25), rotation=0, shift=0, flip=False)[0, 8, 4:12, 0]
    np.testing.assert_allclose(np.diff(zoomed), 1 / 1.25, atol=1e-5)
    assert zoomed.mean() == pytest.approx(7.5, abs=1e-4)  # the centre stays in place


def test_rotation_turns_the_image():
    out = datasets.augment(ramp(8), 0, scale=(1, 1), rotation=30.0, shift=0, flip=False)[..., 0]
    vertical_change = np.abs(np.diff(out[:, 4:12, 8], axis=1)).mean(axis=1)
    assert (vertical_change > 0.05).all()  # a ramp along x acquires a slope along y


def test_the_borders_a_warp_uncovers_are_filled_by_reflection():
    """As the docstring says: an image of ones stays all ones when turned and shifted; filled with zeros, it got
    black bands and corners (mutation round)."""
    out = datasets.augment(np.ones((8, 12, 12, 1)), 0, scale=(1, 1), rotation=15, shift=0.3, flip=False)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


# ---------------------------------------------------------------------------------------------------- make_augmenter

def test_make_augmenter_binds_the_settings(faces):
    batch = faces.x_train[:4]
    f = datasets.make_augmenter(rotation=25.0, flip=False)
    np.testing.assert_array_equal(f(batch, 2), datasets.augment(batch, 2, rotation=25.0, flip=False))
    g = datasets.make_augmenter(seed=5, shift=0.0)
    h = datasets.make_augmenter(seed=5, shift=0.0)
    first = g(batch)
    np.testing.assert_array_equal(first, h(batch))
    assert not np.array_equal(first, g(batch))  # its own generator moves on
    # the rng that fit gives wins over the augmenter's own seed (an augmenter that always used its own generator
    # passed every test; mutation round)
    np.testing.assert_array_equal(g(batch, 2), datasets.augment(batch, 2, shift=0.0))
    with pytest.raises(TypeError, match="without rng"):
        f(batch)


# ---------------------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, error, message", [
    (lambda: datasets.load_faces(size=4), ValueError, r"size must be an int of at least 8.*got 4"),
    (lambda: datasets.load_faces(size=32.0), TypeError, r"size must be an int.*got 32\.0"),
    (lambda: datasets.load_faces(split=(0.5, 0.5, 0.5)), ValueError, r"split must be three.*\(0\.5, 0\.5, 0\.5\)"),
    (lambda: datasets.load_faces(split=(0.8, 0.2)), ValueError, r"split must be three"),
    (lambda: datasets.load_faces(split=(1.2, -0.1, -0.1)), ValueError, r"split must be three non-negative"),
    # fractions 0.005 short of 1 (a tolerance of 1e-2 took them, and the test part silently got 0.2; mutation round)
    (lambda: datasets.train_val_test_split(np.arange(100), np.arange(100) % 2, split=(0.6, 0.2, 0.195)), ValueError,
     r"split must be three non-negative fractions \(train, validation, test\) summing to 1.*got "
     r"\(0\.6, 0\.2, 0\.195\)"),
    (lambda: datasets.load_faces(size=8, split=(0, 0.5, 0.5)), ValueError, r"normalize=True.*training part empty"),
    (lambda: datasets.train_val_test_split(np.zeros((3, 2)), np.zeros(2)), ValueError,
     r"x and y must hold the same number of samples.*got 3 and 2"),
    (lambda: datasets.augment(np.zeros((2, 8, 8)), 0), ValueError,
     r"augment: expected images of shape \(N, H, W, C\).*got shape \(2, 8, 8\)"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, flip=2), ValueError, r"flip must be a probability.*got 2"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, scale=(1.1, 0.9)), ValueError, r"scale must be a range"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, rotation=-5), ValueError, r"rotation must be.*got -5"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, shift=-0.1), ValueError, r"shift must be.*got -0\.1"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), 0, crop=0), ValueError, r"crop must be.*got 0"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), None), TypeError, r"rng must be a numpy.random.Generator"),
    (lambda: datasets.make_augmenter(rotaton=5), TypeError, r"rotaton"),
    (lambda: datasets.make_augmenter(flip=-1), ValueError, r"flip must be a probability"),
    (lambda: datasets.train_val_test_split(np.arange(4), np.arange(4), stratify="no"), TypeError,
     r"train_val_test_split: stratify must be True or False, got 'no'"),
    (lambda: datasets.load_faces(size=8, normalize="no"), TypeError,
     r"load_faces: normalize must be True or False, got 'no'"),
    (lambda: datasets.train_val_test_split(np.arange(4), np.arange(4), seed="a"), TypeError,
     r"train_val_test_split: seed must be a whole number ≥ 0.*got 'a'"),
    (lambda: datasets.train_val_test_split(np.arange(4), np.arange(4), seed=-1), ValueError,
     r"train_val_test_split: seed must be a whole number ≥ 0.*got -1"),
    (lambda: datasets.train_val_test_split(np.arange(4), np.arange(4), seed=1.5), TypeError,
     r"train_val_test_split: seed must be a whole number ≥ 0.*got 1\.5"),
    (lambda: datasets.load_faces(size=8, seed=-1), ValueError, r"load_faces: seed must be a whole number ≥ 0.*got -1"),
    (lambda: datasets.load_faces(size=8, seed="0"), TypeError, r"load_faces: seed must be a whole number ≥ 0.*got '0'"),
    (lambda: datasets.make_augmenter(seed=-1), ValueError, r"make_augmenter: seed must be a whole number ≥ 0.*got -1"),
    (lambda: datasets.make_augmenter(seed="a"), TypeError, r"make_augmenter: seed must be a whole number ≥ 0.*'a'"),
    (lambda: datasets.augment(np.zeros((1, 8, 8, 1)), -1), ValueError, r"augment: rng must be .* ≥ 0, got -1"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------------ messages that say what to do (an audit)

def test_a_split_that_cannot_be_stratified_is_named_by_load_faces_without_an_argument_it_lacks():
    """load_faces passed on train_val_test_split's advice, 'pass stratify=False', an argument it does not have."""
    with pytest.raises(ValueError) as refused:
        datasets.load_faces(size=8, split=(0.99, 0.005, 0.005))
    message = str(refused.value)
    assert message.startswith("load_faces: split=(0.99, 0.005, 0.005) cannot be stratified")
    assert "stratify=False" not in message and "train_val_test_split" not in message
    assert "at least one face and one non-face" in message and "(99, 0, 1)" in message
    datasets.load_faces(size=8, split=(0.98, 0.01, 0.01))  # one face and one non-face each: accepted


def test_make_augmenter_names_an_unknown_setting_the_closest_valid_one_and_all_of_them():
    """make_augmenter(rotate=20) said '_check_augment_params() got an unexpected keyword argument', a private name."""
    with pytest.raises(TypeError) as refused:
        datasets.make_augmenter(rotate=20)
    assert str(refused.value) == ("make_augmenter: unknown setting 'rotate' (did you mean 'rotation'?); the settings "
                                  "are scale, rotation, shift, flip, crop")
    with pytest.raises(TypeError, match=r"^make_augmenter: unknown setting 'colour'; the settings are scale, "):
        datasets.make_augmenter(colour=1)


def test_load_faces_refuses_a_size_far_above_the_photos_25_pixels(monkeypatch):
    """size=20000 would allocate gigabytes per image, and keep them cached, to interpolate 25×25 photos."""
    resized = []
    monkeypatch.setattr(datasets, "_resized_faces", lambda size: resized.append(size) or 1 / 0)  # never resize here
    with pytest.raises(ValueError, match=r"^load_faces: size must be at most 256 \(pixels per side\): the photos are "
                                         r"25×25, so a larger size only interpolates; got 20000$"):
        datasets.load_faces(size=20000)
    assert resized == []
    with pytest.raises(ZeroDivisionError):
        datasets.load_faces(size=256)  # the largest size allowed goes on to be resized
    assert resized == [256]


def test_the_docstring_says_where_the_non_faces_come_from_and_that_their_black_corners_give_them_away():
    """It said 'random non-face patches cut from other photographs'; they are backgrounds of the same photos, and
    65 of the 100 have black out-of-frame corners (3 of the 100 faces do), a shortcut a network can learn."""
    doc = " ".join(datasets.__doc__.split())
    assert "other photographs" not in doc
    assert "background of the same" in doc and "black" in doc and "65 of the 100 non-faces" in doc


def test_the_black_corner_count_the_docstring_quotes():
    from skimage import data

    black = (data.lfw_subset() <= 0.01).mean(axis=(1, 2)) > 0.05
    assert (black[:100].sum(), black[100:].sum()) == (3, 65)


def test_the_faces_repr_shows_shapes_not_pixels(faces):
    """``data`` at the end of a notebook cell printed every pixel of the six arrays (21,158 characters)."""
    text = repr(faces)
    assert len(text.splitlines()) == 1 and len(text) < 300, text
    assert text.startswith(f"FacesData(x_train={faces.x_train.shape}, y_train={faces.y_train.shape}, ")
