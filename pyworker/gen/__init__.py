"""Generative models and adversarial robustness in the worker.

The modules that import TensorFlow (``vae``, ``gan``, ``flows``, ``made``,
``robust``, ``metrics``, ``train``) are imported only when a handler runs, so
that importing :mod:`pyworker.gen.handlers` at worker start costs nothing.
:mod:`pyworker.gen.data` needs numpy and scikit-learn only.
"""
