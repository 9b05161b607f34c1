"""The modules whose handlers the worker serves.

Importing a module runs its ``@method`` decorators; the server imports each of
these at start. Heavy imports (TensorFlow) happen inside handlers or in modules
imported lazily, so the handshake stays fast.
"""

HANDLER_MODULES: list[str] = [
    "pyworker.core",
    "pyworker.plots",
    "pyworker.render",
    "pyworker.tblog",
    "pyworker.rl",
    "pyworker.ac",
    "pyworker.gen.handlers",
    "pyworker.envs",
    "pyworker.export",
    "pyworker.tune",
]
