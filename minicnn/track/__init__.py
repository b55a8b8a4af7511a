"""Visual object tracking on top of minicnn: boxes, sequences (OTB / GOT-10k), metrics, evaluation, trackers."""
