"""The one thing pyproject.toml cannot say: ``schema.sql`` lives at the top of the repository
(the design card, read first) and ships inside the ``pipelines`` package of the wheel, where
``pipelines/store.py`` finds it when installed. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithSchema(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the top-level file itself
            self.copy_file(str(ROOT / "schema.sql"), str(Path(self.build_lib) / "pipelines" / "schema.sql"))


setup(cmdclass={"build_py": BuildWithSchema})
