"""The README's Python examples run as written (the section "Python")."""
import os
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    section = README.read_text().split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_first_example_runs(tmp_path):
    (tmp_path / "components.sx").write_text(
        "(defcomp ~card (&key title sale-price post) (p title sale-price (:price post)))")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {"big_text": "(feed (item :id 1)) (tail)"}
        exec(compile(python_blocks()[0], "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    env = scope["env"]
    assert env.render("~card", post={"id": 1, "price": 850}) == "<p>850</p>"
    assert scope["shout"]("a") == "A"


def test_every_example_compiles():
    blocks = python_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        compile(block, "README.md", "exec")


def test_the_activitypub_example_runs():
    (block,) = [b for b in python_blocks() if "sexp.ap." in b]
    exec(compile(block, "README.md", "exec"), {})
