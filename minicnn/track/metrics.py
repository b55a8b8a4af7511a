"""Tracking metrics, computed the way the published toolkits compute them.

OTB one-pass evaluation (OPE, Wu et al. 2015, the MATLAB ``tracker_benchmark`` toolkit):

- overlap ``IoU_t`` and centre error ``e_t`` per frame;
- success curve ``S(τ) = #{t : IoU_t > τ} / N`` for ``τ = 0, 0.05, …, 1`` (strictly greater), AUC = the mean of
  those 21 points;
- precision curve ``P(d) = #{t : e_t ≤ d} / N`` for ``d = 0, 1, …, 50`` px, P@20 = ``P(20)``;
- normalised precision (LaSOT): centre error measured in units of the ground-truth box,
  ``‖(c − c_gt) / (w_gt, h_gt)‖``, curve over ``0, 0.01, …, 0.5``, score = the curve at 0.20, as the LaSOT MATLAB
  toolkit ranks trackers (``rank_idx = 21``) and pysot's and pytracking's reports take it (``[20]``). The LaSOT
  paper's text speaks of the area under the curve from 0 to 0.5 instead, and evaluation code built on the GOT-10k
  toolkit reports that mean: ``normalized_precision_auc``. Say which one a comparison uses.

A suite's curves are the mean of the per-sequence curves (each video weighs the same).

GOT-10k (Huang et al. 2019): IoU per frame over all sequences pooled together (each frame weighs the same),
AO = mean IoU, SR@0.5 and SR@0.75 = fraction of frames with IoU > 0.5 / 0.75.
"""

import numpy as np

from minicnn.track.boxes import as_boxes, iou

def matlab_colon(start, step, stop):
    """``start:step:stop`` as MATLAB's colon operator makes it, from both ends: ``start + k·step`` for the first
    half, ``stop − k·step`` for the second, and ``(start + stop) / 2`` in the middle of an even count. The OTB
    toolkit's thresholds ``0:0.05:1`` then land on its floats: its 14th is ``1 − 7·0.05 = 0.6499999999999999``,
    where ``np.linspace`` gives 0.65, and a frame of IoU exactly 0.65 counts as a success there only. As in
    MATLAB, ``stop`` is the last value only where a whole number of steps reaches it (within rounding): ``0:0.3:1``
    ends at 0.9."""
    if not step > 0:
        raise ValueError(f"step: expected a number > 0, got {step!r}")
    if stop < start:
        return np.empty(0)
    tolerance = 2 * np.finfo(float).eps * max(abs(start), abs(stop))
    count = int(np.floor((stop - start) / step + tolerance / step))
    end = stop if abs(start + count * step - stop) <= tolerance else start + count * step
    values = np.empty(count + 1)
    half = np.arange(count // 2 + 1)
    values[half] = start + half * step
    values[count - half] = end - half * step
    if count % 2 == 0:
        values[count // 2] = (start + end) / 2
    return values


OVERLAP_THRESHOLDS = matlab_colon(0.0, 0.05, 1.0)  # the OTB toolkit's thresholdSetOverlap = 0:0.05:1
ERROR_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
NORMALIZED_THRESHOLDS = np.arange(51) / 100  # LaSOT's (0:50)/100, pysot's np.arange(51) / 100


def _check_pair(boxes, ground_truth):
    boxes = as_boxes(boxes, "boxes").copy()
    ground_truth = as_boxes(ground_truth, "ground_truth")
    if len(boxes) != len(ground_truth):
        raise ValueError(f"boxes: expected one box per ground-truth frame ({len(ground_truth)}), got {len(boxes)}")
    return boxes, ground_truth


def _centers_otb(boxes):
    # OTB's centre of a 1-based pixel rectangle, x + (w − 1)/2; the −1 cancels in every difference.
    return boxes[:, :2] + (boxes[:, 2:] - 1.0) / 2.0


def otb_frame_errors(boxes, ground_truth, failed_from=None, nan_in_annotation=None):
    """Per-frame overlap, centre error and normalised centre error, as OTB's ``calcSeqErrRobust`` computes them.

    Parameters
    ----------
    boxes : array, shape (N, 4)
        The tracker's boxes, 0-based ``(x, y, w, h)``.
    ground_truth : array, shape (N, 4)
        NaN rows (or rows not all positive in OTB's 1-based terms) mark frames without valid ground truth.
    nan_in_annotation : bool array, shape (N,), optional
        Where the annotation file writes NaN (``Sequence.nan_in_annotation``); default nowhere: a NaN row of
        ``ground_truth`` is taken as written ``0,0,0,0``, OTB's marker of a frame without annotation.

    Returns
    -------
    overlaps, errors, normalized_errors : ndarray, shape (N,)

    Notes
    -----
    Exactly as the toolkit does:

    - a result that is all NaN, or has ``w ≤ 0`` or ``h ≤ 0``, is replaced by the previous frame's result, in frame
      order, but only where that frame's annotation, as its file writes it, holds no NaN (``(isnan(r) | r(3)<=0 |
      r(4)<=0) & ~isnan(r_anno)``, which MATLAB's ``if`` takes as true only when all four entries are): a result
      only partly NaN is kept; a lost tracker's last box is carried across a frame annotated ``0,0,0,0`` (OTB's
      marker, which is not NaN), and not across one annotated NaN (UAV123's);
    - then the first frame's result is replaced by the ground truth (the tracker was given it), so frame 2 carries
      forward the tracker's own first box where it has to;
    - a frame whose ground truth is not valid (in 1-based terms all four numbers must be > 0) gets overlap ``−1``
      and centre error ``−1``: it counts as a **failure** in every success threshold but, because ``−1 ≤ d``, as
      a **hit** in every precision threshold, and it stays in the denominator of both.

    minicnn differs in one corner: a result kept with a NaN in ``x`` or ``y`` (only partly NaN) scores as a failure
    (its overlap and centre error are NaN), where MATLAB's ``max`` and ``min`` in ``calcRectInt`` skip the NaN and
    give an overlap as if that coordinate matched the ground truth's.

    minicnn adds one rule the toolkits have no need for: from frame index ``failed_from`` on (a tracker that
    raised an exception), frames with valid ground truth get overlap 0 and an infinite centre error, instead of
    the last box being carried forward.
    """
    boxes, ground_truth = _check_pair(boxes, ground_truth)
    if nan_in_annotation is None:
        nan_in_annotation = np.zeros(len(boxes), dtype=bool)
    elif np.shape(nan_in_annotation) != (len(boxes),):
        raise ValueError(f"nan_in_annotation: expected one flag per frame ({len(boxes)}), got shape "
                         f"{np.shape(nan_in_annotation)}")
    for t in range(1, len(boxes)):
        box = boxes[t]
        if (np.all(np.isnan(box)) or box[2] <= 0 or box[3] <= 0) and not nan_in_annotation[t]:
            boxes[t] = boxes[t - 1]
    boxes[0] = ground_truth[0]
    one_based = ground_truth + np.array([1.0, 1.0, 0.0, 0.0])
    with np.errstate(invalid="ignore"):
        valid = np.all(one_based > 0, axis=1)
    overlaps = -np.ones(len(boxes))
    errors = -np.ones(len(boxes))
    normalized = -np.ones(len(boxes))
    if valid.any():
        gt = ground_truth[valid]
        overlaps[valid] = iou(boxes[valid], gt)
        difference = _centers_otb(boxes[valid]) - _centers_otb(gt)
        errors[valid] = np.sqrt(np.sum(difference**2, axis=1))
        normalized[valid] = np.sqrt(np.sum((difference / gt[:, 2:]) ** 2, axis=1))
    if failed_from is not None:
        crashed = valid & (np.arange(len(boxes)) >= max(int(failed_from), 1))
        overlaps[crashed] = 0.0
        errors[crashed] = np.inf
        normalized[crashed] = np.inf
    return overlaps, errors, normalized


def success_curve(overlaps, thresholds=OVERLAP_THRESHOLDS):
    """``S(τ) = #{t : IoU_t > τ} / N`` for each threshold τ (strictly greater, as OTB)."""
    overlaps = np.asarray(overlaps, dtype=np.float64)
    return np.array([np.mean(overlaps > tau) for tau in thresholds])


def precision_curve(errors, thresholds=ERROR_THRESHOLDS):
    """``P(d) = #{t : e_t ≤ d} / N`` for each threshold d (less or equal, as OTB)."""
    errors = np.asarray(errors, dtype=np.float64)
    return np.array([np.mean(errors <= d) for d in thresholds])


class OPEScore:
    """One tracker on one sequence (or the mean over a suite): the three OPE curves and their summary numbers.

    Attributes
    ----------
    success, precision, normalized_precision : ndarray
        The curves over ``OVERLAP_THRESHOLDS``, ``ERROR_THRESHOLDS`` and ``NORMALIZED_THRESHOLDS``.
    auc : float
        Mean of the 21 success points.
    precision_20 : float
        ``precision`` at 20 px.
    normalized_precision_score : float
        ``normalized_precision`` at 0.20 (the LaSOT toolkit's and pysot's P_norm).
    normalized_precision_auc : float
        The mean of the ``normalized_precision`` curve (the LaSOT paper's wording, and GOT-10k-toolkit-based code).
    """

    def __init__(self, success, precision, normalized_precision):
        self.success = np.asarray(success, dtype=np.float64)
        self.precision = np.asarray(precision, dtype=np.float64)
        self.normalized_precision = np.asarray(normalized_precision, dtype=np.float64)

    @property
    def auc(self):
        return float(np.mean(self.success))

    @property
    def precision_20(self):
        return float(self.precision[20])

    @property
    def normalized_precision_score(self):
        return float(self.normalized_precision[20])

    @property
    def normalized_precision_auc(self):
        return float(np.mean(self.normalized_precision))

    def __repr__(self):
        return (
            f"OPEScore(AUC={self.auc:.3f}, P@20={self.precision_20:.3f}, "
            f"norm. precision={self.normalized_precision_score:.3f})"
        )


def ope_score(boxes, ground_truth, failed_from=None, nan_in_annotation=None):
    """The OTB one-pass evaluation of one tracker on one sequence (see ``otb_frame_errors`` for the rules)."""
    overlaps, errors, normalized = otb_frame_errors(boxes, ground_truth, failed_from, nan_in_annotation)
    return OPEScore(
        success_curve(overlaps),
        precision_curve(errors),
        precision_curve(normalized, NORMALIZED_THRESHOLDS),
    )


def mean_score(scores):
    """The suite's score: the mean of the per-sequence curves (OTB's ``aveSuccessRatePlot`` averaged over videos).
    OTB's ``plotDrawSave`` leaves out a sequence whose success curve is 0 at every threshold, which only a sequence
    whose first ground-truth box is not valid in OTB's terms can have (``read_otb`` warns of one); minicnn averages
    it in as it is."""
    scores = list(scores)
    if not scores:
        raise ValueError("scores: need at least one sequence's score to average")
    return OPEScore(
        np.mean([s.success for s in scores], axis=0),
        np.mean([s.precision for s in scores], axis=0),
        np.mean([s.normalized_precision for s in scores], axis=0),
    )


def by_attribute(scores, attributes):
    """Per-attribute suite scores.

    Parameters
    ----------
    scores : list of OPEScore, one per sequence
    attributes : list of tuples of str, the tags of each sequence

    Returns
    -------
    dict mapping tag → (OPEScore averaged over the sequences with that tag, number of sequences)
    """
    scores = list(scores)
    attributes = list(attributes)
    if len(scores) != len(attributes):
        raise ValueError(f"attributes: expected one tuple per score ({len(scores)}), got {len(attributes)}")
    tags = sorted({tag for tags in attributes for tag in tags})
    result = {}
    for tag in tags:
        chosen = [s for s, tags in zip(scores, attributes) if tag in tags]
        result[tag] = (mean_score(chosen), len(chosen))
    return result


# ---------------------------------------------------------------------------------------------------- GOT-10k

GOT10K_THRESHOLDS = np.linspace(0.0, 1.0, 101)


def bound_to_image(boxes, frame_shape):
    """The GOT-10k toolkit's ``bound`` (``rect_iou(..., bound=(W, H))``), for an image of shape ``(H, W, ...)``::

        x ← clip(x, 0, W),   w ← clip(w, 0, W − x),   and the same for y, h with H

    It moves before it crops: a box that starts left of the image is shifted to ``x = 0`` and keeps its width (up
    to the right edge), which is not the part of the box inside the image (``boxes.clip_boxes``)."""
    boxes = as_boxes(boxes).copy()
    for start, size, limit in ((0, 2, frame_shape[1]), (1, 3, frame_shape[0])):
        boxes[:, start] = np.clip(boxes[:, start], 0.0, limit)
        boxes[:, size] = np.clip(boxes[:, size], 0.0, limit - boxes[:, start])
    return boxes


def got10k_overlaps(boxes, ground_truth, visible=None, frame_shape=None):
    """The IoUs GOT-10k's toolkit scores for one sequence.

    As the toolkit does: the first frame is skipped (the tracker was given it); only frames where the target is
    visible count (``cover > 0`` in the toolkit; here ``visible``, default: frames whose ground truth is not NaN);
    with ``frame_shape`` (the toolkit always has it, from the sequence's ``resolution``) both boxes first go through
    the toolkit's ``bound`` (``bound_to_image``). A NaN result box scores 0.
    """
    boxes, ground_truth = _check_pair(boxes, ground_truth)
    if visible is None:
        visible = np.all(np.isfinite(ground_truth), axis=1)
    visible = np.asarray(visible, dtype=bool)
    if visible.shape != (len(ground_truth),):
        raise ValueError(f"visible: expected {len(ground_truth)} flags, got shape {visible.shape}")
    boxes, ground_truth, visible = boxes[1:], ground_truth[1:], visible[1:]
    if frame_shape is not None:
        boxes, ground_truth = bound_to_image(boxes, frame_shape), bound_to_image(ground_truth, frame_shape)
    overlaps = np.nan_to_num(iou(boxes, ground_truth), nan=0.0)
    return overlaps[visible]


class GOT10kScore:
    """AO, SR@0.5, SR@0.75 and the success curve over 101 thresholds, from the pooled IoUs of every frame."""

    def __init__(self, overlaps):
        self.overlaps = np.asarray(overlaps, dtype=np.float64)
        if self.overlaps.size == 0:
            raise ValueError("overlaps: no visible frames to score")

    @property
    def ao(self):
        return float(np.mean(self.overlaps))

    @property
    def sr50(self):
        return float(np.mean(self.overlaps > 0.5))

    @property
    def sr75(self):
        return float(np.mean(self.overlaps > 0.75))

    @property
    def success(self):
        return success_curve(self.overlaps, GOT10K_THRESHOLDS)

    def __repr__(self):
        return f"GOT10kScore(AO={self.ao:.3f}, SR@0.5={self.sr50:.3f}, SR@0.75={self.sr75:.3f})"


def got10k_score(overlaps_per_sequence):
    """Pool the per-sequence IoUs (from ``got10k_overlaps``) into one GOT-10k score: every frame weighs the same."""
    pooled = [np.asarray(o, dtype=np.float64) for o in overlaps_per_sequence]
    return GOT10kScore(np.concatenate(pooled) if pooled else np.array([]))
