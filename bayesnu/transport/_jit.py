"""numba kernels of the transport solver: compiled on first use, kept on disk, and (for the
kernels of the population solve) callable without importing numba.

``@jit(**options)`` replaces ``@numba.njit(**options)``: numba is imported, and every kernel
of the package turned into a numba dispatcher, only when a kernel is first called. Until
then the modules hold :class:`Kernel` objects, so importing :mod:`bayesnu.transport` does
not import numba (~0.25 s of CPU, plus ~0.2 s of scipy.linalg that numba's first dispatch
imports).

``@jit(native=(spec, ...), **options)`` also exports the kernel as a C function whose
machine code is kept on disk next to numba's own cache. A later process loads that code
with llvmlite (the library numba compiles with, ~20 ms to import) and calls it through
ctypes, without importing numba. Both paths run the same numba-compiled code of the same
Python source. ``spec`` gives each argument: ``"f8"``, ``"i8"``, ``"b1"`` (scalars) or
``"f8[:]"``, ``"f8[:,:]"``, ``"i8[:]"``, ... (C-contiguous arrays). Native kernels return
nothing (they write into array arguments) and must not allocate arrays (no numba runtime
is present when their code is loaded). The on-disk code is keyed by the source of the
kernel modules, the numba and llvmlite versions and the host CPU; any change rebuilds it
(with numba, once) in the package's ``__pycache__`` (or ``~/.cache/bayesnu/native``, or the
folder ``BAYESNU_NATIVE_CACHE_DIR`` names). Set ``BAYESNU_NATIVE_KERNELS=0`` to always go
through numba.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

__all__ = ["Kernel", "jit"]

#: Every kernel created by :func:`jit`, in definition order.
_REGISTRY: list[Kernel] = []
#: Modules whose source is part of the key of the native code.
_SOURCES = ("_jit.py", "xsec.py", "operator.py", "solvers.py")
_HERE = Path(__file__).resolve().parent
#: numba runtime symbols that the C wrapper of a kernel references only on its error path
#: (exception reporting, releasing memory that a non-allocating kernel never holds). Without
#: numba in the process they resolve to a stub that records the call; a native call after
#: which the stub was reached raises (see ``Kernel.__call__``).
_STUB_SYMBOLS = ("NRT_Free", "NRT_MemInfo_call_dtor", "numba_do_raise", "numba_gil_ensure", "numba_gil_release",
                 "numba_runtime_build_excinfo_struct", "numba_unpickle")
_STUB_CALLS = [0]
_NATIVE_TYPES = {"f8": "float64", "i8": "int64", "b1": "boolean"}
_CTYPES = {"f8": ctypes.c_double, "i8": ctypes.c_int64, "b1": ctypes.c_bool}
_NUMPY_DTYPES = {"f8": "float64", "i8": "int64", "b1": "bool"}


def jit(fn=None, *, native=None, **options):
    """``numba.njit(**options)`` created on first call; ``native``: argument spec of the C export."""
    def wrap(f):
        return Kernel(f, options, native)

    return wrap(fn) if fn is not None else wrap


class Kernel:
    """A numba kernel created on first call (see the module docstring)."""

    def __init__(self, fn, options: dict, native) -> None:
        self.py_func = fn
        self.options = dict(options)
        self.native = None if native is None else tuple(_parse_spec(s) for s in native)
        self._dispatcher = None
        self._cfn = None  # the loaded native function, False if unavailable
        functools.update_wrapper(self, fn)
        _REGISTRY.append(self)

    def __repr__(self) -> str:
        return f"<transport kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"

    @property
    def dispatcher(self):
        """The numba dispatcher (imports numba and creates every kernel's dispatcher)."""
        if self._dispatcher is None:
            _materialise()
        return self._dispatcher

    def __call__(self, *args):
        if self.native is not None:
            if self._cfn is None:
                self._cfn = _native_function(self) or False
            if self._cfn and _native_args_ok(self.native, args):
                before = _STUB_CALLS[0]
                self._cfn(*_flatten(self.native, args))
                if _STUB_CALLS[0] != before:
                    raise RuntimeError(f"native code of {self.py_func.__qualname__} reported an error; "
                                       "run with BAYESNU_NATIVE_KERNELS=0 to see it from numba")
                return None
        return self.dispatcher(*args)


# ----------------------------------------------------------------------------- numba path
def _materialise() -> None:
    """Create the numba dispatcher of every kernel and put it in place of the Kernel objects."""
    import numba

    for k in _REGISTRY:
        if k._dispatcher is None:
            k._dispatcher = numba.njit(**k.options)(k.py_func)
    # numba resolves a kernel's callees through its module globals: give it dispatchers
    # (native kernels stay Kernel objects, so Python callers keep preferring the native code;
    # they cannot be called from other kernels)
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith("bayesnu.transport"):
            continue
        ns = vars(mod)
        for attr, val in list(ns.items()):
            if isinstance(val, Kernel) and val.native is None:
                ns[attr] = val._dispatcher


# ----------------------------------------------------------------------------- native path
def _parse_spec(spec: str) -> tuple[str, int]:
    """("f8", ndim) from "f8[:,:]" (ndim 0 for a scalar)."""
    s = spec.replace(" ", "")
    if "[" in s:
        base, dims = s.split("[", 1)
        nd = dims.count(":")
    else:
        base, nd = s, 0
    if base not in _NATIVE_TYPES or (nd == 0 and "[" in s):
        raise ValueError(f"unsupported native argument spec {spec!r}")
    return base, nd


def _native_args_ok(spec, args) -> bool:
    import numpy as np

    if len(args) != len(spec):
        return False
    for (base, nd), a in zip(spec, args):
        if nd:
            if not (isinstance(a, np.ndarray) and a.ndim == nd and a.dtype == _NUMPY_DTYPES[base]
                    and a.flags.c_contiguous):
                return False
    return True


_SCALAR = {"f8": float, "i8": int, "b1": bool}


def _flatten(spec, args) -> list:
    out = []
    for (base, nd), a in zip(spec, args):
        if nd:
            out.append(a.ctypes.data)
            out.extend(a.shape)
        else:
            out.append(_SCALAR[base](a))
    return out


def _cache_dirs() -> list[Path]:
    env = os.environ.get("BAYESNU_NATIVE_CACHE_DIR")
    if env:
        return [Path(env)]
    return [_HERE / "__pycache__",
            Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bayesnu" / "native"]


def _package_version_bytes(name: str) -> bytes:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return b"absent"
    root = Path(spec.origin).parent
    for fname in ("_version.py", "__init__.py"):
        p = root / fname
        if p.exists():
            return p.read_bytes()
    return b"unknown"


@functools.lru_cache(maxsize=1)
def _llvm():
    """llvmlite.binding, initialised, and the host description; None if unavailable."""
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        host = llvm.get_host_cpu_name() + ";" + llvm.get_host_cpu_features().flatten()
    except Exception:  # pragma: no cover - llvmlite missing or unusable: numba path
        return None
    return llvm, host


@functools.lru_cache(maxsize=1)
def _common_key() -> str | None:
    got = _llvm()
    if got is None:
        return None
    h = hashlib.sha256()
    for f in _SOURCES:
        h.update((_HERE / f).read_bytes())
    h.update(_package_version_bytes("numba"))
    h.update(_package_version_bytes("llvmlite"))
    h.update(sys.version.encode())
    h.update(got[1].encode())
    return h.hexdigest()


def _file_name(k: Kernel) -> str | None:
    key = _common_key()
    if key is None:
        return None
    h = hashlib.sha256((key + k.py_func.__qualname__ + repr(k.native) + repr(sorted(k.options.items())))
                       .encode()).hexdigest()[:20]
    return f"{k.py_func.__module__.rsplit('.', 1)[-1]}.{k.py_func.__qualname__}.{h}.native"


def _read(name: str):
    for d in _cache_dirs():
        p = d / name
        try:
            data = p.read_bytes()
        except OSError:
            continue
        head, _, obj = data.partition(b"\n")
        try:
            return json.loads(head), obj
        except ValueError:
            continue
    return None


def _write(name: str, meta: dict, obj: bytes) -> None:
    blob = json.dumps(meta).encode() + b"\n" + obj
    for d in _cache_dirs():
        try:
            d.mkdir(parents=True, exist_ok=True)
            tmp = d / f"{name}.{os.getpid()}.tmp"
            tmp.write_bytes(blob)
            os.replace(tmp, d / name)
            return
        except OSError:
            continue


def _build(k: Kernel):
    """Compile the C export of ``k`` with numba; returns (meta, object code) or None."""
    import numba
    from numba import carray, types

    params, call, argtypes = [], [], []
    for i, (base, nd) in enumerate(k.native):
        nbt = getattr(types, _NATIVE_TYPES[base])
        if nd:
            dims = [f"s{i}_{d}" for d in range(nd)]
            params += [f"p{i}", *dims]
            argtypes += [types.CPointer(nbt)] + [types.int64] * nd
            call.append(f"carray(p{i}, ({', '.join(dims)},))")
        else:
            params.append(f"a{i}")
            argtypes.append(nbt)
            call.append(f"a{i}")
    src = f"def export({', '.join(params)}):\n    kernel({', '.join(call)})\n"
    ns = {"carray": carray, "kernel": k.dispatcher}
    exec(compile(src, f"<native export of {k.py_func.__qualname__}>", "exec"), ns)
    cf = numba.cfunc(types.void(*argtypes), error_model="numpy")(ns["export"])
    lib = cf._library
    lib._ensure_finalized()
    mod = lib._final_module
    undefined = sorted({f.name for f in mod.functions if f.is_declaration and not f.name.startswith("llvm.")}
                       | {g.name for g in mod.global_variables if g.is_declaration})
    obj = lib._codegen._tm.emit_object(mod)
    return {"symbol": cf.native_name, "undefined": undefined}, obj


def _stub():
    _STUB_CALLS[0] += 1
    return None


_STUB = ctypes.CFUNCTYPE(ctypes.c_void_p)(_stub)
_ENGINES: list = []  # keep the execution engines (and their code) alive


def _load(meta: dict, obj: bytes, nargs_spec):
    got = _llvm()
    if got is None:
        return None
    llvm = got[0]
    process = ctypes.CDLL(None)

    def known(sym: str) -> bool:  # what the JIT linker resolves: the process, or added symbols
        return hasattr(process, sym) or llvm.address_of_symbol(sym) is not None

    for s in _STUB_SYMBOLS:
        if not known(s):
            llvm.add_symbol(s, ctypes.cast(_STUB, ctypes.c_void_p).value)
    if not all(known(s) for s in meta["undefined"]):
        return None  # something the code needs is not in this process: numba path
    tm = llvm.Target.from_default_triple().create_target_machine(codemodel="jitdefault")
    ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
    ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
    ee.finalize_object()
    addr = ee.get_function_address(meta["symbol"])
    if not addr:
        return None
    _ENGINES.append(ee)
    argtypes = []
    for base, nd in nargs_spec:
        argtypes += [ctypes.c_void_p] + [ctypes.c_int64] * nd if nd else [_CTYPES[base]]
    fn = ctypes.PYFUNCTYPE(None, *argtypes)(addr)
    return fn


def _native_function(k: Kernel):
    """The loaded C export of ``k`` (built with numba and saved on first use), or None."""
    if os.environ.get("BAYESNU_NATIVE_KERNELS", "1") == "0":
        return None
    name = _file_name(k)
    if name is None:
        return None
    got = _read(name)
    if got is None:
        try:
            got = _build(k)
        except Exception:  # pragma: no cover - numba cannot export it: numba path
            return None
        _write(name, *got)
    try:
        return _load(got[0], got[1], k.native)
    except Exception:  # pragma: no cover
        return None
