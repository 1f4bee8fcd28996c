"""Shell text for a remote job's environment (pure functions)."""

from __future__ import annotations

import pytest

from covalent_ssh.shell import environment_lines, shell_path


def test_environment_setup_order_and_quoting() -> None:
    lines = environment_lines(
        env={"A": "x y"}, modules=["gcc/12", "cuda"], conda_env="work", venv="~/envs/covalent", prerun="echo 1\necho 2"
    )
    assert lines == [
        "export A='x y'",
        "module load gcc/12",
        "module load cuda",
        'eval "$(conda shell.bash hook)"',
        "conda activate work",
        '. "$HOME"/envs/covalent/bin/activate',
        "echo 1",
        "echo 2",
    ]
    with pytest.raises(ValueError):
        environment_lines(env={"1BAD": "x"})


def test_paths_keep_the_home_folder_and_quote_the_rest() -> None:
    assert shell_path("~") == '"$HOME"'
    assert shell_path("~/a b") == "\"$HOME\"/'a b'"
    assert shell_path("/x;rm") == "'/x;rm'"
