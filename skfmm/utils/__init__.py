"""Helpers shared by every part of skfmm, each with one home.

``validation`` (argument and array checks), ``device`` (torch device resolution), ``threads``
(torch/BLAS thread limits), ``plotting`` (a headless-safe pyplot).
"""
