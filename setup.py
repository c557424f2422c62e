"""Builds librel (the Rust crate at the repository root) into the rel package.

setuptools-rust runs cargo and copies the cdylib into the package as
rel/librel*.so. It is a plain C library that rel loads with ctypes, not a
Python extension module, hence Binding.NoBinding. Everything else is in
pyproject.toml.
"""

from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(rust_extensions=[RustExtension("rel.librel", path="Cargo.toml", binding=Binding.NoBinding)])
