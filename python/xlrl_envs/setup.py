"""The C hot path of step (xlrl_envs._fast), built with the package when it can be.

Everything else is in pyproject.toml. The extension is optional: without a C compiler (or
numpy's headers) the package installs without it and steps through ctypes, with the same
results, slower.
"""

from setuptools import Extension, setup

try:
    import numpy
except ImportError:  # no headers: no extension
    ext_modules = []
else:
    ext_modules = [
        Extension(
            "xlrl_envs._fast",
            ["xlrl_envs/_fast.c"],
            include_dirs=[numpy.get_include()],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]

setup(ext_modules=ext_modules)
