"""pyworker: the Python worker of xlrl.

The Go host starts ``python -m pyworker serve`` and speaks msgpack-RPC to it
over stdin/stdout. Handlers are plain functions registered with
:func:`pyworker.registry.method`; they receive keyword arguments (numpy arrays
arrive as numpy arrays) and return msgpack-able values.
"""

__version__ = "0.1.0"

#: Protocol version (major, minor). The Go host refuses another major version.
PROTOCOL_VERSION = (1, 0)
