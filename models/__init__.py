"""Probabilistic models (installed as ``bayesnu.models``).

Functions here add variables and likelihood terms to the caller's ``pm.Model``;
they never own the model.
"""
