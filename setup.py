"""pip install --no-build-isolation .  — the Python module `sexp`.

The extension is built by CMake (the same target the test build makes), in
build/pip so a second install only rebuilds what changed; nothing is
downloaded: pybind11, Abseil, OpenSSL, simdjson, gumbo and mimalloc come from
Debian (scripts/deps.sh). The interpreter running pip is the one the module
is built for.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(sexp VERSION"):
                return line.split()[2]
    raise RuntimeError("no project version in CMakeLists.txt")


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.environ.get("SEXP_PIP_BUILD_DIR", os.path.join(ROOT, "build", "pip"))
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.check_call(
            ["cmake", "-S", ROOT, "-B", build, *generator, "-DCMAKE_BUILD_TYPE=Release",
             "-DSEXP_BUILD_TESTS=OFF", "-DSEXP_BUILD_TOOLS=ON", "-DSEXP_BUILD_BENCH=OFF",
             "-DSEXP_BUILD_PYTHON=ON", "-DPYTHON_EXECUTABLE=" + sys.executable])
        subprocess.check_call(["cmake", "--build", build, "--target", "_sexp", "sexp_cli"])
        built = glob.glob(os.path.join(build, "python", "sexp", "_sexp*.so"))
        if len(built) != 1:
            raise RuntimeError("expected one _sexp extension in %s, found %r" % (build, built))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)
        # The CLI goes into the package; the `sexp` console script runs it
        # (sexp/__main__.py).
        cli = os.path.join(os.path.dirname(target), "_bin", "sexp")
        os.makedirs(os.path.dirname(cli), exist_ok=True)
        shutil.copyfile(os.path.join(build, "tools", "sexp"), cli)
        os.chmod(cli, 0o755)


setup(
    name="sexp",
    version=version(),
    description="s-expressions for the platform: reader, canonical form, hashes, evaluator, "
                "HTML renderer (libsexp)",
    license="Apache-2.0",
    python_requires=">=3.9",
    package_dir={"": "bindings/python"},
    packages=["sexp"],
    package_data={"sexp": ["py.typed", "*.pyi"]},
    ext_modules=[CMakeExtension("sexp._sexp")],
    cmdclass={"build_ext": CMakeBuild},
    entry_points={"console_scripts": ["sexp = sexp.__main__:main"]},
    zip_safe=False,
)
