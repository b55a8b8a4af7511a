"""OpenCV's classic trackers (KCF, CSRT, MIL, MOSSE, MedianFlow) behind minicnn's tracker interface.

The interface every tracker here follows is OpenCV's own: ``tracker.init(frame, box)`` once, then
``ok, box = tracker.update(frame)`` per frame, with frames ``(H, W, 3)`` uint8 **RGB** and boxes ``(x, y, w, h)``
0-based floats. OpenCV wants BGR, so the adapter flips the channels. OpenCV is an optional extra
(``pip install "minicnn[track]"``, which installs ``opencv-contrib-python-headless``).

KCF in OpenCV stops moving and learning once its peak response falls below ``detect_thresh`` (0.5); the published
KCF (Henriques et al. 2015) has no such threshold. ``kcf-nothresh`` sets it to 0 and behaves like the paper's
tracker.
"""

import numpy as np

from minicnn.track.trackers.base import Tracker

OPENCV_TRACKERS = {
    "kcf": "KCF (Henriques et al. 2015), OpenCV's version with detect_thresh = 0.5",
    "kcf-nothresh": "KCF with detect_thresh = 0, like the paper",
    "csrt": "CSRT, discriminative correlation filter with channel and spatial reliability (Lukežič et al. 2017)",
    "mil": "MIL, multiple-instance learning (Babenko et al. 2009)",
    "mosse": "MOSSE, minimum output sum of squared error filter (Bolme et al. 2010)",
    "medianflow": "MedianFlow, forward-backward optical flow (Kalal et al. 2010)",
}


def import_cv2():
    """Import OpenCV with its contrib trackers, or say which extra to install."""
    try:
        import cv2
    except ImportError as error:
        raise ImportError(
            "OpenCV's trackers need the 'track' extra: pip install \"minicnn[track]\" "
            "(it installs opencv-contrib-python-headless)"
        ) from error
    if not hasattr(cv2, "legacy") or not hasattr(cv2, "TrackerCSRT_create"):
        raise ImportError(
            "this OpenCV lacks the contrib trackers; install opencv-contrib-python-headless instead of "
            "opencv-python (pip install \"minicnn[track]\")"
        )
    return cv2


def _create(cv2, name):
    if name == "kcf":
        return cv2.TrackerKCF_create(), False
    if name == "kcf-nothresh":
        params = cv2.TrackerKCF_Params()
        params.detect_thresh = 0.0
        return cv2.TrackerKCF_create(params), False
    if name == "csrt":
        return cv2.TrackerCSRT_create(), False
    if name == "mil":
        return cv2.TrackerMIL_create(), False
    if name == "mosse":
        return cv2.legacy.TrackerMOSSE_create(), True
    if name == "medianflow":
        return cv2.legacy.TrackerMedianFlow_create(), True
    raise ValueError(f"name: unknown OpenCV tracker {name!r}; known: {sorted(OPENCV_TRACKERS)}")


class OpenCVTracker(Tracker):
    """One of OpenCV's trackers, taking RGB frames and float ``(x, y, w, h)`` boxes, with the argument checks of
    minicnn's ``Tracker`` (frames of one size, uint8 RGB or grey; boxes of four finite numbers overlapping the frame).

    Parameters
    ----------
    name : str
        One of ``OPENCV_TRACKERS``: kcf, kcf-nothresh, csrt, mil, mosse, medianflow.
    """

    def __init__(self, name):
        self.name = name
        self._cv2 = import_cv2()
        self._tracker = None
        self._legacy = None
        _create(self._cv2, name)  # validates the name now rather than at init

    def _init(self, frame, box):
        self._tracker, self._legacy = _create(self._cv2, self.name)
        x, y, w, h = (float(v) for v in box)
        # the non-legacy trackers take whole pixels: a box under half a pixel wide would round to none
        rect = (x, y, w, h) if self._legacy else (round(x), round(y), max(round(w), 1), max(round(h), 1))
        try:
            result = self._tracker.init(self._bgr(frame), rect)
        except self._cv2.error as error:
            raise RuntimeError(f"OpenCV's {self.name} refused to start on box {tuple(box)}: "
                               f"{str(error).strip().splitlines()[-1]}") from None
        if result is False:
            raise RuntimeError(f"OpenCV's {self.name} refused to start on box {tuple(box)}")

    def _update(self, frame):
        """OpenCV's answer, with a box of no area read as the target lost: KCF with ``detect_thresh = 0`` never says
        it lost the target, but answers ``(0, 0, 0, 0)`` where its response has nowhere to go (a full occlusion),
        which would otherwise count as a box found and leave the table's lost column at 0."""
        ok, rect = self._tracker.update(self._bgr(frame))
        rect = np.asarray(rect, dtype=np.float64)
        return bool(ok) and bool(rect[2] > 0 and rect[3] > 0), rect

    @staticmethod
    def _bgr(frame):
        return np.ascontiguousarray(np.asarray(frame)[:, :, ::-1])

    def __repr__(self):
        return f"OpenCVTracker({self.name!r})"
