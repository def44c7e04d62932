"""Ship the top-level resources/ folder inside the wheel as designer/resources.

Everything else is in pyproject.toml; this only extends build_py, because setuptools has no
declarative way to map a folder outside the package into it.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithResources(build_py):
    def run(self):
        super().run()
        source = Path(__file__).parent / "resources"
        target = Path(self.build_lib) / "designer" / "resources"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithResources})
