"""Boxes: the one convention for target positions, and the arithmetic trackers and metrics need.

A box is ``(x, y, w, h)`` in 0-based pixel coordinates, as floats: the top-left corner of the top-left pixel is
``(0, 0)``, so a box covering pixels 10…19 across has ``x = 10, w = 10``. Every function takes one box ``(4,)`` or
many ``(N, 4)`` and works on all of them at once. OTB's files hold 1-based integer rectangles; ``from_otb`` and
``to_otb`` convert at the file edge and nowhere else.
"""

import numpy as np


def as_boxes(boxes, name="boxes"):
    """Return ``boxes`` as a float64 array of shape ``(N, 4)``; a single box ``(4,)`` becomes ``(1, 4)``."""
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name}: expected boxes (x, y, w, h) of shape (4,) or (N, 4), got shape {np.shape(boxes)}")
    return array


def from_otb(rects):
    """OTB's 1-based rectangles ``[x, y, w, h]`` → 0-based boxes: ``x₀ = x − 1``, ``y₀ = y − 1``.

    OTB writes ``0,0,0,0`` (or NaN) where a frame has no annotation; those rows become NaN.
    """
    boxes = as_boxes(rects, "rects").copy()
    unannotated = np.all(boxes == 0, axis=1)
    boxes[:, :2] -= 1.0
    boxes[unannotated] = np.nan
    return boxes


def to_otb(boxes, integer=True):
    """0-based boxes → OTB's 1-based rectangles ``[x + 1, y + 1, w, h]``, rounded to integers by default.

    Rows of NaN (no box) become ``0,0,0,0``, OTB's marker for an unannotated frame.
    """
    boxes = as_boxes(boxes)
    missing = ~np.all(np.isfinite(boxes), axis=1)
    rects = boxes.copy()
    rects[:, :2] += 1.0
    if integer:
        rects = np.round(rects)
    rects[missing] = 0.0
    return rects.astype(np.int64) if integer else rects


def corners(boxes):
    """``(x, y, w, h)`` → ``(x1, y1, x2, y2)`` with ``x2 = x + w``, ``y2 = y + h`` (the far edges)."""
    boxes = as_boxes(boxes)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def from_corners(corner_boxes):
    """``(x1, y1, x2, y2)`` → ``(x, y, w, h)``."""
    c = as_boxes(corner_boxes, "corner_boxes")
    return np.concatenate([c[:, :2], c[:, 2:] - c[:, :2]], axis=1)


def centers(boxes):
    """Box centres ``(x + w/2, y + h/2)``, shape ``(N, 2)``."""
    boxes = as_boxes(boxes)
    return boxes[:, :2] + boxes[:, 2:] / 2.0


def from_center(center, size):
    """Boxes from centres ``(cx, cy)`` and sizes ``(w, h)``, each ``(2,)`` or ``(N, 2)``."""
    center = np.atleast_2d(np.asarray(center, dtype=np.float64))
    size = np.atleast_2d(np.asarray(size, dtype=np.float64))
    return np.concatenate(np.broadcast_arrays(center - size / 2.0, size), axis=1)


def area(boxes):
    """``w · h`` per box, shape ``(N,)``."""
    boxes = as_boxes(boxes)
    return boxes[:, 2] * boxes[:, 3]


def iou(boxes_a, boxes_b):
    """Intersection over union of paired boxes, shape ``(N,)`` (one box broadcasts against many).

    ``IoU = |A ∩ B| / (|A| + |B| − |A ∩ B|)`` with the intersection's sides
    ``max(0, min(x₁ + w₁, x₂ + w₂) − max(x₁, x₂))``. This equals OTB's ``calcRectInt`` on its 1-based pixel
    rectangles (whose ``right = x + w − 1`` and ``+ 1`` cancel). Boxes without area give 0; NaN gives NaN.
    """
    a, b = np.broadcast_arrays(as_boxes(boxes_a, "boxes_a"), as_boxes(boxes_b, "boxes_b"))
    ca, cb = corners(a), corners(b)
    inter_w = np.clip(np.minimum(ca[:, 2], cb[:, 2]) - np.maximum(ca[:, 0], cb[:, 0]), 0.0, None)
    inter_h = np.clip(np.minimum(ca[:, 3], cb[:, 3]) - np.maximum(ca[:, 1], cb[:, 1]), 0.0, None)
    intersection = inter_w * inter_h
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        overlap = np.where(union > 0, intersection / np.where(union > 0, union, 1.0), 0.0)
    overlap[np.isnan(union)] = np.nan
    return overlap


def center_error(boxes_a, boxes_b):
    """Euclidean distance between paired box centres, in pixels, shape ``(N,)``."""
    difference = centers(boxes_a) - centers(boxes_b)
    return np.sqrt(np.sum(difference**2, axis=1))


def clip_boxes(boxes, image_shape):
    """The part of each box inside an image of shape ``(H, W, ...)``; a box wholly outside gets width or height 0."""
    height, width = image_shape[:2]
    c = corners(boxes)
    c[:, [0, 2]] = np.clip(c[:, [0, 2]], 0.0, width)
    c[:, [1, 3]] = np.clip(c[:, [1, 3]], 0.0, height)
    return from_corners(c)


def box_problems(boxes, image_shape=None, first_frame=1, origin=0):
    """A list of readable complaints about boxes that make no sense, one per bad frame (empty when all are fine).

    Reports NaN or infinite values, non-positive width or height, and (given ``image_shape``) boxes lying wholly
    outside the image. Rows that are entirely NaN mean "no box in this frame" and are not complaints.
    Frames are numbered from ``first_frame``; ``boxes`` are 0-based, and shown with x and y counted from ``origin``
    (1: as an OTB file writes them, so that the numbers quoted are the file's).
    """
    boxes = as_boxes(boxes)
    problems = []
    for index, box in enumerate(boxes):
        frame = index + first_frame
        if np.all(np.isnan(box)):
            continue
        text = "(" + ", ".join(f"{v:g}" for v in box + [origin, origin, 0, 0]) + ")"
        if origin:
            text += f" (x, y counted from {origin}, as in an OTB file)"
        if not np.all(np.isfinite(box)):
            problems.append(f"frame {frame}: box {text} has a NaN or infinite value")
        elif box[2] <= 0 or box[3] <= 0:
            problems.append(f"frame {frame}: box {text} has a non-positive width or height")
        elif image_shape is not None:
            height, width = image_shape[:2]
            if box[0] >= width or box[1] >= height or box[0] + box[2] <= 0 or box[1] + box[3] <= 0:
                problems.append(f"frame {frame}: box {text} lies wholly outside the {width}×{height} image")
    return problems


def context_box(boxes, context=0.5, scale=1.0):
    """The square region a Siamese tracker crops around a target: side ``s = scale · √((w + p)(h + p))``,
    ``p = context · (w + h)``, centred on the box (SiamFC's exemplar/search region)."""
    boxes = as_boxes(boxes)
    pad = context * (boxes[:, 2] + boxes[:, 3])
    side = scale * np.sqrt((boxes[:, 2] + pad) * (boxes[:, 3] + pad))
    return from_center(centers(boxes), np.stack([side, side], axis=1))


def crop_and_resize(image, boxes, size, fill=None):
    """Cut each box out of ``image`` and resample it to ``size = (height, width)`` with bilinear interpolation.

    Parameters
    ----------
    image : ndarray, shape (H, W, C) or (H, W)
    boxes : array, shape (4,) or (K, 4)
        Regions to crop, in 0-based pixel coordinates; they may reach outside the image.
    size : int or (int, int)
        Output height and width.
    fill : float or sequence, optional
        Value for the parts of a box outside the image; default: the image's mean colour (SiamFC's padding).

    Returns
    -------
    ndarray, shape (K, height, width, C) (or (K, height, width) for a 2-D image), float32.

    Notes
    -----
    Output pixel ``(i, j)`` of a box ``(x, y, w, h)`` samples the image at the centre of its cell:
    ``u = x + (j + ½) · w / width − ½``, ``v = y + (i + ½) · h / height − ½``, where pixel ``(r, c)`` of the image
    has its centre at ``(c, r)`` in these coordinates minus ½ — so a box equal to the whole image with ``size``
    equal to the image's returns the image unchanged.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image: expected shape (H, W) or (H, W, C), got {image.shape}")
    out_h, out_w = (size, size) if np.isscalar(size) else tuple(size)
    if int(out_h) < 1 or int(out_w) < 1:
        raise ValueError(f"size: expected positive (height, width), got {size}")
    gray = image.ndim == 2
    pixels = image[:, :, None] if gray else image
    pixels = pixels.astype(np.float32, copy=False)
    height, width, channels = pixels.shape
    if fill is None:
        fill_value = pixels.reshape(-1, channels).mean(axis=0)
    else:
        fill_value = np.broadcast_to(np.asarray(fill, dtype=np.float32), (channels,))
    boxes = as_boxes(boxes)
    if not np.all(np.isfinite(boxes)):
        raise ValueError("boxes: every box must be finite to crop it")
    cols = boxes[:, 0:1] + (np.arange(out_w) + 0.5) * boxes[:, 2:3] / out_w - 0.5  # (K, out_w)
    rows = boxes[:, 1:2] + (np.arange(out_h) + 0.5) * boxes[:, 3:4] / out_h - 0.5  # (K, out_h)
    c0 = np.floor(cols).astype(np.int64)
    r0 = np.floor(rows).astype(np.int64)
    wc = (cols - c0).astype(np.float32)[:, None, :, None]
    wr = (rows - r0).astype(np.float32)[:, :, None, None]
    result = np.zeros((len(boxes), int(out_h), int(out_w), channels), dtype=np.float32)
    for dr, weight_r in ((0, 1.0 - wr), (1, wr)):
        for dc, weight_c in ((0, 1.0 - wc), (1, wc)):
            r = r0 + dr
            c = c0 + dc
            inside = (r >= 0)[:, :, None] & (r < height)[:, :, None] & (c >= 0)[:, None, :] & (c < width)[:, None, :]
            gathered = pixels[np.clip(r, 0, height - 1)[:, :, None], np.clip(c, 0, width - 1)[:, None, :]]
            gathered = np.where(inside[..., None], gathered, fill_value)
            result += weight_r * weight_c * gathered
    return result[..., 0] if gray else result


def resize(image, size):
    """Resample a whole image to ``size = (height, width)`` (bilinear, see ``crop_and_resize``)."""
    image = np.asarray(image)
    height, width = image.shape[:2]
    return crop_and_resize(image, (0.0, 0.0, width, height), size)[0]


def non_max_suppression(boxes, scores, iou_threshold=0.3, max_boxes=None):
    """Indices of the boxes to keep, best score first: repeatedly keep the best remaining box and drop every box
    whose IoU with it exceeds ``iou_threshold`` (greedy NMS, as detectors use).

    boxes (N, 4), scores (N,) -> indices (K,) into ``boxes``.
    """
    boxes = as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"scores: expected one score per box ({len(boxes)}), got {len(scores)}")
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order and (max_boxes is None or len(keep) < max_boxes):
        best = order.pop(0)
        keep.append(best)
        if order:
            overlaps = iou(boxes[best][None], boxes[order])
            order = [index for index, overlap in zip(order, overlaps) if overlap <= iou_threshold]
    return np.array(keep, dtype=np.int64)
