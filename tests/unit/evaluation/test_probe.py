import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from signclip.evaluation.probe import fit_linear_probe


def scipy_reference(x, y, num_classes, c=1.0):
    """The same objective minimised by scipy, written out with numpy."""
    n, e = x.shape

    def objective(theta):
        w = theta[: num_classes * e].reshape(num_classes, e)
        b = theta[num_classes * e :]
        logits = x @ w.T + b
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        p = np.exp(log_p)
        p[np.arange(n), y] -= 1.0
        value = 0.5 * np.sum(w**2) - c * np.sum(log_p[np.arange(n), y])
        grad_w = w + c * p.T @ x
        grad_b = c * p.sum(axis=0)
        return value / n, np.concatenate([grad_w.ravel(), grad_b]) / n

    theta = np.zeros(num_classes * e + num_classes)
    options = {"gtol": 1e-10, "ftol": 1e-15, "maxiter": 1000}
    found = minimize(objective, theta, jac=True, method="L-BFGS-B", options=options)
    return found.x[: num_classes * e].reshape(num_classes, e), found.x[num_classes * e :]


def test_probe_solves_the_regularised_objective_like_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    y = rng.integers(0, 3, size=30)
    probe = fit_linear_probe(x, y, 3)
    w, b = scipy_reference(x, y, 3)
    np.testing.assert_allclose(probe.weight, w, atol=1e-5)
    np.testing.assert_allclose(probe.bias, b, atol=1e-5)
    # a stronger penalty (smaller C) gives smaller weights
    assert np.abs(fit_linear_probe(x, y, 3, c=0.01).weight).sum() < np.abs(probe.weight).sum()


def test_probe_separates_a_separable_problem():
    rng = np.random.default_rng(1)
    centres = np.eye(4) * 6
    y = np.repeat(np.arange(4), 10)
    x = centres[y] + rng.normal(size=(40, 4)) * 0.3
    probe = fit_linear_probe(x, y, 4)
    test_y = np.repeat(np.arange(4), 3)
    test_x = centres[test_y] + rng.normal(size=(12, 4)) * 0.3
    assert (probe.scores(test_x).argmax(axis=1) == test_y).all()


def test_class_without_training_clips_is_never_predicted():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]])
    y = np.array([0, 2, 0, 2])
    probe = fit_linear_probe(x, y, 3)
    assert probe.trained.tolist() == [True, False, True]
    assert np.isneginf(probe.scores(x)[:, 1]).all()
    assert (probe.scores(x).argmax(axis=1) == y).all()


def test_probe_refuses_empty_data_and_bad_c():
    with pytest.raises(ValueError, match="at least one"):
        fit_linear_probe(np.zeros((0, 3)), np.zeros(0, np.int64), 2)
    with pytest.raises(ValueError, match="positive"):
        fit_linear_probe(np.zeros((2, 3)), np.array([0, 1]), 2, c=0.0)
