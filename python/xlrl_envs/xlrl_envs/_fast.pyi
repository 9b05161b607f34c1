"""Types of the C extension (_fast.c): the hot path of XlrlVectorEnv.step and XlrlEnv.step."""

from collections.abc import Callable
from typing import Any

import numpy as np

class Stepper:
    ended: bool
    def __init__(
        self,
        *,
        step: int,
        free: int,
        handle: int,
        n_values: int,
        discrete_actions: bool,
        discrete_obs: bool,
        obs: np.ndarray,
        final_obs: np.ndarray,
        rewards: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        obs_fn: Callable[[], np.ndarray] | None,
        on_ended: Callable[[dict[str, Any]], None],
        convert: Callable[[Any], np.ndarray],
        on_fork: Callable[[], None],
    ) -> None: ...
    def __call__(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]: ...
    def step_one(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]: ...
    def obs_one(self) -> Any: ...
