"""Make PyTensor's C backend link a real BLAS after a plain ``pip install``.

PyTensor's C implementations of Gemm/Gemv/Ger call the Fortran BLAS symbols
(``dgemm_`` ...). A pip-installed NumPy bundles OpenBLAS only under renamed
64-bit-integer symbols, so PyTensor finds nothing to link, warns, and falls back
to slower NumPy C-API code. bayesnu depends on ``scipy-openblas32`` (an LP64
OpenBLAS wheel whose symbols carry a ``scipy_`` prefix) and, before PyTensor is
first imported, tells PyTensor to link it and maps each BLAS name onto the
prefixed one with preprocessor defines. The library is loaded with
``RTLD_GLOBAL`` so compiled modules resolve the symbols without an rpath.

If PyTensor was imported before bayesnu (and already warned), the same settings
are applied to the live ``pytensor.config`` so later compilations still link BLAS.
Otherwise :func:`install` defers the set-up (importing the wheel's metadata and loading
the library, ~20 ms) to the moment PyTensor is first imported, so processes that never
use PyTensor (a transport solve, most CLI commands) do not pay for it.
Nothing is changed when the user configured BLAS themselves (``blas__ldflags`` in
``PYTENSOR_FLAGS`` or a ``.pytensorrc``), when ``BAYESNU_NO_BLAS_SETUP=1``, or when
the wheel is missing.
"""

from __future__ import annotations

import ctypes
import os
import sys

# every BLAS routine PyTensor's C code declares (pytensor/tensor/blas_headers.py)
_ROUTINES = (
    "axpy copy gemm gemv scal swap symm syrk trmm trsm".split()
)
_REAL_ONLY = ("dot", "ger", "rot")
_COMPLEX_ONLY = ("gerc", "geru")


def _symbols() -> list[str]:
    names = [p + r for p in "sdcz" for r in _ROUTINES]
    names += [p + r for p in "sd" for r in _REAL_ONLY]
    names += [p + r for p in "cz" for r in _COMPLEX_ONLY]
    return names


def _user_configured() -> bool:
    if "blas__ldflags" in os.environ.get("PYTENSOR_FLAGS", ""):
        return True
    rc = os.environ.get("PYTENSORRC", os.path.expanduser("~/.pytensorrc"))
    for path in rc.split(os.pathsep):
        try:
            with open(path) as fh:
                if "ldflags" in fh.read():
                    return True
        except OSError:
            continue
    return False


def configure() -> str | None:
    """Configure PyTensor to link scipy-openblas32; return the ldflags used or None."""
    if os.environ.get("BAYESNU_NO_BLAS_SETUP") == "1":
        return None
    if _user_configured():
        return None
    live = sys.modules.get("pytensor")
    if live is not None and getattr(live.config, "blas__ldflags", ""):
        return None
    try:
        import scipy_openblas32
    except ImportError:
        return None
    libdir = scipy_openblas32.get_lib_dir()
    libname = scipy_openblas32.get_library()
    path = os.path.join(libdir, f"lib{libname}.so")
    if not os.path.exists(path) or " " in libdir or "," in libdir:
        return None
    try:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError:
        return None
    ldflags = f"-L{libdir} -l{libname}"
    defines = " ".join(f"-D{n}_=scipy_{n}_" for n in _symbols())
    if live is not None:
        live.config.blas__ldflags = ldflags
        live.config.gcc__cxxflags = f"{live.config.gcc__cxxflags} {defines}".strip()
        return ldflags
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    extra = f"blas__ldflags={ldflags},gcc__cxxflags={defines}"
    os.environ["PYTENSOR_FLAGS"] = f"{flags},{extra}" if flags else extra
    return ldflags


class _BeforePytensor:
    """Meta-path hook that runs :func:`configure` once, just before PyTensor is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "pytensor" or name.startswith("pytensor."):
            try:
                sys.meta_path.remove(self)
            except ValueError:
                pass
            configure()
        return None  # the regular finders import PyTensor


def install() -> None:
    """Configure now if PyTensor is already imported, else just before it is first imported."""
    if "pytensor" in sys.modules:
        configure()
    elif not any(isinstance(f, _BeforePytensor) for f in sys.meta_path):
        sys.meta_path.insert(0, _BeforePytensor())
