"""The slow tier reuses the integration tests' helpers (same build dir,
same kvmscope runner) without importing a second module named conftest."""
import importlib.util
import pathlib

_path = pathlib.Path(__file__).resolve().parents[1] / "integration" / \
    "conftest.py"
_spec = importlib.util.spec_from_file_location("kvmscope_it_conftest", _path)
_it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_it)

ROOT = _it.ROOT
BUILD = _it.BUILD
run_kvmscope = _it.run_kvmscope
built = _it.built  # the session fixture: checks the build and /dev/kvm
need_gdb = _it.need_gdb  # fails the test when gdb is missing
pytest_runtest_makereport = _it.pytest_runtest_makereport  # skips fail in CI
