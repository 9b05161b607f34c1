"""FGSM and PGD attacks and adversarial training on digits."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from pyworker.gen import data as gdata  # noqa: E402
from pyworker.gen import robust as R  # noqa: E402
from pyworker.gen.robust_checks import check_eps  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return gdata.load("digits")


@pytest.fixture(scope="module")
def trained(digits):
    keras.utils.set_random_seed(0)
    m = R.classifier(digits.dim, 10, hidden=[64])
    R.train(m, digits.x_train, digits.y_train, attack=None, epochs=10)
    return m


@pytest.mark.parametrize("kind", ["fgsm", "pgd"])
def test_attack_stays_in_the_ball_and_the_data_range(digits, trained, kind):
    eps = 0.1
    x, y = digits.x_test[:100], digits.y_test[:100]
    adv = R.Attack(trained, kind, eps, steps=5, seed=0)(x, y).numpy()
    assert np.abs(adv - x).max() <= eps + 1e-6
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    assert np.abs(adv - x).max() > eps / 2  # it did move


def test_attacks_hurt_and_pgd_hurts_more_than_fgsm(digits, trained):
    x, y = digits.x_test, digits.y_test
    clean = R.accuracy(trained, x, y)
    fgsm = R.accuracy(trained, x, y, R.Attack(trained, "fgsm", 0.1))
    pgd = R.accuracy(trained, x, y, R.Attack(trained, "pgd", 0.1, steps=20, seed=1))
    assert clean > 0.9
    assert pgd <= fgsm < clean - 0.2


def test_pgd_random_start_is_seeded(digits, trained):
    x, y = digits.x_test[:50], digits.y_test[:50]
    a = R.Attack(trained, "pgd", 0.1, steps=3, seed=7)(x, y).numpy()
    b = R.Attack(trained, "pgd", 0.1, steps=3, seed=7)(x, y).numpy()
    c = R.Attack(trained, "pgd", 0.1, steps=3, seed=8)(x, y).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_adversarial_training_raises_robust_accuracy(digits, trained):
    keras.utils.set_random_seed(0)
    m = R.classifier(digits.dim, 10, hidden=[64])
    R.train(
        m,
        digits.x_train,
        digits.y_train,
        attack=R.Attack(m, "pgd", 0.1, steps=5, seed=0),
        epochs=20,
    )
    ev = R.Attack(m, "pgd", 0.1, steps=10, seed=1)
    ev_std = R.Attack(trained, "pgd", 0.1, steps=10, seed=1)
    robust = R.accuracy(m, digits.x_test, digits.y_test, ev)
    robust_std = R.accuracy(trained, digits.x_test, digits.y_test, ev_std)
    assert robust > robust_std + 0.15, (robust, robust_std)


@pytest.mark.parametrize("eps", [0.0, -0.1, 1.0, 3.0])
def test_eps_outside_the_data_range_is_refused(eps):
    with pytest.raises(ValueError, match="outside the data range"):
        check_eps(eps, 0.0, 1.0)


def test_bad_attack_settings(trained):
    with pytest.raises(ValueError, match="attack 'cw'"):
        R.Attack(trained, "cw", 0.1)
    with pytest.raises(ValueError, match="PGD steps=0"):
        R.Attack(trained, "pgd", 0.1, steps=0)
