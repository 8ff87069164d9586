"""Install ``nengo_dl_trainable.pth`` next to the package.

All metadata lives in ``pyproject.toml``. This file only adds the ``.pth`` file that
activates the extension whenever ``nengo_dl`` is imported (see
``_nengo_dl_trainable_hook.py``). Python reads ``.pth`` files from the root of
site-packages, so the file has to sit at the root of the wheel, which setuptools
does not do for data files on its own: ``build_py`` puts it there for regular
wheels, and ``editable_wheel`` (PEP 660 editable installs) for editable ones. The
latter overrides a private method of setuptools, whose version is bounded in
``pyproject.toml``; ``nengo_dl_trainable/tests/test_activation.py`` checks that the
file is installed.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH_FILE = "nengo_dl_trainable.pth"
PTH_SOURCE = Path(__file__).parent / PTH_FILE


class BuildPyWithPth(build_py):
    """``build_py`` that also places the activation ``.pth`` file in the wheel root."""

    def run(self):
        super().run()
        self.copy_file(str(PTH_SOURCE), str(Path(self.build_lib) / PTH_FILE))

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [
            str(Path(self.build_lib) / PTH_FILE)
        ]


class EditableWheelWithPth(editable_wheel):
    """``editable_wheel`` that also places the activation ``.pth`` in the wheel root."""

    def _install_namespaces(self, installation_dir, pth_prefix):
        super()._install_namespaces(installation_dir, pth_prefix)
        self.copy_file(str(PTH_SOURCE), str(Path(installation_dir) / PTH_FILE))


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
